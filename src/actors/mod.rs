//! The session engine as actix actors (docs/architecture.md): the [`supervisor::Supervisor`]
//! holds the registry of sessions (starting, live, stopping) and creates, resumes, wakes and
//! destroys them; each [`session::SessionActor`] runs one session. What happens to a
//! session is decided by the pure [`lifecycle`] machine; processes are started by the
//! [`launcher`] (from the [`pool::Pool`] or cold); the [`monitor::Monitor`] samples memory and
//! sweeps orphans. [`Engine`] starts them once and is what the HTTP layer and the tests talk
//! to; its failures are [`EngineError`]s.

pub mod cli_factory;
pub mod error;
pub mod launcher;
pub mod lifecycle;
pub mod messages;
pub mod monitor;
pub mod pool;
pub mod purge;
mod replay;
pub mod session;
mod session_handlers;
mod stall;
mod starting;
pub mod store;
pub mod supervisor;
pub mod turn;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix::prelude::*;
use slog::{crit, info, Logger};

use crate::db::Db;
use crate::protocol::SessionEvent;
use crate::session_id::SessionId;
use cli_factory::CliFactory;
pub use error::EngineError;
use messages::*;
use pool::{GetPoolStatus, Pool, PoolStatus, StartupFill, StopPool};
use session::SessionActor;
use supervisor::Supervisor;

/// Handles to the running actors. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    pub supervisor: Addr<Supervisor>,
    pub pool: Addr<Pool>,
    pub monitor: Addr<monitor::Monitor>,
    /// `SHUTDOWN_GRACE_SECONDS`.
    shutdown_grace: Duration,
    /// Set when the shutdown begins: until when running turns may finish.
    draining: Arc<Mutex<Option<Instant>>>,
}

/// Why the engine could not start.
#[derive(Debug, thiserror::Error)]
#[error("no Claude CLI process could be started: {0}")]
pub struct EngineStartError(pub String);

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
        log: Logger,
    ) -> Result<Engine, EngineStartError> {
        let settings = factory.settings().clone();
        let extensions = supervisor::read_extensions(settings.workspace_dir.clone()).await;
        if let Some(ext) = &extensions {
            factory.set_mcp_config(ext.mcp_config.clone());
            for w in &ext.warnings {
                slog::warn!(log, "extension problem"; "warning" => w);
            }
        }
        let hash = extensions.map(|e| e.config_hash).unwrap_or_default();
        let pool = Pool::new(settings.prewarm_pool_size, factory.clone(), log.clone()).start();
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
        let launcher = launcher::Launcher::new(factory, pool.clone());
        let supervisor = Supervisor::new(db, launcher, pool.clone(), hash, log.clone()).start();
        let monitor = monitor::Monitor::new(
            supervisor.clone(),
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
            shutdown_grace: Duration::from_secs(settings.shutdown_grace_seconds),
            draining: Arc::new(Mutex::new(None)),
        })
    }

    pub async fn create_session(&self) -> Result<Created, EngineError> {
        self.supervisor
            .send(CreateSession)
            .await
            .map_err(unavailable)?
    }

    pub async fn resume_session(&self, session_id: &SessionId) -> Result<Created, EngineError> {
        self.supervisor
            .send(ResumeSession {
                session_id: session_id.clone(),
            })
            .await
            .map_err(unavailable)?
    }

    pub async fn destroy_session(&self, session_id: &SessionId) -> Result<(), EngineError> {
        self.supervisor
            .send(DestroySession {
                session_id: session_id.clone(),
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

    /// The live session, woken from suspension when `wake`.
    pub async fn session(
        &self,
        session_id: &SessionId,
        wake: bool,
    ) -> Result<Addr<SessionActor>, EngineError> {
        self.supervisor
            .send(GetSession {
                session_id: session_id.clone(),
                wake,
            })
            .await
            .map_err(unavailable)?
    }

    /// Sends a user message (resuming a suspended session first).
    pub async fn query(
        &self,
        session_id: &SessionId,
        text: &str,
        client_seq: u64,
    ) -> Result<(), EngineError> {
        let session = self.session(session_id, true).await?;
        session
            .send(Query {
                text: text.to_string(),
                client_seq,
            })
            .await
            .map_err(gone)?
    }

    pub async fn interrupt(&self, session_id: &SessionId) -> Result<(), EngineError> {
        let session = self.session(session_id, false).await?;
        session.send(Interrupt).await.map_err(gone)?
    }

    pub async fn answer_permission(
        &self,
        session_id: &SessionId,
        request_id: &str,
        allow: bool,
        message: Option<String>,
    ) -> Result<(), EngineError> {
        let session = self.session(session_id, false).await?;
        session
            .send(AnswerPermission {
                request_id: request_id.to_string(),
                allow,
                message,
            })
            .await
            .map_err(gone)?
    }

    /// Subscribes `subscriber` to the session's events (see [`Subscribe`]).
    pub async fn subscribe(
        &self,
        session_id: &SessionId,
        subscriber: Recipient<SessionEvent>,
        after_seq: u64,
    ) -> Result<Subscribed, EngineError> {
        let session = self.session(session_id, true).await?;
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
        if let Ok(session) = self.session(session_id, false).await {
            let _ = session.send(Unsubscribe { subscriber }).await;
        }
    }

    pub async fn capacity(&self) -> Option<Capacity> {
        self.supervisor.send(GetCapacity).await.ok()
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
