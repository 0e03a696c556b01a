//! Settings: every environment variable (docs/operations.md, "Configuration"), read once at start with
//! `envy`, validated into one typed [`Settings`] that is passed down (no globals).
//!
//! `envy` collects the raw values (as optional strings, so that every rejection can name the
//! variable and say what is expected); [`RawSettings::validate`] turns them into typed values.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::secret::Secret;

#[path = "config_users.rs"]
mod users;
pub use users::{dollars, Quotas, TrustedHeader};

#[path = "config_cluster.rs"]
mod cluster;
pub use cluster::{valid_node_id, ClusterConfig, DEFAULT_LEASE_SECONDS, MIN_CLUSTER_SECRET_LEN};

/// Minimum length of `CLAUDE_SDK_PATTERN_API_KEY`.
pub const MIN_API_KEY_LEN: usize = 16;

/// Where `make setup` installs the pinned Claude Code CLI, relative to the project root.
pub const LOCAL_CLI_RELATIVE: &str = ".tools/claude-cli/node_modules/.bin/claude";

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

/// Where to look for the CLI when `CLAUDE_CLI_PATH` is not set.
#[derive(Debug, Clone, Default)]
pub struct CliSearch {
    /// Directories whose `.tools/claude-cli` install is tried, in order.
    pub roots: Vec<PathBuf>,
    /// `PATH`, searched for `claude` when no project-local install is found.
    pub path_var: Option<String>,
}

impl CliSearch {
    /// The current directory and the ancestors of the running executable (so
    /// `target/release/claude-sdk-pattern` finds the install of its own project).
    pub fn from_process() -> CliSearch {
        let mut roots = Vec::new();
        if let Ok(cwd) = std::env::current_dir() {
            roots.push(cwd);
        }
        if let Ok(exe) = std::env::current_exe() {
            roots.extend(exe.ancestors().skip(1).take(4).map(Path::to_path_buf));
        }
        CliSearch {
            roots,
            path_var: std::env::var("PATH").ok(),
        }
    }

    fn resolve(&self) -> PathBuf {
        for root in &self.roots {
            let candidate = root.join(LOCAL_CLI_RELATIVE);
            if candidate.is_file() {
                return candidate;
            }
        }
        if let Some(path) = &self.path_var {
            for dir in std::env::split_paths(path) {
                let candidate = dir.join("claude");
                if candidate.is_file() {
                    return candidate;
                }
            }
        }
        // Not found anywhere: keep the bare name; spawning reports the failure clearly.
        PathBuf::from("claude")
    }
}

/// The store `DATABASE_URL` names (a path, `sqlite://path`, `postgres://…`), or the default
/// SQLite file.
fn database(value: &Option<String>) -> Result<crate::db::Location, ConfigError> {
    crate::db::Location::parse(present(value)).map_err(|expected| err("DATABASE_URL", expected))
}

/// The store, from `DATABASE_URL` as the server reads it (the operator's command line needs
/// nothing else).
pub fn database_from_env() -> Result<crate::db::Location, ConfigError> {
    database(&std::env::var("DATABASE_URL").ok())
}

/// `DATA_DIR`, else the directory of the SQLite file, else (PostgreSQL) `./data`.
fn data_dir(value: &Option<String>, database: &crate::db::Location) -> PathBuf {
    if let Some(dir) = present(value) {
        return PathBuf::from(dir);
    }
    match database.sqlite_path().and_then(std::path::Path::parent) {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        Some(_) => PathBuf::from("."),
        None => PathBuf::from("./data"),
    }
}

fn err(var: &'static str, expected: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        expected: expected.into(),
    }
}

/// `PREWARM_POOL_MAX` unless set (or `PREWARM_POOL_SIZE`, when that is larger).
pub const DEFAULT_PREWARM_POOL_MAX: usize = 6;

/// The share of the machine's memory `MEMORY_BUDGET_MB` defaults to.
pub const MEMORY_BUDGET_SHARE: f64 = 0.6;

/// `MEMORY_BUDGET_MB` unless set: [`MEMORY_BUDGET_SHARE`] of the machine's memory (of the
/// container's limit, when one is set and lower), or 4096 where neither can be read.
pub fn default_memory_budget_mb() -> u64 {
    let machine = std::fs::read_to_string("/proc/meminfo").ok().and_then(|m| {
        let line = m.lines().find(|l| l.starts_with("MemTotal:"))?;
        line.split_whitespace()
            .nth(1)?
            .parse::<u64>()
            .ok()
            .map(|kb| kb / 1024)
    });
    let cgroup = std::fs::read_to_string("/sys/fs/cgroup/memory.max")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|b| b / 1024 / 1024);
    let total = match (machine, cgroup) {
        (Some(m), Some(c)) => m.min(c),
        (m, c) => m.or(c).unwrap_or(4096 * 10 / 6),
    };
    ((total as f64 * MEMORY_BUDGET_SHARE) as u64).max(64)
}

/// Treats an empty or all-blank value as unset (what `FOO= cmd` means to most people).
fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn number<T: std::str::FromStr + PartialOrd + fmt::Display + Copy>(
    var: &'static str,
    value: &Option<String>,
    default: T,
    min: T,
    max: T,
) -> Result<T, ConfigError> {
    let Some(text) = present(value) else {
        return Ok(default);
    };
    let expected = || format!("expected a whole number from {min} to {max}, got {text:?}");
    let parsed: T = text.parse().map_err(|_| err(var, expected()))?;
    if parsed < min || parsed > max {
        return Err(err(var, expected()));
    }
    Ok(parsed)
}

impl RawSettings {
    /// Validates every variable; the first rejection names the variable and what is expected.
    pub fn validate(self, cli_search: &CliSearch) -> Result<Settings, ConfigError> {
        let api_key = match self.claude_sdk_pattern_api_key.as_deref() {
            None | Some("") => {
                return Err(err(
                    "CLAUDE_SDK_PATTERN_API_KEY",
                    format!(
                    "required: the key clients must present, at least {MIN_API_KEY_LEN} characters"
                ),
                ))
            }
            Some(key) if key.chars().count() < MIN_API_KEY_LEN => {
                return Err(err(
                    "CLAUDE_SDK_PATTERN_API_KEY",
                    format!(
                        "expected at least {MIN_API_KEY_LEN} characters, got {}",
                        key.chars().count()
                    ),
                ))
            }
            Some(key) if key.chars().any(|c| c.is_whitespace() || c.is_control()) => {
                return Err(err(
                    "CLAUDE_SDK_PATTERN_API_KEY",
                    "expected no spaces or control characters (it is sent in an HTTP header)",
                ))
            }
            Some(key) => Secret::new(key),
        };

        let host = match present(&self.host) {
            None => IpAddr::V4(Ipv4Addr::LOCALHOST),
            Some("localhost") => IpAddr::V4(Ipv4Addr::LOCALHOST),
            Some(text) => text.parse().map_err(|_| {
                err(
                    "HOST",
                    format!("expected an IP address such as 127.0.0.1 or 0.0.0.0, got {text:?}"),
                )
            })?,
        };
        let port = number("PORT", &self.port, 8000u16, 0, u16::MAX)?;

        let database = database(&self.database_url)?;
        let data_dir = data_dir(&self.data_dir, &database);

        let workspace_dir = match present(&self.workspace_dir) {
            None => std::env::current_dir().map_err(|e| {
                err(
                    "WORKSPACE_DIR",
                    format!("unset, and the current directory is unreadable ({e})"),
                )
            })?,
            Some(dir) => {
                let path = PathBuf::from(dir);
                if !path.is_dir() {
                    return Err(err(
                        "WORKSPACE_DIR",
                        format!("expected an existing directory, got {dir:?}"),
                    ));
                }
                path
            }
        };

        let claude_cli_path = match present(&self.claude_cli_path) {
            Some(path) => PathBuf::from(path),
            None => cli_search.resolve(),
        };

        let prewarm_pool_size = number("PREWARM_POOL_SIZE", &self.prewarm_pool_size, 2, 0, 32)?;
        let prewarm_pool_max = number(
            "PREWARM_POOL_MAX",
            &self.prewarm_pool_max,
            if prewarm_pool_size == 0 {
                0
            } else {
                prewarm_pool_size.max(DEFAULT_PREWARM_POOL_MAX)
            },
            prewarm_pool_size,
            64,
        )?;
        let prewarm_warm_up = match present(&self.prewarm_warm_up).unwrap_or("summary") {
            "off" => None,
            detail @ ("full" | "summary") => Some(detail.to_string()),
            other => {
                return Err(err(
                    "PREWARM_WARM_UP",
                    format!("expected full, summary or off, got {other:?}"),
                ))
            }
        };
        let memory_budget_mb = number(
            "MEMORY_BUDGET_MB",
            &self.memory_budget_mb,
            default_memory_budget_mb(),
            64,
            1 << 24,
        )?;
        let max_sessions = number("MAX_SESSIONS", &self.max_sessions, 10, 1, 1000)?;
        let max_session_rss_mb = number(
            "MAX_SESSION_RSS_MB",
            &self.max_session_rss_mb,
            2048,
            1,
            1 << 20,
        )?;
        let max_session_duration_seconds = number(
            "MAX_SESSION_DURATION_SECONDS",
            &self.max_session_duration_seconds,
            14_400,
            1,
            365 * 86_400,
        )?;
        let session_idle_timeout_seconds = number(
            "SESSION_IDLE_TIMEOUT_SECONDS",
            &self.session_idle_timeout_seconds,
            1800,
            1,
            365 * 86_400,
        )?;
        let idle_grace_seconds = number(
            "IDLE_GRACE_SECONDS",
            &self.idle_grace_seconds,
            300,
            0,
            365 * 86_400,
        )?;
        let monitor_interval_seconds = number(
            "MONITOR_INTERVAL_SECONDS",
            &self.monitor_interval_seconds,
            30,
            1,
            3600,
        )?;

        let permission_mode = match present(&self.permission_mode) {
            None => "default".to_string(),
            Some(mode) if PERMISSION_MODES.contains(&mode) => mode.to_string(),
            Some(mode) => {
                return Err(err(
                    "PERMISSION_MODE",
                    format!(
                        "expected one of {}, got {mode:?}",
                        PERMISSION_MODES.join(", ")
                    ),
                ))
            }
        };
        let models = match present(&self.models) {
            None => DEFAULT_MODELS.iter().map(|m| m.to_string()).collect(),
            Some(list) => {
                let mut models: Vec<String> = Vec::new();
                for m in list.split(',').map(str::trim).filter(|m| !m.is_empty()) {
                    let valid = m.len() <= 100
                        && m.chars()
                            .all(|c| c.is_ascii_alphanumeric() || "-_.[]:".contains(c));
                    if !valid {
                        return Err(err(
                            "MODELS",
                            format!(
                                "expected a comma-separated list of model names or aliases such as opus,sonnet,claude-haiku-4-5, got {m:?}"
                            ),
                        ));
                    }
                    if !models.iter().any(|x| x == m) {
                        models.push(m.to_string());
                    }
                }
                if models.is_empty() {
                    return Err(err("MODELS", "expected at least one model name"));
                }
                models
            }
        };
        let permission_timeout_seconds = number(
            "PERMISSION_TIMEOUT_SECONDS",
            &self.permission_timeout_seconds,
            300,
            1,
            86_400,
        )?;

        let shutdown_grace_seconds = number(
            "SHUTDOWN_GRACE_SECONDS",
            &self.shutdown_grace_seconds,
            25,
            0,
            3600,
        )?;
        let turn_stall_seconds = number(
            "TURN_STALL_SECONDS",
            &self.turn_stall_seconds,
            90,
            1,
            86_400,
        )?;

        let log_level = match present(&self.log_level)
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("info") => LogLevel::Info,
            Some("trace") => LogLevel::Trace,
            Some("debug") => LogLevel::Debug,
            Some("warn") | Some("warning") => LogLevel::Warning,
            Some("error") => LogLevel::Error,
            Some("critical") => LogLevel::Critical,
            Some(other) => {
                return Err(err(
                    "LOG_LEVEL",
                    format!(
                    "expected one of trace, debug, info, warning, error, critical, got {other:?}"
                ),
                ))
            }
        };

        let allowed_origins = match present(&self.allowed_origins) {
            None => Vec::new(),
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .map(|origin| {
                    let origin = origin.trim_end_matches('/');
                    let valid = origin == "*"
                        || ((origin.starts_with("http://") || origin.starts_with("https://"))
                            && !origin["https://".len().min(origin.len())..].contains('/'));
                    if valid {
                        Ok(origin.to_string())
                    } else {
                        Err(err(
                            "ALLOWED_ORIGINS",
                            format!(
                                "expected a comma-separated list of origins such as https://chat.example.com, got {origin:?}"
                            ),
                        ))
                    }
                })
                .collect::<Result<Vec<_>, _>>()?,
        };

        let anthropic_api_key = present(&self.anthropic_api_key).map(Secret::new);
        let other_model_credentials = [&self.anthropic_auth_token, &self.claude_code_oauth_token]
            .into_iter()
            .filter_map(|v| present(v).map(Secret::new))
            .collect();
        let anthropic_base_url = match present(&self.anthropic_base_url) {
            None => None,
            Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                Some(url.to_string())
            }
            Some(url) => {
                return Err(err(
                    "ANTHROPIC_BASE_URL",
                    format!("expected an http:// or https:// URL, got {url:?}"),
                ))
            }
        };

        let quotas = users::quotas(&self.max_sessions_per_user, &self.daily_spend_limit_usd)?;
        let trusted_header =
            users::trusted_header(&self.auth_trusted_header, &self.auth_trusted_proxies)?;
        let attachments = attachment_limits(&self)?;
        let metrics_addr = match present(&self.metrics_addr) {
            None => None,
            Some(text) => Some(text.parse().map_err(|_| {
                err(
                    "METRICS_ADDR",
                    format!("expected an address and port such as 127.0.0.1:9090, got {text:?}"),
                )
            })?),
        };

        let projects = crate::workspace::ProjectsConfig::from_vars(
            &workspace_dir,
            present(&self.workspaces_root),
            present(&self.workspaces),
            present(&self.default_isolation),
        )
        .map_err(|(var, expected)| err(var, expected))?;

        let cluster = cluster::cluster(
            &self.node_id,
            &self.node_url,
            &self.cluster_secret,
            &self.lease_seconds,
            &database,
        )?;

        Ok(Settings {
            cluster,
            projects,
            api_key,
            host,
            port,
            database,
            data_dir,
            workspace_dir,
            claude_cli_path,
            prewarm_pool_size,
            prewarm_pool_max,
            prewarm_warm_up,
            memory_budget_mb,
            max_sessions,
            max_session_rss_mb,
            max_session_duration_seconds,
            session_idle_timeout_seconds,
            idle_grace_seconds,
            monitor_interval_seconds,
            permission_mode,
            models,
            permission_timeout_seconds,
            shutdown_grace_seconds,
            turn_stall_seconds,
            log_level,
            allowed_origins,
            anthropic_api_key,
            anthropic_base_url,
            other_model_credentials,
            quotas,
            trusted_header,
            attachments,
            metrics_addr,
        })
    }
}

/// `ATTACHMENT_MAX_COUNT` (default 5, up to 20), `ATTACHMENT_MAX_IMAGE_KB` (5120, up to
/// 20480), `ATTACHMENT_MAX_TEXT_KB` (256, up to 1024), `ATTACHMENT_MAX_TOTAL_KB` (10240, up to
/// 30720; at least the largest single image or text file). The WebSocket frame limit follows
/// them ([`crate::protocol::attachments::AttachmentLimits::max_frame_bytes`]).
fn attachment_limits(
    raw: &RawSettings,
) -> Result<crate::protocol::attachments::AttachmentLimits, ConfigError> {
    let d = crate::protocol::attachments::AttachmentLimits::default();
    let max_count = number(
        "ATTACHMENT_MAX_COUNT",
        &raw.attachment_max_count,
        d.max_count,
        0,
        20,
    )?;
    let kb = |var, value, default: usize, max| -> Result<usize, ConfigError> {
        Ok(number(var, value, default / 1024, 1, max)? * 1024)
    };
    let max_image_bytes = kb(
        "ATTACHMENT_MAX_IMAGE_KB",
        &raw.attachment_max_image_kb,
        d.max_image_bytes,
        20_480,
    )?;
    let max_text_bytes = kb(
        "ATTACHMENT_MAX_TEXT_KB",
        &raw.attachment_max_text_kb,
        d.max_text_bytes,
        1_024,
    )?;
    let max_total_bytes = kb(
        "ATTACHMENT_MAX_TOTAL_KB",
        &raw.attachment_max_total_kb,
        d.max_total_bytes,
        30_720,
    )?;
    if max_total_bytes < max_image_bytes.max(max_text_bytes) {
        return Err(err(
            "ATTACHMENT_MAX_TOTAL_KB",
            "at least ATTACHMENT_MAX_IMAGE_KB and ATTACHMENT_MAX_TEXT_KB",
        ));
    }
    Ok(crate::protocol::attachments::AttachmentLimits {
        max_count,
        max_image_bytes,
        max_text_bytes,
        max_total_bytes,
    })
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
