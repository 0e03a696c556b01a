//! How a CLI process is started: its command line and environment
//! (docs/claude-cli-protocol.md §2), its own process group, and a parent-death signal.
//!
//! The MCP configuration holds its servers' `env` values (tokens, passwords), so it never
//! goes on the command line (any local user can read `/proc/<pid>/cmdline`): it is written
//! to a file only the server's user can read ([`McpConfigFile`], 0600 in a 0700 directory),
//! made for each process and removed when the process ends.
//!
//! `PR_SET_PDEATHSIG` fires when the *thread* that forked the child exits, not the process.
//! Tokio may fork from a blocking-pool thread that exits after 10 s idle, which would kill a
//! healthy CLI. So every spawn happens on one long-lived thread ([`spawner`]), which lives
//! as long as the server.

use std::io;
use std::path::{Path, PathBuf};
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
    /// A fork (docs/claude-cli-protocol.md; cli research §3): a new conversation `id` that
    /// starts as a copy of `from`'s transcript up to and including the entry `at`:
    /// `--resume=<from> --fork-session --session-id=<id> --resume-session-at=<at>`. The
    /// original's transcript is not touched (without `--fork-session` it would be).
    Fork {
        id: String,
        from: String,
        at: String,
    },
}

impl SessionStart {
    pub fn session_id(&self) -> &str {
        match self {
            SessionStart::New(id) | SessionStart::Resume(id) => id,
            SessionStart::Fork { id, .. } => id,
        }
    }
}

/// Environment variables never passed to the CLI: `CLAUDECODE` makes it think it is nested;
/// the server's own secrets must not be readable by tools (a Bash `env` would show them):
/// its key and where its key file is, its database URL (a PostgreSQL URL carries a
/// password) and the replicas' shared `CLUSTER_SECRET` (deploy/kubernetes sets both);
/// `XDG_RUNTIME_DIR` would put the CLI's messaging socket there rather than under
/// `CLAUDE_CODE_TMPDIR`, the server's own directory.
pub const ENV_REMOVED: [&str; 6] = [
    "CLAUDECODE",
    "CLAUDE_SDK_PATTERN_API_KEY",
    "CLAUDE_SDK_PATTERN_API_KEY_FILE",
    "DATABASE_URL",
    "CLUSTER_SECRET",
    "XDG_RUNTIME_DIR",
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
    /// `--allowedTools` rules: what the session allowed for itself ("Allow for this
    /// session") before this process, so the CLI does not ask again.
    pub allowed_tools: Vec<String>,
    /// The MCP configuration (JSON text), when MCP servers are configured: passed as
    /// `--mcp-config <file>` through an [`McpConfigFile`] in `private_dir`.
    pub mcp_config: Option<String>,
    /// A directory only the server's user can use (created 0700 if missing), for the MCP
    /// configuration files; None: `claude-sdk-pattern-<uid>` in the system's temp directory.
    pub private_dir: Option<PathBuf>,
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
            allowed_tools: Vec::new(),
            mcp_config: None,
            private_dir: None,
            env: Vec::new(),
            extra_args: Vec::new(),
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
            log: crate::logging::discard(),
        }
    }

    /// The argument list (ids in the `--flag=value` form: the CLI declares `--resume` with an
    /// optional value, so `--resume -x` would read `-x` as a flag), with the MCP
    /// configuration's file.
    pub fn args(&self, mcp_file: Option<&Path>) -> Vec<String> {
        let mut args: Vec<String> = [
            "--output-format",
            "stream-json",
            "--verbose",
            "--include-partial-messages",
            // A foreground sub-agent's text (its reports) comes as `assistant` frames with a
            // `parent_tool_use_id`; without this flag only its tool calls arrive.
            "--forward-subagent-text",
            "--permission-prompt-tool",
            "stdio",
            "--permission-mode",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.push(self.permission_mode.clone());
        match &self.session {
            SessionStart::New(id) => args.push(format!("--session-id={id}")),
            SessionStart::Resume(id) => args.push(format!("--resume={id}")),
            SessionStart::Fork { id, from, at } => args.extend([
                format!("--resume={from}"),
                "--fork-session".to_string(),
                format!("--session-id={id}"),
                format!("--resume-session-at={at}"),
            ]),
        }
        if let Some(model) = &self.model {
            args.push(format!("--model={model}"));
        }
        if let Some(effort) = &self.effort {
            args.push(format!("--effort={effort}"));
        }
        // One `--allowedTools=<rule>` each: a rule has spaces (`Bash(npm run *)`), and the
        // `=` form cannot take the next argument as a further rule.
        for rule in &self.allowed_tools {
            args.push(format!("--allowedTools={rule}"));
        }
        if let Some(file) = mcp_file {
            args.push("--mcp-config".to_string());
            args.push(file.display().to_string());
        }
        args.extend(self.extra_args.iter().cloned());
        // Last, as the SDK does.
        args.push("--input-format".to_string());
        args.push("stream-json".to_string());
        args
    }

    /// Where MCP configuration files go.
    pub fn mcp_dir(&self) -> PathBuf {
        match &self.private_dir {
            Some(dir) => dir.clone(),
            None => std::env::temp_dir().join(format!(
                "claude-sdk-pattern-{}",
                nix::unistd::getuid().as_raw()
            )),
        }
    }

    pub(super) fn command(&self, mcp_file: Option<&Path>) -> Command {
        let mut cmd = Command::new(&self.cli_path);
        cmd.args(self.args(mcp_file))
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

/// The MCP configuration of one CLI process, in a file of its own: 0600 in a 0700
/// directory, removed when this is dropped (the process's waiter holds it until the process
/// has exited). Files a killed server left behind are removed at the next start
/// ([`remove_stale_mcp_files`]).
#[derive(Debug)]
pub struct McpConfigFile {
    path: PathBuf,
}

/// What MCP configuration files are called (`mcp-<uuid>.json`).
const MCP_FILE_PREFIX: &str = "mcp-";

impl McpConfigFile {
    /// Writes `json` to a new file in `dir` (created 0700 if missing; an existing directory
    /// must be the server user's own and private).
    pub fn write(dir: &Path, json: &str) -> io::Result<McpConfigFile> {
        use std::io::Write;
        use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        let meta = std::fs::symlink_metadata(dir)?;
        if !meta.is_dir() || meta.uid() != nix::unistd::getuid().as_raw() {
            return Err(io::Error::other(format!(
                "{} is not a directory of this user",
                dir.display()
            )));
        }
        if meta.permissions().mode() & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
        let path = dir.join(format!("{MCP_FILE_PREFIX}{}.json", uuid::Uuid::new_v4()));
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)?;
        let file_guard = McpConfigFile { path };
        file.write_all(json.as_bytes())?;
        file.sync_all()?;
        Ok(file_guard)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for McpConfigFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Removes the MCP configuration files in `dir` (at start: no CLI of ours runs yet, so any
/// there were left by a server that was killed). Returns how many.
pub fn remove_stale_mcp_files(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with(MCP_FILE_PREFIX) && name.ends_with(".json")
        })
        .filter(|e| std::fs::remove_file(e.path()).is_ok())
        .count()
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
        let args = o.args(Some(Path::new("/run/x/mcp-1.json")));
        assert!(args.contains(&"--resume=-x".to_string()));
        assert!(!args.contains(&"--resume".to_string()));
        assert_eq!(&args[args.len() - 2..], ["--input-format", "stream-json"]);
        let i = args.iter().position(|a| a == "--mcp-config").unwrap();
        assert_eq!(args[i + 1], "/run/x/mcp-1.json");
        assert!(!o.args(None).contains(&"--mcp-config".to_string()));

        o.session = SessionStart::New("6f1c…".into());
        assert!(o.args(None).contains(&"--session-id=6f1c…".to_string()));

        // Rules the session allowed itself: one `=` argument each, spaces and all.
        assert!(!o.args(None).iter().any(|a| a.starts_with("--allowedTools")));
        o.allowed_tools = vec!["Bash(npm run *)".into(), "Edit".into()];
        let args = o.args(None);
        assert!(args.contains(&"--allowedTools=Bash(npm run *)".to_string()));
        assert!(args.contains(&"--allowedTools=Edit".to_string()));
        assert_eq!(&args[args.len() - 2..], ["--input-format", "stream-json"]);
    }

    #[test]
    fn the_mcp_file_is_private_and_goes_away() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let private = dir.path().join("run/mcp");
        let file = McpConfigFile::write(&private, "{\"mcpServers\":{}}").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(file.path()), 0o600);
        assert_eq!(mode(&private), 0o700);
        assert_eq!(
            std::fs::read_to_string(file.path()).unwrap(),
            "{\"mcpServers\":{}}"
        );
        let path = file.path().to_path_buf();
        drop(file);
        assert!(!path.exists());

        let left = McpConfigFile::write(&private, "{}").unwrap();
        std::fs::write(private.join("other.txt"), "x").unwrap();
        std::mem::forget(left);
        assert_eq!(remove_stale_mcp_files(&private), 1);
        assert!(private.join("other.txt").exists());
    }
}
