//! A session's lifecycle as one pure state machine: `(phase, event) → (phase, effects)`.
//!
//! Every rule about how a session lives is here — starting, a turn and its permission
//! request, draining a turn before an action, memory and age limits, idleness, the crash
//! budget, destroy, shutdown, resume and wake — as data in, decision out: no actor, no
//! clock (time comes in as values), no I/O. The session actor and the supervisor feed it
//! events and carry out the [`Effect`]s it returns; `tests.rs` checks every (phase, event)
//! pair against a table, and docs/architecture.md's lifecycle diagram is generated from it.
//!
//! Adding a rule is one event (and its rows): e.g. the drain on SIGTERM is `Shutdown` (with
//! its deadline), a refusal of new messages while that drain runs, and at the deadline a
//! cut of the turn (`Interrupting`: the CLI is told to interrupt it, its end is awaited
//! until `InterruptDeadline`); a turn silent for `TURN_STALL_SECONDS` is `Stalled`, cut the
//! same way.

mod machine;
mod notices;
mod phase;
#[cfg(test)]
mod table;
#[cfg(test)]
mod tests;

pub use machine::Lifecycle;
pub use notices::{Notice, NOT_RESTORED_NOTICE};
pub use phase::{
    age_schedule, Cut, Effect, Event, LaunchKind, Limits, Pending, Phase, RestartReason,
    StopReason, TurnState, CRASH_BUDGET, CRASH_WINDOW, INTERRUPT_WAIT, TURN_GRACE, WAKE_HOLD,
};
