//! Where a new session works, as a client asks for it (`create_session{project?,
//! isolation?}`, WebSocket and REST; issue 17). Resolved against the configured projects at
//! the edge (`crate::workspace`).

use serde::{Deserialize, Serialize};

use crate::workspace::Isolation;

/// The project and isolation asked for; unset: the default project, `DEFAULT_ISOLATION`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlacementRequest {
    /// A project's name, as `GET /api/v1/projects` lists it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// `none` (the project's directory) or `worktree` (a git worktree of its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isolation: Option<Isolation>,
}

impl PlacementRequest {
    /// Resolves the project and isolation against `settings`: `project_not_found`,
    /// `invalid_project` (escapes) as a frame error.
    pub fn resolve(
        &self,
        settings: &crate::config::Settings,
    ) -> Result<crate::actors::placing::Placement, super::FrameError> {
        let project = settings
            .projects
            .resolve(self.project.as_deref())
            .map_err(|(code, message)| super::FrameError { code, message })?;
        Ok(crate::actors::placing::Placement {
            project,
            isolation: self
                .isolation
                .unwrap_or(settings.projects.default_isolation),
        })
    }
}
