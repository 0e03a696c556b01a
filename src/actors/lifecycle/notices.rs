//! What the client is told about its session's lifecycle: each [`Notice`] becomes one
//! session event, with the one wording of each message.

use super::phase::{RestartReason, StopReason};
use crate::protocol::{EventBody, SessionSummary, Source};

/// The notice stored (and shown) when a resume had to start a fresh conversation.
pub const NOT_RESTORED_NOTICE: &str =
    "Previous session could not be restored; this is a fresh conversation.";

/// A lifecycle event for the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// The session's process is ready.
    Ready(Source),
    /// The process is being replaced; the conversation is kept.
    Restarting(RestartReason),
    /// The replacement could not restore the conversation: a fresh one starts.
    NotRestored,
    /// The process stopped (`Shutdown` has no notice: the connection says it).
    Terminated(StopReason),
    /// 90 % of the age limit.
    AgeWarning { remaining_seconds: u64 },
    /// Nobody answered the permission request in time: it was denied.
    PermissionCancelled { request_id: String },
}

impl Notice {
    /// The session event (`session` is the summary `session_ready` carries).
    pub fn body(&self, session: &SessionSummary) -> EventBody {
        match self {
            Notice::Ready(source) => EventBody::SessionReady {
                session: session.clone(),
                source: *source,
            },
            Notice::Restarting(reason) => EventBody::SessionRestarting {
                reason: reason.as_str().into(),
                message: match reason {
                    RestartReason::MemoryLimit => {
                        "Session restarted for performance. Conversation preserved."
                    }
                    RestartReason::Crashed => {
                        "The session's process stopped unexpectedly and is being restarted. \
                         Conversation preserved."
                    }
                    RestartReason::Unresponsive => {
                        "The session's process stopped responding and is being restarted. \
                         Conversation preserved."
                    }
                }
                .into(),
            },
            Notice::NotRestored => EventBody::SessionRestarting {
                reason: "not_restored".into(),
                message: NOT_RESTORED_NOTICE.into(),
            },
            Notice::Terminated(reason) => {
                let (reason, resumable, message) = match reason {
                    StopReason::Destroyed => ("destroyed", false, "The session was closed."),
                    StopReason::DurationLimit => (
                        "duration_limit",
                        true,
                        "The session reached its maximum age and was closed. Your conversation \
                         is kept: resume it or start a new session.",
                    ),
                    StopReason::MemoryBudget => (
                        "memory_budget",
                        true,
                        "The session was paused to free memory for other sessions. Send a \
                         message to continue; your conversation is kept.",
                    ),
                    StopReason::Idle => (
                        "idle",
                        true,
                        "The session was paused after a period of inactivity. Send a message to \
                         pick it up where you left off.",
                    ),
                    StopReason::Failed => (
                        "failed",
                        true,
                        "The session kept stopping unexpectedly and was halted. Your \
                         conversation is kept: resume it to try again.",
                    ),
                    StopReason::Shutdown => (
                        "shutdown",
                        true,
                        "The server is restarting. Your sessions are kept.",
                    ),
                };
                EventBody::SessionTerminated {
                    reason: reason.into(),
                    resumable,
                    message: message.into(),
                }
            }
            Notice::AgeWarning { remaining_seconds } => EventBody::SessionWarning {
                kind: "duration".into(),
                remaining_seconds: *remaining_seconds,
            },
            Notice::PermissionCancelled { request_id } => EventBody::PermissionCancelled {
                request_id: request_id.clone(),
            },
        }
    }
}
