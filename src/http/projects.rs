//! `GET /api/v1/projects` (issue 17): the projects sessions can be created in, with their
//! git state and the caller's sessions in each; and
//! `DELETE /api/v1/projects/{name}/worktrees/{session_id}`, removing a kept worktree.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::ApiError;
use super::AppState;
use crate::db::SessionStatus;
use crate::protocol::ErrorCode;
use crate::session_id::SessionId;
use crate::users::Caller;
use crate::workspace::{worktree, Isolation, ProjectInfo};

/// `GET /api/v1/projects`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectList {
    pub projects: Vec<ProjectInfo>,
    /// `DEFAULT_ISOLATION`: what `create_session` uses when it names none.
    pub default_isolation: Isolation,
}

#[utoipa::path(
    get, path = "/api/v1/projects", tag = "sessions",
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The projects: the default (`WORKSPACE_DIR`), those of `WORKSPACES`, then the sub-directories of `WORKSPACES_ROOT`", body = ProjectList),
        (status = 401, description = "Missing or wrong API key", body = super::openapi::ErrorResponse),
    )
)]
pub async fn list(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let scope = super::find::scope_of(&caller);
    let config = state.settings.projects.clone();
    let counts = state
        .db
        .project_counts(&scope, &config.default_name)
        .await
        .map_err(|_| ApiError::internal())?;
    let ended = state
        .db
        .ended_worktrees(&scope)
        .await
        .map_err(|_| ApiError::internal())?;
    let projects = web::block(move || {
        let kept: Vec<(String, String, Option<String>)> = ended
            .into_iter()
            .filter(|(_, _, _, dir)| std::path::Path::new(dir).is_dir())
            .map(|(p, id, b, _)| (p, id, b))
            .collect();
        crate::workspace::list_projects(&config, &counts, &kept)
    })
    .await
    .map_err(|_| ApiError::internal())?;
    Ok(HttpResponse::Ok().json(ProjectList {
        projects,
        default_isolation: state.settings.projects.default_isolation,
    }))
}

/// The query of `DELETE /api/v1/projects/{name}/worktrees/{session_id}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RemoveWorktreeParams {
    /// Remove it even though it has uncommitted changes (they are lost).
    pub force: Option<bool>,
}

/// A kept worktree removed.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorktreeRemoved {
    pub session_id: String,
    /// The session's branch: it stays, with whatever was committed on it.
    pub branch: Option<String>,
    /// How many uncommitted paths were thrown away (`force=true`; 0 otherwise).
    pub discarded_changes: usize,
}

#[utoipa::path(
    delete, path = "/api/v1/projects/{name}/worktrees/{session_id}", tag = "sessions",
    security(("api_key" = [])),
    params(
        ("name" = String, Path, description = "The project's name"),
        ("session_id" = uuid::Uuid, Path, description = "The ended session whose worktree was kept"),
        RemoveWorktreeParams,
    ),
    responses(
        (status = 200, description = "The worktree is removed; the session's branch stays", body = WorktreeRemoved),
        (status = 400, description = "`validation_error` (a bad id or `force`); `invalid_project`", body = super::openapi::ErrorResponse),
        (status = 401, description = "Missing or wrong API key", body = super::openapi::ErrorResponse),
        (status = 404, description = "`project_not_found`; `worktree_not_found`: no kept worktree of this session in this project (also another user's session, unless the caller is an admin)", body = super::openapi::ErrorResponse),
        (status = 409, description = "`session_live`: the session has not ended; `worktree_dirty`: it has uncommitted changes (the message counts them) and `force=true` was not given", body = super::openapi::ErrorResponse),
    )
)]
pub async fn remove_worktree(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    params: web::Query<RemoveWorktreeParams>,
) -> Result<HttpResponse, ApiError> {
    let (name, id) = path.into_inner();
    let project = state
        .settings
        .projects
        .resolve(Some(&name))
        .map_err(|(code, message)| ApiError::new(code, message))?;
    let id = SessionId::parse(&id)?;
    let not_found = || {
        ApiError::new(
            ErrorCode::WorktreeNotFound,
            "No kept worktree of this session in this project. GET /api/v1/projects lists them.",
        )
    };
    let row = state
        .db
        .get(id.as_str())
        .await
        .map_err(|_| ApiError::internal())?
        // Another user's session is, to a member, one that does not exist.
        .filter(|r| caller.sees(&r.user_id))
        .ok_or_else(not_found)?;
    let ws = crate::workspace::session_workspace(&state.settings, &row);
    // Only a directory a server made for this session, in this project: in replica mode
    // possibly another replica's (the row keeps the directory it was made in).
    let ours = ws.isolation == Isolation::Worktree
        && ws.project == project.name
        && crate::workspace::is_session_worktree(&state.settings, &ws.dir, id.as_str());
    if !ours {
        return Err(not_found());
    }
    if !matches!(
        row.status,
        SessionStatus::Terminated | SessionStatus::Failed
    ) {
        return Err(ApiError::new(
            ErrorCode::SessionLive,
            "The session has not ended; its worktree is in use. End it first (DELETE /api/v1/sessions/{id}).",
        ));
    }
    let force = params.force.unwrap_or(false);
    let dir = ws.dir.clone();
    let removed = web::block(move || -> std::io::Result<Option<usize>> {
        if !dir.is_dir() {
            return Ok(None);
        }
        let changes = worktree::uncommitted(&dir)?;
        if !changes.is_empty() && !force {
            return Ok(Some(changes.len()));
        }
        worktree::remove(&project.dir, &dir)?;
        Ok(Some(changes.len()))
    })
    .await
    .map_err(|_| ApiError::internal())?
    .map_err(|e| {
        slog::warn!(state.log, "could not remove a kept worktree"; "error" => %e);
        ApiError::internal()
    })?;
    let Some(changed) = removed else {
        return Err(not_found());
    };
    if changed > 0 && !force {
        return Err(ApiError::new(
            ErrorCode::WorktreeDirty,
            format!(
                "The worktree has {changed} uncommitted change(s); commit them on its branch, \
                 or remove it with ?force=true to throw them away."
            ),
        ));
    }
    slog::info!(state.log, "kept worktree removed"; "session_id" => id.as_str(),
        "discarded_changes" => changed);
    Ok(HttpResponse::Ok().json(WorktreeRemoved {
        session_id: id.as_str().to_string(),
        branch: ws.branch,
        discarded_changes: if force { changed } else { 0 },
    }))
}
