//! `session_state`: what a session is doing now, sent to every connection of its owner
//! (not only the one viewing it), so a list can show running, waiting for approval, error,
//! idle and suspended for every session, and a request waiting in a background session can
//! be seen and answered from anywhere (docs/protocol.md, "session_state").

use serde::Serialize;

use crate::session_id::SessionId;

/// What a session is doing, as a list shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LiveState {
    /// A reply is being written (or the session's process is being restarted).
    Running,
    /// A tool waits for the person's approval (`permission` says which request).
    WaitingForApproval,
    /// The last reply ended in an error (until the next message), or the session failed.
    Error,
    /// Ready for a message.
    Idle,
    /// Put to sleep after being unused; the next message wakes it.
    Suspended,
    /// Closed (destroyed, or at its age limit).
    Ended,
}

/// The permission request a session waits on.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PendingPermission {
    pub request_id: String,
    pub tool_name: String,
    pub reason: String,
}

/// One `session_state` frame (the fields next to `type`).
#[derive(Debug, Clone, PartialEq, Serialize, actix::Message, utoipa::ToSchema)]
#[rtype(result = "()")]
pub struct SessionStateUpdate {
    #[schema(value_type = String)]
    pub session_id: SessionId,
    pub state: LiveState,
    /// Set while `state` is `waiting_for_approval`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permission: Option<PendingPermission>,
    /// The rules "Allow for this session" granted in this session (`Bash(npm run *)`,
    /// `Edit`), each revocable with `revoke_permission`.
    pub allowed: Vec<String>,
}
