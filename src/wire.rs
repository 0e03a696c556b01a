//! Server → client frames (DESIGN §6; every frame is documented in docs/protocol.md).
//!
//! Session events carry the session id and the session's `event_seq` (1, 2, 3… over the
//! life of the session in this server), which a reconnecting client sends back as
//! `after_seq` to get exactly what it missed.

use std::sync::Arc;

use chrono::NaiveDateTime;
use serde::Serialize;
use serde_json::Value;

use crate::db::{Session, SessionStatus};
use crate::error::ErrorCode;

/// How a session's process came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// Taken ready from the pool.
    PreWarmed,
    /// Spawned on demand.
    Cold,
    /// Spawned with `--resume` (resume, restart, wake from suspension).
    Resumed,
}

/// What a client may do after an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SuggestedAction {
    Retry,
    NewSession,
    Wait,
    None,
}

/// A session as listed to clients.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SessionSummary {
    pub session_id: String,
    pub status: SessionStatus,
    #[serde(serialize_with = "utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "utc")]
    #[schema(value_type = String, format = DateTime)]
    pub last_active_at: NaiveDateTime,
    pub message_count: i32,
    pub total_cost_usd: f64,
    pub is_resumable: bool,
}

/// Timestamps go out as RFC 3339 UTC (`2026-11-24T20:00:00.123456Z`).
pub fn utc<S: serde::Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(
        &t.and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
    )
}

impl From<&Session> for SessionSummary {
    fn from(s: &Session) -> SessionSummary {
        SessionSummary {
            session_id: s.session_id.clone(),
            status: s.status,
            created_at: s.created_at,
            last_active_at: s.last_active_at,
            message_count: s.message_count,
            total_cost_usd: s.total_cost_usd,
            is_resumable: s.is_resumable,
        }
    }
}

/// One event of a session, as sent to its subscribed client.
#[derive(Debug, Clone, PartialEq, Serialize, actix::Message)]
#[rtype(result = "()")]
pub struct SessionEvent {
    pub session_id: Arc<str>,
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
    },
    /// The user message with the client's `seq` was accepted; the turn starts. Carries the
    /// text, so a client that replays the turn after reconnecting can show it.
    MessageReceived {
        seq: u64,
        text: String,
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
    },
    ToolResult {
        tool_use_id: String,
        is_error: bool,
        content: String,
        duration_ms: Option<u64>,
    },
    PermissionRequest {
        request_id: String,
        tool_name: String,
        input: Value,
        reason: String,
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
}

impl EventBody {
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
            session_id: "s1".into(),
            event_seq: 7,
            body: EventBody::StreamDelta { text: "hi".into() },
        };
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({"type": "stream_delta", "session_id": "s1", "event_seq": 7, "text": "hi"})
        );
        let e = SessionEvent {
            session_id: "s1".into(),
            event_seq: 8,
            body: EventBody::StreamInterrupted {},
        };
        assert_eq!(
            serde_json::to_value(&e).unwrap()["type"],
            "stream_interrupted"
        );
        let s = SessionSummary::from(&Session::new("abc"));
        let v = serde_json::to_value(&s).unwrap();
        assert!(v["created_at"].as_str().unwrap().ends_with('Z'));
        assert_eq!(v["status"], "creating");
        assert_eq!(
            serde_json::to_value(Source::PreWarmed).unwrap(),
            "pre-warmed"
        );
    }
}
