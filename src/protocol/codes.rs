//! The stable error codes clients see (in REST error bodies, WebSocket `error` frames and
//! `stream_error` events; docs/protocol.md lists them), and the action a client may take
//! after a failed turn.

use serde::{Deserialize, Serialize};

/// A stable error code, as sent to clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidJson,
    UnknownType,
    ValidationError,
    SessionNotFound,
    QueryInProgress,
    CapacityExceeded,
    ServerShuttingDown,
    SessionOpenedElsewhere,
    NotResumable,
    SessionLive,
    RateLimited,
    QuotaExceeded,
    Unauthorized,
    Forbidden,
    NotFound,
    UserNotFound,
    KeyNotFound,
    MethodNotAllowed,
    Internal,
    // Projects and worktrees, what changed (issue 17).
    ProjectNotFound,
    InvalidProject,
    NotAGitRepository,
    MentionOutsideWorkspace,
    WorktreeNotFound,
    WorktreeDirty,
    // Replica mode (issue 18): an `/internal/*` request that is not a replica's.
    ClusterAuthFailed,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 26] = [
        ErrorCode::InvalidJson,
        ErrorCode::UnknownType,
        ErrorCode::ValidationError,
        ErrorCode::SessionNotFound,
        ErrorCode::QueryInProgress,
        ErrorCode::CapacityExceeded,
        ErrorCode::ServerShuttingDown,
        ErrorCode::SessionOpenedElsewhere,
        ErrorCode::NotResumable,
        ErrorCode::SessionLive,
        ErrorCode::RateLimited,
        ErrorCode::QuotaExceeded,
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::UserNotFound,
        ErrorCode::KeyNotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::Internal,
        ErrorCode::ProjectNotFound,
        ErrorCode::InvalidProject,
        ErrorCode::NotAGitRepository,
        ErrorCode::MentionOutsideWorkspace,
        ErrorCode::WorktreeNotFound,
        ErrorCode::WorktreeDirty,
        ErrorCode::ClusterAuthFailed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidJson => "invalid_json",
            ErrorCode::UnknownType => "unknown_type",
            ErrorCode::ValidationError => "validation_error",
            ErrorCode::SessionNotFound => "session_not_found",
            ErrorCode::QueryInProgress => "query_in_progress",
            ErrorCode::CapacityExceeded => "capacity_exceeded",
            ErrorCode::ServerShuttingDown => "server_shutting_down",
            ErrorCode::SessionOpenedElsewhere => "session_opened_elsewhere",
            ErrorCode::NotResumable => "not_resumable",
            ErrorCode::SessionLive => "session_live",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::QuotaExceeded => "quota_exceeded",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::UserNotFound => "user_not_found",
            ErrorCode::KeyNotFound => "key_not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::Internal => "internal",
            ErrorCode::ProjectNotFound => "project_not_found",
            ErrorCode::InvalidProject => "invalid_project",
            ErrorCode::NotAGitRepository => "not_a_git_repository",
            ErrorCode::MentionOutsideWorkspace => "mention_outside_workspace",
            ErrorCode::WorktreeNotFound => "worktree_not_found",
            ErrorCode::WorktreeDirty => "worktree_dirty",
            ErrorCode::ClusterAuthFailed => "cluster_auth_failed",
        }
    }
}

/// What a client may do after an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuggestedAction {
    Retry,
    NewSession,
    Wait,
    None,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialize_as_their_names() {
        for code in ErrorCode::ALL {
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::Value::String(code.as_str().to_string())
            );
        }
    }
}
