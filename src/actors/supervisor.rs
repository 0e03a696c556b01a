//! The supervisor: the registry of live sessions, capacity, create (pool first, else cold),
//! resume, destroy, memory restarts, and shutdown.

use std::collections::HashMap;
use std::time::Duration;

use actix::prelude::*;
use slog::{info, o, warn, Logger};
use tokio::sync::oneshot;

use super::cli_factory::CliFactory;
use super::messages::*;
use super::pool::{Invalidate, Pool, Take};
use super::session::SessionActor;
use super::store::SessionStore;
use super::EngineError;
use crate::claude::{ClaudeProcess, SessionStart, Started};
use crate::db::{Db, Session, SessionStatus};
use crate::extensions::Extensions;
use crate::protocol::{SessionSummary, Source};
use crate::session_id::SessionId;

/// How long shutdown waits for sessions to stop (running turns get 30 s inside this).
pub const SHUTDOWN_WAIT: Duration = Duration::from_secs(40);

pub struct Supervisor {
    sessions: HashMap<SessionId, Addr<SessionActor>>,
    /// Sessions stopping: they keep their slot until gone; whoever wants them back waits.
    stopping: HashMap<SessionId, Vec<oneshot::Sender<()>>>,
    /// Sessions being created or resumed (count against capacity).
    starting: usize,
    max_sessions: usize,
    db: Db,
    factory: CliFactory,
    pool: Addr<Pool>,
    shutting_down: bool,
    drained: Vec<oneshot::Sender<()>>,
    /// The hash of the extension configuration the pool's processes were started with.
    extensions_hash: String,
    log: Logger,
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

impl Supervisor {
    pub fn new(
        db: Db,
        factory: CliFactory,
        pool: Addr<Pool>,
        extensions_hash: String,
        log: Logger,
    ) -> Supervisor {
        Supervisor {
            sessions: HashMap::new(),
            stopping: HashMap::new(),
            starting: 0,
            max_sessions: factory.settings().max_sessions,
            db,
            factory,
            pool,
            shutting_down: false,
            drained: Vec::new(),
            extensions_hash,
            log,
        }
    }

    /// Applies a fresh read of the extensions; returns true when the configuration changed
    /// (the pool is then refreshed, and its current processes must not be used).
    fn apply_extensions(&mut self, ext: Option<Extensions>) -> bool {
        let Some(ext) = ext else {
            return false;
        };
        if ext.config_hash == self.extensions_hash {
            return false;
        }
        info!(self.log, "extension configuration changed";
            "skills" => ext.skills.len(), "commands" => ext.commands.len(),
            "mcp_servers" => ext.mcp_servers.len());
        for w in &ext.warnings {
            warn!(self.log, "extension problem"; "warning" => w);
        }
        self.extensions_hash = ext.config_hash.clone();
        self.factory.set_mcp_config(ext.mcp_config.clone());
        self.pool.do_send(Invalidate);
        true
    }

    fn check_capacity(&self) -> Result<(), EngineError> {
        if self.shutting_down {
            return Err(EngineError::ShuttingDown);
        }
        if self.sessions.len() + self.stopping.len() + self.starting >= self.max_sessions {
            return Err(EngineError::AtCapacity {
                max: self.max_sessions,
            });
        }
        Ok(())
    }

    /// Registers a session actor for a started process and its stored row.
    fn launch(
        &mut self,
        ctx: &mut Context<Self>,
        row: &Session,
        started: Started,
        source: Source,
    ) -> Addr<SessionActor> {
        let log = self.log.new(o!("session_id" => row.session_id.clone()));
        let store = SessionStore::new(self.db.clone(), row.session_id.clone(), log.clone());
        let (actor, events) = SessionActor::new(
            row,
            started,
            store,
            self.factory.clone(),
            ctx.address().recipient(),
            ctx.address().recipient(),
            log,
        );
        let addr = actor.launch(events, source);
        self.sessions
            .insert(SessionId::from_stored(&row.session_id), addr.clone());
        addr
    }

    /// Resumes a stored session (capacity permitting).
    fn resume(
        &mut self,
        session_id: SessionId,
    ) -> ResponseActFuture<Self, Result<(Created, Addr<SessionActor>), EngineError>> {
        if let Some(addr) = self.sessions.get(&session_id) {
            let addr = addr.clone();
            let db = self.db.clone();
            return Box::pin(
                async move {
                    let row = db.get(session_id.as_str()).await.ok().flatten();
                    let session = row.as_ref().map(SessionSummary::from);
                    match session {
                        Some(session) => Ok((
                            Created {
                                session,
                                source: Source::Resumed,
                            },
                            addr,
                        )),
                        None => Err(EngineError::StoreFailed),
                    }
                }
                .into_actor(self),
            );
        }
        let db = self.db.clone();
        let log = self.log.clone();
        Box::pin(
            async move {
                db.get(session_id.as_str())
                    .await
                    .map(|row| (session_id, row))
            }
            .into_actor(self)
            .then(move |found, act, _ctx| -> ResumeFuture {
                let (session_id, row) = match found {
                    Ok((id, Some(row)))
                        if row.is_resumable || row.status == SessionStatus::Suspended =>
                    {
                        (id, row)
                    }
                    Ok(_) => return Box::pin(fut::ready(Err(EngineError::NotResumable))),
                    Err(e) => {
                        warn!(log, "store failed"; "error" => %e);
                        return Box::pin(fut::ready(Err(EngineError::StoreFailed)));
                    }
                };
                if let Err(e) = act.check_capacity() {
                    return Box::pin(fut::ready(Err(e)));
                }
                act.starting += 1;
                Box::pin(act.start_resumed(session_id, row))
            }),
        )
    }

    /// Spawns `--resume` for a stored, resumable session and registers it.
    fn start_resumed(&mut self, session_id: SessionId, mut row: Session) -> ResumeFuture {
        let db = self.db.clone();
        let factory = self.factory.clone();
        let log = self.log.clone();
        Box::pin(
            async move {
                let (started, lost) = factory.resume_or_fresh(&session_id).await.map_err(|e| {
                    warn!(log, "resume failed"; "session_id" => %session_id, "error" => %e);
                    EngineError::StartFailed
                })?;
                row.status = SessionStatus::Active;
                row.subprocess_pid = Some(started.process.pid());
                row.terminated_reason = None;
                row.is_resumable = true;
                row.last_active_at = crate::db::models::now();
                if let Err(e) = db.save(&row).await {
                    started.process.stop().await;
                    warn!(log, "store failed"; "error" => %e);
                    return Err(EngineError::StoreFailed);
                }
                if lost {
                    let _ = db
                        .append_message(
                            session_id.as_str(),
                            crate::db::MessageKind::Notice,
                            &serde_json::json!({"text": super::cli_factory::NOT_RESTORED_NOTICE, "kind": "not_restored"}),
                        )
                        .await;
                }
                Ok((row, started))
            }
            .into_actor(self)
            .map(|result, act, ctx| {
                act.starting -= 1;
                let (row, started) = result?;
                let addr = act.launch(ctx, &row, started, Source::Resumed);
                Ok((
                    Created {
                        session: SessionSummary::from(&row),
                        source: Source::Resumed,
                    },
                    addr,
                ))
            }),
        )
    }
}

type ResumeFuture =
    ResponseActFuture<Supervisor, Result<(Created, Addr<SessionActor>), EngineError>>;

impl Actor for Supervisor {
    type Context = Context<Self>;
}

impl Handler<CreateSession> for Supervisor {
    type Result = ResponseActFuture<Self, Result<Created, EngineError>>;

    fn handle(&mut self, _msg: CreateSession, _ctx: &mut Context<Self>) -> Self::Result {
        if let Err(e) = self.check_capacity() {
            return Box::pin(fut::ready(Err(e)));
        }
        self.starting += 1;
        let workspace = self.factory.settings().workspace_dir.clone();
        Box::pin(
            async move { read_extensions(workspace).await }
                .into_actor(self)
                .then(|ext, act, _ctx| {
                    let changed = act.apply_extensions(ext);
                    act.create(!changed)
                }),
        )
    }
}

impl Supervisor {
    /// Creates a session, from the pool when `use_pool`.
    fn create(&mut self, use_pool: bool) -> ResponseActFuture<Self, Result<Created, EngineError>> {
        let pool = self.pool.clone();
        let factory = self.factory.clone();
        let db = self.db.clone();
        let log = self.log.clone();
        Box::pin(
            async move {
                let pooled = if use_pool {
                    pool.send(Take).await.ok().flatten()
                } else {
                    None
                };
                let (started, source) = match pooled {
                    Some(started) => (started, Source::PreWarmed),
                    None => {
                        let id = uuid::Uuid::new_v4().to_string();
                        let started = ClaudeProcess::start(factory.options(SessionStart::New(id)))
                            .await
                            .map_err(|e| {
                                warn!(log, "cold start failed"; "error" => %e);
                                EngineError::StartFailed
                            })?;
                        (started, Source::Cold)
                    }
                };
                let mut row = Session::new(started.process.session_id());
                row.status = SessionStatus::Active;
                row.subprocess_pid = Some(started.process.pid());
                if let Err(e) = db.save(&row).await {
                    warn!(log, "store failed"; "error" => %e);
                    started.process.stop().await;
                    return Err(EngineError::StoreFailed);
                }
                Ok((row, started, source))
            }
            .into_actor(self)
            .map(|result, act, ctx| {
                act.starting -= 1;
                let (row, started, source) = result?;
                info!(act.log, "session created"; "session_id" => &row.session_id,
                    "source" => format!("{source:?}"));
                act.launch(ctx, &row, started, source);
                Ok(Created {
                    session: SessionSummary::from(&row),
                    source,
                })
            }),
        )
    }
}

impl Handler<ResumeSession> for Supervisor {
    type Result = ResponseActFuture<Self, Result<Created, EngineError>>;

    fn handle(&mut self, msg: ResumeSession, _ctx: &mut Context<Self>) -> Self::Result {
        Box::pin(self.resume(msg.session_id).map(|r, _, _| r.map(|(c, _)| c)))
    }
}

impl Handler<GetSession> for Supervisor {
    type Result = ResponseActFuture<Self, Result<Addr<SessionActor>, EngineError>>;

    fn handle(&mut self, msg: GetSession, _ctx: &mut Context<Self>) -> Self::Result {
        if let Some(addr) = self.sessions.get(&msg.session_id) {
            return Box::pin(fut::ready(Ok(addr.clone())));
        }
        if msg.wake {
            if let Some(waiters) = self.stopping.get_mut(&msg.session_id) {
                // It is on its way down: wait until it is gone, then wake it.
                let (tx, rx) = oneshot::channel();
                waiters.push(tx);
                return Box::pin(
                    async move {
                        let _ = tokio::time::timeout(SHUTDOWN_WAIT, rx).await;
                    }
                    .into_actor(self)
                    .then(move |(), _act, ctx| {
                        let me = ctx.address();
                        fut::wrap_future(async move {
                            me.send(msg)
                                .await
                                .unwrap_or_else(|_| Err(EngineError::Unavailable))
                        })
                    }),
                );
            }
        }
        if !msg.wake {
            return Box::pin(fut::ready(Err(EngineError::NotLive)));
        }
        let db = self.db.clone();
        let id = msg.session_id.clone();
        Box::pin(
            async move { db.get(id.as_str()).await.ok().flatten() }
                .into_actor(self)
                .then(move |row, act, _ctx| -> ResponseActFuture<Self, Result<Addr<SessionActor>, EngineError>> {
                    match row {
                        None => Box::pin(fut::ready(Err(EngineError::NotFound))),
                        Some(r) if r.status == SessionStatus::Suspended => {
                            Box::pin(act.resume(msg.session_id).map(|r, _, _| r.map(|(_, a)| a)))
                        }
                        Some(_) => Box::pin(fut::ready(Err(EngineError::NotRunning))),
                    }
                }),
        )
    }
}

impl Handler<DestroySession> for Supervisor {
    type Result = ResponseActFuture<Self, Result<(), EngineError>>;

    fn handle(&mut self, msg: DestroySession, _ctx: &mut Context<Self>) -> Self::Result {
        if let Some(waiters) = self.stopping.get_mut(&msg.session_id) {
            // Already stopping (idle, age limit): wait for it, then mark it destroyed.
            let (tx, rx) = oneshot::channel();
            waiters.push(tx);
            let db = self.db.clone();
            return Box::pin(
                async move {
                    let _ = tokio::time::timeout(SHUTDOWN_WAIT, rx).await;
                    let _ = db
                        .mark_terminated(
                            msg.session_id.as_str(),
                            crate::db::TerminationReason::Destroyed,
                        )
                        .await;
                    Ok(())
                }
                .into_actor(self),
            );
        }
        if let Some(addr) = self.sessions.get(&msg.session_id).cloned() {
            return Box::pin(
                async move {
                    // Resolves once the process is gone and the row is written.
                    let stopped = addr.send(StopSession {
                        reason: StopReason::Destroyed,
                    });
                    let _ = tokio::time::timeout(SHUTDOWN_WAIT, stopped).await;
                    Ok(())
                }
                .into_actor(self),
            );
        }
        let db = self.db.clone();
        Box::pin(
            async move {
                match db.get(msg.session_id.as_str()).await {
                    Ok(Some(_)) => {
                        let _ = db
                            .mark_terminated(
                                msg.session_id.as_str(),
                                crate::db::TerminationReason::Destroyed,
                            )
                            .await;
                        Ok(())
                    }
                    Ok(None) => Err(EngineError::NotFound),
                    Err(_) => Err(EngineError::StoreFailed),
                }
            }
            .into_actor(self),
        )
    }
}

impl Handler<SessionStopping> for Supervisor {
    type Result = ();

    fn handle(&mut self, msg: SessionStopping, _ctx: &mut Context<Self>) {
        if self.sessions.remove(&msg.session_id).is_some() {
            self.stopping.entry(msg.session_id).or_default();
        }
    }
}

impl Handler<SessionGone> for Supervisor {
    type Result = ();

    fn handle(&mut self, msg: SessionGone, _ctx: &mut Context<Self>) {
        self.sessions.remove(&msg.session_id);
        for w in self.stopping.remove(&msg.session_id).unwrap_or_default() {
            let _ = w.send(());
        }
        if self.sessions.is_empty() && self.stopping.is_empty() {
            for w in self.drained.drain(..) {
                let _ = w.send(());
            }
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
            self.sessions
                .iter()
                .map(|(id, a)| (id.clone(), a.clone()))
                .collect(),
        )
    }
}

impl Handler<MemoryExceeded> for Supervisor {
    type Result = ();

    fn handle(&mut self, msg: MemoryExceeded, _ctx: &mut Context<Self>) {
        if let Some(addr) = self.sessions.get(&msg.session_id) {
            warn!(self.log, "session over its memory limit; restarting";
                "session_id" => %msg.session_id, "rss_mb" => msg.rss_mb);
            addr.do_send(Restart {
                reason: RestartReason::MemoryLimit,
            });
        }
    }
}

impl Handler<GetCapacity> for Supervisor {
    type Result = MessageResult<GetCapacity>;

    fn handle(&mut self, _msg: GetCapacity, _ctx: &mut Context<Self>) -> Self::Result {
        MessageResult(Capacity {
            live: self.sessions.len() + self.stopping.len() + self.starting,
            max: self.max_sessions,
        })
    }
}

impl Handler<Shutdown> for Supervisor {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, _msg: Shutdown, _ctx: &mut Context<Self>) -> Self::Result {
        self.shutting_down = true;
        for addr in self.sessions.values() {
            addr.do_send(StopSession {
                reason: StopReason::Shutdown,
            });
        }
        let (tx, rx) = oneshot::channel();
        if self.sessions.is_empty() && self.stopping.is_empty() {
            let _ = tx.send(());
        } else {
            self.drained.push(tx);
        }
        let log = self.log.clone();
        Box::pin(async move {
            if tokio::time::timeout(SHUTDOWN_WAIT, rx).await.is_err() {
                warn!(log, "some sessions did not stop in time");
            }
        })
    }
}
