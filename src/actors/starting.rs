//! How the supervisor brings a session to life: create (a new conversation), resume and
//! wake (a stored one), each decided by the session's [`Lifecycle`] and carried out through
//! the [`super::launcher::Launcher`]; and how requests about a session that is starting or
//! stopping wait for it.

use std::time::Instant;

use actix::prelude::*;
use slog::{info, warn};
use tokio::sync::oneshot;

use super::lifecycle::{Effect, Event, LaunchKind, Lifecycle, Phase};
use super::messages::Created;
use super::supervisor::{refusal, release, Open, Opened, Slot, Supervisor, SHUTDOWN_WAIT};
use super::EngineError;
use crate::db::{Session, SessionStatus};
use crate::protocol::{SessionOptions, SessionSummary, Source};
use crate::session_id::SessionId;
use crate::users::Caller;

impl Supervisor {
    /// Waits (bounded) until the starting or stopping session `id` is no longer so, then
    /// sends `msg` again.
    pub(super) fn defer<M, T>(
        &mut self,
        id: &SessionId,
        msg: M,
    ) -> ResponseActFuture<Self, Result<T, EngineError>>
    where
        M: Message<Result = Result<T, EngineError>> + Send + 'static,
        T: Send + 'static,
        Supervisor: Handler<M>,
    {
        let (tx, rx) = oneshot::channel();
        if let Some(Slot::Starting(waiters) | Slot::Stopping(waiters)) = self.slots.get_mut(id) {
            waiters.push(tx);
        }
        Box::pin(
            async move {
                let _ = tokio::time::timeout(SHUTDOWN_WAIT, rx).await;
            }
            .into_actor(self)
            .then(move |(), _act, ctx| {
                let me = ctx.address();
                fut::wrap_future(async move {
                    me.send(msg).await.unwrap_or(Err(EngineError::Unavailable))
                })
            }),
        )
    }

    /// Resume or wake `msg.id` (the lifecycle decides which stored sessions may), capacity
    /// permitting; a live session answers with itself. A session of another user than
    /// `msg.caller` answers as one that does not exist.
    pub(super) fn open(&mut self, msg: Open) -> ResponseActFuture<Self, Opened> {
        let Open {
            id,
            event,
            caller,
            max_live,
        } = msg;
        if self.hidden(&id, caller.as_ref(), Caller::owns) {
            return Box::pin(fut::ready(Err(self.absent(event))));
        }
        match self.slots.get(&id) {
            Some(Slot::Live(addr)) => {
                let (addr, db) = (addr.clone(), self.db.clone());
                return Box::pin(
                    async move {
                        let row = db.get(id.as_str()).await.ok().flatten();
                        let session = row.as_ref().map(SessionSummary::from);
                        let session = session.ok_or(EngineError::StoreFailed)?;
                        let source = Source::Resumed;
                        Ok((Created { session, source }, addr))
                    }
                    .into_actor(self),
                );
            }
            // Starting or stopping: while the server shuts down, nothing is started again.
            Some(_) if self.shutting_down.is_some() => {
                return Box::pin(fut::ready(Err(EngineError::ShuttingDown)))
            }
            Some(_) => {
                let open = Open {
                    id: id.clone(),
                    event,
                    caller,
                    max_live,
                };
                return self.defer(&id, open);
            }
            None => {}
        }
        let db = self.db.clone();
        Box::pin(
            async move { (db.get(id.as_str()).await, id) }
                .into_actor(self)
                .then(
                    move |(row, id), act, _ctx| -> ResponseActFuture<Self, Opened> {
                        if act.slots.contains_key(&id) {
                            // Someone else started or registered it meanwhile.
                            let open = Open {
                                id,
                                event,
                                caller,
                                max_live,
                            };
                            return act.open(open);
                        }
                        let row = match row {
                            Ok(row) => row,
                            Err(e) => {
                                warn!(act.log, "store failed"; "error" => %e);
                                return Box::pin(fut::ready(Err(EngineError::StoreFailed)));
                            }
                        };
                        // Another user's session is, to this caller, one that does not exist.
                        let row =
                            row.filter(|r| caller.as_ref().is_none_or(|c| c.owns(&r.user_id)));
                        let phase = row
                            .as_ref()
                            .map_or(Phase::Absent, |r| Phase::stored(r.status, r.is_resumable));
                        let mut life = Lifecycle::new(phase, act.limits, Instant::now());
                        let effects = life.step(event, Instant::now());
                        if let Some(e) = refusal(&effects) {
                            return Box::pin(fut::ready(Err(e)));
                        }
                        let (Some(row), true) =
                            (row, effects.contains(&Effect::Launch(LaunchKind::Resume)))
                        else {
                            return Box::pin(fut::ready(Err(EngineError::NotResumable)));
                        };
                        if let Err(e) = act.check_capacity(&row.user_id, max_live) {
                            return Box::pin(fut::ready(Err(e)));
                        }
                        act.slots.insert(id.clone(), Slot::Starting(Vec::new()));
                        act.owners.insert(id.clone(), row.user_id.clone());
                        Box::pin(act.start_resumed(id, row, life))
                    },
                ),
        )
    }

    /// Launches `--resume` for a stored session, records it live and registers it.
    fn start_resumed(
        &mut self,
        id: SessionId,
        mut row: Session,
        mut life: Lifecycle,
    ) -> ResponseActFuture<Self, Opened> {
        let db = self.db.clone();
        let launcher = self.launcher.clone();
        let log = self.log.clone();
        let resumed = id.clone();
        Box::pin(
            async move {
                let id = resumed;
                // Replica mode: launched only while this replica holds the lease.
                match launcher.cluster().take(&id).await {
                    Ok(true) => {}
                    Ok(false) => {
                        info!(log, "another replica runs this session"; "session_id" => &id);
                        return Err(Some(EngineError::Restarting));
                    }
                    Err(e) => return Err(Some(e)),
                }
                // What it allowed itself before (a wake, a server restart): asked no more.
                let rules = db.session_rules(id.as_str()).await.unwrap_or_else(|e| {
                    warn!(log, "could not read the session's permission rules"; "error" => %e);
                    Vec::new()
                });
                let dir = super::placing::reopen(launcher.factory(), &row, &log).await;
                let launch = match launcher.resume(&id, &row.options(), rules, &dir).await {
                    Ok(launch) => launch,
                    Err(e) => {
                        warn!(log, "resume failed"; "session_id" => &id, "user_id" => &row.user_id,
                            "error" => %e);
                        launcher.cluster().release(&id).await;
                        return Err(None);
                    }
                };
                row.status = SessionStatus::Active;
                row.subprocess_pid = Some(launch.started.process.pid());
                row.terminated_reason = None;
                row.is_resumable = true;
                row.last_active_at = crate::db::models::now();
                if let Err(e) = db.save(&row).await {
                    launch.started.process.stop().await;
                    warn!(log, "store failed"; "error" => %e);
                    launcher.cluster().release(&id).await;
                    return Err(None);
                }
                Ok((row, launch))
            }
            .into_actor(self)
            .map(move |result, act, ctx| {
                let (row, launch) = match result {
                    Ok(launched) => launched,
                    Err(why) => {
                        act.owners.remove(&id);
                        if let Some(Slot::Starting(waiters)) = act.slots.remove(&id) {
                            release(waiters);
                        }
                        act.release_if_drained();
                        if let Some(e) = why {
                            return Err(e);
                        }
                        let effects = life.step(Event::LaunchFailed, Instant::now());
                        return Err(refusal(&effects).unwrap_or(EngineError::StartFailed));
                    }
                };
                let source = launch.source;
                let (addr, store) = act.register(ctx, &row, life, launch);
                let session = SessionSummary::from(&row);
                Ok((Created { session, source }, addr, store))
            })
            .then(|result, _act, _ctx| {
                fut::wrap_future(async move {
                    let (created, addr, store) = result?;
                    store.flush().await;
                    Ok((created, addr))
                })
            }),
        )
    }

    /// One creation of `owner` is over (done or failed).
    pub(super) fn created_by(&mut self, owner: &str) {
        self.creating -= 1;
        if let Some(n) = self.creating_by.get_mut(owner) {
            *n -= 1;
            if *n == 0 {
                self.creating_by.remove(owner);
            }
        }
        self.release_if_drained();
    }

    /// Creates a session of `owner` with the controls `chosen`, from the pool when
    /// `use_pool`.
    pub(super) fn create(
        &mut self,
        owner: String,
        use_pool: bool,
        chosen: SessionOptions,
        mut placed: super::placing::Placed,
    ) -> ResponseActFuture<Self, Result<Created, EngineError>> {
        let mut life = Lifecycle::new(Phase::Absent, self.limits, Instant::now());
        let effects = life.step(Event::Create, Instant::now());
        if let Some(e) = refusal(&effects) {
            self.created_by(&owner);
            super::placing::discard(&mut placed, &self.log);
            return Box::pin(fut::ready(Err(e)));
        }
        let launcher = self.launcher.clone();
        let db = self.db.clone();
        let log = self.log.clone();
        let owner_done = owner.clone();
        Box::pin(
            async move {
                let place = placed.launch_place();
                let launched = match placed.pooled.take() {
                    Some(started) => launcher.adopt(started, &chosen).await,
                    None => launcher.new_session(use_pool, &chosen, &place).await,
                };
                let launch = match launched {
                    Ok(launch) => launch,
                    Err(e) => {
                        warn!(log, "session start failed"; "error" => %e);
                        super::placing::discard(&mut placed, &log);
                        return Err(());
                    }
                };
                let mut row = Session::new(launch.session_id().as_str(), owner.as_str());
                row.set_options(&chosen);
                placed.record(&mut row);
                row.status = SessionStatus::Active;
                row.subprocess_pid = Some(launch.started.process.pid());
                if let Err(e) = db.save(&row).await {
                    warn!(log, "store failed"; "error" => %e);
                    launch.started.process.stop().await;
                    return Err(());
                }
                // Replica mode: a new id nobody else knows; its lease (which needs the
                // row) is taken before the session gets a slot.
                let id = launch.session_id();
                if !launcher.cluster().take(&id).await.unwrap_or(false) {
                    warn!(log, "cannot take a new session's lease"; "session_id" => &id);
                    launch.started.process.stop().await;
                    let _ = db
                        .set_status(id.as_str(), SessionStatus::Suspended, None)
                        .await;
                    return Err(());
                }
                Ok((row, launch))
            }
            .into_actor(self)
            .map(move |result, act, ctx| {
                let Ok((row, launch)) = result else {
                    act.created_by(&owner_done);
                    let effects = life.step(Event::LaunchFailed, Instant::now());
                    return Err(refusal(&effects).unwrap_or(EngineError::StartFailed));
                };
                let source = launch.source;
                info!(act.log, "session created"; "session_id" => &row.session_id,
                    "user_id" => &row.user_id, "source" => format!("{source:?}"));
                // Registered (a slot) before it stops counting as being created, so a drain
                // waiting on both never sees neither.
                let _ = act.register(ctx, &row, life, launch);
                act.created_by(&owner_done);
                Ok(Created {
                    session: SessionSummary::from(&row),
                    source,
                })
            }),
        )
    }
}
