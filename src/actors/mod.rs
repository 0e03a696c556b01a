//! The session engine as actix actors (docs/architecture.md): the [`supervisor::Supervisor`]
//! holds the registry of sessions (starting, live, stopping) and creates, resumes, wakes and
//! destroys them; each [`session::SessionActor`] runs one session. What happens to a
//! session is decided by the pure [`lifecycle`] machine; processes are started by the
//! [`launcher`] (from the [`pool::Pool`] or cold); the [`monitor::Monitor`] samples memory and
//! sweeps orphans. [`Engine`] starts them once and is what the HTTP layer and the tests talk
//! to; its failures are [`EngineError`]s.

pub mod budget;
pub mod cli_factory;
mod delivery;
pub mod error;
pub mod fencing;
pub mod fork;
pub mod launcher;
pub mod lifecycle;
pub mod messages;
pub mod monitor;
pub mod permissions;
pub mod placing;
pub mod pool;
pub mod pool_demand;
pub mod pool_projects;
pub mod purge;
pub mod quota;
mod replay;
pub mod session;
mod session_changes;
mod session_handlers;
mod session_live;
pub mod session_options;
mod stall;
mod starting;
pub mod state_feed;
pub mod store;
pub mod supervisor;
pub mod turn;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix::prelude::*;
use slog::{crit, info, Logger};

use crate::db::Db;
use crate::protocol::{OptionsChange, SessionEvent};
use crate::session_id::SessionId;
use crate::users::Caller;
use cli_factory::CliFactory;
pub use error::EngineError;
use messages::*;
use pool::{GetPoolStatus, Pool, PoolStatus, StartupFill, StopPool};
use session::SessionActor;
use supervisor::Supervisor;

/// Handles to the running actors. Cheap to clone.
///
/// Every request names its [`Caller`]: a session belongs to the user who created it, and
/// another user's session answers exactly as one that does not exist — except that admins
/// see and end every session ([`Caller::sees`], [`Caller::owns`]). Creations, wakes and
/// messages are checked against the caller's quotas ([`quota`]).
#[derive(Clone)]
pub struct Engine {
    pub supervisor: Addr<Supervisor>,
    pub pool: Addr<Pool>,
    pub monitor: Addr<monitor::Monitor>,
    pub quotas: quota::Quotas,
    /// `SHUTDOWN_GRACE_SECONDS`.
    shutdown_grace: Duration,
    /// Set when the shutdown begins: until when running turns may finish.
    draining: Arc<Mutex<Option<Instant>>>,
    /// Every session's `session_state`, for the owner's connections.
    pub states: state_feed::StateFeed,
    /// This replica in the cluster (replica mode), or the single machine.
    pub cluster: crate::cluster::Cluster,
}

/// Why the engine could not start.
#[derive(Debug, thiserror::Error)]
#[error("no Claude CLI process could be started: {0}")]
pub struct EngineStartError(pub String);

/// How many times a message is sent to a session that stops as it arrives (each time
/// after the stop, to its woken process): a suspend racing with the message is one.
pub const QUERY_ATTEMPTS: usize = 3;

/// A user message for [`Engine::query_with`].
#[derive(Debug, Clone)]
pub struct UserMessage<'a> {
    pub text: &'a str,
    /// Echoed in `message_received`.
    pub client_seq: u64,
    pub attachments: Vec<crate::protocol::Attachment>,
    /// The sender's connection: it sees the turn if nobody is subscribed to the session.
    pub subscriber: Option<Recipient<SessionEvent>>,
}

fn unavailable(_: MailboxError) -> EngineError {
    EngineError::Unavailable
}

/// The session's actor stopped while the request was on its way.
fn gone(_: MailboxError) -> EngineError {
    EngineError::Ended
}

impl Engine {
    /// Starts the pool, supervisor and monitor (once, outside `HttpServer::new`) and waits
    /// until the pool has one ready process. Fails when none can be started.
    pub async fn start(
        db: Db,
        factory: CliFactory,
        exclusive_children: bool,
        cluster: crate::cluster::Cluster,
        log: Logger,
    ) -> Result<Engine, EngineStartError> {
        let settings = factory.settings().clone();
        crate::metrics::metrics()
            .memory_budget
            .set(crate::metrics::gauge_value(
                settings.memory_budget_mb * 1024 * 1024,
            ));
        let extensions = supervisor::read_extensions(settings.workspace_dir.clone()).await;
        if let Some(ext) = &extensions {
            factory.set_mcp_config(ext.mcp_config.clone());
            for w in &ext.warnings {
                slog::warn!(log, "extension problem"; "warning" => w);
            }
        }
        let hash = extensions.map(|e| e.config_hash).unwrap_or_default();
        let budget = budget::Budget::new(settings.memory_budget_mb);
        let pool = Pool::new(settings.prewarm_pool_size, factory.clone(), log.clone())
            .with_budget(budget.clone())
            .with_max(settings.prewarm_pool_max)
            .with_warm_up(settings.prewarm_warm_up.clone())
            .start();
        if let Err(reason) = pool
            .send(StartupFill)
            .await
            .unwrap_or_else(|e| Err(e.to_string()))
        {
            crit!(log, "no Claude CLI process could be started"; "error" => &reason,
                "cli" => settings.claude_cli_path.display().to_string());
            let _ = pool.send(StopPool).await;
            return Err(EngineStartError(reason));
        }
        info!(log, "session engine ready"; "pool_size" => settings.prewarm_pool_size);
        let launcher = launcher::Launcher::new(factory, pool.clone(), budget.clone())
            .with_db(db.clone())
            .with_cluster(cluster.clone());
        let quotas = quota::Quotas::new(db.clone(), settings.quotas);
        let states = state_feed::StateFeed::default();
        let supervisor = Supervisor::new(db, launcher, pool.clone(), hash, log.clone())
            .with_states(states.clone())
            .start();
        let monitor = monitor::Monitor::new(
            supervisor.clone(),
            pool.clone(),
            budget.clone(),
            Duration::from_secs(settings.monitor_interval_seconds),
            settings.max_session_rss_mb,
            exclusive_children,
            log,
        )
        .start();
        Ok(Engine {
            supervisor,
            pool,
            monitor,
            quotas,
            shutdown_grace: Duration::from_secs(settings.shutdown_grace_seconds),
            draining: Arc::new(Mutex::new(None)),
            states,
            cluster,
        })
    }

    /// Creates a session of `caller` (within its quotas) with the default conversation
    /// controls.
    pub async fn create_session(&self, caller: &Caller) -> Result<Created, EngineError> {
        self.create_session_with(caller, OptionsChange::default())
            .await
    }

    /// Creates a session of `caller` (within its quotas) with the controls asked for
    /// (already validated against the settings; see [`OptionsChange::validate`]).
    pub async fn create_session_with(
        &self,
        caller: &Caller,
        options: OptionsChange,
    ) -> Result<Created, EngineError> {
        self.create_session_in(caller, options, None).await
    }

    /// [`Self::create_session_with`] in a project (resolved by the caller) with an
    /// isolation; None: the default project with `DEFAULT_ISOLATION`.
    pub async fn create_session_in(
        &self,
        caller: &Caller,
        options: OptionsChange,
        placement: Option<placing::Placement>,
    ) -> Result<Created, EngineError> {
        let started = Instant::now();
        let quota = self.quotas.of(&caller.user_id).await?;
        quota.check_spend()?;
        let created = self
            .supervisor
            .send(CreateSession {
                owner: caller.user_id.clone(),
                max_live: quota.max_sessions,
                options,
                placement,
            })
            .await
            .map_err(unavailable)?;
        if created.is_ok() {
            crate::metrics::metrics()
                .create_ready
                .observe(started.elapsed().as_secs_f64());
        }
        created
    }

    /// Switches the model, effort or permission mode of one of `caller`'s sessions
    /// (already validated); answers with the options in effect. A suspended session is
    /// woken first (within the caller's live-session quota).
    pub async fn set_session_options(
        &self,
        caller: &Caller,
        session_id: &SessionId,
        change: OptionsChange,
    ) -> Result<crate::protocol::SessionOptions, EngineError> {
        let session = self.session(caller, session_id, true).await?;
        session
            .send(session_options::SetOptions { change })
            .await
            .map_err(gone)?
    }

    /// Resumes one of `caller`'s sessions (within its live-session quota).
    pub async fn resume_session(
        &self,
        caller: &Caller,
        session_id: &SessionId,
    ) -> Result<Created, EngineError> {
        let quota = self.quotas.of(&caller.user_id).await?;
        self.supervisor
            .send(ResumeSession {
                session_id: session_id.clone(),
                caller: caller.clone(),
                max_live: quota.max_sessions,
            })
            .await
            .map_err(unavailable)?
    }

    /// Ends a session of `caller` (an admin: any session).
    pub async fn destroy_session(
        &self,
        caller: &Caller,
        session_id: &SessionId,
    ) -> Result<(), EngineError> {
        self.supervisor
            .send(DestroySession {
                session_id: session_id.clone(),
                caller: caller.clone(),
            })
            .await
            .map_err(unavailable)?
    }

    /// Deletes an ended session with its messages and the CLI's files (src/actors/purge.rs).
    pub async fn purge_session(
        &self,
        session_id: &SessionId,
        scope: &crate::db::Scope,
    ) -> Result<(), EngineError> {
        self.supervisor
            .send(purge::PurgeSession {
                session_id: session_id.clone(),
                scope: scope.clone(),
            })
            .await
            .map_err(unavailable)?
    }

    /// Forks a session `scope` sees, for `owner`, before its user message `before_seq`
    /// (src/actors/fork.rs).
    pub async fn fork_session(
        &self,
        session_id: &SessionId,
        scope: &crate::db::Scope,
        owner: &str,
        before_seq: Option<i64>,
    ) -> Result<crate::db::Listed, fork::ForkError> {
        self.supervisor
            .send(fork::ForkSession {
                session_id: session_id.clone(),
                scope: scope.clone(),
                owner: owner.to_string(),
                before_seq,
            })
            .await
            .map_err(|e| fork::ForkError::Engine(unavailable(e)))?
    }

    /// `caller`'s live session, woken from suspension when `wake` (within its quota).
    pub async fn session(
        &self,
        caller: &Caller,
        session_id: &SessionId,
        wake: bool,
    ) -> Result<Addr<SessionActor>, EngineError> {
        let max_live = match wake {
            true => self.quotas.of(&caller.user_id).await?.max_sessions,
            false => None,
        };
        self.get_session(session_id, wake, Some(caller.clone()), max_live)
            .await
    }

    /// The live session, whoever owns it (the server itself and tests).
    pub async fn live_session(
        &self,
        session_id: &SessionId,
    ) -> Result<Addr<SessionActor>, EngineError> {
        self.get_session(session_id, false, None, None).await
    }

    async fn get_session(
        &self,
        session_id: &SessionId,
        wake: bool,
        caller: Option<Caller>,
        max_live: Option<usize>,
    ) -> Result<Addr<SessionActor>, EngineError> {
        self.supervisor
            .send(GetSession {
                session_id: session_id.clone(),
                wake,
                caller,
                max_live,
            })
            .await
            .map_err(unavailable)?
    }

    /// Sends a user message (resuming a suspended session first). Refused before anything
    /// happens when the caller's daily spending limit is reached.
    pub async fn query(
        &self,
        caller: &Caller,
        session_id: &SessionId,
        text: &str,
        client_seq: u64,
    ) -> Result<(), EngineError> {
        let message = UserMessage {
            text,
            client_seq,
            attachments: Vec::new(),
            subscriber: None,
        };
        self.query_with(caller, session_id, message).await
    }

    /// As [`Engine::query`], with image attachments (already validated by the protocol) and
    /// the sender's connection, which sees the turn if the session has no subscriber.
    ///
    /// A message that meets the session while it is being suspended (idle, memory budget)
    /// waits for the stop and wakes it ([`Took::Deferred`]); so does one that finds its
    /// actor just gone. Either way it is sent again, up to [`QUERY_ATTEMPTS`] times.
    pub async fn query_with(
        &self,
        caller: &Caller,
        session_id: &SessionId,
        message: UserMessage<'_>,
    ) -> Result<(), EngineError> {
        let quota = self.quotas.of(&caller.user_id).await?;
        quota.check_spend()?;
        for _ in 0..QUERY_ATTEMPTS {
            // A session that is stopping answers once it has stopped (the supervisor
            // waits for it), then with its woken process.
            let session = self
                .get_session(session_id, true, Some(caller.clone()), quota.max_sessions)
                .await?;
            let query = Query {
                text: message.text.to_string(),
                client_seq: message.client_seq,
                attachments: message.attachments.clone(),
                subscriber: message.subscriber.clone(),
            };
            match session.send(query).await {
                Ok(Ok(Took::Started)) => return Ok(()),
                Ok(Err(e)) => return Err(e),
                // Not handled (the actor stopped with it in its mailbox), or deferred.
                Ok(Ok(Took::Deferred)) | Err(_) => continue,
            }
        }
        Err(EngineError::Ended)
    }

    /// Refuses when `caller` may not start a turn now (its daily spending limit).
    pub async fn check_spend(&self, caller: &Caller) -> Result<(), EngineError> {
        self.quotas.of(&caller.user_id).await?.check_spend()
    }

    pub async fn interrupt(
        &self,
        caller: &Caller,
        session_id: &SessionId,
    ) -> Result<(), EngineError> {
        let session = self.session(caller, session_id, false).await?;
        session.send(Interrupt).await.map_err(gone)?
    }

    pub async fn answer_permission(
        &self,
        caller: &Caller,
        session_id: &SessionId,
        request_id: &str,
        allow: bool,
        message: Option<String>,
    ) -> Result<(), EngineError> {
        self.answer_permission_with(
            caller,
            session_id,
            AnswerPermission {
                request_id: request_id.to_string(),
                allow,
                message,
                ..AnswerPermission::default()
            },
        )
        .await
    }

    /// Answers a permission request; `remember` (with `allow`) grants its session rules
    /// ("Allow for this session").
    pub async fn answer_permission_remembering(
        &self,
        caller: &Caller,
        session_id: &SessionId,
        request_id: &str,
        allow: bool,
        message: Option<String>,
        remember: bool,
    ) -> Result<(), EngineError> {
        self.answer_permission_with(
            caller,
            session_id,
            AnswerPermission {
                request_id: request_id.to_string(),
                allow,
                message,
                remember,
                mode: None,
            },
        )
        .await
    }

    /// As [`Engine::answer_permission`]; an allow with `mode` also switches the session to
    /// that permission mode (approving a plan: "Approve and run" in `acceptEdits`, …).
    pub async fn answer_permission_in_mode(
        &self,
        caller: &Caller,
        session_id: &SessionId,
        request_id: &str,
        allow: bool,
        message: Option<String>,
        mode: Option<String>,
    ) -> Result<(), EngineError> {
        self.answer_permission_with(
            caller,
            session_id,
            AnswerPermission {
                request_id: request_id.to_string(),
                allow,
                message,
                remember: false,
                mode,
            },
        )
        .await
    }

    /// The one entry point every permission answer goes through: `caller`'s session only,
    /// with its `remember` ("Allow for this session") and `mode` (an approved plan) as
    /// the client sent them.
    pub async fn answer_permission_with(
        &self,
        caller: &Caller,
        session_id: &SessionId,
        answer: AnswerPermission,
    ) -> Result<(), EngineError> {
        let session = self.session(caller, session_id, false).await?;
        session.send(answer).await.map_err(gone)?
    }

    /// Drops a rule "Allow for this session" granted (`rule` as `session_state` lists it).
    pub async fn revoke_permission(
        &self,
        caller: &Caller,
        session_id: &SessionId,
        rule: &str,
    ) -> Result<(), EngineError> {
        let session = self.session(caller, session_id, false).await?;
        session
            .send(RevokePermission {
                rule: rule.to_string(),
            })
            .await
            .map_err(gone)?
    }

    /// Subscribes `subscriber` to `caller`'s session's events (see [`Subscribe`]).
    pub async fn subscribe(
        &self,
        caller: &Caller,
        session_id: &SessionId,
        subscriber: Recipient<SessionEvent>,
        after_seq: u64,
    ) -> Result<Subscribed, EngineError> {
        let session = self.session(caller, session_id, true).await?;
        session
            .send(Subscribe {
                subscriber,
                after_seq,
            })
            .await
            .map_err(gone)
    }

    /// Stops sending the session's events to `subscriber` (if it is still the subscriber).
    pub async fn unsubscribe(&self, session_id: &SessionId, subscriber: Recipient<SessionEvent>) {
        if let Ok(session) = self.live_session(session_id).await {
            let _ = session.send(Unsubscribe { subscriber }).await;
        }
    }

    pub async fn capacity(&self) -> Option<Capacity> {
        self.supervisor.send(GetCapacity).await.ok()
    }

    /// How many sessions each user holds (live, starting or stopping).
    pub async fn live_by_user(&self) -> std::collections::HashMap<String, usize> {
        self.supervisor.send(LiveByUser).await.unwrap_or_default()
    }

    pub async fn pool_status(&self) -> Option<PoolStatus> {
        self.pool.send(GetPoolStatus).await.ok()
    }

    /// Stops every session (running turns get `SHUTDOWN_GRACE_SECONDS`) and the pool.
    pub async fn shutdown(&self) {
        self.shutdown_until(Instant::now() + self.shutdown_grace)
            .await;
    }

    /// Stops every session — at once when idle; a running turn may finish until
    /// `deadline`, then it is cut — and the pool; resolves once all are stopped. From the
    /// first call on, nothing new starts ([`Engine::draining_until`] is set). A later call
    /// with an earlier deadline cuts the wait short.
    /// (The drain begins when this is called, not when the future is first polled.)
    pub fn shutdown_until(&self, deadline: Instant) -> impl std::future::Future<Output = ()> {
        {
            let mut draining = self.draining.lock().unwrap_or_else(|p| p.into_inner());
            *draining = Some(draining.map_or(deadline, |d| d.min(deadline)));
        }
        // `send` queues the message now; the futures only wait for the answers.
        let sessions = self.supervisor.send(Shutdown { deadline });
        let pool = self.pool.send(StopPool);
        async move {
            let _ = tokio::join!(sessions, pool);
        }
    }

    /// Until when running turns may finish, once the server is shutting down.
    pub fn draining_until(&self) -> Option<Instant> {
        *self.draining.lock().unwrap_or_else(|p| p.into_inner())
    }
}
