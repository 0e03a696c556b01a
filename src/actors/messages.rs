//! The typed messages between the actors (one struct per message, named fields).

use actix::prelude::*;

use super::EngineError;
use crate::protocol::{SessionEvent, SessionSummary, Source};
use crate::session_id::SessionId;
use crate::users::Caller;

// ---- to a session (most come through the supervisor) ----

/// Start a turn with the user's text. `client_seq` is echoed in `message_received`.
#[derive(Message, Debug)]
#[rtype(result = "Result<Took, EngineError>")]
pub struct Query {
    pub text: String,
    pub client_seq: u64,
    /// Validated images sent with the text.
    pub attachments: Vec<crate::protocol::Attachment>,
    /// The sender's connection, which views the session: when the session has no
    /// subscriber (its process was woken for this message, after the one the connection
    /// watched was suspended), the turn's events go to it.
    pub subscriber: Option<Recipient<SessionEvent>>,
}

/// What a session did with a [`Query`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Took {
    /// The turn started.
    Started,
    /// The session is being suspended (idle, memory budget): send the message again once
    /// it is; that wakes it.
    Deferred,
}

/// Interrupt the running turn (no-op when idle).
#[derive(Message, Debug)]
#[rtype(result = "Result<(), EngineError>")]
pub struct Interrupt;

/// The client's answer to a permission request.
#[derive(Message, Debug, Default)]
#[rtype(result = "Result<(), EngineError>")]
pub struct AnswerPermission {
    pub request_id: String,
    pub allow: bool,
    pub message: Option<String>,
    /// "Allow for this session" (only with `allow`).
    pub remember: bool,
    /// With `allow`: continue in this permission mode (an approved plan; validated by the
    /// caller). The client then hears `session_options`.
    pub mode: Option<String>,
}

/// Drop a rule "Allow for this session" granted; the CLI asks again.
#[derive(Message, Debug)]
#[rtype(result = "Result<(), EngineError>")]
pub struct RevokePermission {
    pub rule: String,
}

/// Receive this session's events from now on, after a replay of the current turn's events
/// with `event_seq > after_seq`. A previous subscriber gets `session_opened_elsewhere`.
#[derive(Message)]
#[rtype(result = "Subscribed")]
pub struct Subscribe {
    pub subscriber: Recipient<SessionEvent>,
    pub after_seq: u64,
}

/// What a subscriber learns when it subscribes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscribed {
    /// The last event_seq of the session so far.
    pub last_event_seq: u64,
    /// A turn is running.
    pub turn_running: bool,
    /// When the turn whose events are kept for replay started: stored messages from then
    /// on belong to it and come as replayed events, not as history.
    pub replay_since: Option<chrono::NaiveDateTime>,
}

/// Stop receiving events (only if `subscriber` is the current one).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Unsubscribe {
    pub subscriber: Recipient<SessionEvent>,
}

/// What the supervisor asks a session to stop for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopRequest {
    /// A client destroyed it: terminated, not resumable.
    Destroy,
    /// The server is shutting down: suspended; a running turn may finish until `deadline`.
    Shutdown { deadline: std::time::Instant },
}

/// Stop the session's process and the actor; resolves once both are gone.
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub struct StopSession {
    pub request: StopRequest,
}

/// The session's process tree is over the memory limit (the lifecycle decides whether and
/// when it restarts).
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub struct OverMemory;

/// A snapshot for the monitor and the API.
#[derive(Message, Debug)]
#[rtype(result = "SessionState")]
pub struct GetState;

#[derive(Debug, Clone)]
pub struct SessionState {
    pub pid: Option<i32>,
    pub turn_running: bool,
    pub restarting: bool,
}

// ---- from a session to the supervisor ----

/// The session began stopping: route nothing more to it (it still holds its slot until
/// [`SessionGone`]).
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub struct SessionStopping {
    pub session_id: SessionId,
}

/// The session actor stopped (every stop path sends this, from `stopped()`).
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub struct SessionGone {
    pub session_id: SessionId,
    /// Its last `event_seq`, where the session's next actor goes on counting (`None`: it
    /// was destroyed, nothing follows).
    pub last_event_seq: Option<u64>,
}

// ---- to the supervisor ----

/// Create a session of `owner`: from the pool if it has a process, else a cold spawn.
#[derive(Message, Debug, Default)]
#[rtype(result = "Result<Created, EngineError>")]
pub struct CreateSession {
    pub owner: String,
    /// The owner's live-session quota.
    pub max_live: Option<usize>,
    /// The conversation controls asked for (validated by the caller); unset: defaults.
    pub options: crate::protocol::OptionsChange,
    /// The project (resolved by the caller) and isolation; unset: the default project with
    /// `DEFAULT_ISOLATION`.
    pub placement: Option<super::placing::Placement>,
}

#[derive(Debug, Clone)]
pub struct Created {
    pub session: SessionSummary,
    pub source: Source,
}

/// Resume a suspended, failed or resumable-terminated session (no-op for a live one).
/// Only its owner may; to anyone else it does not exist.
#[derive(Message, Debug)]
#[rtype(result = "Result<Created, EngineError>")]
pub struct ResumeSession {
    pub session_id: SessionId,
    pub caller: Caller,
    /// The caller's live-session quota.
    pub max_live: Option<usize>,
}

/// Destroy a session: stop its process, mark it terminated. Its owner and admins may; to
/// anyone else it does not exist.
#[derive(Message, Debug)]
#[rtype(result = "Result<(), EngineError>")]
pub struct DestroySession {
    pub session_id: SessionId,
    pub caller: Caller,
}

/// The live session with this id, resuming it first if it is suspended.
#[derive(Message, Debug)]
#[rtype(result = "Result<Addr<crate::actors::session::SessionActor>, EngineError>")]
pub struct GetSession {
    pub session_id: SessionId,
    /// Resume a suspended session transparently.
    pub wake: bool,
    /// Who asks: only the session's owner finds it (None: the server itself).
    pub caller: Option<Caller>,
    /// The caller's live-session quota (for a wake).
    pub max_live: Option<usize>,
}

/// A session's process tree is over the memory limit.
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub struct MemoryExceeded {
    pub session_id: SessionId,
    pub rss_mb: u64,
}

/// How many sessions are live, and the limit.
#[derive(Message, Debug)]
#[rtype(result = "Capacity")]
pub struct GetCapacity;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    pub live: usize,
    pub max: usize,
}

/// How many sessions each user holds (live, starting or stopping).
#[derive(Message, Debug)]
#[rtype(result = "std::collections::HashMap<String, usize>")]
pub struct LiveByUser;

/// Stop every session (server shutdown): running turns may finish until `deadline` (then
/// they are cut); no session is created, resumed or woken any more. Resolves once every
/// session has stopped. Sent again with an earlier deadline, it cuts the wait short.
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub struct Shutdown {
    pub deadline: std::time::Instant,
}
