//! The lifecycle table: one sample phase of each kind, one sample event of each kind, and
//! the rows that say, for every (phase, event) pair, what happens — the next phase and the
//! effects, or why the pair cannot happen. `tests.rs` checks the machine against it and
//! writes its reachable rows into docs/architecture.md.

use std::time::{Duration, Instant};

use super::notices::Notice;
use super::phase::*;
use crate::protocol::Source;

pub(super) const LIMITS: Limits = Limits {
    idle_after: Duration::from_secs(10),
    idle_grace: Duration::from_secs(5),
    max_age: Duration::from_secs(100),
};

/// The instant every sample starts from, and the one events happen at (past the idle
/// timeout and its grace).
pub(super) fn t0() -> Instant {
    use std::sync::OnceLock;
    static T0: OnceLock<Instant> = OnceLock::new();
    *T0.get_or_init(Instant::now)
}
pub(super) fn now() -> Instant {
    t0() + Duration::from_secs(20)
}
/// The deadline of the sample drains.
pub(super) fn deadline() -> Instant {
    t0() + Duration::from_secs(5)
}
/// The interrupt deadline of the sample cut turns.
pub(super) fn cut_deadline() -> Instant {
    t0() + Duration::from_secs(6)
}
/// The deadline the sample shutdown gives running turns.
pub(super) fn shutdown_deadline() -> Instant {
    t0() + Duration::from_secs(45)
}

pub(super) fn interrupting(cut: Cut) -> TurnState {
    TurnState::Interrupting {
        cut,
        deadline: cut_deadline(),
    }
}

pub(super) fn waiting(id: &str) -> TurnState {
    TurnState::WaitingPermission {
        request_id: id.into(),
    }
}

/// One phase of each kind (turn states and drains both ways).
pub(super) fn phases() -> Vec<Phase> {
    vec![
        Phase::Absent,
        Phase::Starting {
            from: Box::new(Phase::Suspended),
        },
        Phase::Running {
            turn: TurnState::Idle { marked: false },
        },
        Phase::Running {
            turn: TurnState::Idle { marked: true },
        },
        Phase::Running {
            turn: TurnState::Querying,
        },
        Phase::Running {
            turn: waiting("r1"),
        },
        Phase::Running {
            turn: interrupting(Cut::Stalled),
        },
        Phase::Draining {
            turn: TurnState::Querying,
            then: Pending::Restart(RestartReason::MemoryLimit),
            deadline: deadline(),
        },
        Phase::Draining {
            turn: TurnState::Querying,
            then: Pending::Stop(StopReason::Shutdown),
            deadline: deadline(),
        },
        Phase::Draining {
            turn: waiting("r1"),
            then: Pending::Stop(StopReason::Shutdown),
            deadline: deadline(),
        },
        Phase::Draining {
            turn: interrupting(Cut::Shutdown),
            then: Pending::Stop(StopReason::Shutdown),
            deadline: deadline(),
        },
        Phase::Restarting {
            reason: RestartReason::Crashed,
        },
        Phase::Stopping {
            reason: StopReason::Idle,
        },
        Phase::Stopping {
            reason: StopReason::Shutdown,
        },
        Phase::Stopping {
            reason: StopReason::DurationLimit,
        },
        Phase::Stopping {
            reason: StopReason::Destroyed,
        },
        Phase::Stopping {
            reason: StopReason::Failed,
        },
        Phase::Stopping {
            reason: StopReason::MemoryBudget,
        },
        Phase::Suspended,
        Phase::Failed,
        Phase::Ended { resumable: true },
        Phase::Ended { resumable: false },
    ]
}

/// One event of each kind.
pub(super) fn events() -> Vec<Event> {
    let r = |id: &str| id.to_string();
    vec![
        Event::Create,
        Event::Launched {
            source: Source::Resumed,
            lost: false,
        },
        Event::LaunchFailed,
        Event::Query,
        Event::TurnEnded,
        Event::PermissionOpened {
            request_id: r("r2"),
        },
        Event::PermissionWithdrawn {
            request_id: r("r1"),
        },
        Event::PermissionAnswered {
            request_id: r("r1"),
        },
        Event::PermissionTimedOut {
            request_id: r("r1"),
        },
        Event::Subscribed,
        Event::Unsubscribed,
        Event::Tick,
        Event::AgeWarning,
        Event::AgeLimit,
        Event::MemoryExceeded,
        Event::Crashed,
        Event::Reclaim,
        Event::Stalled,
        Event::InterruptDeadline {
            deadline: cut_deadline(),
        },
        Event::DrainDeadline {
            deadline: deadline(),
        },
        Event::Destroy,
        Event::Shutdown {
            deadline: shutdown_deadline(),
        },
        Event::Resume,
        Event::Wake,
        Event::Stopped,
    ]
}

pub(super) fn stop_name(r: StopReason) -> &'static str {
    match r {
        StopReason::Destroyed => "destroyed",
        StopReason::DurationLimit => "age",
        StopReason::Idle => "idle",
        StopReason::Shutdown => "shutdown",
        StopReason::Failed => "failed",
        StopReason::MemoryBudget => "budget",
    }
}

pub(super) fn restart_name(r: RestartReason) -> &'static str {
    match r {
        RestartReason::MemoryLimit => "memory",
        RestartReason::Crashed => "crash",
        RestartReason::Unresponsive => "unresponsive",
    }
}

pub(super) fn cut_name(c: Cut) -> &'static str {
    match c {
        Cut::Stalled => "stalled",
        Cut::Shutdown => "shutdown",
    }
}

pub(super) fn phase_name(p: &Phase) -> String {
    let turn = |t: &TurnState| match t {
        TurnState::Idle { .. } => "idle".to_string(),
        TurnState::Querying => "querying".to_string(),
        TurnState::WaitingPermission { .. } => "waiting".to_string(),
        TurnState::Interrupting { cut, .. } => format!("interrupting, {}", cut_name(*cut)),
    };
    match p {
        Phase::Absent => "absent".into(),
        Phase::Starting { .. } => "starting".into(),
        Phase::Running {
            turn: TurnState::Idle { marked: false },
        } => "ready".into(),
        Phase::Running {
            turn: TurnState::Idle { marked: true },
        } => "ready, marked idle".into(),
        Phase::Running {
            turn: TurnState::Querying,
        } => "querying".into(),
        Phase::Running {
            turn: TurnState::WaitingPermission { .. },
        } => "waiting for permission".into(),
        Phase::Running {
            turn: TurnState::Interrupting { cut, .. },
        } => format!("interrupting ({})", cut_name(*cut)),
        Phase::Draining { turn: t, then, .. } => match then {
            Pending::Restart(r) => {
                format!("draining ({}) then restart ({})", turn(t), restart_name(*r))
            }
            Pending::Stop(r) => format!("draining ({}) then stop ({})", turn(t), stop_name(*r)),
        },
        Phase::Restarting { reason } => format!("restarting ({})", restart_name(*reason)),
        Phase::Stopping { reason } => format!("stopping ({})", stop_name(*reason)),
        Phase::Suspended => "suspended".into(),
        Phase::Failed => "failed".into(),
        Phase::Ended { resumable: true } => "ended (resumable)".into(),
        Phase::Ended { resumable: false } => "ended (destroyed)".into(),
    }
}

pub(super) fn event_name(e: &Event) -> &'static str {
    match e {
        Event::Create => "create",
        Event::Launched { .. } => "launched",
        Event::LaunchFailed => "launch failed",
        Event::Query => "query",
        Event::TurnEnded => "turn ended",
        Event::PermissionOpened { .. } => "permission opened",
        Event::PermissionWithdrawn { .. } => "permission withdrawn",
        Event::PermissionAnswered { .. } => "permission answered",
        Event::PermissionTimedOut { .. } => "permission timed out",
        Event::Subscribed => "subscribed",
        Event::Unsubscribed => "unsubscribed",
        Event::Tick => "tick",
        Event::AgeWarning => "age warning",
        Event::AgeLimit => "age limit",
        Event::MemoryExceeded => "memory exceeded",
        Event::Crashed => "crashed",
        Event::Reclaim => "reclaim",
        Event::DrainDeadline { .. } => "drain deadline",
        Event::Stalled => "stalled",
        Event::InterruptDeadline { .. } => "interrupt deadline",
        Event::Destroy => "destroy",
        Event::Shutdown { .. } => "shutdown",
        Event::Resume => "resume",
        Event::Wake => "wake",
        Event::Stopped => "stopped",
    }
}

pub(super) fn effect_name(e: &Effect) -> String {
    match e {
        Effect::StartTurn => "start turn".into(),
        Effect::Refuse(e) => format!("refuse {e:?}"),
        Effect::Notify(n) => match n {
            Notice::Ready(_) => "notify ready".into(),
            Notice::Restarting(r) => format!("notify restarting ({})", restart_name(*r)),
            Notice::NotRestored => "notify not restored".into(),
            Notice::Terminated(r) => format!("notify terminated ({})", stop_name(*r)),
            Notice::AgeWarning { .. } => "notify age warning".into(),
            Notice::PermissionCancelled { .. } => "notify permission cancelled".into(),
        },
        Effect::SetStatus(s) => format!("status {s}"),
        Effect::Terminate(r) => format!("terminate {}", r.as_str()),
        Effect::RecordNotRestored => "record not restored".into(),
        Effect::ArmPermissionTimer => "arm permission timer".into(),
        Effect::CancelPermissionTimer => "cancel permission timer".into(),
        Effect::DenyPermission { .. } => "deny permission".into(),
        Effect::ForwardAnswer => "forward answer".into(),
        Effect::ArmDrainDeadline { .. } => "arm drain deadline".into(),
        Effect::AbandonTurn => "abandon turn".into(),
        Effect::CutTurn(c) => format!("cut turn ({})", cut_name(*c)),
        Effect::ArmInterruptDeadline { .. } => "arm interrupt deadline".into(),
        Effect::Launch(LaunchKind::New) => "launch new".into(),
        Effect::Launch(LaunchKind::Resume) => "launch resume".into(),
        Effect::SwapProcess => "swap process".into(),
        Effect::DiscardLaunched => "discard launched".into(),
        Effect::StopProcess => "stop process".into(),
        Effect::Defer => "defer".into(),
    }
}

/// What a row expects.
#[derive(Debug, Clone, Copy)]
pub(super) enum Expect {
    /// To this phase, with these effects.
    To(&'static str, &'static [&'static str]),
    /// Stays, with these effects.
    Same(&'static [&'static str]),
    /// Cannot happen (why); the machine changes nothing.
    Unreachable(&'static str),
}
pub(super) use Expect::*;

const NO_ACTOR: &[&str] = &[
    "absent",
    "suspended",
    "failed",
    "ended (resumable)",
    "ended (destroyed)",
];
const LIVE_IDLE: &[&str] = &["ready", "ready, marked idle"];
const QUERYING: &str = "querying";
const WAITING_PERMISSION: &str = "waiting for permission";
const INTERRUPTING: &str = "interrupting (stalled)";
const MEMORY_DRAIN: &str = "draining (querying) then restart (memory)";
const SHUTDOWN_DRAIN: &str = "draining (querying) then stop (shutdown)";
const SHUTDOWN_DRAIN_WAITING: &str = "draining (waiting) then stop (shutdown)";
const SHUTDOWN_CUT: &str = "draining (interrupting, shutdown) then stop (shutdown)";
const TURNS: &[&str] = &[
    QUERYING,
    WAITING_PERMISSION,
    INTERRUPTING,
    MEMORY_DRAIN,
    SHUTDOWN_DRAIN,
    SHUTDOWN_DRAIN_WAITING,
    SHUTDOWN_CUT,
];
/// The turns of the shutdown drain.
const SHUTDOWN_DRAINS: &[&str] = &[SHUTDOWN_DRAIN, SHUTDOWN_DRAIN_WAITING, SHUTDOWN_CUT];
/// Turns without a permission request waiting.
const NOT_WAITING_TURNS: &[&str] = &[
    QUERYING,
    INTERRUPTING,
    MEMORY_DRAIN,
    SHUTDOWN_DRAIN,
    SHUTDOWN_CUT,
];
const LIVE: &[&str] = &[
    "ready",
    "ready, marked idle",
    QUERYING,
    WAITING_PERMISSION,
    INTERRUPTING,
    MEMORY_DRAIN,
    SHUTDOWN_DRAIN,
    SHUTDOWN_DRAIN_WAITING,
    SHUTDOWN_CUT,
    "restarting (crash)",
];
/// Live, without a permission request waiting.
const LIVE_NOT_WAITING: &[&str] = &[
    "ready",
    "ready, marked idle",
    QUERYING,
    INTERRUPTING,
    MEMORY_DRAIN,
    SHUTDOWN_DRAIN,
    SHUTDOWN_CUT,
    "restarting (crash)",
];
const WAITING: &[&str] = &[WAITING_PERMISSION, SHUTDOWN_DRAIN_WAITING];
const ALL_BUT_ABSENT: &[&str] = &[
    "starting",
    "ready",
    "ready, marked idle",
    QUERYING,
    WAITING_PERMISSION,
    INTERRUPTING,
    MEMORY_DRAIN,
    SHUTDOWN_DRAIN,
    SHUTDOWN_DRAIN_WAITING,
    SHUTDOWN_CUT,
    "restarting (crash)",
    "stopping (idle)",
    "stopping (shutdown)",
    "stopping (age)",
    "stopping (destroyed)",
    "stopping (failed)",
    "stopping (budget)",
    "suspended",
    "failed",
    "ended (resumable)",
    "ended (destroyed)",
];
const STOPPING: &[&str] = &[
    "stopping (idle)",
    "stopping (shutdown)",
    "stopping (age)",
    "stopping (destroyed)",
    "stopping (failed)",
    "stopping (budget)",
];
const PROCESS_EVENTS: &[&str] = &[
    "turn ended",
    "permission opened",
    "permission withdrawn",
    "permission timed out",
    "tick",
    "age warning",
    "age limit",
    "memory exceeded",
    "crashed",
    "reclaim",
    "stalled",
    "interrupt deadline",
    "drain deadline",
    "stopped",
];

const DESTROYED: &[&str] = &[
    "terminate destroyed",
    "notify terminated (destroyed)",
    "stop process",
];
const DESTROYED_WAITING: &[&str] = &[
    "cancel permission timer",
    "terminate destroyed",
    "notify terminated (destroyed)",
    "stop process",
];
const AGED: &[&str] = &[
    "terminate duration_limit",
    "notify terminated (age)",
    "stop process",
];
const CRASH_RESTART: &[&str] = &["notify restarting (crash)", "launch resume"];
const SUSPEND: &[&str] = &["status suspended", "stop process"];
const CUT_STALLED: &[&str] = &["cut turn (stalled)", "arm interrupt deadline"];

pub(super) type Row = (&'static [&'static str], &'static [&'static str], Expect);

/// The table: (phases, events, what happens). Every pair is covered exactly once.
#[rustfmt::skip]
pub(super) const ROWS: &[Row] = &[
    // -- a session without an actor: the supervisor decides from the stored row --
    (&["absent"], &["create"], To("starting", &["launch new"])),
    (ALL_BUT_ABSENT, &["create"], Unreachable("a new session gets a fresh id")),
    (&["absent", "ended (destroyed)"], &["resume"], Same(&["refuse NotResumable"])),
    (&["suspended", "failed", "ended (resumable)"], &["resume"], To("starting", &["launch resume"])),
    (&["absent"], &["wake", "destroy"], Same(&["refuse NotFound"])),
    (&["suspended"], &["wake"], To("starting", &["launch resume"])),
    (&["failed", "ended (resumable)", "ended (destroyed)"], &["wake"], Same(&["refuse NotRunning"])),
    (&["suspended", "failed", "ended (resumable)", "ended (destroyed)"], &["destroy"], To("ended (destroyed)", &["terminate destroyed"])),
    (NO_ACTOR, &["permission answered"], Same(&["refuse NotLive"])),
    (NO_ACTOR, &["query"], Unreachable("a message wakes the session first (wake)")),
    (NO_ACTOR, &["subscribed", "unsubscribed"], Unreachable("subscribing wakes the session first (wake)")),
    (NO_ACTOR, &["launched", "launch failed"], Unreachable("no launch is in flight")),
    (NO_ACTOR, PROCESS_EVENTS, Unreachable("there is no process")),
    (NO_ACTOR, &["shutdown"], Unreachable("shutdown stops live sessions only (the supervisor refuses to start others)")),
    // -- starting: the supervisor launches, then the new actor takes over --
    (&["starting"], &["launched"], To("ready", &["notify ready"])),
    (&["starting"], &["launch failed"], To("suspended", &["refuse StartFailed"])),
    (&["starting"], &["resume", "wake", "destroy"], Same(&["defer"])),
    (&["starting"], &["query", "permission answered", "subscribed", "unsubscribed", "shutdown"], Unreachable("requests reach the session once its actor runs (after launched)")),
    (&["starting"], PROCESS_EVENTS, Unreachable("the process's events reach the actor after launched")),
    // -- ready (no turn) --
    (&["ready"], &["query"], To("querying", &["start turn"])),
    (&["ready, marked idle"], &["query"], To("querying", &["start turn", "status active"])),
    (LIVE_IDLE, &["turn ended", "permission opened", "permission withdrawn"], Unreachable("the turn translator only runs within a turn")),
    (LIVE_IDLE, &["stalled"], Unreachable("the stall watch runs within a turn only")),
    (&["ready"], &["tick"], To("stopping (idle)", &["status idle", "status suspended", "notify terminated (idle)", "stop process"])),
    (&["ready, marked idle"], &["tick"], To("stopping (idle)", &["status suspended", "notify terminated (idle)", "stop process"])),
    (LIVE_IDLE, &["age limit"], To("stopping (age)", AGED)),
    (LIVE_IDLE, &["memory exceeded"], To("restarting (memory)", &["notify restarting (memory)", "launch resume"])),
    (LIVE_IDLE, &["crashed"], To("restarting (crash)", CRASH_RESTART)),
    (LIVE_IDLE, &["shutdown"], To("stopping (shutdown)", SUSPEND)),
    (LIVE_IDLE, &["reclaim"], To("stopping (budget)", &["status suspended", "notify terminated (budget)", "stop process"])),
    (TURNS, &["reclaim"], Same(&[])),
    (LIVE_IDLE, &["permission timed out", "drain deadline", "interrupt deadline"], Same(&[])),
    // -- a turn runs: a message is refused --
    (&[QUERYING, WAITING_PERMISSION, INTERRUPTING, MEMORY_DRAIN], &["query"], Same(&["refuse QueryInProgress"])),
    (SHUTDOWN_DRAINS, &["query"], Same(&["refuse ShuttingDown"])),
    // -- the turn ends --
    (&[QUERYING, INTERRUPTING], &["turn ended"], To("ready", &[])),
    (&[WAITING_PERMISSION], &["turn ended"], To("ready", &["cancel permission timer"])),
    (&[MEMORY_DRAIN], &["turn ended"], To("restarting (memory)", &["launch resume"])),
    (&[SHUTDOWN_DRAIN, SHUTDOWN_CUT], &["turn ended"], To("stopping (shutdown)", SUSPEND)),
    (&[SHUTDOWN_DRAIN_WAITING], &["turn ended"], To("stopping (shutdown)", &["cancel permission timer", "status suspended", "stop process"])),
    // -- permissions --
    (&[QUERYING, WAITING_PERMISSION], &["permission opened"], To(WAITING_PERMISSION, &["arm permission timer"])),
    (&[MEMORY_DRAIN], &["permission opened"], To("draining (waiting) then restart (memory)", &["arm permission timer"])),
    (&[SHUTDOWN_DRAIN, SHUTDOWN_DRAIN_WAITING], &["permission opened"], To(SHUTDOWN_DRAIN_WAITING, &["arm permission timer"])),
    (&[INTERRUPTING, SHUTDOWN_CUT], &["permission opened"], Same(&[])),
    (&[WAITING_PERMISSION], &["permission withdrawn"], To(QUERYING, &["cancel permission timer"])),
    (&[WAITING_PERMISSION], &["permission answered"], To(QUERYING, &["cancel permission timer", "forward answer"])),
    (&[WAITING_PERMISSION], &["permission timed out"], To(QUERYING, &["deny permission", "notify permission cancelled"])),
    (&[SHUTDOWN_DRAIN_WAITING], &["permission withdrawn"], To(SHUTDOWN_DRAIN, &["cancel permission timer"])),
    (&[SHUTDOWN_DRAIN_WAITING], &["permission answered"], To(SHUTDOWN_DRAIN, &["cancel permission timer", "forward answer"])),
    (&[SHUTDOWN_DRAIN_WAITING], &["permission timed out"], To(SHUTDOWN_DRAIN, &["deny permission", "notify permission cancelled"])),
    (NOT_WAITING_TURNS, &["permission withdrawn", "permission timed out"], Same(&[])),
    (LIVE_NOT_WAITING, &["permission answered"], Same(&["refuse NoSuchPermission"])),
    (TURNS, &["tick"], Same(&[])),
    // -- age and memory --
    (&[QUERYING], &["age limit"], To("draining (querying) then stop (age)", &["arm drain deadline"])),
    (&[WAITING_PERMISSION], &["age limit"], To("draining (waiting) then stop (age)", &["arm drain deadline"])),
    (&[INTERRUPTING], &["age limit"], To("draining (interrupting, stalled) then stop (age)", &["arm drain deadline"])),
    (&[MEMORY_DRAIN], &["age limit"], To("draining (querying) then stop (age)", &["arm drain deadline"])),
    (SHUTDOWN_DRAINS, &["age limit", "memory exceeded"], Same(&[])),
    (&[QUERYING], &["memory exceeded"], To(MEMORY_DRAIN, &["notify restarting (memory)", "arm drain deadline"])),
    (&[WAITING_PERMISSION], &["memory exceeded"], To("draining (waiting) then restart (memory)", &["notify restarting (memory)", "arm drain deadline"])),
    (&[INTERRUPTING], &["memory exceeded"], To("draining (interrupting, stalled) then restart (memory)", &["notify restarting (memory)", "arm drain deadline"])),
    (&[MEMORY_DRAIN], &["memory exceeded"], Same(&[])),
    // -- the process dies --
    (&[QUERYING, INTERRUPTING, MEMORY_DRAIN], &["crashed"], To("restarting (crash)", &["abandon turn", "notify restarting (crash)", "launch resume"])),
    (&[WAITING_PERMISSION], &["crashed"], To("restarting (crash)", &["cancel permission timer", "abandon turn", "notify restarting (crash)", "launch resume"])),
    (&[SHUTDOWN_DRAIN, SHUTDOWN_CUT], &["crashed"], To("stopping (shutdown)", &["abandon turn", "status suspended", "stop process"])),
    (&[SHUTDOWN_DRAIN_WAITING], &["crashed"], To("stopping (shutdown)", &["cancel permission timer", "abandon turn", "status suspended", "stop process"])),
    // -- a stalled turn is cut; a cut turn that does not end is given up on --
    (&[QUERYING], &["stalled"], To(INTERRUPTING, CUT_STALLED)),
    (&[MEMORY_DRAIN], &["stalled"], To("draining (interrupting, stalled) then restart (memory)", CUT_STALLED)),
    (&[SHUTDOWN_DRAIN], &["stalled"], To("draining (interrupting, stalled) then stop (shutdown)", CUT_STALLED)),
    (WAITING, &["stalled"], Unreachable("the stall watch pauses while a permission waits")),
    (&[INTERRUPTING, SHUTDOWN_CUT], &["stalled"], Unreachable("the stall watch stops once the turn is cut")),
    (&[INTERRUPTING], &["interrupt deadline"], To("restarting (unresponsive)", &["abandon turn", "notify restarting (unresponsive)", "launch resume"])),
    (&[SHUTDOWN_CUT], &["interrupt deadline"], To("stopping (shutdown)", &["abandon turn", "status suspended", "stop process"])),
    (&[QUERYING, WAITING_PERMISSION, MEMORY_DRAIN, SHUTDOWN_DRAIN, SHUTDOWN_DRAIN_WAITING], &["interrupt deadline"], Same(&[])),
    // -- a drain's deadline: the shutdown cuts the turn, a restart abandons it --
    (&[QUERYING, WAITING_PERMISSION, INTERRUPTING, SHUTDOWN_CUT], &["drain deadline"], Same(&[])),
    (&[MEMORY_DRAIN], &["drain deadline"], To("restarting (memory)", &["abandon turn", "launch resume"])),
    (&[SHUTDOWN_DRAIN], &["drain deadline"], To(SHUTDOWN_CUT, &["cut turn (shutdown)", "arm interrupt deadline"])),
    (&[SHUTDOWN_DRAIN_WAITING], &["drain deadline"], To(SHUTDOWN_CUT, &["cancel permission timer", "cut turn (shutdown)", "arm interrupt deadline"])),
    // -- shutdown: a running turn drains until the shutdown's deadline --
    (&[QUERYING, MEMORY_DRAIN, SHUTDOWN_DRAIN], &["shutdown"], To(SHUTDOWN_DRAIN, &["arm drain deadline"])),
    (WAITING, &["shutdown"], To(SHUTDOWN_DRAIN_WAITING, &["arm drain deadline"])),
    (&[INTERRUPTING], &["shutdown"], To("draining (interrupting, stalled) then stop (shutdown)", &["arm drain deadline"])),
    (&[SHUTDOWN_CUT], &["shutdown"], Same(&["arm drain deadline"])),
    // -- every live phase --
    (LIVE_NOT_WAITING, &["destroy"], To("stopping (destroyed)", DESTROYED)),
    (WAITING, &["destroy"], To("stopping (destroyed)", DESTROYED_WAITING)),
    (LIVE, &["age warning"], Same(&["notify age warning"])),
    (LIVE, &["resume", "wake"], Same(&[])),
    (WAITING, &["subscribed"], Same(&["cancel permission timer"])),
    (WAITING, &["unsubscribed"], Same(&["arm permission timer"])),
    (LIVE_NOT_WAITING, &["subscribed", "unsubscribed"], Same(&[])),
    (LIVE, &["stopped"], Unreachable("only a stopping session's process is stopped")),
    (&["ready", "ready, marked idle", QUERYING, WAITING_PERMISSION, INTERRUPTING, MEMORY_DRAIN, SHUTDOWN_DRAIN, SHUTDOWN_DRAIN_WAITING, SHUTDOWN_CUT], &["launched", "launch failed"], Unreachable("no launch is in flight")),
    // -- restarting: the replacement is launching --
    (&["restarting (crash)"], &["query"], Same(&["refuse Restarting"])),
    (&["restarting (crash)"], &["launched"], To("ready", &["swap process", "status active", "notify ready"])),
    (&["restarting (crash)"], &["launch failed"], To("stopping (failed)", &["notify terminated (failed)", "status failed", "stop process"])),
    (&["restarting (crash)"], &["turn ended", "permission opened", "permission withdrawn", "stalled"], Unreachable("a restart begins once the turn ended or was abandoned")),
    (&["restarting (crash)"], &["permission timed out", "tick", "memory exceeded", "crashed", "reclaim", "drain deadline", "interrupt deadline"], Same(&[])),
    (&["restarting (crash)"], &["age limit"], To("stopping (age)", AGED)),
    (&["restarting (crash)"], &["shutdown"], To("stopping (shutdown)", SUSPEND)),
    // -- stopping: the process is on its way out --
    (&["stopping (idle)", "stopping (budget)"], &["query"], Same(&["defer"])),
    (&["stopping (age)", "stopping (destroyed)", "stopping (failed)"], &["query"], Same(&["refuse Ended"])),
    (&["stopping (shutdown)"], &["query"], Same(&["refuse ShuttingDown"])),
    (STOPPING, &["permission answered"], Same(&["refuse Ended"])),
    (STOPPING, &["resume", "wake", "destroy"], Same(&["defer"])),
    (&["stopping (idle)", "stopping (shutdown)", "stopping (budget)"], &["stopped"], To("suspended", &[])),
    (&["stopping (age)"], &["stopped"], To("ended (resumable)", &[])),
    (&["stopping (destroyed)"], &["stopped"], To("ended (destroyed)", &[])),
    (&["stopping (failed)"], &["stopped"], To("failed", &[])),
    (STOPPING, &["launched"], Same(&["discard launched"])),
    (STOPPING, &["subscribed", "unsubscribed"], Same(&[])),
    (STOPPING, &["launch failed", "turn ended", "permission opened", "permission withdrawn", "permission timed out", "tick", "age warning", "age limit", "memory exceeded", "crashed", "reclaim", "stalled", "interrupt deadline", "drain deadline", "shutdown"], Same(&[])),
];
