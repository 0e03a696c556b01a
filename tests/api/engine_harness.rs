//! An in-process application with the real CLI against the scripted model, and a
//! subscriber that collects a session's events.

use std::time::Duration;

use actix::prelude::*;
use claude_sdk_pattern::actors::Engine;
use claude_sdk_pattern::app::{Application, Options};
use claude_sdk_pattern::config::Settings;
use claude_sdk_pattern::db::Db;
use claude_sdk_pattern::model_stub::{ModelStub, StubMode};
use claude_sdk_pattern::protocol::{EventBody, SessionEvent};
use claude_sdk_pattern::SessionId;
use tokio::sync::mpsc;

use claude_sdk_pattern::users::Caller;

use crate::cli::{cli_path, init_process};
use crate::helpers::base_env;

/// The bootstrap admin (the server key's user), who the engine tests act as.
pub fn admin() -> Caller {
    Caller::bootstrap()
}

/// The server's log lines, when the harness captures them.
#[derive(Clone, Default)]
pub struct Logs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub struct Harness {
    /// The HTTP server's address (the REST API).
    pub addr: std::net::SocketAddr,
    pub engine: Engine,
    pub stub: ModelStub,
    pub db: Db,
    pub dir: tempfile::TempDir,
    handle: actix_web::dev::ServerHandle,
    logs: Logs,
    log_guard: std::sync::Mutex<Option<claude_sdk_pattern::logging::LogGuard>>,
}

/// Starts the application with `overrides` on top of the test environment.
pub async fn harness(overrides: &[(&str, &str)]) -> Harness {
    harness_with_cli(overrides, &[]).await
}

/// As [`harness`], with variables for the CLI (e.g. its retry count) on top.
pub async fn harness_with_cli(overrides: &[(&str, &str)], cli: &[(&str, &str)]) -> Harness {
    harness_full(overrides, cli, "", false).await
}

/// As [`harness_with_cli`], with the CLI reading the settings `sources` (e.g. `project`:
/// the workspace's commands and skills; the default reads none).
pub async fn harness_with_sources(
    overrides: &[(&str, &str)],
    cli: &[(&str, &str)],
    sources: &str,
) -> Harness {
    harness_full(overrides, cli, sources, false).await
}

/// As [`harness`], keeping the server's log lines (debug level) for [`Harness::logs`].
pub async fn harness_logged(overrides: &[(&str, &str)]) -> Harness {
    harness_full(overrides, &[], "", true).await
}

async fn harness_full(
    overrides: &[(&str, &str)],
    cli: &[(&str, &str)],
    sources: &str,
    capture: bool,
) -> Harness {
    init_process();
    let dir = tempfile::tempdir().unwrap();
    let stub = ModelStub::start(0, StubMode::Scripted).await.unwrap();
    build(dir, stub, overrides, cli, sources, capture).await
}

/// The application over `dir`'s database, workspace and CLI state, talking to `stub`.
async fn build(
    dir: tempfile::TempDir,
    stub: ModelStub,
    overrides: &[(&str, &str)],
    cli: &[(&str, &str)],
    sources: &str,
    capture: bool,
) -> Harness {
    let mut env = base_env(dir.path());
    env.push((
        "CLAUDE_CLI_PATH".into(),
        cli_path().to_string_lossy().into_owned(),
    ));
    env.push(("ANTHROPIC_BASE_URL".into(), stub.url()));
    env.push(("ANTHROPIC_API_KEY".into(), "sk-ant-test-not-real".into()));
    for (k, v) in overrides {
        env.retain(|(name, _)| name != k);
        env.push((k.to_string(), v.to_string()));
    }
    // A test that names its own database file keeps the server's files beside it, as
    // without DATA_DIR.
    if overrides.iter().any(|(k, _)| *k == "DATABASE_URL")
        && !overrides.iter().any(|(k, _)| *k == "DATA_DIR")
    {
        env.retain(|(name, _)| name != "DATA_DIR");
    }
    let settings = Settings::from_vars(env).unwrap();
    let config = dir.path().join("cli-config");
    std::fs::create_dir_all(&config).unwrap();
    let options = Options {
        cli_env: vec![
            (
                "CLAUDE_CONFIG_DIR".into(),
                config.to_string_lossy().into_owned(),
            ),
            ("ANTHROPIC_BASE_URL".into(), stub.url()),
            ("ANTHROPIC_API_KEY".into(), "sk-ant-test-not-real".into()),
            ("CLAUDE_CODE_MAX_RETRIES".into(), "0".into()),
        ],
        cli_args: vec![format!("--setting-sources={sources}")],
        exclusive_children: false,
        ..Options::default()
    };
    let mut options = options;
    for (k, v) in cli {
        options.cli_env.retain(|(name, _)| name != k);
        options.cli_env.push((k.to_string(), v.to_string()));
    }
    let db = Db::connect(&settings.database).await.unwrap();
    let logs = Logs::default();
    let (log, log_guard) = if capture {
        let (log, guard) = claude_sdk_pattern::logging::build(
            claude_sdk_pattern::config::LogLevel::Debug,
            &settings.secrets(),
            logs.clone(),
        );
        (log, Some(guard))
    } else {
        (claude_sdk_pattern::logging::discard(), None)
    };
    let app = Application::build_with(settings, log, options)
        .await
        .unwrap();
    let engine = app.engine();
    let handle = app.handle();
    let addr = app.local_addr();
    actix_web::rt::spawn(app.run_until_stopped());
    Harness {
        addr,
        engine,
        stub,
        db,
        dir,
        handle,
        logs,
        log_guard: std::sync::Mutex::new(log_guard),
    }
}

impl Harness {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Creates a session and subscribes a collector to it.
    pub async fn open(&self) -> (SessionId, Events) {
        let id = self
            .engine
            .create_session(&admin())
            .await
            .unwrap()
            .session
            .session_id;
        let ev = collector();
        self.engine
            .subscribe(&admin(), &id, ev.recipient.clone(), 0)
            .await
            .unwrap();
        (id, ev)
    }

    /// The pid of the live session's CLI.
    pub async fn pid(&self, id: &SessionId) -> i32 {
        let session = self.engine.live_session(id).await.unwrap();
        session
            .send(claude_sdk_pattern::actors::messages::GetState)
            .await
            .unwrap()
            .pid
            .unwrap()
    }

    /// Waits (bounded) for the stored status: events reach clients before the store write.
    pub async fn wait_status(&self, id: &SessionId, status: claude_sdk_pattern::db::SessionStatus) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let now = self.db.get(id.as_str()).await.unwrap().unwrap().status;
            if now == status {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "status {now:?}, wanted {status:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops the server and starts a new one on the same database and CLI state (a restart).
    pub async fn restart(self, overrides: &[(&str, &str)]) -> Harness {
        self.stop().await;
        let Harness { dir, stub, .. } = self;
        build(dir, stub, overrides, &[], "", false).await
    }

    /// Stops every session and the server; the store stays readable.
    pub async fn stop(&self) {
        self.engine.shutdown().await;
        self.handle.stop(true).await;
    }

    /// Every log line so far (with [`harness_logged`]; after [`Harness::stop`], so that the
    /// queue is flushed first).
    pub fn logs(&self) -> String {
        drop(self.log_guard.lock().unwrap().take());
        String::from_utf8_lossy(&self.logs.0.lock().unwrap()).into_owned()
    }
}

/// Collects a session's events into a channel.
pub struct Collector {
    tx: mpsc::UnboundedSender<SessionEvent>,
}

impl Actor for Collector {
    type Context = Context<Self>;
}

impl Handler<SessionEvent> for Collector {
    type Result = ();
    fn handle(&mut self, msg: SessionEvent, _ctx: &mut Context<Self>) {
        let _ = self.tx.send(msg);
    }
}

pub struct Events {
    pub rx: mpsc::UnboundedReceiver<SessionEvent>,
    pub recipient: Recipient<SessionEvent>,
    pub last_seq: u64,
}

pub fn collector() -> Events {
    let (tx, rx) = mpsc::unbounded_channel();
    let addr = Collector { tx }.start();
    Events {
        rx,
        recipient: addr.recipient(),
        last_seq: 0,
    }
}

impl Events {
    /// The next event (bounded wait); checks that event_seq never goes backwards.
    pub async fn next(&mut self) -> SessionEvent {
        let e = tokio::time::timeout(Duration::from_secs(60), self.rx.recv())
            .await
            .expect("no session event within 60 s")
            .expect("collector gone");
        assert!(
            e.event_seq >= self.last_seq,
            "event_seq went backwards: {e:?}"
        );
        self.last_seq = e.event_seq;
        e
    }

    /// Events up to and including the first that matches.
    pub async fn until(&mut self, done: impl Fn(&EventBody) -> bool) -> Vec<SessionEvent> {
        let mut out = Vec::new();
        loop {
            let e = self.next().await;
            let stop = done(&e.body);
            out.push(e);
            if stop {
                return out;
            }
        }
    }
}

pub fn ends_turn(b: &EventBody) -> bool {
    b.ends_turn()
}

pub fn text_of(events: &[SessionEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::StreamDelta { text } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

/// Waits for the next permission request and returns its id.
pub async fn next_permission(ev: &mut Events) -> String {
    let events = ev
        .until(|b| matches!(b, EventBody::PermissionRequest { .. }))
        .await;
    match &events.last().unwrap().body {
        EventBody::PermissionRequest { request_id, .. } => request_id.clone(),
        _ => unreachable!(),
    }
}

/// Waits (bounded) until `done` holds.
pub async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits (bounded) until `pid` has exited: a session stops its process after telling the
/// client (closing stdin, then signals).
pub async fn wait_dead(pid: i32) {
    wait_until(&format!("pid {pid} to exit"), || {
        !claude_sdk_pattern::process::is_alive(pid)
    })
    .await;
}
