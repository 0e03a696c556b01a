//! `/api/v1/sessions…`: list, create, destroy, history and resume (docs/protocol.md). Sessions are
//! started and stopped by the engine; the listing and history come from the store. Every
//! call acts for its [`Caller`]: a member sees only their own sessions, and another user's
//! session answers exactly as one that does not exist; admins see (and may end) them all.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use slog::warn;
use utoipa::{IntoParams, ToSchema};

use super::error::ApiError;
use super::AppState;
use crate::actors::EngineError;
use crate::db::{DbError, SessionStatus};
use crate::protocol::ErrorCode;
use crate::protocol::{HistoryMessage, Source};
use crate::session_id::SessionId;
use crate::users::Caller;

/// `POST /api/v1/sessions` and `POST /api/v1/sessions/{id}/resume`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionStarted {
    #[schema(value_type = String)]
    pub session_id: SessionId,
    pub status: SessionStatus,
    pub source: Source,
}

impl From<crate::actors::messages::Created> for SessionStarted {
    fn from(created: crate::actors::messages::Created) -> SessionStarted {
        SessionStarted {
            session_id: created.session.session_id,
            status: created.session.status,
            source: created.source,
        }
    }
}

/// The optional body of `POST /api/v1/sessions` (an empty body is fine too): the
/// conversation controls, each one of the values `GET /api/v1/info` lists; unset ones get
/// the server's defaults.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct CreateSessionRequest {
    pub model: Option<String>,
    pub effort: Option<String>,
    pub permission_mode: Option<String>,
    /// A project's name (`GET /api/v1/projects`); unset: the default project.
    pub project: Option<String>,
    /// `none` or `worktree`; unset: `DEFAULT_ISOLATION`.
    pub isolation: Option<crate::workspace::Isolation>,
}

/// `DELETE /api/v1/sessions/{id}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionDestroyed {
    #[schema(value_type = String)]
    pub session_id: SessionId,
    /// `terminated`; absent after a purge.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<SessionStatus>,
    /// True when the session was deleted for good (`purge=true`).
    pub purged: bool,
}

/// The query of `DELETE /api/v1/sessions/{id}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DestroyQuery {
    /// Delete an ended session for good: its row, messages, search entries and the CLI's
    /// transcript and files. Refused with 409 `session_live` unless it is `terminated` or
    /// `failed` (end it first with a plain DELETE).
    pub purge: Option<bool>,
}

/// `GET /api/v1/sessions/{id}/messages`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageHistory {
    #[schema(value_type = String)]
    pub session_id: SessionId,
    pub messages: Vec<HistoryMessage>,
}

/// The query of `GET /api/v1/sessions/{id}/messages`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MessagesQuery {
    /// Only messages with a greater `seq` (default 0: the whole conversation).
    pub after_seq: Option<u64>,
}

/// Logs a store failure; the client gets the generic `internal` error.
fn store_failed(state: &AppState, e: DbError) -> ApiError {
    warn!(state.log, "store failed"; "error" => %e);
    ApiError::internal()
}

#[utoipa::path(
    post, path = "/api/v1/sessions", tag = "sessions",
    security(("api_key" = [])),
    request_body(content = Option<CreateSessionRequest>, description = "Optional: no body, `null` and `{}` all mean the server's defaults"),
    responses(
        (status = 201, description = "The session is ready", body = SessionStarted),
        (status = 400, description = "`invalid_json`: the body is not a JSON object; `validation_error`: a model, effort or permission mode this server does not offer; `invalid_project`: a project name that is a path, `..`, hidden, or a link out of the projects' root", body = super::openapi::ErrorResponse),
        (status = 404, description = "`project_not_found`: no project of that name", body = super::openapi::ErrorResponse),
        (status = 409, description = "`not_a_git_repository`: worktree isolation in a project that is not a git repository", body = super::openapi::ErrorResponse),
        (status = 401, description = "Missing or wrong API key", body = super::openapi::ErrorResponse),
        (status = 429, description = "`quota_exceeded`: the caller's live sessions or today's spend are at their limit (the message says which, and when it frees up)", body = super::openapi::ErrorResponse),
        (status = 503, description = "`capacity_exceeded`: MAX_SESSIONS live sessions already, or no room under MEMORY_BUDGET_MB; `server_shutting_down`: the server is stopping", body = super::openapi::ErrorResponse),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    // No body, `null` (what a generated client sends for an absent optional body), or a
    // JSON object; anything else is a client bug.
    let mut options = crate::protocol::OptionsChange::default();
    let mut placement = crate::protocol::PlacementRequest::default();
    let req = super::extract::optional_object::<CreateSessionRequest>(&body).map_err(|_| {
        ApiError::new(
            ErrorCode::InvalidJson,
            "The request body must be empty or a JSON object such as {\"model\": \"sonnet\"}, \
             with string values (isolation: none or worktree).",
        )
    })?;
    if let Some(req) = req {
        options = crate::protocol::OptionsChange {
            model: req.model,
            effort: req.effort,
            permission_mode: req.permission_mode,
        };
        options.validate(&state.settings)?;
        placement = crate::protocol::PlacementRequest {
            project: req.project,
            isolation: req.isolation,
        };
    }
    let placement = placement.resolve(&state.settings)?;
    let created = state
        .engine
        .create_session_in(&caller, options, Some(placement))
        .await?;
    Ok(HttpResponse::Created().json(SessionStarted::from(created)))
}

#[utoipa::path(
    delete, path = "/api/v1/sessions/{id}", tag = "sessions",
    security(("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "The session id (a UUID)"), DestroyQuery),
    responses(
        (status = 200, description = "The session's process is stopped; it is terminated (or, with purge=true, deleted)", body = SessionDestroyed),
        (status = 400, description = "`validation_error`: the id is not a UUID", body = super::openapi::ErrorResponse),
        (status = 401, description = "Missing or wrong API key", body = super::openapi::ErrorResponse),
        (status = 404, description = "`session_not_found` (also another user's session, unless the caller is an admin)", body = super::openapi::ErrorResponse),
        (status = 409, description = "`session_live`: purge of a session that is not ended", body = super::openapi::ErrorResponse),
    )
)]
pub async fn destroy(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    query: web::Query<DestroyQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = SessionId::parse(&id)?;
    if query.purge == Some(true) {
        let scope = super::find::scope_of(&caller);
        state.engine.purge_session(&id, &scope).await?;
        return Ok(HttpResponse::Ok().json(SessionDestroyed {
            session_id: id,
            status: None,
            purged: true,
        }));
    }
    state.engine.destroy_session(&caller, &id).await?;
    Ok(HttpResponse::Ok().json(SessionDestroyed {
        session_id: id,
        status: Some(SessionStatus::Terminated),
        purged: false,
    }))
}

#[utoipa::path(
    get, path = "/api/v1/sessions/{id}/messages", tag = "sessions",
    security(("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "The session id (a UUID)"), MessagesQuery),
    responses(
        (status = 200, description = "The stored conversation, in order", body = MessageHistory),
        (status = 400, description = "`validation_error`: the id is not a UUID or after_seq is not a number", body = super::openapi::ErrorResponse),
        (status = 401, description = "Missing or wrong API key", body = super::openapi::ErrorResponse),
        (status = 404, description = "`session_not_found` (also another user's session, unless the caller is an admin)", body = super::openapi::ErrorResponse),
    )
)]
pub async fn messages(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    query: web::Query<MessagesQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = SessionId::parse(&id)?;
    // The document says int64 (a `seq` is one): a larger number is refused, not clamped.
    let after_seq = i64::try_from(query.after_seq.unwrap_or(0)).map_err(|_| {
        ApiError::new(
            ErrorCode::ValidationError,
            "after_seq is a whole number from 0 to 9223372036854775807.",
        )
    })?;
    let row = state
        .db
        .get(id.as_str())
        .await
        .map_err(|e| store_failed(&state, e))?;
    // Another user's session is, to a member, one that does not exist.
    if !row.is_some_and(|r| caller.sees(&r.user_id)) {
        return Err(EngineError::NotFound.into());
    }
    let messages = state
        .db
        .messages(id.as_str(), after_seq)
        .await
        .map_err(|e| store_failed(&state, e))?;
    Ok(HttpResponse::Ok().json(MessageHistory {
        session_id: id,
        messages: messages.into_iter().map(HistoryMessage::from).collect(),
    }))
}

#[utoipa::path(
    post, path = "/api/v1/sessions/{id}/resume", tag = "sessions",
    security(("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "The session id (a UUID)")),
    responses(
        (status = 200, description = "The session is live again with its conversation (already live: unchanged)", body = SessionStarted),
        (status = 400, description = "`validation_error`: the id is not a UUID", body = super::openapi::ErrorResponse),
        (status = 401, description = "Missing or wrong API key", body = super::openapi::ErrorResponse),
        (status = 409, description = "`not_resumable`: \"Session not found or not resumable\" (also another user's session, admins included)", body = super::openapi::ErrorResponse),
        (status = 429, description = "`quota_exceeded`: the caller's live sessions are at their limit", body = super::openapi::ErrorResponse),
        (status = 503, description = "`capacity_exceeded`, or `server_shutting_down` (the server is stopping)", body = super::openapi::ErrorResponse),
    )
)]
pub async fn resume(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = SessionId::parse(&id)?;
    let resumed = state.engine.resume_session(&caller, &id).await?;
    Ok(HttpResponse::Ok().json(SessionStarted::from(resumed)))
}
