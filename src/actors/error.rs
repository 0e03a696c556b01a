//! [`EngineError`]: every way a request to the session engine can fail. Each variant's
//! text is the one wording a client sees for it; the edge (`src/http/error.rs`) maps each
//! to a stable code and from there to an HTTP status or a WebSocket `error` frame.
//! Causes (CLI and store errors) are logged where they happen and never put in the text.

/// A failed request to the session engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// No session with that id is stored.
    #[error("No session with that id.")]
    NotFound,
    /// The request needs a running session, and this one is not running.
    #[error("No live session with that id.")]
    NotLive,
    /// The session stopped while the request was on its way.
    #[error("This session has just ended. Resume it or start a new session.")]
    Ended,
    /// A message cannot wake it: it failed or was closed (resume it by hand, if it can be).
    #[error("This session has ended. Resume it or start a new session.")]
    NotRunning,
    /// Unknown, destroyed, or otherwise not resumable (this wording is pinned by the API).
    #[error("Session not found or not resumable")]
    NotResumable,
    /// Purge refused: the session has a process, or could get one back (end it first).
    #[error("This session is still running or can be woken. End it first, then delete it.")]
    StillLive,
    #[error("A reply is still being written. Wait for it to finish or stop it first.")]
    QueryInProgress,
    #[error("The session is restarting. Try again in a moment.")]
    Restarting,
    #[error("No permission request with that id is waiting for an answer.")]
    NoSuchPermission,
    #[error(
        "All {max} session slots are in use. Close a session you no longer need, or try again later."
    )]
    AtCapacity { max: usize },
    /// The CLIs' memory is at `MEMORY_BUDGET_MB`, and no idle session or pooled process
    /// could make room.
    #[error(
        "The server's memory budget ({budget_mb} MB) is used by sessions that are busy, so no new session fits. Close a session you no longer need, or try again when a reply has finished."
    )]
    OverMemoryBudget { budget_mb: u64 },
    /// The server is draining: running replies finish, nothing new starts.
    #[error(
        "The server is restarting: replies already being written finish, but it takes no new messages or sessions now. Try again in a minute."
    )]
    ShuttingDown,
    /// One of the user's quotas (its text says which, and when it frees up).
    #[error("{0}")]
    QuotaExceeded(super::quota::Quota),
    #[error(
        "The Claude session could not be started. Try again; if it keeps failing, the server's logs say why."
    )]
    StartFailed,
    /// The store failed (the cause is logged).
    #[error(
        "Something went wrong on the server. Please try again; if it keeps happening, check the server logs."
    )]
    StoreFailed,
    /// The CLI did not accept a model, effort or permission mode (the cause is logged).
    #[error("The session could not switch to that setting; it keeps its previous settings.")]
    OptionRefused,
    /// Worktree isolation asked for a project that is not a git repository.
    #[error(
        "This project is not a git repository, so a session cannot get a worktree of its own there. Start it without isolation, or make the project a git repository."
    )]
    NotGitRepository,
    /// A `@`-mention in the message leads out of the session's directory (the CLI would read
    /// that file): refused before it reaches the CLI.
    #[error(
        "This message mentions a file outside the session's directory (an @-mention with `..`, an absolute path, `~` or a symlink out). Mention files inside it only."
    )]
    MentionOutside,
    /// The engine's actors are not running.
    #[error("The session service is not running. Try again shortly.")]
    Unavailable,
}
