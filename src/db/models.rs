//! Rows of the store and the enums stored as text.

use std::fmt;
use std::str::FromStr;

use chrono::{NaiveDateTime, Utc};
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;
use diesel::sqlite::Sqlite;
use serde::{Deserialize, Serialize};

use super::schema::{messages, sessions};

/// The current time in UTC, to the microsecond (what the store keeps exactly).
pub fn now() -> NaiveDateTime {
    use chrono::Timelike;
    let t = Utc::now().naive_utc();
    t.with_nanosecond(t.nanosecond() / 1_000 * 1_000)
        .unwrap_or(t)
}

/// Implements text storage, `Display` and `FromStr` for a fieldless enum.
macro_rules! text_enum {
    ($name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!(concat!("unknown ", stringify!($name), " {:?}"), other)),
                }
            }
        }

        impl<DB: Backend> ToSql<Text, DB> for $name
        where
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                <str as ToSql<Text, DB>>::to_sql(self.as_str(), out)
            }
        }

        impl<DB: Backend> FromSql<Text, DB> for $name
        where
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let text = <String as FromSql<Text, DB>>::from_sql(bytes)?;
                Ok(text.parse()?)
            }
        }
    };
}

/// The stored status of a session (docs/architecture.md, "Lifecycle").
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    AsExpression,
    FromSqlRow,
    utoipa::ToSchema,
)]
#[diesel(sql_type = Text)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    Creating,
    Active,
    Idle,
    Suspended,
    Failed,
    Terminated,
}

text_enum!(SessionStatus {
    Creating => "creating",
    Active => "active",
    Idle => "idle",
    Suspended => "suspended",
    Failed => "failed",
    Terminated => "terminated",
});

impl SessionStatus {
    /// States in which the session has (or is getting) a live CLI process.
    pub const LIVE: [SessionStatus; 3] = [
        SessionStatus::Creating,
        SessionStatus::Active,
        SessionStatus::Idle,
    ];
}

/// What a persisted message is.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    AsExpression,
    FromSqlRow,
    utoipa::ToSchema,
)]
#[diesel(sql_type = Text)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    User,
    Assistant,
    ToolUse,
    ToolResult,
    Error,
    Notice,
}

text_enum!(MessageKind {
    User => "user",
    Assistant => "assistant",
    ToolUse => "tool_use",
    ToolResult => "tool_result",
    Error => "error",
    Notice => "notice",
});

impl MessageKind {
    /// Whether the message counts in `sessions.message_count` (what a person calls a
    /// message: their own text and the assistant's replies, not tool traffic or notices).
    pub fn counts_as_message(self) -> bool {
        matches!(self, MessageKind::User | MessageKind::Assistant)
    }
}

/// What a user may do: an admin manages users and sees every session; a member only their
/// own sessions.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    AsExpression,
    FromSqlRow,
    utoipa::ToSchema,
)]
#[diesel(sql_type = Text)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Member,
}

text_enum!(Role {
    Admin => "admin",
    Member => "member",
});

/// Why a session was terminated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TerminationReason {
    /// A client destroyed it.
    Destroyed,
    /// It reached `MAX_SESSION_DURATION_SECONDS`.
    DurationLimit,
    /// Its process could not be started or restarted.
    StartFailed,
}

impl TerminationReason {
    pub fn as_str(self) -> &'static str {
        match self {
            TerminationReason::Destroyed => "destroyed",
            TerminationReason::DurationLimit => "duration_limit",
            TerminationReason::StartFailed => "start_failed",
        }
    }

    /// Whether the conversation can be picked up again with `resume_session`.
    pub fn is_resumable(self) -> bool {
        match self {
            TerminationReason::Destroyed => false,
            TerminationReason::DurationLimit | TerminationReason::StartFailed => true,
        }
    }
}

/// One row of `sessions`: exactly the columns of docs/architecture.md, "The store".
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = sessions, check_for_backend(Sqlite, Pg), treat_none_as_null = true)]
pub struct Session {
    pub session_id: String,
    pub user_id: String,
    pub status: SessionStatus,
    pub created_at: NaiveDateTime,
    /// Not in the changeset: an update sets it only to a later time (`Db::save`; PostgreSQL
    /// refuses two assignments to one column).
    #[diesel(skip_update)]
    pub last_active_at: NaiveDateTime,
    pub subprocess_pid: Option<i32>,
    pub message_count: i32,
    pub total_cost_usd: f64,
    pub is_resumable: bool,
    pub terminated_reason: Option<String>,
    /// The conversation controls (see [`crate::protocol::SessionOptions`]).
    pub model: String,
    pub effort: Option<String>,
    pub permission_mode: String,
    /// Where it works (`crate::workspace::session_workspace`); all null for rows from
    /// before projects (the default project, `WORKSPACE_DIR`).
    pub project: Option<String>,
    /// The absolute directory its CLI runs in.
    pub workdir: Option<String>,
    /// `none` or `worktree`.
    pub isolation: Option<String>,
    /// A worktree's branch.
    pub branch: Option<String>,
    /// The commit a worktree branched from (null: a repository without commits).
    pub base_commit: Option<String>,
}

/// The id of the bootstrap admin (the user of `CLAUDE_SDK_PATTERN_API_KEY`): the owner every
/// session of a single-key install was stored with before there were users.
pub const BOOTSTRAP_USER_ID: &str = "default";

impl Session {
    /// A new session row of `user_id` in `creating`, stamped now.
    pub fn new(session_id: impl Into<String>, user_id: impl Into<String>) -> Session {
        let at = now();
        Session {
            session_id: session_id.into(),
            user_id: user_id.into(),
            status: SessionStatus::Creating,
            created_at: at,
            last_active_at: at,
            subprocess_pid: None,
            message_count: 0,
            total_cost_usd: 0.0,
            is_resumable: true,
            terminated_reason: None,
            model: "default".to_string(),
            effort: None,
            permission_mode: "default".to_string(),
            project: None,
            workdir: None,
            isolation: None,
            branch: None,
            base_commit: None,
        }
    }
}

impl Session {
    /// The row's conversation controls.
    pub fn options(&self) -> crate::protocol::SessionOptions {
        crate::protocol::SessionOptions {
            model: self.model.clone(),
            effort: self.effort.clone(),
            permission_mode: self.permission_mode.clone(),
        }
    }

    /// Sets the row's conversation controls.
    pub fn set_options(&mut self, o: &crate::protocol::SessionOptions) {
        self.model = o.model.clone();
        self.effort = o.effort.clone();
        self.permission_mode = o.permission_mode.clone();
    }
}

/// One row of `messages` as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = messages, check_for_backend(Sqlite, Pg))]
pub(super) struct MessageRow {
    pub session_id: String,
    pub seq: i64,
    pub kind: MessageKind,
    pub payload: String,
    pub created_at: NaiveDateTime,
}

/// One persisted message of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    pub session_id: String,
    /// 1, 2, 3… within the session.
    pub seq: i64,
    pub kind: MessageKind,
    pub payload: serde_json::Value,
    pub created_at: NaiveDateTime,
}

impl From<MessageRow> for Message {
    fn from(row: MessageRow) -> Message {
        // The payload was written by us as JSON; a row edited by hand into invalid JSON is
        // shown as the raw text rather than failing the whole history.
        let payload =
            serde_json::from_str(&row.payload).unwrap_or(serde_json::Value::String(row.payload));
        Message {
            session_id: row.session_id,
            seq: row.seq,
            kind: row.kind,
            payload,
            created_at: row.created_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_enums_round_trip() {
        for s in SessionStatus::ALL {
            assert_eq!(s.as_str().parse::<SessionStatus>().unwrap(), *s);
        }
        for k in MessageKind::ALL {
            assert_eq!(k.as_str().parse::<MessageKind>().unwrap(), *k);
        }
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), *r);
        }
        assert!("bogus".parse::<SessionStatus>().is_err());
    }

    #[test]
    fn now_is_whole_microseconds() {
        use chrono::Timelike;
        assert_eq!(now().nanosecond() % 1_000, 0);
    }
}
