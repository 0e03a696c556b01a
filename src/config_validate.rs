//! [`RawSettings::validate`]: every variable, in order, from text to its typed value; the
//! first rejection names the variable and what is expected. The groups with their own types
//! are read in their modules (`config_users.rs`, `config_cluster.rs`,
//! `config_attachments.rs`).

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use super::attachments::attachment_limits;
use super::store::{data_dir, database};
use super::{
    cluster, default_memory_budget_mb, err, number, present, users, CliSearch, ConfigError,
    LogLevel, RawSettings, Settings, DEFAULT_MODELS, DEFAULT_PREWARM_POOL_MAX, MIN_API_KEY_LEN,
    PERMISSION_MODES,
};
use crate::secret::Secret;

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
