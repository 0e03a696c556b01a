//! Three replicas of the real server binary on one fresh PostgreSQL database, behind HAProxy,
//! with the real CLI talking to one scripted model stub.
//!
//! The replicas share what a deployment shares (docs/operations.md, "Replicas"): the
//! database, `CLUSTER_SECRET` and one `WORKSPACE_DIR`. Each has its own `CLAUDE_CONFIG_DIR`
//! (and `HOME`, `DATA_DIR`): a session taken over by another replica only has its history
//! if the transcript really came from the database. Everything started here is stopped by
//! pid when the [`Cluster`] is dropped (server, its CLIs, haproxy, the stub), and the
//! database is dropped with it.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Once;
use std::time::Duration;

use claude_sdk_pattern::db::test_support::PgTestDatabase;
use claude_sdk_pattern::model_stub::{ModelStub, StubMode};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::cli::{cli_env, init_process};
use crate::haproxy::{haproxy_bin, HaProxy};
use crate::helpers::{call, ServerProcess, TEST_KEY, WAIT};

/// How long a test waits for a cluster-wide change (a lease to expire and be swept, a
/// replica to drain): several lease periods on a loaded machine.
pub const CLUSTER_WAIT: Duration = Duration::from_secs(90);

/// One test at a time: each starts three servers and their CLIs.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Settings of a cluster under test.
#[derive(Clone, Copy)]
pub struct Options {
    /// `LEASE_SECONDS` (a replica's heartbeat runs every third of it).
    pub lease_seconds: u32,
    /// `SHUTDOWN_GRACE_SECONDS`.
    pub grace_seconds: u32,
    /// `PREWARM_POOL_SIZE` of each replica.
    pub pool: u32,
    /// `MAX_SESSIONS` of the first replica (n1), if not the default.
    pub first_max_sessions: Option<u32>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            lease_seconds: 6,
            grace_seconds: 10,
            pool: 1,
            first_max_sessions: None,
        }
    }
}

/// One replica: its id, fixed address (kept across restarts, as a StatefulSet's pod keeps
/// its name) and environment, and the running process if any.
pub struct Node {
    pub id: String,
    pub addr: SocketAddr,
    env: Vec<(String, String)>,
    pub server: Option<ServerProcess>,
    /// The output of its earlier processes (before a restart), for failure reports.
    earlier_logs: String,
}

impl Node {
    pub fn pid(&self) -> i32 {
        self.server.as_ref().expect("node is not running").pid
    }

    fn logs(&self) -> String {
        let mut out = self.earlier_logs.clone();
        if let Some(s) = &self.server {
            out.push_str(&s.stdout_text());
            out.push_str("\n-- stderr --\n");
            out.push_str(&s.stderr.lock().unwrap());
        }
        out
    }
}

pub struct Cluster {
    pub nodes: Vec<Node>,
    pub lb: HaProxy,
    pub stub: ModelStub,
    db: PgTestDatabase,
    _dir: tempfile::TempDir,
    _serial: tokio::sync::MutexGuard<'static, ()>,
}

/// Why the replica tests cannot run here, if they cannot.
fn missing() -> Option<&'static str> {
    if std::env::var(claude_sdk_pattern::db::test_support::TEST_DATABASE_URL)
        .map_or(true, |u| u.trim().is_empty())
    {
        return Some(
            "TEST_DATABASE_URL is not set (scripts/with-postgres.sh starts a throwaway server)",
        );
    }
    if haproxy_bin().is_none() {
        return Some("haproxy is not installed (Debian package haproxy)");
    }
    None
}

/// A free loopback port (bound and released: a replica's `NODE_URL` must be known before it
/// starts, and stays the same across its restarts).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn text(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

impl Cluster {
    /// Starts the stub, three replicas (n1 first, so that it alone runs the migrations of
    /// the fresh database, then n2 and n3) and HAProxy; waits until every replica is ready
    /// and registered. None (after one SKIPPED line) without PostgreSQL or haproxy, unless
    /// `REQUIRE_POSTGRES=1`, which makes that a failure.
    pub async fn start(opts: Options) -> Option<Cluster> {
        if let Some(why) = missing() {
            assert!(
                std::env::var("REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "REQUIRE_POSTGRES=1 but the replica tests cannot run: {why}"
            );
            static SKIPPED: Once = Once::new();
            // Straight to the process's stderr: the test harness does not capture it.
            SKIPPED.call_once(|| {
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIPPED: the replica tests (tests/cluster): {why}"
                );
            });
            return None;
        }
        let serial = SERIAL.lock().await;
        init_process();
        let db = PgTestDatabase::create("the replica tests")?;
        let stub = ModelStub::start(0, StubMode::Scripted).await.unwrap();
        crate::chat::install_responder(&stub);
        let dir = tempfile::tempdir().unwrap();
        let workspace = dir.path().join("workspace");
        std::fs::create_dir_all(&workspace).unwrap();
        let secret = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let mut nodes = Vec::new();
        for n in 1..=3 {
            let id = format!("n{n}");
            let home: PathBuf = dir.path().join(&id);
            let port = free_port();
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let mut env: Vec<(String, String)> = [
                ("CLAUDE_SDK_PATTERN_API_KEY", TEST_KEY.to_string()),
                ("PORT", port.to_string()),
                ("DATABASE_URL", db.url().to_string()),
                ("DATA_DIR", text(&home.join("data"))),
                ("WORKSPACE_DIR", text(&workspace)),
                ("PREWARM_POOL_SIZE", opts.pool.to_string()),
                ("SHUTDOWN_GRACE_SECONDS", opts.grace_seconds.to_string()),
                ("NODE_ID", id.clone()),
                ("NODE_URL", format!("http://{addr}")),
                ("CLUSTER_SECRET", secret.clone()),
                ("LEASE_SECONDS", opts.lease_seconds.to_string()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
            if let (1, Some(max)) = (n, opts.first_max_sessions) {
                env.push(("MAX_SESSIONS".to_string(), max.to_string()));
            }
            env.extend(cli_env(&home, &stub.url()));
            nodes.push(Node {
                id,
                addr,
                env,
                server: None,
                earlier_logs: String::new(),
            });
        }
        let replicas: Vec<(String, SocketAddr)> =
            nodes.iter().map(|n| (n.id.clone(), n.addr)).collect();
        let lb = HaProxy::start(&haproxy_bin().unwrap(), dir.path(), &replicas);
        let mut cluster = Cluster {
            nodes,
            lb,
            stub,
            db,
            _dir: dir,
            _serial: serial,
        };
        cluster.launch(0);
        cluster.wait_ready(0).await;
        cluster.launch(1);
        cluster.launch(2);
        cluster.wait_ready(1).await;
        cluster.wait_ready(2).await;
        cluster.wait_registered(3).await;
        Some(cluster)
    }

    /// Starts replica `i` (again) with its environment; returns at once.
    fn launch(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        assert!(node.server.is_none(), "{} is running", node.id);
        node.server = Some(ServerProcess::start(&node.env));
    }

    /// Waits (bounded) for replica `i`'s "listening" line, then for its readiness. The
    /// blocking wait runs on a blocking thread: other tasks of the test (conversations
    /// going on meanwhile) keep running.
    pub async fn wait_ready(&mut self, i: usize) {
        let server = self.nodes[i].server.take().expect("node is not running");
        let (server, addr) = tokio::task::spawn_blocking(move || {
            let addr = server.wait_listening();
            (server, addr)
        })
        .await
        .unwrap();
        self.nodes[i].server = Some(server);
        let node = &self.nodes[i];
        assert_eq!(addr, node.addr, "{} listens elsewhere", node.id);
        let url = format!("http://{addr}/api/v1/health/ready");
        let mut last = (0, serde_json::Value::Null);
        let ready = until(
            CLUSTER_WAIT,
            || {
                let url = url.clone();
                async move {
                    let got = call(client().get(url), None).await;
                    (got.0 == 200).then_some(()).ok_or(got)
                }
            },
            |got| last = got,
        )
        .await;
        assert!(
            ready.is_some(),
            "{} not ready within {CLUSTER_WAIT:?}: {last:?}\n{}",
            node.id,
            node.logs()
        );
    }

    /// Waits (bounded) until `n` replicas have a row in `nodes`.
    pub async fn wait_registered(&self, n: usize) {
        let got = until(
            CLUSTER_WAIT,
            || async {
                let ids = self.strings("SELECT node_id AS v FROM nodes", None).await;
                (ids.len() >= n).then_some(()).ok_or(ids)
            },
            |_| (),
        )
        .await;
        assert!(
            got.is_some(),
            "fewer than {n} replicas registered in `nodes`"
        );
    }

    /// Starts replica `i` again after it stopped and waits until it is ready.
    pub async fn restart(&mut self, i: usize) {
        self.launch(i);
        self.wait_ready(i).await;
    }

    /// SIGTERM to replica `i`, then waits (bounded by its grace and a margin, on a blocking
    /// thread) for it to exit; its exit status.
    pub async fn stop(&mut self, i: usize, grace: Duration) -> std::process::ExitStatus {
        let node = &mut self.nodes[i];
        let mut server = node.server.take().expect("node is not running");
        server.signal(Signal::SIGTERM);
        let (server, status) = tokio::task::spawn_blocking(move || {
            let status = server.exit_within(grace + WAIT);
            (server, status)
        })
        .await
        .unwrap();
        node.earlier_logs.push_str(&server.stdout_text());
        node.earlier_logs.push_str(&format!(
            "\n-- stderr --\n{}\n-- exit: {status:?} --\n",
            server.stderr.lock().unwrap()
        ));
        let Some(status) = status else {
            node.server = Some(server);
            panic!(
                "{} did not exit within {:?} of SIGTERM",
                node.id,
                grace + WAIT
            );
        };
        status
    }

    /// `kill -9` of replica `i` and of every process under it (its CLIs): the host is lost.
    pub fn kill9(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        let mut server = node.server.take().expect("node is not running");
        kill_tree(server.pid);
        server.wait_exit();
        node.earlier_logs.push_str(&server.stdout_text());
        node.earlier_logs.push_str("\n-- killed (SIGKILL) --\n");
    }

    /// The `WORKSPACE_DIR` every replica shares.
    pub fn workspace(&self) -> PathBuf {
        self._dir.path().join("workspace")
    }

    /// The replica holding `session_id`'s lease, if any.
    pub async fn lease_holder(&self, session_id: &str) -> Option<String> {
        self.strings(
            "SELECT node_id AS v FROM session_leases WHERE session_id = $1",
            Some(session_id),
        )
        .await
        .pop()
    }

    /// The stored status of a session.
    pub async fn status(&self, session_id: &str) -> String {
        self.strings(
            "SELECT status AS v FROM sessions WHERE session_id = $1",
            Some(session_id),
        )
        .await
        .pop()
        .unwrap_or_else(|| panic!("no session {session_id}"))
    }

    /// The live (not zombie) CLI processes, over every running replica, whose command line
    /// names `session_id`: (replica, pid).
    pub fn clis_of(&self, session_id: &str) -> Vec<(String, i32)> {
        let mut out = Vec::new();
        for node in self.nodes.iter().filter(|n| n.server.is_some()) {
            let pids: Vec<i32> = claude_sdk_pattern::process::descendants(node.pid())
                .into_iter()
                .filter(|p| !p.zombie)
                .map(|p| p.pid)
                .collect();
            for (pid, cmd) in claude_sdk_pattern::process::command_lines(&pids) {
                if cmd.iter().any(|a| a.to_string_lossy().contains(session_id)) {
                    out.push((node.id.clone(), pid));
                }
            }
        }
        out
    }

    /// Rows of a one-column text query (at most one `$1` text parameter); an error (e.g. a
    /// table that does not exist yet) reads as no rows.
    pub async fn strings(&self, sql: &str, param: Option<&str>) -> Vec<String> {
        use diesel::prelude::*;
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Text)]
            v: String,
        }
        let (url, sql, param) = (
            self.db.url().to_string(),
            sql.to_string(),
            param.map(str::to_string),
        );
        tokio::task::spawn_blocking(move || {
            let mut conn = diesel::PgConnection::establish(&url).unwrap();
            let rows: QueryResult<Vec<Row>> = match param {
                Some(p) => diesel::sql_query(sql)
                    .bind::<diesel::sql_types::Text, _>(p)
                    .load(&mut conn),
                None => diesel::sql_query(sql).load(&mut conn),
            };
            rows.map(|r| r.into_iter().map(|r| r.v).collect())
                .unwrap_or_default()
        })
        .await
        .unwrap()
    }

    /// Every replica's output and haproxy's, for a failure report.
    pub fn logs(&self) -> String {
        let mut out = String::new();
        for node in &self.nodes {
            out.push_str(&format!(
                "===== {} ({}) =====\n{}\n",
                node.id,
                node.addr,
                node.logs()
            ));
        }
        out.push_str(&format!("===== haproxy =====\n{}\n", self.lb.log_text()));
        out
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("{}", self.logs());
        }
        for node in &mut self.nodes {
            if let Some(server) = node.server.take() {
                kill_tree(server.pid);
                drop(server);
            }
        }
        // haproxy, the stub and the database follow (field order).
    }
}

/// SIGKILL to `pid` and to every process under it. The server is frozen first (SIGSTOP)
/// so that it cannot start another CLI between the listing and the kill.
pub fn kill_tree(pid: i32) {
    let _ = kill(Pid::from_raw(pid), Signal::SIGSTOP);
    let below = claude_sdk_pattern::process::descendants(pid);
    let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
    for p in below {
        let _ = kill(Pid::from_raw(p.pid), Signal::SIGKILL);
    }
}

pub fn client() -> awc::Client {
    awc::Client::builder().timeout(WAIT).finish()
}

/// Polls `probe` every 100 ms for at most `within` (a state in the database or behind an
/// HTTP endpoint, which announces no event); the first `Ok`, or None (each `Err` is given
/// to `last`, for the failure message).
pub async fn until<T, E, F, Fut>(
    within: Duration,
    mut probe: F,
    mut last: impl FnMut(E),
) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match probe().await {
            Ok(v) => return Some(v),
            Err(e) => last(e),
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
