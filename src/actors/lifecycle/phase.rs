//! The vocabulary of a session's lifecycle: its phases, the events that happen to it, the
//! effects the actors carry out, and the limits the rules read.

use std::time::{Duration, Instant};

use super::notices::Notice;
use crate::actors::EngineError;
use crate::db::{SessionStatus, TerminationReason};
use crate::protocol::Source;

/// A running turn gets this long to finish before a drain's action happens anyway (the
/// shutdown drain has its own deadline: `SHUTDOWN_GRACE_SECONDS`).
pub const TURN_GRACE: Duration = Duration::from_secs(30);
/// A cut turn's interrupt must end it within this (the CLI answers in well under a second);
/// past it the process is given up on.
pub const INTERRUPT_WAIT: Duration = Duration::from_secs(2);
/// A process woken for its user (a message, opening the session) is not suspended for the
/// memory budget before its first turn ends, or this long after its start.
pub const WAKE_HOLD: Duration = Duration::from_secs(30);
/// Crash restarts allowed per [`CRASH_WINDOW`]; one more crash and the session is `failed`.
pub const CRASH_BUDGET: usize = 3;
pub const CRASH_WINDOW: Duration = Duration::from_secs(60);

/// When the age warning (90 %) and the age limit fall, from the process's start.
pub fn age_schedule(max_age: Duration) -> (Duration, Duration) {
    (max_age.mul_f64(0.9), max_age)
}

/// The settings the rules read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `SESSION_IDLE_TIMEOUT_SECONDS`: no activity this long → `idle`.
    pub idle_after: Duration,
    /// `IDLE_GRACE_SECONDS`: idle this much longer → suspended.
    pub idle_grace: Duration,
    /// `MAX_SESSION_DURATION_SECONDS`.
    pub max_age: Duration,
}

/// Where a turn is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TurnState {
    /// No turn runs. `marked`: stored as `idle` (no activity for the idle timeout).
    Idle { marked: bool },
    /// A turn runs.
    Querying,
    /// A turn runs and waits for the answer to a permission request.
    WaitingPermission { request_id: String },
    /// The server cut the turn: the CLI was told to interrupt it, and its end is awaited
    /// until `deadline`.
    Interrupting { cut: Cut, deadline: Instant },
}

/// Why the server cut a turn short (the turn's end is then reported as this, not as an
/// interrupt by the user).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// Nothing came from the CLI for `TURN_STALL_SECONDS`.
    Stalled,
    /// The shutdown's grace period is over.
    Shutdown,
}

/// Why a session's process is replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestartReason {
    MemoryLimit,
    Crashed,
    /// A cut turn did not end within [`INTERRUPT_WAIT`]: the process stopped answering.
    Unresponsive,
}

impl RestartReason {
    pub fn as_str(self) -> &'static str {
        match self {
            RestartReason::MemoryLimit => "memory_limit",
            RestartReason::Crashed => "crashed",
            RestartReason::Unresponsive => "unresponsive",
        }
    }
}

/// Why a session's process is stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// A client destroyed it: terminated, not resumable.
    Destroyed,
    /// It reached `MAX_SESSION_DURATION_SECONDS`: terminated, resumable.
    DurationLimit,
    /// Idle past the grace period: suspended, woken by the next message.
    Idle,
    /// The server is shutting down: suspended.
    Shutdown,
    /// Its process kept crashing, or could not be restarted: failed, resumable by hand.
    Failed,
    /// Idle, and its memory was needed to stay under `MEMORY_BUDGET_MB`: suspended, woken
    /// by the next message.
    MemoryBudget,
}

/// The action a drain ends in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pending {
    Restart(RestartReason),
    Stop(StopReason),
}

/// What a launch starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaunchKind {
    /// A new conversation (from the pool, else a cold spawn).
    New,
    /// The session's conversation with `--resume` (resume, wake, restart).
    Resume,
}

/// Where a session is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// No such session (not created yet, or its creation failed).
    Absent,
    /// A process is being launched for it (create, resume, wake); `from` is where a failed
    /// launch leaves it.
    Starting { from: Box<Phase> },
    /// Its process is ready.
    Running { turn: TurnState },
    /// A turn runs; once it ends (or at `deadline`), `then` happens.
    Draining {
        turn: TurnState,
        then: Pending,
        deadline: Instant,
    },
    /// A replacement process is being launched (the conversation is kept).
    Restarting { reason: RestartReason },
    /// Its process is being stopped; the actor ends after.
    Stopping { reason: StopReason },
    /// No process; the next message wakes it.
    Suspended,
    /// No process; resumable by hand.
    Failed,
    /// Terminated (destroyed, or closed at its age limit).
    Ended { resumable: bool },
}

impl Phase {
    /// A live actor holds the session (it has, or is getting, a process).
    pub fn is_live(&self) -> bool {
        matches!(
            self,
            Phase::Running { .. } | Phase::Draining { .. } | Phase::Restarting { .. }
        )
    }

    /// The turn state, in a phase that has one.
    pub fn turn(&self) -> Option<&TurnState> {
        match self {
            Phase::Running { turn } | Phase::Draining { turn, .. } => Some(turn),
            _ => None,
        }
    }

    /// A turn runs.
    pub fn turn_running(&self) -> bool {
        match self {
            Phase::Running { turn } => !matches!(turn, TurnState::Idle { .. }),
            Phase::Draining { .. } => true,
            _ => false,
        }
    }

    /// The id of the permission request waiting for an answer, if any.
    pub fn pending_permission(&self) -> Option<&str> {
        pending(self).map(String::as_str)
    }

    /// The phase a stored session is in when no actor holds it.
    pub fn stored(status: SessionStatus, is_resumable: bool) -> Phase {
        match status {
            SessionStatus::Suspended => Phase::Suspended,
            SessionStatus::Terminated => Phase::Ended {
                resumable: is_resumable,
            },
            // `creating`/`active`/`idle` without an actor: left live by a run that died
            // (start-up recovery suspends those first). Like a failed session: resumable
            // by hand, not woken by a message.
            SessionStatus::Failed
            | SessionStatus::Creating
            | SessionStatus::Active
            | SessionStatus::Idle => Phase::Failed,
        }
    }
}

/// What happens to a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A new session is asked for.
    Create,
    /// The launch succeeded; `lost`: the transcript could not be restored (fresh start).
    Launched {
        source: Source,
        lost: bool,
    },
    /// The launch failed (the cause is logged where it happened).
    LaunchFailed,
    /// A user message.
    Query,
    /// The running turn ended (result, error or interrupt).
    TurnEnded,
    /// The CLI asks for a permission.
    PermissionOpened {
        request_id: String,
    },
    /// The CLI withdrew its request.
    PermissionWithdrawn {
        request_id: String,
    },
    /// The client answered a permission request.
    PermissionAnswered {
        request_id: String,
    },
    /// The permission timer fired.
    PermissionTimedOut {
        request_id: String,
    },
    /// A client subscribed / the subscriber left.
    Subscribed,
    Unsubscribed,
    /// The periodic idleness check.
    Tick,
    /// 90 % of the age limit / the age limit.
    AgeWarning,
    AgeLimit,
    /// The process tree is over the memory limit.
    MemoryExceeded,
    /// The process exited without being asked to.
    Crashed,
    /// The CLIs' total memory is over `MEMORY_BUDGET_MB` (or a create needs room): an
    /// idle session gives up its process (suspended); any other phase keeps it.
    Reclaim,
    /// A drain's grace period is over (the deadline it was armed for).
    DrainDeadline {
        deadline: Instant,
    },
    /// The turn was silent for `TURN_STALL_SECONDS` (the actor's stall watch).
    Stalled,
    /// A cut turn's interrupt had until `deadline` to end it.
    InterruptDeadline {
        deadline: Instant,
    },
    Destroy,
    /// The server is stopping: running turns may finish until `deadline`.
    Shutdown {
        deadline: Instant,
    },
    /// Resume by hand.
    Resume,
    /// A message (or subscription) to a session that may be suspended.
    Wake,
    /// The process is gone; the actor ends.
    Stopped,
}

/// What the actors carry out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Accept the message: start the turn.
    StartTurn,
    /// Answer the request with this error.
    Refuse(EngineError),
    /// Send this session event to the client.
    Notify(Notice),
    /// Store this status (with the live process's pid, if any).
    SetStatus(SessionStatus),
    /// Store the session as terminated.
    Terminate(TerminationReason),
    /// Store the notice that the earlier conversation could not be restored.
    RecordNotRestored,
    /// Deny the pending permission with nobody connected after the timeout / cancel that.
    ArmPermissionTimer,
    CancelPermissionTimer,
    /// Deny the request (nobody answered in time).
    DenyPermission {
        request_id: String,
    },
    /// Pass the client's answer to the CLI.
    ForwardAnswer,
    /// Send [`Event::DrainDeadline`] at this instant.
    ArmDrainDeadline {
        deadline: Instant,
    },
    /// End the running turn as crashed, or as its cut if it was cut (what streamed is kept).
    AbandonTurn,
    /// Interrupt the running turn (a control request to the CLI); its end is reported as
    /// this cut.
    CutTurn(Cut),
    /// Send [`Event::InterruptDeadline`] at this instant.
    ArmInterruptDeadline {
        deadline: Instant,
    },
    /// Launch a process (the result comes back as `Launched` / `LaunchFailed`).
    Launch(LaunchKind),
    /// The launched process replaces the current one (which is stopped).
    SwapProcess,
    /// A launch finished after the session began stopping: stop that process.
    DiscardLaunched,
    /// Stop the process (stdin, TERM, KILL), flush the store; `Stopped` follows.
    StopProcess,
    /// The phase is on its way to another: wait for that, then ask again.
    Defer,
}

// ---- small rules shared by the machine's arms ----

pub(super) fn idle() -> TurnState {
    TurnState::Idle { marked: false }
}

pub(super) fn starting(from: Phase) -> Phase {
    Phase::Starting {
        from: Box::new(from),
    }
}

pub(super) fn is_turn(turn: &TurnState) -> bool {
    !matches!(turn, TurnState::Idle { .. })
}

/// A turn the server has not cut (it may still ask for permissions).
pub(super) fn uncut(turn: &TurnState) -> bool {
    matches!(
        turn,
        TurnState::Querying | TurnState::WaitingPermission { .. }
    )
}

/// `turn` cut for `cut`: interrupted, its end awaited for [`INTERRUPT_WAIT`].
pub(super) fn cut_turn(cut: Cut, now: Instant) -> (TurnState, Vec<Effect>) {
    let deadline = now + INTERRUPT_WAIT;
    (
        TurnState::Interrupting { cut, deadline },
        vec![
            Effect::CutTurn(cut),
            Effect::ArmInterruptDeadline { deadline },
        ],
    )
}

/// The pending permission request of a phase, if any.
pub(super) fn pending(p: &Phase) -> Option<&String> {
    match p {
        Phase::Running {
            turn: TurnState::WaitingPermission { request_id },
        }
        | Phase::Draining {
            turn: TurnState::WaitingPermission { request_id },
            ..
        } => Some(request_id),
        _ => None,
    }
}

pub(super) fn waiting(p: &Phase) -> bool {
    pending(p).is_some()
}

pub(super) fn without_permission(p: Phase) -> Phase {
    match p {
        Phase::Running { .. } => Phase::Running {
            turn: TurnState::Querying,
        },
        Phase::Draining { then, deadline, .. } => Phase::Draining {
            turn: TurnState::Querying,
            then,
            deadline,
        },
        other => other,
    }
}

pub(super) fn cancel_if_waiting(turn: &TurnState) -> Vec<Effect> {
    match turn {
        TurnState::WaitingPermission { .. } => vec![Effect::CancelPermissionTimer],
        _ => vec![],
    }
}

pub(super) fn cancel_if_waiting_phase(p: &Phase) -> Vec<Effect> {
    if waiting(p) {
        vec![Effect::CancelPermissionTimer]
    } else {
        vec![]
    }
}

/// What a drain ends in.
pub(super) fn carry_out(then: Pending) -> (Phase, Vec<Effect>) {
    match then {
        Pending::Restart(reason) => (
            Phase::Restarting { reason },
            vec![Effect::Launch(LaunchKind::Resume)],
        ),
        Pending::Stop(reason) => stop(reason),
    }
}

/// Stopping for `reason`: what is stored, what the client is told, then the process stops.
pub(super) fn stop(reason: StopReason) -> (Phase, Vec<Effect>) {
    use Effect::*;
    let fx = match reason {
        StopReason::Destroyed => vec![
            Terminate(TerminationReason::Destroyed),
            Notify(Notice::Terminated(reason)),
            StopProcess,
        ],
        StopReason::DurationLimit => vec![
            Terminate(TerminationReason::DurationLimit),
            Notify(Notice::Terminated(reason)),
            StopProcess,
        ],
        StopReason::Idle => vec![
            SetStatus(SessionStatus::Suspended),
            Notify(Notice::Terminated(reason)),
            StopProcess,
        ],
        // Clients hear `server_shutting_down` from their connection instead.
        StopReason::Shutdown => vec![SetStatus(SessionStatus::Suspended), StopProcess],
        StopReason::Failed => vec![
            Notify(Notice::Terminated(reason)),
            SetStatus(SessionStatus::Failed),
            StopProcess,
        ],
        StopReason::MemoryBudget => vec![
            SetStatus(SessionStatus::Suspended),
            Notify(Notice::Terminated(reason)),
            StopProcess,
        ],
    };
    (Phase::Stopping { reason }, fx)
}

/// Where a stop leaves the session.
pub(super) fn stopped_phase(reason: StopReason) -> Phase {
    match reason {
        StopReason::Destroyed => Phase::Ended { resumable: false },
        StopReason::DurationLimit => Phase::Ended { resumable: true },
        StopReason::Idle | StopReason::Shutdown | StopReason::MemoryBudget => Phase::Suspended,
        StopReason::Failed => Phase::Failed,
    }
}
