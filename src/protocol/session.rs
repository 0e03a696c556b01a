//! What frames and REST bodies say about a session: its summary, where its process came
//! from, and its stored messages (one type for `session_history` and
//! `GET /api/v1/sessions/{id}/messages`).

use chrono::NaiveDateTime;
use serde::Serialize;
use serde_json::Value;

use crate::db::{Message, MessageKind, Session, SessionStatus};
use crate::session_id::SessionId;

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

/// A session as listed to clients.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SessionSummary {
    #[schema(value_type = String)]
    pub session_id: SessionId,
    /// The owner: the user who created it.
    pub user_id: String,
    /// The owner's name, in what admins are sent (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
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
    /// The session's model (one of `MODELS`; `default` for sessions from before models
    /// could be chosen).
    pub model: String,
    /// Its effort level; null: the CLI's default.
    pub effort: Option<String>,
    /// Its permission mode.
    pub permission_mode: String,
    /// Its project (null: the default project, for sessions from before projects).
    pub project: Option<String>,
    /// `worktree` when it works in a git worktree of its own (absent: the project's
    /// directory).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub isolation: Option<crate::workspace::Isolation>,
    /// Its worktree's branch (worktree sessions only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
}

impl SessionSummary {
    /// The session's conversation controls.
    pub fn options(&self) -> super::SessionOptions {
        super::SessionOptions {
            model: self.model.clone(),
            effort: self.effort.clone(),
            permission_mode: self.permission_mode.clone(),
        }
    }

    pub fn set_options(&mut self, o: &super::SessionOptions) {
        self.model = o.model.clone();
        self.effort = o.effort.clone();
        self.permission_mode = o.permission_mode.clone();
    }
}

/// A session as the list and its search show it: the summary, and what a person knows it by
/// (docs/protocol.md, "Finding sessions"). Frames about one session (`session_ready`, …)
/// carry only the [`SessionSummary`]; a client keeps the title it has.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ListedSession {
    #[serde(flatten)]
    pub summary: SessionSummary,
    /// From the first user message (about 60 characters) or a rename; null before the first
    /// message.
    pub title: Option<String>,
    /// The start of the last user or assistant message (up to 140 characters), or null.
    pub preview: Option<String>,
    /// Archived: hidden from the default list (`status=archived` lists them).
    pub archived: bool,
    /// The session this one was forked from, if it is a fork.
    #[schema(value_type = Option<String>)]
    pub forked_from: Option<SessionId>,
}

impl From<&crate::db::Listed> for ListedSession {
    fn from(l: &crate::db::Listed) -> ListedSession {
        ListedSession {
            summary: SessionSummary::from(&l.session),
            title: l.details.title.clone(),
            preview: l.details.preview.clone(),
            archived: l.details.archived_at.is_some(),
            forked_from: l.details.forked_from.as_deref().map(SessionId::from_stored),
        }
    }
}

/// Timestamps go out as RFC 3339 UTC with microseconds (`2026-11-24T20:00:00.123456Z`).
pub fn utc<S: serde::Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(
        &t.and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
    )
}

/// As [`utc`], for a time that may be absent (`null`).
pub fn utc_opt<S: serde::Serializer>(t: &Option<NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => utc(t, s),
        None => s.serialize_none(),
    }
}

impl From<&Session> for SessionSummary {
    fn from(s: &Session) -> SessionSummary {
        SessionSummary {
            session_id: SessionId::from_stored(&s.session_id),
            user_id: s.user_id.clone(),
            user_name: None,
            status: s.status,
            created_at: s.created_at,
            last_active_at: s.last_active_at,
            message_count: s.message_count,
            total_cost_usd: s.total_cost_usd,
            is_resumable: s.is_resumable,
            model: s.model.clone(),
            effort: s.effort.clone(),
            permission_mode: s.permission_mode.clone(),
            project: s.project.clone(),
            isolation: s
                .isolation
                .as_deref()
                .and_then(crate::workspace::Isolation::parse)
                .filter(|i| *i == crate::workspace::Isolation::Worktree),
            branch: s.branch.clone(),
        }
    }
}

/// One stored message of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct HistoryMessage {
    /// 1, 2, 3… within the session.
    pub seq: i64,
    pub kind: MessageKind,
    /// The message as stored (text, tool call, tool result, …).
    #[schema(value_type = Object)]
    pub payload: Value,
    #[serde(serialize_with = "utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

impl From<Message> for HistoryMessage {
    fn from(m: Message) -> HistoryMessage {
        HistoryMessage {
            seq: m.seq,
            kind: m.kind,
            payload: m.payload,
            created_at: m.created_at,
        }
    }
}
