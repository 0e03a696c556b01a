//! Building and running the server: the one place the parts are wired together.
//! `main.rs` and the tests both go through [`Application::build`].

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use slog::{info, o, warn, Logger};

use crate::actors::cli_factory::{CliFactory, MCP_DIR, TMP_DIR};
use crate::actors::Engine;
use crate::config::Settings;
use crate::db::{Db, DbError};
use crate::http::static_ui::StaticUi;
use crate::http::tickets::TicketStore;
use crate::http::{self, AppState};
use crate::model_backend::ModelBackend;

/// After the drain (running turns finished or cut, WebSockets closed), how long HTTP
/// requests still open get before the listener stops.
pub const HTTP_STOP_GRACE: Duration = Duration::from_secs(3);

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot open the database {path}: {source}")]
    Database { path: String, source: DbError },
    #[error("cannot prepare the server's private directory {path}: {source}")]
    RuntimeDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot start the demo model: {0}")]
    DemoModel(std::io::Error),
    #[error(transparent)]
    Engine(#[from] crate::actors::EngineStartError),
    #[error("cannot listen on {addr} (METRICS_ADDR): {source}")]
    MetricsBind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    /// Replica mode cannot start here (its text is stable: see docs/operations.md).
    #[error("replica mode: {0}")]
    Cluster(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A built, bound server, ready to run.
pub struct Application {
    server: Server,
    engine: Engine,
    connections: crate::http::ws_conn::Connections,
    /// Registered in `build`, so a signal that arrives the moment "listening" is logged is
    /// already ours to handle gracefully.
    stop_signals: StopSignals,
    addr: SocketAddr,
    /// The `METRICS_ADDR` listener (running) and the address it bound.
    metrics: Option<(ServerHandle, SocketAddr)>,
    tickets: TicketStore,
    model: ModelBackend,
    /// Closes the connections of keys revoked (or users disabled) by another process.
    sweep: tokio::task::JoinHandle<()>,
    runtime_dir: std::path::PathBuf,
    /// `SHUTDOWN_GRACE_SECONDS`.
    shutdown_grace: Duration,
    /// Replica mode: this replica, and its heartbeat task.
    cluster: crate::cluster::Cluster,
    heartbeat: Option<tokio::task::JoinHandle<()>>,
    log: Logger,
}

impl Application {
    /// Opens the store, recovers what a previous run left behind, starts the session engine
    /// (waiting for one ready CLI process) and binds the listener.
    pub async fn build(settings: Settings, log: Logger) -> Result<Application, StartError> {
        Application::build_with(settings, log, Options::default()).await
    }

    pub async fn build_with(
        settings: Settings,
        log: Logger,
        options: Options,
    ) -> Result<Application, StartError> {
        let settings = Arc::new(settings);
        let db = Db::connect(&settings.database)
            .await
            .map_err(|source| StartError::Database {
                path: settings.database.redacted(),
                source,
            })?;
        let cluster = crate::cluster::Cluster::new(settings.cluster.as_ref(), db.clone(), &log);
        cluster
            .join(&settings.workspace_dir, settings.max_sessions)
            .await
            .map_err(StartError::Cluster)?;
        recover_stale_sessions(&db, &settings, &cluster, &log).await;
        if let Err(e) = crate::workspace::prepare_shared_worktrees(&settings) {
            warn!(log, "could not prepare the shared worktrees folder"; "error" => %e);
        }
        // Before the pool starts: worktrees it made ahead in a run that was killed (in
        // replica mode only this replica's folder of the shared workspace).
        crate::workspace::orphans::sweep(&db, &crate::workspace::worktrees_dir(&settings), &log)
            .await;
        prepare_runtime_dir(&settings, &log).map_err(|source| StartError::RuntimeDir {
            path: settings.runtime_dir().display().to_string(),
            source,
        })?;

        let addr = SocketAddr::new(settings.host, settings.port);
        let listener =
            TcpListener::bind(addr).map_err(|source| StartError::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| StartError::Bind { addr, source })?;

        let model = ModelBackend::start(&settings)
            .await
            .map_err(StartError::DemoModel)?;
        match model.demo_url() {
            Some(url) => {
                warn!(log, "no Anthropic credentials configured: sessions use the built-in demo model (set ANTHROPIC_API_KEY to talk to Claude)"; "demo_model_url" => url)
            }
            None => info!(log, "sessions use the configured Anthropic API"),
        }

        let connections = crate::http::ws_conn::Connections::default();
        let factory = CliFactory::new(settings.clone(), model.config.clone(), log.clone())
            .with_extra(options.cli_env, options.cli_args);
        let engine = Engine::start(
            db.clone(),
            factory,
            options.exclusive_children,
            cluster.clone(),
            log.clone(),
        )
        .await?;

        let web_ui = match &options.web_dist {
            Some(dir) => StaticUi::at(dir),
            None => StaticUi::locate(),
        };
        match web_ui.dist() {
            Some(dir) => info!(log, "serving the web UI"; "dir" => dir.display().to_string()),
            None => warn!(
                log,
                "the web UI is not built (no web/dist): / shows how to build it; the API works"
            ),
        }

        let tickets = TicketStore::new();
        let db_for_sweep = db.clone();
        let state = AppState {
            settings: settings.clone(),
            db,
            model: model.config.clone(),
            engine: engine.clone(),
            cluster: cluster.clone(),
            tickets: tickets.clone(),
            connections: connections.clone(),
            cli_version: crate::http::CliVersion::default(),
            web: Arc::new(web_ui),
            last_used: Arc::default(),
            log: log.clone(),
        };
        let sweep = connections.spawn_sweep(db_for_sweep, log.clone());
        let metrics = match settings.metrics_addr {
            None => None,
            Some(addr) => {
                let (server, bound) = http::metrics_listener::bind(addr, state.clone())
                    .map_err(|source| StartError::MetricsBind { addr, source })?;
                let handle = server.handle();
                actix_web::rt::spawn(server);
                info!(log, "metrics listening (no key)"; "addr" => bound.to_string());
                Some((handle, bound))
            }
        };
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(state.clone()))
                .wrap(from_fn(http::security_headers::security_headers))
                .wrap(from_fn(http::access_log))
                .configure(http::configure)
        })
        .shutdown_timeout(HTTP_STOP_GRACE.as_secs())
        // Streams are many small frames: without TCP_NODELAY, Nagle's algorithm meets the
        // client's delayed ACK and holds frames for ~40 ms.
        .on_connect(|conn, _ext| {
            if let Some(tcp) = conn.downcast_ref::<actix_web::rt::net::TcpStream>() {
                let _ = tcp.set_nodelay(true);
            }
        })
        .disable_signals()
        .listen(listener)
        .map_err(|source| StartError::Bind { addr, source })?
        .run();

        let stop_signals =
            StopSignals::register().map_err(|source| StartError::Bind { addr, source })?;
        let heartbeat = cluster.spawn_heartbeat(engine.clone());
        Ok(Application {
            server,
            engine,
            connections,
            stop_signals,
            addr,
            metrics,
            tickets,
            model,
            sweep,
            runtime_dir: settings.runtime_dir(),
            shutdown_grace: Duration::from_secs(settings.shutdown_grace_seconds),
            cluster,
            heartbeat,
            log: log.new(o!()),
        })
    }

    /// The address actually bound (port 0 resolved).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The `METRICS_ADDR` listener's address (port 0 resolved), when one is configured.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().map(|(_, addr)| *addr)
    }

    /// A handle to stop the server from elsewhere (tests).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// The session engine (tests drive it directly).
    pub fn engine(&self) -> Engine {
        self.engine.clone()
    }

    /// The WebSocket tickets issued over REST (tests redeem them directly).
    pub fn tickets(&self) -> TicketStore {
        self.tickets.clone()
    }

    /// Serves until stopped (SIGTERM/SIGINT, or a handle).
    ///
    /// A stop signal drains first: readiness answers 503 and nothing new starts at once,
    /// every WebSocket is told `server_shutting_down` and stays open while running turns
    /// finish (up to `SHUTDOWN_GRACE_SECONDS`, then they are cut), every session is
    /// suspended and its CLI stopped; then the WebSockets close (1001) and the listener
    /// stops. A second signal cuts the grace period short.
    pub async fn run_until_stopped(mut self) -> std::io::Result<()> {
        info!(self.log, "listening"; "addr" => self.addr.to_string(), "version" => env!("CARGO_PKG_VERSION"));
        let handle = self.server.handle();
        let mut server = self.server;
        let engine = self.engine.clone();
        let result = tokio::select! {
            result = &mut server => result,
            signal = self.stop_signals.recv() => {
                let started = Instant::now();
                let deadline = started + self.shutdown_grace;
                info!(self.log, "stopping: running replies may finish";
                    "signal" => signal, "grace_seconds" => self.shutdown_grace.as_secs());
                // Replica mode: marked draining at once (placement skips it, forwarders
                // re-route); its heartbeat keeps the leases of draining sessions alive.
                self.cluster.announce_draining().await;
                // From here on readiness answers 503 and nothing new starts.
                let sessions = engine.shutdown_until(deadline);
                let drain = async {
                    self.connections.notify_shutdown(deadline).await;
                    tokio::select! {
                        () = sessions => {}
                        signal = self.stop_signals.recv() => {
                            info!(self.log, "stopping now: running replies are cut"; "signal" => signal);
                            engine.shutdown_until(Instant::now()).await;
                        }
                    }
                    info!(self.log, "sessions stopped";
                        "elapsed_ms" => started.elapsed().as_millis() as u64);
                    self.connections.close_all().await;
                };
                // The server future carries out the stop and keeps serving (readiness,
                // WebSockets) during the drain: poll it throughout.
                tokio::pin!(drain);
                tokio::select! {
                    result = &mut server => {
                        drain.await;
                        result
                    }
                    () = &mut drain => {
                        let ((), result) = tokio::join!(handle.stop(true), server);
                        result
                    }
                }
            }
        };
        engine.shutdown().await;
        // Every session stopped (its transcript saved, its lease released): the rest of
        // this replica's leases and its row go.
        if let Some(heartbeat) = self.heartbeat.take() {
            heartbeat.abort();
        }
        self.cluster.leave().await;
        if let Some((metrics, _)) = &self.metrics {
            metrics.stop(true).await;
        }
        self.sweep.abort();
        // Every CLI has stopped, and its MCP file with it; a file left by one that could not
        // be stopped is removed here (and at the next start).
        crate::claude::remove_stale_mcp_files(&self.runtime_dir.join(MCP_DIR));
        self.model.stop().await;
        info!(self.log, "stopped");
        result
    }
}

/// SIGTERM and SIGINT, registered up front.
struct StopSignals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn register() -> std::io::Result<StopSignals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(StopSignals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    /// The name of the next stop signal.
    async fn recv(&mut self) -> &'static str {
        tokio::select! {
            _ = self.term.recv() => "SIGTERM",
            _ = self.int.recv() => "SIGINT",
        }
    }
}

/// How the application is embedded (the binary uses the defaults).
#[derive(Debug, Clone)]
pub struct Options {
    /// Extra variables for every CLI (tests isolate the CLI's state with these).
    pub cli_env: Vec<(String, String)>,
    pub cli_args: Vec<String>,
    /// Every child of this process is ours (see `actors::monitor`).
    pub exclusive_children: bool,
    /// The built web UI to serve; `None` looks for `web/dist` (see [`StaticUi::locate`]).
    pub web_dist: Option<std::path::PathBuf>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            cli_env: Vec::new(),
            cli_args: Vec::new(),
            exclusive_children: true,
            web_dist: None,
        }
    }
}

/// Creates the server's private directory (0700) with its `mcp/` and `tmp/`, and removes the
/// MCP configuration files a killed server left in it.
fn prepare_runtime_dir(settings: &Settings, log: &Logger) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    let dir = settings.runtime_dir();
    for sub in [MCP_DIR, TMP_DIR] {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir.join(sub))?;
    }
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
    let removed = crate::claude::remove_stale_mcp_files(&dir.join(MCP_DIR));
    if removed > 0 {
        info!(log, "removed MCP configuration files left by a previous run"; "count" => removed);
    }
    Ok(())
}

/// Sessions a crashed server left live are marked `suspended` (resumable); their recorded
/// CLI processes, if still running and still our CLI, are killed with their groups.
///
/// In replica mode only the sessions whose lease was this replica's (or has expired) are
/// recovered, and only the processes of this replica's own are looked for: the others run
/// on other replicas.
async fn recover_stale_sessions(
    db: &Db,
    settings: &Settings,
    cluster: &crate::cluster::Cluster,
    log: &Logger,
) {
    let stale = match cluster.node_id() {
        None => db.suspend_stale().await,
        Some(me) => db
            .suspend_stale_of(me, crate::db::models::now())
            .await
            .map(|stale| {
                stale
                    .into_iter()
                    .map(|(mut s, mine)| {
                        if !mine {
                            s.subprocess_pid = None;
                        }
                        s
                    })
                    .collect()
            }),
    };
    let stale = match stale {
        Ok(stale) => stale,
        Err(e) => {
            warn!(log, "could not recover stale sessions"; "error" => %e);
            return;
        }
    };
    if stale.is_empty() {
        return;
    }
    let pids: Vec<i32> = stale.iter().filter_map(|s| s.subprocess_pid).collect();
    let killed = crate::process::recover_stale_clis(pids, &settings.claude_cli_path).await;
    info!(log, "suspended sessions left live by a previous run";
        "count" => stale.len(), "leftover_processes_killed" => killed);
}
