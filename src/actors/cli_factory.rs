//! Builds the [`SpawnOptions`] of every CLI process the server starts (pool, create, resume,
//! restart; see [`super::launcher`]), from the settings, the model and the workspace's
//! extensions.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use crate::claude::{SessionStart, SpawnOptions};
use crate::config::Settings;
use crate::model_backend::ModelConfig;
use crate::protocol::SessionOptions;

/// Under [`Settings::runtime_dir`]: the CLIs' MCP configuration files.
pub const MCP_DIR: &str = "mcp";
/// Under [`Settings::runtime_dir`]: the CLIs' `CLAUDE_CODE_TMPDIR`.
pub const TMP_DIR: &str = "tmp";

/// `CLAUDE_CODE_MAX_RETRIES` given to the CLI when the server's environment has none.
pub const DEFAULT_CLI_MAX_RETRIES: &str = "4";

/// Given to the CLI unless the server's environment sets them: `TodoWrite` on.
pub const TODO_TOOLS_ENV: [(&str, &str); 2] = [
    ("CLAUDE_CODE_ENABLE_TODO_TOOLS", "1"),
    ("CLAUDE_CODE_ENABLE_TASKS", "0"),
];

/// Shared by the pool, the supervisor and the sessions.
#[derive(Clone)]
pub struct CliFactory {
    settings: Arc<Settings>,
    model: ModelConfig,
    /// Extra variables (tests: an isolated `CLAUDE_CONFIG_DIR`).
    extra_env: Vec<(String, String)>,
    extra_args: Vec<String>,
    /// `--mcp-config` from each project directory's `mcp.json` (the default project's and
    /// those read since), updated when extensions are re-read.
    mcp_config: Arc<RwLock<HashMap<PathBuf, Option<String>>>>,
    log: slog::Logger,
}

impl CliFactory {
    pub fn new(settings: Arc<Settings>, model: ModelConfig, log: slog::Logger) -> CliFactory {
        CliFactory {
            settings,
            model,
            extra_env: Vec::new(),
            extra_args: Vec::new(),
            mcp_config: Arc::new(RwLock::new(HashMap::new())),
            log,
        }
    }

    /// Sets the MCP configuration of every later spawn in the default project.
    pub fn set_mcp_config(&self, mcp_config: Option<String>) {
        let dir = self.default_dir().to_path_buf();
        self.set_mcp_config_for(&dir, mcp_config);
    }

    /// Sets the MCP configuration of every later spawn in `dir`.
    pub fn set_mcp_config_for(&self, dir: &Path, mcp_config: Option<String>) {
        self.mcp_config
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(dir.to_path_buf(), mcp_config);
    }

    /// The default project's directory (`WORKSPACE_DIR`, canonical).
    pub fn default_dir(&self) -> &Path {
        &self.settings.projects.default_dir
    }

    /// Adds variables and arguments to every spawn (tests isolate the CLI's state this way).
    pub fn with_extra(mut self, env: Vec<(String, String)>, args: Vec<String>) -> CliFactory {
        self.extra_env = env;
        self.extra_args = args;
        self
    }

    pub fn settings(&self) -> &Arc<Settings> {
        &self.settings
    }

    /// Options for a process carrying `session`, with the default conversation controls
    /// (the pool's processes; a session taking one switches it live, `session_options.rs`).
    pub fn options(&self, session: SessionStart) -> SpawnOptions {
        self.options_for(session, &SessionOptions::defaults(&self.settings))
    }

    /// Options for a process carrying `session` with the controls `chosen`.
    pub fn options_for(&self, session: SessionStart, chosen: &SessionOptions) -> SpawnOptions {
        let dir = self.default_dir().to_path_buf();
        self.options_in(&dir, session, chosen)
    }

    /// Options for a process carrying `session` with the controls `chosen`, working in
    /// `dir` (a project's directory or a session's worktree).
    pub fn options_in(
        &self,
        dir: &Path,
        session: SessionStart,
        chosen: &SessionOptions,
    ) -> SpawnOptions {
        let mut o = SpawnOptions::new(
            self.settings.claude_cli_path.clone(),
            dir.to_path_buf(),
            session,
        );
        o.permission_mode = chosen.permission_mode.clone();
        // `default` (rows from before models could be chosen): whatever the CLI defaults to.
        o.model = Some(chosen.model.clone()).filter(|m| m != "default");
        o.effort = chosen.effort.clone();
        o.mcp_config = self
            .mcp_config
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(dir)
            .cloned()
            .flatten();
        let runtime = self.settings.runtime_dir();
        o.private_dir = Some(runtime.join(MCP_DIR));
        // The CLI's per-session temporary files and its messaging socket go under the
        // server's own directory, not the machine-wide /tmp (unless the operator chose).
        if std::env::var_os("CLAUDE_CODE_TMPDIR").is_none() {
            o.env.push((
                "CLAUDE_CODE_TMPDIR".into(),
                runtime.join(TMP_DIR).display().to_string(),
            ));
        }
        // The CLI retries a failing model API 10 times by default (~3 minutes of silence
        // for the user); 4 retries (~7.5 s of back-off) unless the operator chose.
        if std::env::var_os("CLAUDE_CODE_MAX_RETRIES").is_none() {
            o.env.push((
                "CLAUDE_CODE_MAX_RETRIES".into(),
                DEFAULT_CLI_MAX_RETRIES.into(),
            ));
        }
        // The 5.x models get no todo tool by default; TodoWrite feeds the UI's todo panel
        // (cli-research §6.1: both variables, or the Task* tools come instead).
        for (var, value) in TODO_TOOLS_ENV {
            if std::env::var_os(var).is_none() {
                o.env.push((var.to_string(), value.to_string()));
            }
        }
        o.env.extend(self.model.cli_env.iter().cloned());
        o.env.extend(self.extra_env.iter().cloned());
        o.extra_args = self.extra_args.clone();
        o.log = self.log.clone();
        o
    }
}

impl CliFactory {
    /// The CLI's state directory (`CLAUDE_CONFIG_DIR`, else `~/.claude`).
    pub fn config_dir(&self) -> Option<PathBuf> {
        self.extra_env
            .iter()
            .chain(self.model.cli_env.iter())
            .find(|(k, _)| k == "CLAUDE_CONFIG_DIR")
            .map(|(_, v)| PathBuf::from(v))
            .or_else(|| std::env::var_os("CLAUDE_CONFIG_DIR").map(PathBuf::from))
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".claude")))
    }

    /// The CLIs' `CLAUDE_CODE_TMPDIR`: the operator's, else the server's own
    /// (`<runtime>/tmp`). The CLI keeps a session's temporary files (background task and
    /// subagent output) under `<it>/claude-<uid>/<encoded cwd>/<session id>/`.
    pub fn tmp_dir(&self) -> PathBuf {
        self.extra_env
            .iter()
            .chain(self.model.cli_env.iter())
            .find(|(k, _)| k == "CLAUDE_CODE_TMPDIR")
            .map(|(_, v)| PathBuf::from(v))
            .or_else(|| std::env::var_os("CLAUDE_CODE_TMPDIR").map(PathBuf::from))
            .unwrap_or_else(|| self.settings.runtime_dir().join(TMP_DIR))
    }

    /// Where the CLI keeps a session's transcript (docs/claude-cli-protocol.md §13): every character of the
    /// absolute workspace path that is not alphanumeric becomes `-`.
    pub fn transcript_path(&self, session_id: &str) -> Option<PathBuf> {
        self.transcript_path_in(self.default_dir(), session_id)
    }

    /// [`Self::transcript_path`] of a session working in `dir`.
    pub fn transcript_path_in(&self, dir: &Path, session_id: &str) -> Option<PathBuf> {
        let cwd = std::fs::canonicalize(dir).ok()?;
        let encoded: String = cwd
            .to_string_lossy()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        Some(
            self.config_dir()?
                .join("projects")
                .join(encoded)
                .join(format!("{session_id}.jsonl")),
        )
    }

    pub fn log(&self) -> &slog::Logger {
        &self.log
    }
}
