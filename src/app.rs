//! Building and running the server: the one place the parts are wired together.
//! `main.rs` and the tests both go through [`Application::build`].

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use slog::{info, o, warn, Logger};

use crate::config::Settings;
use crate::db::{Db, DbError};
use crate::http::{self, AppState};

/// How long in-flight requests get to finish when the server is asked to stop.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot open the database {path}: {source}")]
    Database { path: String, source: DbError },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A built, bound server, ready to run.
pub struct Application {
    server: Server,
    addr: SocketAddr,
    log: Logger,
}

impl Application {
    /// Opens the store, recovers what a previous run left behind, and binds the listener.
    pub async fn build(settings: Settings, log: Logger) -> Result<Application, StartError> {
        let settings = Arc::new(settings);
        let db =
            Db::open(&settings.database_path)
                .await
                .map_err(|source| StartError::Database {
                    path: settings.database_path.display().to_string(),
                    source,
                })?;
        recover_stale_sessions(&db, &log).await;

        let addr = SocketAddr::new(settings.host, settings.port);
        let listener =
            TcpListener::bind(addr).map_err(|source| StartError::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| StartError::Bind { addr, source })?;

        let state = AppState {
            settings: settings.clone(),
            db,
            log: log.clone(),
        };
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(state.clone()))
                .wrap(from_fn(http::access_log))
                .configure(http::configure)
        })
        .shutdown_timeout(SHUTDOWN_GRACE.as_secs())
        .listen(listener)
        .map_err(|source| StartError::Bind { addr, source })?
        .run();

        Ok(Application {
            server,
            addr,
            log: log.new(o!()),
        })
    }

    /// The address actually bound (port 0 resolved).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// A handle to stop the server from elsewhere (tests).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped (SIGTERM/SIGINT, or a handle).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        info!(self.log, "listening"; "addr" => self.addr.to_string(), "version" => env!("CARGO_PKG_VERSION"));
        let result = self.server.await;
        info!(self.log, "stopped");
        result
    }
}

/// Sessions a crashed server left live are marked `suspended` (resumable).
async fn recover_stale_sessions(db: &Db, log: &Logger) {
    match db.suspend_stale().await {
        Ok(stale) if stale.is_empty() => {}
        Ok(stale) => {
            info!(log, "suspended sessions left live by a previous run"; "count" => stale.len());
        }
        Err(e) => warn!(log, "could not recover stale sessions"; "error" => %e),
    }
}
