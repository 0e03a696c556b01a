//! What a session changed and which files it can mention (docs/protocol.md, "What
//! changed"): `GET /api/v1/sessions/{id}/diff` and `GET /api/v1/sessions/{id}/files`, over
//! the directory [`session_dir`] resolves.

use std::path::PathBuf;

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::ApiError;
use super::AppState;
use crate::actors::EngineError;
use crate::changes::diff::{self, DiffRequest};
use crate::changes::files;
use crate::changes::git::GitError;
use crate::protocol::ErrorCode;
use crate::session_id::SessionId;
use crate::users::Caller;

/// The directory of session `id` and the commit its changes count from, once `caller` may
/// see it (another user's session is one that does not exist).
pub async fn session_dir(
    state: &AppState,
    caller: &Caller,
    id: &SessionId,
) -> Result<(PathBuf, Option<String>), EngineError> {
    let row = state.db.get(id.as_str()).await.map_err(|e| {
        slog::warn!(state.log, "store failed"; "error" => %e);
        EngineError::StoreFailed
    })?;
    match row {
        Some(r) if caller.sees(&r.user_id) => Ok(crate::changes::workspace_of(&state.settings, &r)),
        _ => Err(EngineError::NotFound),
    }
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::ValidationError, message)
}

fn git_failed(state: &AppState, e: GitError) -> ApiError {
    match e {
        GitError::NotARepository => ApiError::new(
            ErrorCode::NotAGitRepository,
            "This session's directory is not a git repository, so there is no diff to show. \
             Run `git init` in it to track changes.",
        ),
        GitError::Failed(detail) => {
            slog::warn!(state.log, "git failed"; "error" => detail);
            ApiError::internal()
        }
    }
}

/// The query of `GET /api/v1/sessions/{id}/diff`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiffParams {
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Files per page, 1–100 (default 20).
    pub limit: Option<u32>,
    /// Only this file (its `path`), with its hunks from `hunk` on.
    pub file: Option<String>,
    /// With `file`: the first hunk to send (a file's `next_hunk`), default 0.
    pub hunk: Option<u32>,
}

#[utoipa::path(
    get, path = "/api/v1/sessions/{id}/diff", tag = "sessions",
    security(("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "The session id (a UUID)"), DiffParams),
    responses(
        (status = 200, description = "The totals over every changed file, and one page of files with their hunks", body = diff::DiffPage),
        (status = 400, description = "`validation_error`: a bad id, cursor, limit or hunk", body = super::openapi::ErrorResponse),
        (status = 401, description = "Missing or wrong API key", body = super::openapi::ErrorResponse),
        (status = 404, description = "`session_not_found` (also another user's session)", body = super::openapi::ErrorResponse),
        (status = 409, description = "`not_a_git_repository`: the session's directory is not in a git working tree", body = super::openapi::ErrorResponse),
    )
)]
pub async fn diff(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    params: web::Query<DiffParams>,
) -> Result<HttpResponse, ApiError> {
    let id = SessionId::parse(&id)?;
    let limit = match params.limit {
        None => diff::DEFAULT_FILES,
        Some(n @ 1..) if n as usize <= diff::MAX_FILES => n as usize,
        Some(_) => return Err(invalid(format!("limit must be 1–{}.", diff::MAX_FILES))),
    };
    let cursor = match params.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => 0,
        Some(c) => c.parse::<usize>().map_err(|_| {
            invalid("cursor is not one this server gave out (use next_cursor as it is).")
        })?,
    };
    let file = params.file.clone().filter(|f| !f.is_empty());
    if params.hunk.is_some() && file.is_none() {
        return Err(invalid("hunk needs file."));
    }
    let (dir, base) = session_dir(&state, &caller, &id).await?;
    let req = DiffRequest {
        cursor,
        limit,
        file,
        hunk: params.hunk.unwrap_or(0) as usize,
    };
    let page = diff::diff(&dir, base.as_deref(), &req)
        .await
        .map_err(|e| git_failed(&state, e))?;
    Ok(HttpResponse::Ok().json(page))
}

/// The query of `GET /api/v1/sessions/{id}/files`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FilesParams {
    /// What was typed after `@` (fuzzy: its letters in order). Empty: the shallowest files.
    pub q: Option<String>,
    /// How many, 1–100 (default 20).
    pub limit: Option<u32>,
}

/// One file for the @-mention palette.
#[derive(Debug, Serialize, ToSchema)]
pub struct MentionFile {
    /// Relative to the session's directory, `/`-separated: insert it as `@<path>`.
    pub path: String,
}

/// `GET /api/v1/sessions/{id}/files`: the best matches first.
#[derive(Debug, Serialize, ToSchema)]
pub struct FileMatches {
    pub files: Vec<MentionFile>,
    /// Files in the session's directory (not ignored).
    pub total: u64,
    /// The directory has more files than are indexed (200,000).
    pub capped: bool,
}

#[utoipa::path(
    get, path = "/api/v1/sessions/{id}/files", tag = "sessions",
    security(("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "The session id (a UUID)"), FilesParams),
    responses(
        (status = 200, description = "The session directory's files (`.gitignore` respected) best matching `q`", body = FileMatches),
        (status = 400, description = "`validation_error`: a bad id, limit or a q over 200 characters", body = super::openapi::ErrorResponse),
        (status = 401, description = "Missing or wrong API key", body = super::openapi::ErrorResponse),
        (status = 404, description = "`session_not_found` (also another user's session)", body = super::openapi::ErrorResponse),
    )
)]
pub async fn files(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    params: web::Query<FilesParams>,
) -> Result<HttpResponse, ApiError> {
    let id = SessionId::parse(&id)?;
    let limit = match params.limit {
        None => files::DEFAULT_LIMIT,
        Some(n @ 1..) if n as usize <= files::MAX_LIMIT => n as usize,
        Some(_) => return Err(invalid(format!("limit must be 1–{}.", files::MAX_LIMIT))),
    };
    let q = params.q.clone().unwrap_or_default();
    if q.chars().count() > 200 {
        return Err(invalid("q is at most 200 characters."));
    }
    let (dir, _) = session_dir(&state, &caller, &id).await?;
    let matches = web::block(move || {
        let listing = files::listing(&dir);
        FileMatches {
            files: files::rank(&listing, &q, limit)
                .into_iter()
                .map(|p| MentionFile {
                    path: p.to_string(),
                })
                .collect(),
            total: listing.files.len() as u64,
            capped: listing.capped,
        }
    })
    .await
    .map_err(|_| ApiError::internal())?;
    Ok(HttpResponse::Ok().json(matches))
}
