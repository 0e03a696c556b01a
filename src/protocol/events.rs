//! Session events: the server → client frames of one session (docs/protocol.md, "Session
//! events"). Each carries the session id and the session's `event_seq` (1, 2, 3… over the
//! life of the session in this server), which a reconnecting client sends back as
//! `after_seq` to get exactly what it missed.

use serde::Serialize;
use serde_json::Value;

use super::codes::{ErrorCode, SuggestedAction};
use super::session::{SessionSummary, Source};
use crate::session_id::SessionId;

/// One event of a session, as sent to its subscribed client.
#[derive(Debug, Clone, PartialEq, Serialize, actix::Message)]
#[rtype(result = "()")]
pub struct SessionEvent {
    pub session_id: SessionId,
    pub event_seq: u64,
    #[serde(flatten)]
    pub body: EventBody,
}

/// The session frames (the `type` field).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventBody {
    SessionReady {
        session: SessionSummary,
        source: Source,
        /// The slash commands its CLI offers (the composer's palette).
        commands: Vec<super::SlashCommand>,
    },
    /// The session's model, effort or permission mode changed (after `set_session_options`,
    /// or when an approved plan switched the mode).
    SessionOptions {
        #[serde(flatten)]
        options: super::SessionOptions,
    },
    /// The user message with the client's `seq` was accepted; the turn starts. Carries the
    /// text, so a client that replays the turn after reconnecting can show it.
    MessageReceived {
        seq: u64,
        text: String,
        /// The images sent with the text (absent when none).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<super::Attachment>,
    },
    StreamDelta {
        text: String,
    },
    /// Remove the last `text` from what this turn streamed: the model call was abandoned
    /// mid-stream and is being retried (what replaces it follows as deltas).
    StreamRetracted {
        text: String,
    },
    ToolUse {
        tool_use_id: String,
        name: String,
        input: Value,
        /// Set for a sub-agent's call: the `tool_use_id` of the `Agent`/`Task` call it runs
        /// under (the client nests it there).
        #[serde(skip_serializing_if = "Option::is_none")]
        parent_tool_use_id: Option<String>,
    },
    ToolResult {
        tool_use_id: String,
        is_error: bool,
        content: String,
        duration_ms: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        parent_tool_use_id: Option<String>,
        /// The call did not run because its permission request was denied (`is_error` is
        /// true too; `content` says why): show "Denied", not an error.
        denied: bool,
    },
    /// Text a sub-agent wrote, under the `Agent`/`Task` call `parent_tool_use_id` (it comes
    /// whole, never streamed).
    AgentText {
        parent_tool_use_id: String,
        text: String,
    },
    PermissionRequest {
        request_id: String,
        tool_name: String,
        input: Value,
        reason: String,
        /// The tool call it is about (its `tool_use` event came first).
        tool_use_id: Option<String>,
        /// The CLI's `permission_suggestions`, verbatim.
        suggestions: Vec<Value>,
        /// What "Allow for this session" (`remember`) would grant, as rules
        /// (`Bash(npm run *)`); empty when this request cannot be remembered.
        session_rules: Vec<String>,
    },
    /// A permission request was answered (from any connection).
    PermissionAnswered {
        request_id: String,
        allow: bool,
        remember: bool,
    },
    /// A permission request was withdrawn (the turn was interrupted) or timed out.
    PermissionCancelled {
        request_id: String,
    },
    ResponseComplete {
        cost_usd: f64,
        total_cost_usd: f64,
        usage: Value,
        duration_ms: u64,
        num_turns: u64,
        /// How full the conversation's context is; null when the turn made no model call
        /// (a local command such as `/model`).
        context: Option<crate::claude::events::ContextUsage>,
    },
    /// `/compact` summarized the conversation: the context went from `pre_tokens` to
    /// `post_tokens` (stored as a notice too).
    ContextCompacted {
        pre_tokens: u64,
        post_tokens: u64,
    },
    StreamRetrying {
        attempt: u64,
        max_retries: u64,
        delay_ms: u64,
        message: String,
    },
    StreamError {
        code: ErrorCode,
        message: String,
        suggested_action: SuggestedAction,
        partial_preserved: bool,
    },
    StreamInterrupted {},
    SessionWarning {
        kind: String,
        remaining_seconds: u64,
    },
    SessionRestarting {
        reason: String,
        message: String,
    },
    SessionTerminated {
        reason: String,
        resumable: bool,
        message: String,
    },
    /// Another connection took this session over; this one no longer receives it.
    SessionOpenedElsewhere {
        message: String,
    },
    /// The session's diff changed: sent after a turn that ran a tool that edits files or
    /// runs commands (`Edit`, `Write`, `MultiEdit`, `NotebookEdit`, `Bash`), with the new
    /// totals (`GET /api/v1/sessions/{id}/diff` has the files).
    ChangesUpdated {
        files: u64,
        additions: u64,
        deletions: u64,
    },
}

impl EventBody {
    /// The `type` of each variant (an exhaustive list: the fixture test covers them all).
    pub fn kind(&self) -> &'static str {
        match self {
            EventBody::SessionReady { .. } => "session_ready",
            EventBody::SessionOptions { .. } => "session_options",
            EventBody::MessageReceived { .. } => "message_received",
            EventBody::StreamDelta { .. } => "stream_delta",
            EventBody::StreamRetracted { .. } => "stream_retracted",
            EventBody::ToolUse { .. } => "tool_use",
            EventBody::ToolResult { .. } => "tool_result",
            EventBody::AgentText { .. } => "agent_text",
            EventBody::PermissionRequest { .. } => "permission_request",
            EventBody::PermissionCancelled { .. } => "permission_cancelled",
            EventBody::PermissionAnswered { .. } => "permission_answered",
            EventBody::ResponseComplete { .. } => "response_complete",
            EventBody::StreamRetrying { .. } => "stream_retrying",
            EventBody::ContextCompacted { .. } => "context_compacted",
            EventBody::StreamError { .. } => "stream_error",
            EventBody::StreamInterrupted {} => "stream_interrupted",
            EventBody::SessionWarning { .. } => "session_warning",
            EventBody::SessionRestarting { .. } => "session_restarting",
            EventBody::SessionTerminated { .. } => "session_terminated",
            EventBody::SessionOpenedElsewhere { .. } => "session_opened_elsewhere",
            EventBody::ChangesUpdated { .. } => "changes_updated",
        }
    }

    /// Events that end a turn.
    pub fn ends_turn(&self) -> bool {
        matches!(
            self,
            EventBody::ResponseComplete { .. }
                | EventBody::StreamError { .. }
                | EventBody::StreamInterrupted {}
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_events_are_flat_json_with_type() {
        let e = SessionEvent {
            session_id: SessionId::from_stored("s1"),
            event_seq: 7,
            body: EventBody::StreamDelta { text: "hi".into() },
        };
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({"type": "stream_delta", "session_id": "s1", "event_seq": 7, "text": "hi"})
        );
        let e = SessionEvent {
            session_id: SessionId::from_stored("s1"),
            event_seq: 8,
            body: EventBody::StreamInterrupted {},
        };
        assert_eq!(
            serde_json::to_value(&e).unwrap()["type"],
            "stream_interrupted"
        );
        let s = SessionSummary::from(&crate::db::Session::new("abc", "u1"));
        let v = serde_json::to_value(&s).unwrap();
        assert!(v["created_at"].as_str().unwrap().ends_with('Z'));
        assert_eq!(v["status"], "creating");
        assert_eq!(v["user_id"], "u1");
        assert!(
            v.get("user_name").is_none(),
            "only admins are sent owners' names"
        );
        assert_eq!(
            serde_json::to_value(Source::PreWarmed).unwrap(),
            "pre-warmed"
        );
    }
}
