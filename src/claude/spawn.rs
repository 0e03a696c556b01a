//! How a CLI process is started: its command line and environment
//! (docs/claude-cli-protocol.md §2), its own process group, and a parent-death signal.
//!
//! `PR_SET_PDEATHSIG` fires when the *thread* that forked the child exits, not the process.
//! Tokio may fork from a blocking-pool thread that exits after 10 s idle, which would kill a
//! healthy CLI. So every spawn happens on one long-lived thread ([`spawner`]), which lives
//! as long as the server.

use std::io;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::mpsc as std_mpsc;
use std::sync::OnceLock;

use tokio::process::{Child, Command};
use tokio::sync::oneshot;

use super::lines::DEFAULT_MAX_LINE_BYTES;

/// Which conversation the process carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionStart {
    /// A new conversation with this id (a UUID), `--session-id=<id>`.
    New(String),
    /// An earlier conversation, `--resume=<id>`.
    Resume(String),
}

impl SessionStart {
    pub fn session_id(&self) -> &str {
        match self {
            SessionStart::New(id) | SessionStart::Resume(id) => id,
        }
    }
}

/// Environment variables never passed to the CLI: `CLAUDECODE` makes it think it is nested;
/// the server's own key (and where its key file is) must not be readable by tools (a Bash
/// `env` would show it).
pub const ENV_REMOVED: [&str; 3] = [
    "CLAUDECODE",
    "CLAUDE_SDK_PATTERN_API_KEY",
    "CLAUDE_SDK_PATTERN_API_KEY_FILE",
];

pub use crate::process::OWNER_ENV;

/// Everything needed to start one CLI process.
#[derive(Clone)]
pub struct SpawnOptions {
    pub cli_path: PathBuf,
    /// Working directory (the workspace).
    pub cwd: PathBuf,
    pub session: SessionStart,
    pub permission_mode: String,
    /// `--model` (an alias or a full id); None: the CLI's default.
    pub model: Option<String>,
    /// `--effort`; None: the CLI's default.
    pub effort: Option<String>,
    /// `--mcp-config` JSON text, when MCP servers are configured.
    pub mcp_config: Option<String>,
    /// Variables set for the CLI on top of the server's environment.
    pub env: Vec<(String, String)>,
    /// Further arguments (tests: `--setting-sources=`, …).
    pub extra_args: Vec<String>,
    /// Per-line cap of stdout.
    pub max_line_bytes: usize,
    pub log: slog::Logger,
}

impl SpawnOptions {
    pub fn new(cli_path: PathBuf, cwd: PathBuf, session: SessionStart) -> SpawnOptions {
        SpawnOptions {
            cli_path,
            cwd,
            session,
            permission_mode: "default".to_string(),
            model: None,
            effort: None,
            mcp_config: None,
            env: Vec::new(),
            extra_args: Vec::new(),
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
            log: crate::logging::discard(),
        }
    }

    /// The argument list (ids in the `--flag=value` form: the CLI declares `--resume` with an
    /// optional value, so `--resume -x` would read `-x` as a flag).
    pub fn args(&self) -> Vec<String> {
        let mut args: Vec<String> = [
            "--output-format",
            "stream-json",
            "--verbose",
            "--include-partial-messages",
            "--permission-prompt-tool",
            "stdio",
            "--permission-mode",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.push(self.permission_mode.clone());
        args.push(match &self.session {
            SessionStart::New(id) => format!("--session-id={id}"),
            SessionStart::Resume(id) => format!("--resume={id}"),
        });
        if let Some(model) = &self.model {
            args.push(format!("--model={model}"));
        }
        if let Some(effort) = &self.effort {
            args.push(format!("--effort={effort}"));
        }
        if let Some(mcp) = &self.mcp_config {
            args.push("--mcp-config".to_string());
            args.push(mcp.clone());
        }
        args.extend(self.extra_args.iter().cloned());
        // Last, as the SDK does.
        args.push("--input-format".to_string());
        args.push("stream-json".to_string());
        args
    }

    pub(super) fn command(&self) -> Command {
        let mut cmd = Command::new(&self.cli_path);
        cmd.args(self.args())
            .current_dir(&self.cwd)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        for var in ENV_REMOVED {
            cmd.env_remove(var);
        }
        cmd.env("CLAUDE_CODE_ENTRYPOINT", "sdk-rust")
            .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
            .env("PWD", &self.cwd)
            .env(OWNER_ENV, std::process::id().to_string());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        crate::process::kill_with_parent(&mut cmd);
        cmd
    }
}

struct SpawnJob {
    cmd: Command,
    runtime: tokio::runtime::Handle,
    reply: oneshot::Sender<io::Result<Child>>,
}

static SPAWNER: OnceLock<Option<std_mpsc::Sender<SpawnJob>>> = OnceLock::new();

/// The long-lived thread every CLI is forked from.
fn spawner() -> Option<&'static std_mpsc::Sender<SpawnJob>> {
    SPAWNER
        .get_or_init(|| {
            let (tx, rx) = std_mpsc::channel::<SpawnJob>();
            let started = std::thread::Builder::new()
                .name("cli-spawner".to_string())
                .spawn(move || {
                    for mut job in rx {
                        // Tokio's child needs the runtime of the caller for its reaper.
                        let _entered = job.runtime.enter();
                        let child = job.cmd.spawn();
                        if let Some(pid) = child.as_ref().ok().and_then(|c| c.id()) {
                            crate::process::register_cli(pid as i32);
                        }
                        let _ = job.reply.send(child);
                    }
                });
            started.ok().map(|_| tx)
        })
        .as_ref()
}

/// Spawns `cmd` from the spawner thread.
pub(super) async fn spawn(cmd: Command) -> io::Result<Child> {
    let Some(tx) = spawner() else {
        return Err(io::Error::other("cannot start the process-spawning thread"));
    };
    let (reply, rx) = oneshot::channel();
    tx.send(SpawnJob {
        cmd,
        runtime: tokio::runtime::Handle::current(),
        reply,
    })
    .map_err(|_| io::Error::other("the process-spawning thread is gone"))?;
    rx.await
        .map_err(|_| io::Error::other("the process-spawning thread dropped the request"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_use_the_equals_form_and_input_format_is_last() {
        let mut o = SpawnOptions::new(
            "claude".into(),
            ".".into(),
            SessionStart::Resume("-x".into()),
        );
        o.mcp_config = Some("{\"mcpServers\":{}}".into());
        let args = o.args();
        assert!(args.contains(&"--resume=-x".to_string()));
        assert!(!args.contains(&"--resume".to_string()));
        assert_eq!(&args[args.len() - 2..], ["--input-format", "stream-json"]);
        let i = args.iter().position(|a| a == "--mcp-config").unwrap();
        assert_eq!(args[i + 1], "{\"mcpServers\":{}}");

        o.session = SessionStart::New("6f1c…".into());
        assert!(o.args().contains(&"--session-id=6f1c…".to_string()));
    }
}
