//! Settings: every environment variable (docs/operations.md, "Configuration"), read once at start with
//! `envy`, validated into one typed [`Settings`] that is passed down (no globals).
//!
//! `envy` collects the raw values (as optional strings, so that every rejection can name the
//! variable and say what is expected); [`RawSettings::validate`] turns them into typed values.
//!
//! The parts live beside this file, each a child module: `config_parse.rs` (the helpers every
//! variable is read with), `config_validate.rs` ([`RawSettings::validate`]),
//! `config_defaults.rs` (defaults found on the machine, and the CLI), `config_store.rs`
//! (`DATABASE_URL`, `DATA_DIR`), `config_attachments.rs`, `config_users.rs` and
//! `config_cluster.rs`.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;

use serde::Deserialize;

use crate::secret::Secret;

#[path = "config_parse.rs"]
mod parse;
// The groups' modules read their variables with these (`super::number`, …).
use parse::{err, number, present};

#[path = "config_validate.rs"]
mod validate;

#[path = "config_defaults.rs"]
mod defaults;
pub use defaults::{
    default_memory_budget_mb, CliSearch, DEFAULT_PREWARM_POOL_MAX, LOCAL_CLI_RELATIVE,
    MEMORY_BUDGET_SHARE,
};

#[path = "config_store.rs"]
mod store;
pub use store::database_from_env;

#[path = "config_attachments.rs"]
mod attachments;

#[path = "config_users.rs"]
mod users;
pub use users::{dollars, Quotas, TrustedHeader};

#[path = "config_cluster.rs"]
mod cluster;
pub use cluster::{valid_node_id, ClusterConfig, DEFAULT_LEASE_SECONDS, MIN_CLUSTER_SECRET_LEN};

/// Minimum length of `CLAUDE_SDK_PATTERN_API_KEY`.
pub const MIN_API_KEY_LEN: usize = 16;

/// Permission modes the CLI accepts for `--permission-mode` (docs/claude-cli-protocol.md §2.2).
pub const PERMISSION_MODES: [&str; 7] = [
    "default",
    "acceptEdits",
    "plan",
    "auto",
    "manual",
    "dontAsk",
    "bypassPermissions",
];

/// The models offered when `MODELS` is unset (CLI aliases; the first is the default).
pub const DEFAULT_MODELS: [&str; 3] = ["opus", "sonnet", "haiku"];

/// Effort levels the CLI takes (`--effort`, or `effortLevel` live; cli-research §1.4).
pub const EFFORTS: [&str; 5] = ["low", "medium", "high", "xhigh", "max"];

/// Permission modes a session may be switched to live (`set_permission_mode`):
/// `bypassPermissions` needs a launch flag and `manual` is an alias of `default`.
pub const SESSION_PERMISSION_MODES: [&str; 5] =
    ["default", "acceptEdits", "plan", "auto", "dontAsk"];

/// One rejected variable: which one, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{var}: {expected}")]
pub struct ConfigError {
    pub var: &'static str,
    pub expected: String,
}

/// Log level, from `LOG_LEVEL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Trace,
    Debug,
    Info,
    Warning,
    Error,
    Critical,
}

impl LogLevel {
    pub fn to_slog(self) -> slog::Level {
        match self {
            LogLevel::Trace => slog::Level::Trace,
            LogLevel::Debug => slog::Level::Debug,
            LogLevel::Info => slog::Level::Info,
            LogLevel::Warning => slog::Level::Warning,
            LogLevel::Error => slog::Level::Error,
            LogLevel::Critical => slog::Level::Critical,
        }
    }
}

/// The validated configuration of one server.
#[derive(Clone)]
pub struct Settings {
    /// The key clients present (`X-API-Key`). Never logged.
    pub api_key: Secret,
    pub host: IpAddr,
    /// 0 lets the OS choose (tests).
    pub port: u16,
    /// Where the store lives (`DATABASE_URL`: an SQLite file, or a PostgreSQL URL that is
    /// never shown whole).
    pub database: crate::db::Location,
    /// `DATA_DIR`: the server's own files (`run/`, worktrees). Default: the SQLite file's
    /// directory, or `./data` with PostgreSQL.
    pub data_dir: PathBuf,
    pub workspace_dir: PathBuf,
    /// The Claude Code CLI binary (explicit, project-local install, or `claude` on PATH).
    pub claude_cli_path: PathBuf,
    pub prewarm_pool_size: usize,
    /// The most the adaptive pool grows to under demand (≥ `prewarm_pool_size`).
    pub prewarm_pool_max: usize,
    /// `PREWARM_WARM_UP`: the `get_context_usage` detail a pooled process is warmed with
    /// (`full`, `summary`), or None (`off`).
    pub prewarm_warm_up: Option<String>,
    /// The bound on the resident memory of every CLI process tree (sessions and pool).
    pub memory_budget_mb: u64,
    pub max_sessions: usize,
    pub max_session_rss_mb: u64,
    pub max_session_duration_seconds: u64,
    pub session_idle_timeout_seconds: u64,
    pub idle_grace_seconds: u64,
    pub monitor_interval_seconds: u64,
    pub permission_mode: String,
    /// The models a session may use (`MODELS`); the first is the default.
    pub models: Vec<String>,
    pub permission_timeout_seconds: u64,
    /// On SIGTERM/SIGINT, how long running turns may still finish.
    pub shutdown_grace_seconds: u64,
    /// A turn with no progress from its CLI for this long is cut.
    pub turn_stall_seconds: u64,
    pub log_level: LogLevel,
    /// Allowed WebSocket `Origin`s; empty means same origin only.
    pub allowed_origins: Vec<String>,
    /// Passed through to the CLI. Never logged.
    pub anthropic_api_key: Option<Secret>,
    pub anthropic_base_url: Option<String>,
    /// Other model credentials the CLI reads (`ANTHROPIC_AUTH_TOKEN`,
    /// `CLAUDE_CODE_OAUTH_TOKEN`): passed through, never logged.
    pub other_model_credentials: Vec<Secret>,
    /// Each user's quotas (`MAX_SESSIONS_PER_USER`, `DAILY_SPEND_LIMIT_USD`).
    pub quotas: Quotas,
    /// Single sign-on through a proxy (`AUTH_TRUSTED_HEADER`, `AUTH_TRUSTED_PROXIES`).
    pub trusted_header: Option<TrustedHeader>,
    /// What one message may attach (`ATTACHMENT_*`).
    pub attachments: crate::protocol::attachments::AttachmentLimits,
    /// `METRICS_ADDR`: a second listener serving only `/metrics`, without a key.
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// The projects sessions may run in and the default isolation (`WORKSPACES_ROOT`,
    /// `WORKSPACES`, `DEFAULT_ISOLATION`; see [`crate::workspace`]).
    pub projects: crate::workspace::ProjectsConfig,
    /// Replica mode (`NODE_ID`, `NODE_URL`, `CLUSTER_SECRET`, `LEASE_SECONDS`); None: one
    /// machine, as always.
    pub cluster: Option<ClusterConfig>,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("api_key", &self.api_key)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("database", &self.database)
            .field("data_dir", &self.data_dir)
            .field("workspace_dir", &self.workspace_dir)
            .field("claude_cli_path", &self.claude_cli_path)
            .field("prewarm_pool_size", &self.prewarm_pool_size)
            .field("prewarm_pool_max", &self.prewarm_pool_max)
            .field("prewarm_warm_up", &self.prewarm_warm_up)
            .field("memory_budget_mb", &self.memory_budget_mb)
            .field("max_sessions", &self.max_sessions)
            .field("max_session_rss_mb", &self.max_session_rss_mb)
            .field(
                "max_session_duration_seconds",
                &self.max_session_duration_seconds,
            )
            .field(
                "session_idle_timeout_seconds",
                &self.session_idle_timeout_seconds,
            )
            .field("idle_grace_seconds", &self.idle_grace_seconds)
            .field("monitor_interval_seconds", &self.monitor_interval_seconds)
            .field("permission_mode", &self.permission_mode)
            .field("models", &self.models)
            .field(
                "permission_timeout_seconds",
                &self.permission_timeout_seconds,
            )
            .field("shutdown_grace_seconds", &self.shutdown_grace_seconds)
            .field("turn_stall_seconds", &self.turn_stall_seconds)
            .field("log_level", &self.log_level)
            .field("allowed_origins", &self.allowed_origins)
            .field("anthropic_api_key", &self.anthropic_api_key)
            .field("anthropic_base_url", &self.anthropic_base_url)
            .field("other_model_credentials", &self.other_model_credentials)
            .field("quotas", &self.quotas)
            .field("trusted_header", &self.trusted_header)
            .field("attachments", &self.attachments)
            .field("metrics_addr", &self.metrics_addr)
            .field("projects", &self.projects)
            .field("cluster", &self.cluster)
            .finish()
    }
}

/// The variables as `envy` reads them: all optional text, validated afterwards.
#[derive(Debug, Default, Deserialize)]
pub struct RawSettings {
    claude_sdk_pattern_api_key: Option<String>,
    host: Option<String>,
    port: Option<String>,
    database_url: Option<String>,
    data_dir: Option<String>,
    workspace_dir: Option<String>,
    claude_cli_path: Option<String>,
    prewarm_pool_size: Option<String>,
    prewarm_pool_max: Option<String>,
    prewarm_warm_up: Option<String>,
    memory_budget_mb: Option<String>,
    max_sessions: Option<String>,
    max_session_rss_mb: Option<String>,
    max_session_duration_seconds: Option<String>,
    session_idle_timeout_seconds: Option<String>,
    idle_grace_seconds: Option<String>,
    monitor_interval_seconds: Option<String>,
    permission_mode: Option<String>,
    models: Option<String>,
    permission_timeout_seconds: Option<String>,
    shutdown_grace_seconds: Option<String>,
    turn_stall_seconds: Option<String>,
    log_level: Option<String>,
    allowed_origins: Option<String>,
    anthropic_api_key: Option<String>,
    anthropic_base_url: Option<String>,
    anthropic_auth_token: Option<String>,
    claude_code_oauth_token: Option<String>,
    max_sessions_per_user: Option<String>,
    daily_spend_limit_usd: Option<String>,
    auth_trusted_header: Option<String>,
    workspaces_root: Option<String>,
    workspaces: Option<String>,
    default_isolation: Option<String>,
    auth_trusted_proxies: Option<String>,
    attachment_max_count: Option<String>,
    attachment_max_image_kb: Option<String>,
    attachment_max_text_kb: Option<String>,
    attachment_max_total_kb: Option<String>,
    metrics_addr: Option<String>,
    node_id: Option<String>,
    node_url: Option<String>,
    cluster_secret: Option<String>,
    lease_seconds: Option<String>,
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Settings, ConfigError> {
        Settings::from_vars(std::env::vars())
    }

    /// Reads the given variables (tests pass their own).
    pub fn from_vars<I>(vars: I) -> Result<Settings, ConfigError>
    where
        I: IntoIterator<Item = (String, String)>,
    {
        // Every field is an Option<String>, so envy itself cannot fail on values; a failure
        // here would be a bug in the struct, reported rather than panicked on.
        let raw: RawSettings = envy::from_iter(vars).map_err(|e| ConfigError {
            var: "environment",
            expected: format!("readable variables ({e})"),
        })?;
        raw.validate(&CliSearch::from_process())
    }
}

impl Settings {
    /// The model a session gets when none is chosen: the first of `MODELS`.
    pub fn default_model(&self) -> &str {
        self.models.first().map_or("opus", String::as_str)
    }

    /// The secrets that must never appear in logs or errors.
    pub fn secrets(&self) -> Vec<Secret> {
        let mut secrets = vec![self.api_key.clone()];
        secrets.extend(self.anthropic_api_key.clone());
        secrets.extend(self.other_model_credentials.iter().cloned());
        secrets.extend(self.database.secrets());
        secrets.extend(self.cluster.as_ref().map(|c| c.secret.clone()));
        secrets
    }

    /// True when no model is configured (no `ANTHROPIC_API_KEY`, other credential or
    /// `ANTHROPIC_BASE_URL`): sessions then talk to the built-in, clearly labelled demo model.
    pub fn demo_model(&self) -> bool {
        self.anthropic_api_key.is_none()
            && self.other_model_credentials.is_empty()
            && self.anthropic_base_url.is_none()
    }

    /// The server's own directory (`DATA_DIR`; by default the SQLite file's).
    pub fn data_dir(&self) -> PathBuf {
        self.data_dir.clone()
    }

    /// The server's private directory (`run/` beside the database, 0700, absolute): the MCP
    /// configuration files of its CLIs (`mcp/`) and their `CLAUDE_CODE_TMPDIR` (`tmp/`).
    pub fn runtime_dir(&self) -> PathBuf {
        let dir = self.data_dir().join("run");
        std::path::absolute(&dir).unwrap_or(dir)
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
