//! `GET /api/v1/projects` (issue 17): the projects sessions can be created in, with their
//! git state and the caller's sessions in each.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::ApiError;
use super::AppState;
use crate::users::Caller;
use crate::workspace::{Isolation, ProjectInfo};

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
