//! The real server binary under the soak: its environment (the real CLI against the model
//! stub, faults made reachable by small limits), start, SIGTERM and restart on the same
//! database, and a guard that ends everything of this run by PID, even after a panic.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use claude_sdk_pattern::model_stub::ModelStub;
use nix::sys::signal::Signal;

use crate::helpers::{base_env, ServerProcess};
use crate::procs::{self, RUN_ENV};
use crate::Config;

/// The pinned CLI that `make setup` installs (or `CLAUDE_CLI_PATH`).
fn cli_path() -> PathBuf {
    if let Ok(p) = std::env::var("CLAUDE_CLI_PATH") {
        return PathBuf::from(p);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join(claude_sdk_pattern::config::LOCAL_CLI_RELATIVE)
}

/// The server's environment for this run.
pub fn env(dir: &Path, stub: &ModelStub, cfg: &Config, run: &str) -> Vec<(String, String)> {
    let mut env = base_env(dir);
    let home = dir.join("home");
    std::fs::create_dir_all(home.join("cli-config")).unwrap_or_default();
    let vars: Vec<(&str, String)> = vec![
        ("CLAUDE_CLI_PATH", cli_path().to_string_lossy().into_owned()),
        ("ANTHROPIC_BASE_URL", stub.url()),
        ("ANTHROPIC_API_KEY", "sk-ant-test-not-real".into()),
        // One retry: a single 429/529/500 is absorbed visibly, two fail the turn.
        ("CLAUDE_CODE_MAX_RETRIES", "1".into()),
        ("HOME", home.to_string_lossy().into_owned()),
        (
            "CLAUDE_CONFIG_DIR",
            home.join("cli-config").to_string_lossy().into_owned(),
        ),
        ("PREWARM_POOL_SIZE", "2".into()),
        ("MAX_SESSIONS", (cfg.sessions + 10).to_string()),
        ("MEMORY_BUDGET_MB", cfg.budget_mb.to_string()),
        ("MAX_SESSION_RSS_MB", cfg.session_rss_mb.to_string()),
        ("MONITOR_INTERVAL_SECONDS", "2".into()),
        ("TURN_STALL_SECONDS", "6".into()),
        ("SHUTDOWN_GRACE_SECONDS", "5".into()),
        ("LOG_LEVEL", "info".into()),
        (RUN_ENV, run.to_string()),
    ];
    for (k, v) in vars {
        env.retain(|(name, _)| name != k);
        env.push((k.to_string(), v));
    }
    env
}

/// Starts the binary and waits (bounded) for its address.
pub fn start(env: &[(String, String)]) -> (ServerProcess, SocketAddr) {
    let server = ServerProcess::start(env);
    let addr = server.wait_listening();
    (server, addr)
}

/// How long a SIGTERM may take to end the server: `SHUTDOWN_GRACE_SECONDS` (5) for running
/// turns, 10 s more for sessions to stop, the HTTP server's 3 s, and slack for a loaded
/// machine (a CLI stopping can take seconds there).
pub const EXIT_BOUND: Duration = Duration::from_secs(60);

/// SIGTERM, then the exit code (None: not exited within [`EXIT_BOUND`], then killed) and
/// how long it took.
pub fn stop(server: &mut ServerProcess) -> (Option<i32>, Duration) {
    let started = Instant::now();
    server.signal(Signal::SIGTERM);
    let status = server.exit_within(EXIT_BOUND);
    let took = started.elapsed();
    if status.is_none() {
        server.signal(Signal::SIGKILL);
        let _ = server.exit_within(Duration::from_secs(10));
    }
    (status.and_then(|s| s.code()), took)
}

/// Ends by PID whatever of this run is still running when dropped (the server is a
/// `ServerProcess`, killed by its own drop): each marked process, with SIGKILL.
pub struct Cleanup {
    pub run: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for pid in procs::marked(&self.run) {
            claude_sdk_pattern::process::signal_pid(pid, Signal::SIGKILL);
        }
    }
}
