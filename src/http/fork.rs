//! `POST /api/v1/sessions/{id}/fork` (docs/protocol.md, "Forking a session"): a new session
//! whose conversation is everything before one user message (src/actors/fork.rs).

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::error::ApiError;
use super::AppState;
use crate::actors::fork::ForkError;
use crate::protocol::{ErrorCode, ListedSession};
use crate::session_id::SessionId;
use crate::users::Caller;

/// The optional body of `POST /api/v1/sessions/{id}/fork` (an empty body forks the whole
/// conversation).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForkRequest {
    /// The `seq` of a user message: the fork's conversation is everything before it.
    /// Absent: the whole conversation so far.
    pub before_seq: Option<i64>,
}

impl From<ForkError> for ApiError {
    fn from(e: ForkError) -> ApiError {
        match e {
            ForkError::Engine(e) => e.into(),
            ForkError::Invalid(message) => ApiError::new(ErrorCode::ValidationError, message),
        }
    }
}

#[utoipa::path(
    post, path = "/api/v1/sessions/{id}/fork", tag = "sessions",
    security(("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "The session id (a UUID)")),
    request_body(content = Option<ForkRequest>, description = "Optional; no body, `null` or `{}` forks the whole conversation"),
    responses(
        (status = 201, description = "The new session, as listed (`suspended`: its process starts when it is opened or sent a message; `forked_from` names the original, and its title says so)", body = ListedSession),
        (status = 400, description = "`validation_error`: a bad id, or `before_seq` is not a user message of the session (or one the CLI cannot go back to); `invalid_json`", body = super::openapi::ErrorResponse),
        (status = 401, description = "Missing or wrong API key", body = super::openapi::ErrorResponse),
        (status = 404, description = "`session_not_found` (also another user's session, unless the caller is an admin)", body = super::openapi::ErrorResponse),
    )
)]
pub async fn fork(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = SessionId::parse(&id)?;
    let req = super::extract::optional_object::<ForkRequest>(&body)
        .map_err(|_| {
            ApiError::new(
                ErrorCode::InvalidJson,
                "The request body must be empty or a JSON object such as {\"before_seq\": 3}.",
            )
        })?
        .unwrap_or_default();
    let scope = super::find::scope_of(&caller);
    let listed = state
        .engine
        .fork_session(&id, &scope, &caller.user_id, req.before_seq)
        .await?;
    let mut named = super::find::named(&state.db, &caller, std::slice::from_ref(&listed))
        .await
        .map_err(|_| ApiError::internal())?;
    Ok(HttpResponse::Created().json(named.pop().unwrap_or_else(|| ListedSession::from(&listed))))
}
