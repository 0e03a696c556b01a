//! The supervisor: the registry of sessions that hold a slot (starting, live or stopping),
//! capacity, and the requests about a session that has no actor yet — create, resume, wake,
//! destroy. What each request does to a session is the [`Lifecycle`]'s decision (from the
//! stored row when no actor holds it); the supervisor launches, records and registers.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use actix::prelude::*;
use slog::{info, o, warn, Logger};
use tokio::sync::oneshot;

use super::launcher::{Launch, Launcher};
use super::lifecycle::{Effect, Event, Lifecycle, Limits, Phase};
use super::messages::*;
use super::placing::Placement;
use super::pool::{Invalidate, Pool, ReadyIn};
use super::session::{SessionActor, SessionParts};
use super::store::SessionStore;
use super::EngineError;
use crate::db::{Db, Session};
use crate::extensions::Extensions;
use crate::session_id::SessionId;
use crate::users::Caller;

/// The bound on waiting for a session that is starting or stopping.
pub const SHUTDOWN_WAIT: Duration = Duration::from_secs(40);
/// After the shutdown's deadline, how long the supervisor still waits for sessions to stop
/// (a cut turn's interrupt, then the process's stop ladder).
pub const STOP_AFTER_DEADLINE: Duration = Duration::from_secs(10);

/// A session holding one of the `MAX_SESSIONS` slots.
pub(crate) enum Slot {
    /// Its process is launching; requests about it wait.
    Starting(Vec<oneshot::Sender<()>>),
    Live(Addr<SessionActor>),
    /// Its process is stopping; requests about it wait until it is gone.
    Stopping(Vec<oneshot::Sender<()>>),
}

pub struct Supervisor {
    pub(super) slots: HashMap<SessionId, Slot>,
    /// The owner (user id) of each session holding a slot.
    pub(super) owners: HashMap<SessionId, String>,
    /// New sessions being created (their id is known once their process is).
    pub(super) creating: usize,
    /// The same, per owner.
    pub(super) creating_by: HashMap<String, usize>,
    max_sessions: usize,
    pub(super) limits: Limits,
    pub(super) db: Db,
    pub(super) launcher: Launcher,
    pub(super) pool: Addr<Pool>,
    /// Set once the server is shutting down: the deadline running turns were given.
    pub(super) shutting_down: Option<Instant>,
    drained: Vec<oneshot::Sender<()>>,
    /// The hash of the extension configuration the pool's processes of each project
    /// directory were started with.
    extensions_hash: HashMap<std::path::PathBuf, String>,
    /// Where the sessions publish their `session_state`.
    states: super::state_feed::StateFeed,
    /// The last `event_seq` of each session that stopped and may be woken or resumed: its
    /// next actor counts on from there (a few bytes per session; gone when destroyed).
    event_seqs: HashMap<SessionId, u64>,
    pub(super) log: Logger,
}

/// Re-reads the workspace's extensions (on a blocking thread), linking top-level
/// `skills/` and `commands/` where the CLI reads them.
pub async fn read_extensions(workspace: std::path::PathBuf) -> Option<Extensions> {
    tokio::task::spawn_blocking(move || {
        let _ = crate::extensions::expose_to_cli(&workspace);
        Extensions::discover(&workspace)
    })
    .await
    .ok()
}

/// Lets everyone waiting on a slot (or on the drain) go on.
pub(super) fn release(waiters: Vec<oneshot::Sender<()>>) {
    for w in waiters {
        let _ = w.send(());
    }
}

/// The refusal among a step's effects, if any.
pub(super) fn refusal(effects: &[Effect]) -> Option<EngineError> {
    effects.iter().find_map(|e| match e {
        Effect::Refuse(e) => Some(*e),
        _ => None,
    })
}

pub(super) type Opened = Result<(Created, Addr<SessionActor>), EngineError>;

impl Supervisor {
    /// Sessions publish their `session_state` to `states`.
    pub fn with_states(mut self, states: super::state_feed::StateFeed) -> Supervisor {
        self.states = states;
        self
    }

    pub fn new(
        db: Db,
        launcher: Launcher,
        pool: Addr<Pool>,
        extensions_hash: String,
        log: Logger,
    ) -> Supervisor {
        let settings = launcher.settings();
        let default_dir = launcher.factory().default_dir().to_path_buf();
        Supervisor {
            slots: HashMap::new(),
            owners: HashMap::new(),
            states: Default::default(),
            creating: 0,
            creating_by: HashMap::new(),
            max_sessions: settings.max_sessions,
            limits: super::session::limits(settings),
            db,
            launcher,
            pool,
            shutting_down: None,
            drained: Vec::new(),
            extensions_hash: HashMap::from([(default_dir, extensions_hash)]),
            event_seqs: HashMap::new(),
            log,
        }
    }

    /// Applies a fresh read of the extensions of the project directory `dir`; returns true
    /// when the configuration changed (the pool's processes of that project are then
    /// refreshed, and must not be used).
    pub(super) fn apply_extensions(
        &mut self,
        dir: &std::path::Path,
        ext: Option<Extensions>,
    ) -> bool {
        let Some(ext) = ext else {
            return false;
        };
        if self.extensions_hash.get(dir) == Some(&ext.config_hash) {
            return false;
        }
        let first = !self.extensions_hash.contains_key(dir);
        info!(self.log, "extension configuration changed";
            "skills" => ext.skills.len(), "commands" => ext.commands.len(),
            "mcp_servers" => ext.mcp_servers.len());
        for w in &ext.warnings {
            warn!(self.log, "extension problem"; "warning" => w);
        }
        self.extensions_hash
            .insert(dir.to_path_buf(), ext.config_hash.clone());
        self.launcher
            .factory()
            .set_mcp_config_for(dir, ext.mcp_config.clone());
        self.pool.do_send(Invalidate {
            dir: Some(dir.to_path_buf()),
        });
        // A project seen for the first time has no pooled process to distrust.
        !first
    }

    /// Whether one more session of `owner` may take a slot: the server's `MAX_SESSIONS`,
    /// then the owner's quota of live sessions (`max_live`).
    pub(super) fn check_capacity(
        &self,
        owner: &str,
        max_live: Option<usize>,
    ) -> Result<(), EngineError> {
        if self.shutting_down.is_some() {
            return Err(EngineError::ShuttingDown);
        }
        if let Some(max) = max_live {
            let held = self.owners.values().filter(|o| *o == owner).count()
                + self.creating_by.get(owner).copied().unwrap_or(0);
            if held >= max {
                return Err(EngineError::QuotaExceeded(super::quota::Quota::Sessions {
                    max,
                }));
            }
        }
        if self.slots.len() + self.creating >= self.max_sessions {
            crate::metrics::metrics().capacity_refused("max_sessions");
            return Err(EngineError::AtCapacity {
                max: self.max_sessions,
            });
        }
        Ok(())
    }

    /// What a request about a session that does not exist is refused with (also the answer
    /// about a session the caller may not see, so the two cannot be told apart).
    pub(super) fn absent(&self, event: Event) -> EngineError {
        let effects =
            Lifecycle::new(Phase::Absent, self.limits, Instant::now()).step(event, Instant::now());
        refusal(&effects).unwrap_or(EngineError::NotFound)
    }

    /// Whether `id` holds a slot but `caller` may not `see` it (by [`Caller::owns`] or
    /// [`Caller::sees`]): it must then answer exactly as a session that does not exist.
    /// `None` is the server itself, which sees everything.
    pub(super) fn hidden(
        &self,
        id: &SessionId,
        caller: Option<&Caller>,
        see: fn(&Caller, &str) -> bool,
    ) -> bool {
        match (caller, self.owners.get(id)) {
            (Some(caller), Some(owner)) => !see(caller, owner),
            _ => false,
        }
    }

    /// Steps the launched session's lifecycle (`Starting` → `Launched`), records what that
    /// decided for the store, starts its actor and registers it. Flush the returned store
    /// before answering, so what was recorded is there for whoever asks next.
    pub(super) fn register(
        &mut self,
        ctx: &mut Context<Self>,
        row: &Session,
        mut life: Lifecycle,
        launch: Launch,
    ) -> (Addr<SessionActor>, SessionStore) {
        let id = SessionId::from_stored(&row.session_id);
        let log = self
            .log
            .new(o!("session_id" => id.clone(), "user_id" => row.user_id.clone()));
        let store = SessionStore::new(
            self.db.clone(),
            row.session_id.clone(),
            row.user_id.clone(),
            log.clone(),
        );
        let launched = Event::Launched {
            source: launch.source,
            lost: launch.lost,
        };
        let mut first_effects = Vec::new();
        for effect in life.step(launched, Instant::now()) {
            match effect {
                Effect::RecordNotRestored => store.not_restored(),
                other => first_effects.push(other),
            }
        }
        let addr = SessionActor::launch(SessionParts {
            row: row.clone(),
            life,
            first_effects,
            launch,
            store: store.clone(),
            launcher: self.launcher.clone(),
            supervisor: ctx.address().recipient(),
            stopping_to: ctx.address().recipient(),
            states: self.states.clone(),
            first_event_seq: self.event_seqs.remove(&id).unwrap_or(0),
            log,
        });
        self.owners.insert(id.clone(), row.user_id.clone());
        if let Some(Slot::Starting(waiters)) = self.slots.insert(id, Slot::Live(addr.clone())) {
            release(waiters);
        }
        if let Some(deadline) = self.shutting_down {
            addr.do_send(StopSession {
                request: StopRequest::Shutdown { deadline },
            });
        }
        (addr, store)
    }
}

impl Actor for Supervisor {
    type Context = Context<Self>;
}

/// Resume or wake a session (the one path for both), for `caller` (None: the server).
#[derive(Message)]
#[rtype(result = "Opened")]
pub(super) struct Open {
    pub(super) id: SessionId,
    pub(super) event: Event,
    pub(super) caller: Option<Caller>,
    pub(super) max_live: Option<usize>,
}

impl Handler<Open> for Supervisor {
    type Result = ResponseActFuture<Self, Opened>;

    fn handle(&mut self, msg: Open, _ctx: &mut Context<Self>) -> Self::Result {
        self.open(msg)
    }
}

impl Handler<CreateSession> for Supervisor {
    type Result = ResponseActFuture<Self, Result<Created, EngineError>>;

    fn handle(&mut self, msg: CreateSession, _ctx: &mut Context<Self>) -> Self::Result {
        if let Err(e) = self.check_capacity(&msg.owner, msg.max_live) {
            return Box::pin(fut::ready(Err(e)));
        }
        let chosen =
            crate::protocol::SessionOptions::defaults(self.launcher.settings()).with(&msg.options);
        self.creating += 1;
        *self.creating_by.entry(msg.owner.clone()).or_default() += 1;
        let settings = self.launcher.factory().settings().clone();
        let placement = msg.placement.clone().unwrap_or_else(|| Placement {
            project: settings.projects.default_project(),
            isolation: settings.projects.default_isolation,
        });
        let pool = self.pool.clone();
        let log = self.log.clone();
        Box::pin(
            async move {
                let place = super::placing::prepare(&settings, placement, &pool, &log).await?;
                let ext = read_extensions(place.dir.clone()).await;
                let ready = match (&place.pooled, &place.worktree) {
                    (Some(_), _) => 1,
                    (None, Some(_)) => 0,
                    (None, None) => pool
                        .send(ReadyIn {
                            dir: Some(place.dir.clone()),
                            isolation: crate::workspace::Isolation::None,
                        })
                        .await
                        .unwrap_or(0),
                };
                Ok((place, ext, ready))
            }
            .into_actor(self)
            .then(
                move |prepared,
                      act,
                      _ctx|
                      -> ResponseActFuture<Self, Result<Created, EngineError>> {
                    let (mut place, ext, ready) = match prepared {
                        Ok(p) => p,
                        Err(e) => {
                            act.created_by(&msg.owner);
                            return Box::pin(fut::ready(Err(e)));
                        }
                    };
                    let changed = act.apply_extensions(&place.dir, ext);
                    // A pooled process is already counted in the memory budget; a cold one
                    // needs room.
                    let need = if ready > 0 && !changed {
                        0
                    } else {
                        act.launcher.budget().estimate()
                    };
                    let use_pool = !changed && place.worktree.is_none();
                    Box::pin(
                        act.admit(need)
                            .then(move |admitted, act, _ctx| match admitted {
                                Ok(()) => act.create(msg.owner, use_pool, chosen, place),
                                Err(e) => {
                                    act.created_by(&msg.owner);
                                    super::placing::discard(&mut place, &act.log);
                                    Box::pin(fut::ready(Err(e)))
                                }
                            }),
                    )
                },
            ),
        )
    }
}

impl Handler<ResumeSession> for Supervisor {
    type Result = ResponseActFuture<Self, Result<Created, EngineError>>;

    fn handle(&mut self, msg: ResumeSession, _ctx: &mut Context<Self>) -> Self::Result {
        let open = Open {
            id: msg.session_id,
            event: Event::Resume,
            caller: Some(msg.caller),
            max_live: msg.max_live,
        };
        Box::pin(self.open(open).map(|r, _, _| r.map(|(c, _)| c)))
    }
}

impl Handler<GetSession> for Supervisor {
    type Result = ResponseActFuture<Self, Result<Addr<SessionActor>, EngineError>>;

    fn handle(&mut self, msg: GetSession, _ctx: &mut Context<Self>) -> Self::Result {
        let hidden = self.hidden(&msg.session_id, msg.caller.as_ref(), Caller::owns);
        match self.slots.get(&msg.session_id) {
            Some(Slot::Live(addr)) if !hidden => Box::pin(fut::ready(Ok(addr.clone()))),
            _ if !msg.wake => Box::pin(fut::ready(Err(EngineError::NotLive))),
            _ => {
                let open = Open {
                    id: msg.session_id,
                    event: Event::Wake,
                    caller: msg.caller,
                    max_live: msg.max_live,
                };
                Box::pin(self.open(open).map(|r, _, _| r.map(|(_, a)| a)))
            }
        }
    }
}

impl Handler<DestroySession> for Supervisor {
    type Result = ResponseActFuture<Self, Result<(), EngineError>>;

    /// Ends the session, then lets its worktree go if nothing in it is uncommitted.
    fn handle(&mut self, msg: DestroySession, ctx: &mut Context<Self>) -> Self::Result {
        let id = msg.session_id.clone();
        let (db, settings, log) = (
            self.db.clone(),
            self.launcher.factory().settings().clone(),
            self.log.clone(),
        );
        Box::pin(self.destroy(msg, ctx).then(move |result, act, _ctx| {
            if result.is_ok() {
                act.event_seqs.remove(&id);
            }
            fut::wrap_future::<_, Self>(async move {
                if result.is_ok() {
                    super::placing::ended(&db, &settings, &id, &log).await;
                }
                result
            })
        }))
    }
}

impl Supervisor {
    fn destroy(
        &mut self,
        msg: DestroySession,
        _ctx: &mut Context<Self>,
    ) -> ResponseActFuture<Self, Result<(), EngineError>> {
        if self.hidden(&msg.session_id, Some(&msg.caller), Caller::sees) {
            return Box::pin(fut::ready(Err(self.absent(Event::Destroy))));
        }
        match self.slots.get(&msg.session_id) {
            Some(Slot::Live(addr)) => {
                let addr = addr.clone();
                return Box::pin(
                    async move {
                        // Resolves once the process is gone and the row is written.
                        let stopped = addr.send(StopSession {
                            request: StopRequest::Destroy,
                        });
                        let _ = tokio::time::timeout(SHUTDOWN_WAIT, stopped).await;
                    }
                    .into_actor(self)
                    .then(move |(), act, _ctx| act.destroy_after_stop(msg)),
                );
            }
            Some(_) => return self.defer(&msg.session_id.clone(), msg),
            None => {}
        }
        self.destroy_stored(msg)
    }

    /// The stored row's part of a destroy, once its actor has stopped. A destroy that met
    /// the session already stopping for another reason (suspended as idle or for the memory
    /// budget at that instant) was answered by that stop, which left it resumable; the row
    /// is ended here too, so a deleted session never comes back as suspended.
    fn destroy_after_stop(
        &mut self,
        msg: DestroySession,
    ) -> ResponseActFuture<Self, Result<(), EngineError>> {
        match self.slots.get(&msg.session_id) {
            // Woken again by someone in between: that is a new life of the session.
            Some(Slot::Live(addr)) if addr.connected() => Box::pin(fut::ready(Ok(()))),
            Some(Slot::Starting(_) | Slot::Stopping(_)) => self.defer(&msg.session_id.clone(), msg),
            // Gone (or its `SessionGone` not read yet): the row says the rest.
            _ => self.destroy_stored(msg),
        }
    }

    /// A destroy of a session with no actor: its lifecycle decides from the stored row
    /// (an ended one is ended again, which changes nothing).
    fn destroy_stored(
        &mut self,
        msg: DestroySession,
    ) -> ResponseActFuture<Self, Result<(), EngineError>> {
        let (db, limits) = (self.db.clone(), self.limits);
        Box::pin(
            async move {
                let id = msg.session_id.as_str();
                let row = db.get(id).await.map_err(|_| EngineError::StoreFailed)?;
                // Another user's session is, to this caller, one that does not exist.
                let row = row.filter(|r| msg.caller.sees(&r.user_id));
                let phase = row
                    .as_ref()
                    .map_or(Phase::Absent, |r| Phase::stored(r.status, r.is_resumable));
                let effects = Lifecycle::new(phase, limits, Instant::now())
                    .step(Event::Destroy, Instant::now());
                if let Some(e) = refusal(&effects) {
                    return Err(e);
                }
                for effect in effects {
                    if let Effect::Terminate(reason) = effect {
                        db.mark_terminated(id, reason)
                            .await
                            .map_err(|_| EngineError::StoreFailed)?;
                    }
                }
                Ok(())
            }
            .into_actor(self),
        )
    }
}

impl Supervisor {
    /// `MAX_SESSIONS`.
    pub(super) fn max_sessions(&self) -> usize {
        self.max_sessions
    }
}

impl Handler<SessionStopping> for Supervisor {
    type Result = ();

    fn handle(&mut self, msg: SessionStopping, _ctx: &mut Context<Self>) {
        if let Some(slot @ Slot::Live(_)) = self.slots.get_mut(&msg.session_id) {
            *slot = Slot::Stopping(Vec::new());
        }
    }
}

impl Handler<SessionGone> for Supervisor {
    type Result = ();

    fn handle(&mut self, msg: SessionGone, _ctx: &mut Context<Self>) {
        self.launcher.budget().forget(&msg.session_id);
        self.owners.remove(&msg.session_id);
        match msg.last_event_seq {
            Some(seq) if seq > 0 => {
                self.event_seqs.insert(msg.session_id.clone(), seq);
            }
            _ => {
                self.event_seqs.remove(&msg.session_id);
            }
        }
        if let Some(Slot::Stopping(waiters) | Slot::Starting(waiters)) =
            self.slots.remove(&msg.session_id)
        {
            release(waiters);
        }
        self.release_if_drained();
    }
}

impl Supervisor {
    /// Nothing live, stopping or being launched: whoever waits for the drain goes on.
    fn busy(&self) -> bool {
        self.creating > 0 || !self.slots.is_empty()
    }

    /// Lets the shutdown go on once the last session is gone — including one whose launch
    /// was in flight at SIGTERM (it is stopped as soon as it registers, or its launch fails),
    /// so no CLI is started after the server stopped waiting.
    pub(super) fn release_if_drained(&mut self) {
        if !self.busy() {
            release(std::mem::take(&mut self.drained));
        }
    }
}

/// Live sessions (for the monitor).
#[derive(Message)]
#[rtype(result = "Vec<(SessionId, Addr<SessionActor>)>")]
pub struct LiveSessions;

impl Handler<LiveSessions> for Supervisor {
    type Result = MessageResult<LiveSessions>;

    fn handle(&mut self, _msg: LiveSessions, _ctx: &mut Context<Self>) -> Self::Result {
        MessageResult(
            self.slots
                .iter()
                .filter_map(|(id, s)| match s {
                    Slot::Live(a) => Some((id.clone(), a.clone())),
                    _ => None,
                })
                .collect(),
        )
    }
}

impl Handler<MemoryExceeded> for Supervisor {
    type Result = ();

    fn handle(&mut self, msg: MemoryExceeded, _ctx: &mut Context<Self>) {
        if let Some(Slot::Live(addr)) = self.slots.get(&msg.session_id) {
            warn!(self.log, "session over its memory limit";
                "session_id" => &msg.session_id, "rss_mb" => msg.rss_mb);
            addr.do_send(OverMemory);
        }
    }
}

impl Handler<GetCapacity> for Supervisor {
    type Result = MessageResult<GetCapacity>;

    fn handle(&mut self, _msg: GetCapacity, _ctx: &mut Context<Self>) -> Self::Result {
        MessageResult(Capacity {
            live: self.slots.len() + self.creating,
            max: self.max_sessions,
        })
    }
}

impl Handler<LiveByUser> for Supervisor {
    type Result = MessageResult<LiveByUser>;

    fn handle(&mut self, _msg: LiveByUser, _ctx: &mut Context<Self>) -> Self::Result {
        let mut by_user: HashMap<String, usize> = self.creating_by.clone();
        for owner in self.owners.values() {
            *by_user.entry(owner.clone()).or_default() += 1;
        }
        MessageResult(by_user)
    }
}

impl Handler<Shutdown> for Supervisor {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, msg: Shutdown, _ctx: &mut Context<Self>) -> Self::Result {
        let deadline = match self.shutting_down {
            Some(earlier) => earlier.min(msg.deadline),
            None => msg.deadline,
        };
        self.shutting_down = Some(deadline);
        for slot in self.slots.values() {
            if let Slot::Live(addr) = slot {
                addr.do_send(StopSession {
                    request: StopRequest::Shutdown { deadline },
                });
            }
        }
        let (tx, rx) = oneshot::channel();
        if self.busy() {
            self.drained.push(tx);
        } else {
            let _ = tx.send(());
        }
        let log = self.log.clone();
        let wait = deadline.saturating_duration_since(Instant::now()) + STOP_AFTER_DEADLINE;
        Box::pin(async move {
            if tokio::time::timeout(wait, rx).await.is_err() {
                warn!(log, "some sessions did not stop in time");
            }
        })
    }
}
