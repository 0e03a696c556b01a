//! Builds the [`SpawnOptions`] of every CLI process the server starts (pool, create, resume,
//! restart), from the settings, the model and the workspace's extensions.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use slog::warn;

use crate::claude::{ClaudeError, ClaudeProcess, SessionStart, SpawnOptions, Started};
use crate::config::Settings;
use crate::model_backend::ModelConfig;
use crate::session_id::SessionId;

/// The notice stored (and shown) when [`CliFactory::resume_or_fresh`] had to start fresh.
pub const NOT_RESTORED_NOTICE: &str =
    "Previous session could not be restored; this is a fresh conversation.";

/// `CLAUDE_CODE_MAX_RETRIES` given to the CLI when the server's environment has none.
pub const DEFAULT_CLI_MAX_RETRIES: &str = "4";

/// Shared by the pool, the supervisor and the sessions.
#[derive(Clone)]
pub struct CliFactory {
    settings: Arc<Settings>,
    model: ModelConfig,
    /// Extra variables (tests: an isolated `CLAUDE_CONFIG_DIR`).
    extra_env: Vec<(String, String)>,
    extra_args: Vec<String>,
    /// `--mcp-config` from the workspace's `mcp.json`, updated when extensions are re-read.
    mcp_config: Arc<RwLock<Option<String>>>,
    log: slog::Logger,
}

impl CliFactory {
    pub fn new(settings: Arc<Settings>, model: ModelConfig, log: slog::Logger) -> CliFactory {
        CliFactory {
            settings,
            model,
            extra_env: Vec::new(),
            extra_args: Vec::new(),
            mcp_config: Arc::new(RwLock::new(None)),
            log,
        }
    }

    /// Sets the MCP configuration of every later spawn.
    pub fn set_mcp_config(&self, mcp_config: Option<String>) {
        *self.mcp_config.write().unwrap_or_else(|p| p.into_inner()) = mcp_config;
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

    /// Options for a process carrying `session`.
    pub fn options(&self, session: SessionStart) -> SpawnOptions {
        let mut o = SpawnOptions::new(
            self.settings.claude_cli_path.clone(),
            self.settings.workspace_dir.clone(),
            session,
        );
        o.permission_mode = self.settings.permission_mode.clone();
        o.mcp_config = self
            .mcp_config
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        // The CLI retries a failing model API 10 times by default (~3 minutes of silence
        // for the user); 4 retries (~7.5 s of back-off) unless the operator chose.
        if std::env::var_os("CLAUDE_CODE_MAX_RETRIES").is_none() {
            o.env.push((
                "CLAUDE_CODE_MAX_RETRIES".into(),
                DEFAULT_CLI_MAX_RETRIES.into(),
            ));
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

    /// Where the CLI keeps a session's transcript (docs/claude-cli-protocol.md §13): every character of the
    /// absolute workspace path that is not alphanumeric becomes `-`.
    pub fn transcript_path(&self, session_id: &str) -> Option<PathBuf> {
        let cwd = std::fs::canonicalize(&self.settings.workspace_dir).ok()?;
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

    /// Starts a process that continues `session_id` with `--resume`. When the CLI cannot
    /// restore the transcript ("No conversation found": missing, empty or corrupted), the
    /// file (if any) is kept aside and a fresh conversation starts under the same id; the
    /// flag says whether an earlier conversation was lost.
    pub async fn resume_or_fresh(
        &self,
        session_id: &SessionId,
    ) -> Result<(Started, bool), ClaudeError> {
        let resume = self.options(SessionStart::Resume(session_id.to_string()));
        match ClaudeProcess::start(resume).await {
            Ok(started) => Ok((started, false)),
            Err(ClaudeError::Exited { message }) if message.contains("No conversation found") => {
                let mut lost = false;
                if let Some(path) = self.transcript_path(session_id.as_str()) {
                    if tokio::fs::metadata(&path).await.is_ok() {
                        let aside = path.with_extension(format!(
                            "jsonl.unrestorable-{}",
                            chrono::Utc::now().timestamp()
                        ));
                        warn!(self.log, "transcript cannot be restored; kept aside";
                            "session_id" => session_id, "path" => aside.display().to_string());
                        let _ = tokio::fs::rename(&path, &aside).await;
                        lost = true;
                    }
                }
                let fresh = self.options(SessionStart::New(session_id.to_string()));
                ClaudeProcess::start(fresh).await.map(|s| (s, lost))
            }
            Err(e) => Err(e),
        }
    }
}
