//! `GET /api/v1/info` (versions, model, limits) and `GET /api/v1/extensions` (what a
//! project provides, without any env or header value).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use slog::warn;
use tokio::sync::OnceCell;
use utoipa::{IntoParams, ToSchema};

use super::error::ApiError;
use super::AppState;
use crate::extensions::Extensions;

/// How long `claude --version` may take (a cold Node start is a second or two).
const VERSION_TIMEOUT: Duration = Duration::from_secs(15);

/// The CLI's version, asked once (the first `GET /api/v1/info`) and kept: the binary does
/// not change under a running server. `None` when it could not be asked.
#[derive(Clone, Default)]
pub struct CliVersion(Arc<OnceCell<Option<String>>>);

impl CliVersion {
    pub async fn get(&self, cli: &Path, log: &slog::Logger) -> Option<String> {
        self.0
            .get_or_init(|| async {
                let asked = ask_version(cli).await;
                if let Err(e) = &asked {
                    warn!(log, "cannot read the CLI version"; "error" => e);
                }
                asked.ok()
            })
            .await
            .clone()
    }
}

/// Runs `<cli> --version` (bounded; the process is killed if it overruns) and returns its
/// first line, e.g. `2.0.14 (Claude Code)`.
async fn ask_version(cli: &Path) -> Result<String, String> {
    let child = tokio::process::Command::new(cli)
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(VERSION_TIMEOUT, child)
        .await
        .map_err(|_| format!("no answer within {VERSION_TIMEOUT:?}"))?
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("exited with {}", out.status));
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_string)
        .ok_or_else(|| "printed nothing".to_string())
}

/// `GET /api/v1/info`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServerInfo {
    /// This server's version.
    pub version: String,
    /// What `claude --version` printed; null when the CLI could not be asked.
    pub cli_version: Option<String>,
    /// Sessions talk to the built-in demo model (no Anthropic credentials configured).
    pub demo_model: bool,
    /// The permission mode a session gets unless it asks for another (`PERMISSION_MODE`).
    pub permission_mode: String,
    /// What a session may choose (`create_session`, `set_session_options`).
    pub session_options: OptionChoices,
    pub limits: Limits,
    /// What one `user_message` may attach (`ATTACHMENT_*`); the web UI checks the same.
    pub attachments: AttachmentInfo,
}

/// The attachment limits (docs/protocol.md, "Attachments").
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentInfo {
    /// Attachments per message, images and text files together.
    pub max_count: usize,
    /// The largest image, decoded, in bytes.
    pub max_image_bytes: usize,
    /// The largest text file, in UTF-8 bytes.
    pub max_text_bytes: usize,
    /// All attachments of one message together, in bytes.
    pub max_total_bytes: usize,
    /// The image types taken.
    pub image_types: Vec<String>,
}

/// The values of each conversation control, and the default.
#[derive(Debug, Serialize, ToSchema)]
pub struct OptionChoices {
    /// `MODELS`; the first is the default.
    pub models: Vec<String>,
    pub default_model: String,
    /// Effort levels; a session without one runs at the CLI's default (`medium`).
    pub efforts: Vec<String>,
    pub permission_modes: Vec<String>,
    pub default_permission_mode: String,
}

/// The configured limits (see docs/operations.md).
#[derive(Debug, Serialize, ToSchema)]
pub struct Limits {
    pub max_sessions: usize,
    pub max_session_rss_mb: u64,
    pub max_session_duration_seconds: u64,
    pub session_idle_timeout_seconds: u64,
    pub prewarm_pool_size: usize,
    /// `MAX_SESSIONS_PER_USER` (an admin may override it per user); null: no limit beyond
    /// `max_sessions`.
    pub max_sessions_per_user: Option<usize>,
    /// `DAILY_SPEND_LIMIT_USD` (an admin may override it per user); null: no limit.
    pub daily_spend_limit_usd: Option<f64>,
}

#[utoipa::path(
    get, path = "/api/v1/info", tag = "server",
    security(("api_key" = [])),
    responses(
        (status = 200, description = "Versions, model and limits", body = ServerInfo),
        (status = 401, description = "Missing or wrong API key", body = super::openapi::ErrorResponse),
    )
)]
pub async fn info(state: web::Data<AppState>) -> HttpResponse {
    let s = &state.settings;
    let cli_version = state.cli_version.get(&s.claude_cli_path, &state.log).await;
    HttpResponse::Ok().json(ServerInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        cli_version,
        demo_model: state.model.demo,
        permission_mode: s.permission_mode.clone(),
        session_options: OptionChoices {
            models: s.models.clone(),
            default_model: s.default_model().to_string(),
            efforts: crate::config::EFFORTS
                .iter()
                .map(|e| e.to_string())
                .collect(),
            permission_modes: crate::protocol::options::permission_modes(s),
            default_permission_mode: s.permission_mode.clone(),
        },
        limits: Limits {
            max_sessions: s.max_sessions,
            max_session_rss_mb: s.max_session_rss_mb,
            max_session_duration_seconds: s.max_session_duration_seconds,
            session_idle_timeout_seconds: s.session_idle_timeout_seconds,
            prewarm_pool_size: s.prewarm_pool_size,
            max_sessions_per_user: s.quotas.max_sessions_per_user,
            daily_spend_limit_usd: s.quotas.daily_spend_limit_usd,
        },
        attachments: AttachmentInfo {
            max_count: s.attachments.max_count,
            max_image_bytes: s.attachments.max_image_bytes,
            max_text_bytes: s.attachments.max_text_bytes,
            max_total_bytes: s.attachments.max_total_bytes,
            image_types: crate::protocol::attachments::IMAGE_TYPES
                .iter()
                .map(|t| t.to_string())
                .collect(),
        },
    })
}

/// `GET /api/v1/extensions`, as [`Extensions::public_view`] builds it (documentation only:
/// the handler returns that view).
#[derive(Debug, Serialize, ToSchema)]
pub struct ExtensionsView {
    /// Name, transport, command, args, URL, and the *names* of env variables and headers.
    #[schema(value_type = Vec<Object>)]
    pub mcp_servers: Vec<serde_json::Value>,
    /// Name, description, path, whether the CLI sees it.
    #[schema(value_type = Vec<Object>)]
    pub skills: Vec<serde_json::Value>,
    /// Name, description, argument hint, path, whether the CLI sees it.
    #[schema(value_type = Vec<Object>)]
    pub commands: Vec<serde_json::Value>,
    /// Problems found in the workspace's extension files.
    pub warnings: Vec<String>,
    /// Changes whenever anything a CLI reads at start changes.
    pub config_hash: String,
}

/// The query of `GET /api/v1/extensions`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExtensionsParams {
    /// A project's name (`GET /api/v1/projects`); absent: the default project.
    pub project: Option<String>,
}

#[utoipa::path(
    get, path = "/api/v1/extensions", tag = "server",
    security(("api_key" = [])),
    params(ExtensionsParams),
    responses(
        (status = 200, description = "MCP servers, skills and commands of the project (the default project unless `project` names another), read on each call; never env or header values", body = ExtensionsView),
        (status = 400, description = "`invalid_project`: not a bare directory name (a path, `..`, a hidden name), or a link out of the projects' root", body = super::openapi::ErrorResponse),
        (status = 401, description = "Missing or wrong API key", body = super::openapi::ErrorResponse),
        (status = 404, description = "`project_not_found`", body = super::openapi::ErrorResponse),
    )
)]
pub async fn extensions(
    state: web::Data<AppState>,
    params: web::Query<ExtensionsParams>,
) -> Result<HttpResponse, ApiError> {
    let project = state
        .settings
        .projects
        .resolve(params.project.as_deref())
        .map_err(|(code, message)| ApiError::new(code, message))?;
    let workspace = project.dir;
    let found = web::block(move || Extensions::discover(&workspace))
        .await
        .map_err(|e| {
            warn!(state.log, "extension discovery failed"; "error" => %e);
            ApiError::internal()
        })?;
    Ok(HttpResponse::Ok().json(found.public_view()))
}
