//! The server → client frames that are not session events (docs/protocol.md, "server →
//! client (not session events)"), and [`ServerFrame`], everything a connection sends.

use serde::Serialize;

use super::codes::ErrorCode;
use super::events::SessionEvent;
use super::live_state::SessionStateUpdate;
use super::session::{HistoryMessage, ListedSession};
use crate::session_id::SessionId;

/// What `server_shutting_down` says, with the seconds replies in progress still have.
pub fn shutting_down_message(grace_seconds: u64) -> String {
    if grace_seconds == 0 {
        return "The server is restarting. Your sessions are kept; the page reconnects by itself."
            .to_string();
    }
    format!(
        "The server is restarting. A reply being written has up to {grace_seconds} s to finish; \
         your sessions are kept and the page reconnects by itself."
    )
}

/// The close reason (with code 1008) of a connection whose API key was revoked. Every
/// revocation reason starts with `revoked:`; the client goes back to asking for a key.
pub const KEY_REVOKED_REASON: &str = "revoked: this API key was revoked";
/// The close reason (with code 1008) of a connection whose user was disabled.
pub const USER_DISABLED_REASON: &str = "revoked: this user was disabled";

/// A frame about the connection or the session list rather than one session's turn.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ControlFrame {
    /// The first page of the session list (on connect, after a create, destroy or
    /// rename); later pages come from `GET /api/v1/sessions?cursor=<next_cursor>`.
    SessionList {
        sessions: Vec<ListedSession>,
        /// Where the next page starts; null when this is all of it.
        next_cursor: Option<String>,
    },
    /// A `create_session` was received; the session's `session_ready` follows.
    SessionCreating,
    /// The stored messages of the complete turns of the session switched to; its replayed
    /// and live events follow.
    SessionHistory {
        session_id: SessionId,
        /// This subscription's last event_seq: the replay that follows ends at it.
        last_event_seq: u64,
        /// A reply is being written.
        turn_running: bool,
        messages: Vec<HistoryMessage>,
    },
    /// A request failed; `session_id` names the session it was about, if any.
    Error {
        code: ErrorCode,
        message: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        session_id: Option<SessionId>,
    },
    /// The server is stopping: it takes no new messages or sessions; a running turn goes on
    /// streaming for up to `grace_seconds`, then the connection closes with 1001.
    ServerShuttingDown { message: String, grace_seconds: u64 },
    /// What one of the owner's sessions is doing now (sent to all the owner's connections).
    SessionState(SessionStateUpdate),
}

impl ControlFrame {
    /// The `type` of each variant (an exhaustive list: the fixture test covers them all).
    pub fn kind(&self) -> &'static str {
        match self {
            ControlFrame::SessionList { .. } => "session_list",
            ControlFrame::SessionCreating => "session_creating",
            ControlFrame::SessionHistory { .. } => "session_history",
            ControlFrame::Error { .. } => "error",
            ControlFrame::ServerShuttingDown { .. } => "server_shutting_down",
            ControlFrame::SessionState(_) => "session_state",
        }
    }
}

/// Any frame the server sends on the WebSocket.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ServerFrame {
    Event(SessionEvent),
    Control(ControlFrame),
}

impl From<SessionEvent> for ServerFrame {
    fn from(e: SessionEvent) -> ServerFrame {
        ServerFrame::Event(e)
    }
}

impl From<ControlFrame> for ServerFrame {
    fn from(c: ControlFrame) -> ServerFrame {
        ServerFrame::Control(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_frames_are_flat_json_with_type() {
        assert_eq!(
            serde_json::to_value(ControlFrame::SessionCreating).unwrap(),
            serde_json::json!({"type": "session_creating"})
        );
        let e = ControlFrame::Error {
            code: ErrorCode::QueryInProgress,
            message: "m".into(),
            session_id: None,
        };
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({"type": "error", "code": "query_in_progress", "message": "m"})
        );
    }
}
