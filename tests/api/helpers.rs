//! Shared helpers: an in-process server on port 0, and the real binary as a child process.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use claude_sdk_pattern::app::{Application, Options};
use claude_sdk_pattern::config::Settings;
use claude_sdk_pattern::db::test_support::PgTestDatabase;
use claude_sdk_pattern::db::Location;

/// A key long enough to be accepted.
pub const TEST_KEY: &str = "test-server-key-0123456789";

/// Upper bound for anything a test waits on.
pub const WAIT: Duration = Duration::from_secs(30);

/// A server running inside the test process.
pub struct TestApp {
    pub addr: SocketAddr,
    pub dir: tempfile::TempDir,
    pub tickets: claude_sdk_pattern::http::tickets::TicketStore,
    handle: ServerHandle,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn client(&self) -> awc::Client {
        awc::Client::builder().timeout(WAIT).finish()
    }

    pub async fn stop(self) {
        self.handle.stop(true).await;
    }
}

/// True when the suite runs on PostgreSQL (`TEST_BACKEND=postgres`, with
/// `TEST_DATABASE_URL`; docs/testing.md, "PostgreSQL").
pub fn on_postgres() -> bool {
    std::env::var("TEST_BACKEND").as_deref() == Ok("postgres")
}

/// The test databases of this process, by the server directory they belong to.
static PG_DATABASES: Mutex<Vec<(PathBuf, PgTestDatabase)>> = Mutex::new(Vec::new());

/// The `DATABASE_URL` of the test server in `dir`: the SQLite file `dir/data/test.db`, or on
/// PostgreSQL a fresh database of its own (the same one for every call with `dir`; dropped
/// when the process ends or, if it cannot be, by the next test process).
pub fn test_database_url(dir: &Path) -> String {
    if !on_postgres() {
        return dir.join("data/test.db").to_string_lossy().into_owned();
    }
    let mut dbs = PG_DATABASES.lock().unwrap();
    if let Some((_, db)) = dbs.iter().find(|(d, _)| d == dir) {
        return db.url().to_string();
    }
    let db = PgTestDatabase::create("the API suite")
        .expect("TEST_BACKEND=postgres needs TEST_DATABASE_URL (scripts/with-postgres.sh)");
    let url = db.url().to_string();
    dbs.push((dir.to_path_buf(), db));
    url
}

/// Every row the PostgreSQL store of the server in `dir` holds, as JSON text (what a test on
/// SQLite reads from the database files).
pub async fn stored_rows_text(dir: &Path) -> String {
    use diesel::prelude::*;
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        row: String,
    }
    let url = test_database_url(dir);
    tokio::task::spawn_blocking(move || {
        let mut conn = diesel::PgConnection::establish(&url).unwrap();
        let mut out = String::new();
        for table in [
            "users",
            "api_keys",
            "daily_spend",
            "sessions",
            "session_details",
            "session_rules",
            "messages",
        ] {
            let rows: Vec<Row> =
                diesel::sql_query(format!("SELECT row_to_json(t)::text AS row FROM {table} t"))
                    .load(&mut conn)
                    .unwrap();
            for r in rows {
                out.push_str(&r.row);
                out.push('\n');
            }
        }
        out
    })
    .await
    .unwrap()
}

/// The store the test server in `dir` uses (see [`test_database_url`]).
pub async fn open_test_db(dir: &Path) -> claude_sdk_pattern::db::Db {
    let location = Location::parse(Some(&test_database_url(dir))).unwrap();
    claude_sdk_pattern::db::Db::connect(&location)
        .await
        .unwrap()
}

/// Environment of a test server: temp database and workspace, port 0, no pool.
pub fn base_env(dir: &Path) -> Vec<(String, String)> {
    let workspace = dir.join("workspace");
    std::fs::create_dir_all(&workspace).unwrap();
    [
        ("CLAUDE_SDK_PATTERN_API_KEY", TEST_KEY.to_string()),
        ("PORT", "0".to_string()),
        ("DATABASE_URL", test_database_url(dir)),
        ("WORKSPACE_DIR", workspace.to_string_lossy().into_owned()),
        ("PREWARM_POOL_SIZE", "0".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    // On PostgreSQL, the server's own files where the SQLite file's directory would be.
    .chain(on_postgres().then(|| {
        (
            "DATA_DIR".to_string(),
            dir.join("data").to_string_lossy().into_owned(),
        )
    }))
    .collect()
}

/// Starts the application in this process on port 0.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

/// Starts the application with `options` (children are never treated as exclusively ours).
pub async fn spawn_app_with(options: Options) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings::from_vars(base_env(dir.path())).unwrap();
    let options = Options {
        exclusive_children: false,
        ..options
    };
    let app = Application::build_with(settings, claude_sdk_pattern::logging::discard(), options)
        .await
        .unwrap();
    let addr = app.local_addr();
    let handle = app.handle();
    let tickets = app.tickets();
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        addr,
        dir,
        tickets,
        handle,
    }
}

/// Sends `req` (with `body`, if any) and returns the status and the JSON body (`Null` when
/// the body is empty or not JSON).
pub async fn call(req: awc::ClientRequest, body: Option<&str>) -> (u16, serde_json::Value) {
    let sent = match body {
        Some(b) => req.send_body(b.to_string()).await,
        None => req.send().await,
    };
    let mut res = sent.unwrap();
    let bytes = res.body().limit(4 << 20).await.unwrap();
    let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    (res.status().as_u16(), json)
}

/// The server binary as a child process, with its stdout lines collected.
pub struct ServerProcess {
    pub pid: i32,
    lines: Arc<Mutex<Vec<String>>>,
    line_rx: mpsc::Receiver<String>,
    exit_rx: mpsc::Receiver<ExitStatus>,
    exited: Option<ExitStatus>,
    pub stderr: Arc<Mutex<String>>,
}

pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_claude-sdk-pattern"))
}

/// Runs the binary with exactly `env` (plus PATH) and nothing else inherited.
pub fn command(env: &[(String, String)]) -> Command {
    let mut cmd = Command::new(binary());
    cmd.env_clear();
    if let Ok(path) = std::env::var("PATH") {
        cmd.env("PATH", path);
    }
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    cmd
}

impl ServerProcess {
    pub fn start(env: &[(String, String)]) -> ServerProcess {
        ServerProcess::start_with_args(env, &[])
    }

    pub fn start_with_args(env: &[(String, String)], args: &[&str]) -> ServerProcess {
        let mut child: Child = command(env)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id() as i32;
        let stdout = child.stdout.take().unwrap();
        let stderr_pipe = child.stderr.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (line_tx, line_rx) = mpsc::channel();
        let collected = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                collected.lock().unwrap().push(line.clone());
                let _ = line_tx.send(line);
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let err_buf = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr_pipe).lines().map_while(Result::ok) {
                let mut b = err_buf.lock().unwrap();
                b.push_str(&line);
                b.push('\n');
            }
        });
        let (exit_tx, exit_rx) = mpsc::channel();
        std::thread::spawn(move || {
            if let Ok(status) = child.wait() {
                let _ = exit_tx.send(status);
            }
        });
        ServerProcess {
            pid,
            lines,
            line_rx,
            exit_rx,
            exited: None,
            stderr,
        }
    }

    /// Waits for a log line whose `msg` is `msg`; returns it parsed.
    pub fn wait_for_log(&self, msg: &str) -> serde_json::Value {
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let line = self.line_rx.recv_timeout(left).unwrap_or_else(|_| {
                panic!(
                    "no log line {msg:?} within {WAIT:?}; stdout so far:\n{}\nstderr:\n{}",
                    self.stdout_text(),
                    self.stderr.lock().unwrap()
                )
            });
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) {
                if v["msg"] == msg {
                    return v;
                }
            }
        }
    }

    /// Waits for the "listening" line and returns the bound address.
    pub fn wait_listening(&self) -> SocketAddr {
        let line = self.wait_for_log("listening");
        line["addr"].as_str().unwrap().parse().unwrap()
    }

    pub fn stdout_text(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }

    pub fn signal(&self, sig: nix::sys::signal::Signal) {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.pid), sig).unwrap();
    }

    /// Waits up to `within` for the process to exit; None if it has not.
    pub fn exit_within(&mut self, within: std::time::Duration) -> Option<ExitStatus> {
        if self.exited.is_none() {
            self.exited = self.exit_rx.recv_timeout(within).ok();
        }
        self.exited
    }

    /// Waits (bounded) for the process to exit.
    pub fn wait_exit(&mut self) -> ExitStatus {
        if let Some(status) = self.exited {
            return status;
        }
        let status = self
            .exit_rx
            .recv_timeout(WAIT)
            .unwrap_or_else(|_| panic!("server pid {} did not exit within {WAIT:?}", self.pid));
        self.exited = Some(status);
        status
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if self.exited.is_none() && self.exit_rx.try_recv().is_err() {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(self.pid),
                nix::sys::signal::Signal::SIGKILL,
            );
            let _ = self.exit_rx.recv_timeout(WAIT);
        }
    }
}

/// Runs git in `dir` as a test author and returns its trimmed stdout; fails the test on an
/// error. (The API, replica and soak suites share it.)
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "commit.gpgsign=false"])
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
