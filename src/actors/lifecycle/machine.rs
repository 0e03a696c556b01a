//! The one function that decides what happens to a session: [`Lifecycle::step`].

use std::collections::VecDeque;
use std::time::Instant;

use super::notices::Notice;
use super::phase::*;
use crate::actors::EngineError;
use crate::db::{SessionStatus, TerminationReason};
use crate::protocol::Source;

/// One session's phase and what the rules remember.
#[derive(Debug, Clone)]
pub struct Lifecycle {
    phase: Phase,
    limits: Limits,
    /// Crash restarts within the window.
    crashes: VecDeque<Instant>,
    /// Turns completed by the current process. A memory restart needs at least one: a
    /// freshly resumed process has nothing to shed, and restarting it again would loop
    /// when the limit is below a CLI's idle footprint.
    turns_on_process: u32,
    subscribed: bool,
    last_activity: Instant,
    /// The current process was started for a stored session (a wake or resume: someone is
    /// about to use it) and has not completed a turn yet: see [`Lifecycle::reclaimable`].
    woken: bool,
}

impl Lifecycle {
    pub fn new(phase: Phase, limits: Limits, now: Instant) -> Lifecycle {
        Lifecycle {
            phase,
            limits,
            crashes: VecDeque::new(),
            turns_on_process: 0,
            subscribed: false,
            last_activity: now,
            woken: false,
        }
    }

    /// Whether the memory budget may suspend this session now: idle, and not a process
    /// just woken for its user that has not served a turn yet (for [`WAKE_HOLD`]). Without
    /// the hold a message to a suspended session wakes it, and a create (or the monitor)
    /// suspends it again before the message arrives: the message is refused as sent to an
    /// ended session, or wakes a third process that its connection is not subscribed to.
    pub fn reclaimable(&self, now: Instant) -> bool {
        let idle = matches!(
            self.phase,
            Phase::Running {
                turn: TurnState::Idle { .. }
            }
        );
        let held = self.woken && now.saturating_duration_since(self.last_activity) < WAKE_HOLD;
        idle && !held
    }

    /// As if the current process had completed a turn (table tests start there).
    #[cfg(test)]
    pub(super) fn with_completed_turn(mut self) -> Lifecycle {
        self.turns_on_process = 1;
        self
    }

    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    /// When the session was last active (a message, a turn's end, a new process).
    pub fn last_activity(&self) -> Instant {
        self.last_activity
    }

    /// Decides what `event` does at `now`: moves to the next phase and returns the effects,
    /// in the order they are to be carried out.
    pub fn step(&mut self, event: Event, now: Instant) -> Vec<Effect> {
        use Effect::*;
        let phase = std::mem::replace(&mut self.phase, Phase::Absent);
        let (next, effects) = match (phase, event) {
            // ---- the subscriber (remembered in every phase) ----
            (p, Event::Subscribed) => {
                self.subscribed = true;
                let fx = waiting(&p).then_some(CancelPermissionTimer);
                (p, fx.into_iter().collect())
            }
            (p, Event::Unsubscribed) => {
                self.subscribed = false;
                let fx = waiting(&p).then_some(ArmPermissionTimer);
                (p, fx.into_iter().collect())
            }

            // ---- no actor: the supervisor asks about a stored (or unknown) session ----
            (Phase::Absent, Event::Create) => {
                (starting(Phase::Absent), vec![Launch(LaunchKind::New)])
            }
            (Phase::Absent, Event::Resume) => {
                (Phase::Absent, vec![Refuse(EngineError::NotResumable)])
            }
            (Phase::Absent, Event::Wake | Event::Destroy) => {
                (Phase::Absent, vec![Refuse(EngineError::NotFound)])
            }
            (
                p @ (Phase::Suspended | Phase::Failed | Phase::Ended { resumable: true }),
                Event::Resume,
            ) => (starting(p), vec![Launch(LaunchKind::Resume)]),
            (p @ Phase::Ended { resumable: false }, Event::Resume) => {
                (p, vec![Refuse(EngineError::NotResumable)])
            }
            (Phase::Suspended, Event::Wake) => {
                (starting(Phase::Suspended), vec![Launch(LaunchKind::Resume)])
            }
            (p @ (Phase::Failed | Phase::Ended { .. }), Event::Wake) => {
                (p, vec![Refuse(EngineError::NotRunning)])
            }
            (Phase::Suspended | Phase::Failed | Phase::Ended { .. }, Event::Destroy) => (
                Phase::Ended { resumable: false },
                vec![Terminate(TerminationReason::Destroyed)],
            ),
            (
                p @ (Phase::Absent | Phase::Suspended | Phase::Failed | Phase::Ended { .. }),
                Event::PermissionAnswered { .. },
            ) => (p, vec![Refuse(EngineError::NotLive)]),

            // ---- starting ----
            (Phase::Starting { from }, Event::Launched { source, lost }) => {
                self.on_new_process(now);
                self.woken = !matches!(*from, Phase::Absent);
                let mut fx = Vec::new();
                if lost {
                    fx.push(RecordNotRestored);
                }
                fx.push(Notify(Notice::Ready(source)));
                (Phase::Running { turn: idle() }, fx)
            }
            (Phase::Starting { from }, Event::LaunchFailed) => {
                (*from, vec![Refuse(EngineError::StartFailed)])
            }
            (
                p @ (Phase::Starting { .. } | Phase::Stopping { .. }),
                Event::Resume | Event::Wake | Event::Destroy,
            ) => (p, vec![Defer]),

            // ---- a message ----
            (
                Phase::Running {
                    turn: TurnState::Idle { marked },
                },
                Event::Query,
            ) => {
                self.last_activity = now;
                let mut fx = vec![StartTurn];
                if marked {
                    fx.push(SetStatus(SessionStatus::Active));
                }
                (
                    Phase::Running {
                        turn: TurnState::Querying,
                    },
                    fx,
                )
            }
            (
                p @ (Phase::Draining {
                    then: Pending::Stop(StopReason::Shutdown),
                    ..
                }
                | Phase::Stopping {
                    reason: StopReason::Shutdown,
                }),
                Event::Query,
            ) => (p, vec![Refuse(EngineError::ShuttingDown)]),
            (p @ (Phase::Running { .. } | Phase::Draining { .. }), Event::Query) => {
                (p, vec![Refuse(EngineError::QueryInProgress)])
            }
            (p @ Phase::Restarting { .. }, Event::Query) => {
                (p, vec![Refuse(EngineError::Restarting)])
            }
            // Being suspended as the message arrives: it waits for the stop, then wakes the
            // session (the message is not lost to the race).
            (
                p @ Phase::Stopping {
                    reason: StopReason::Idle | StopReason::MemoryBudget,
                },
                Event::Query,
            ) => (p, vec![Defer]),
            (p @ Phase::Stopping { .. }, Event::Query) => (p, vec![Refuse(EngineError::Ended)]),

            // ---- a turn ends ----
            (Phase::Running { turn }, Event::TurnEnded) if is_turn(&turn) => {
                self.turn_done(now);
                (Phase::Running { turn: idle() }, cancel_if_waiting(&turn))
            }
            (Phase::Draining { turn, then, .. }, Event::TurnEnded) => {
                self.turn_done(now);
                let mut fx = cancel_if_waiting(&turn);
                let (next, more) = carry_out(then);
                fx.extend(more);
                (next, fx)
            }

            // ---- permissions, within a turn ----
            // A cut turn asks nothing more that the server would answer: its end is near.
            (Phase::Running { turn }, Event::PermissionOpened { request_id }) if uncut(&turn) => {
                let fx = self.arm_if_alone();
                (
                    Phase::Running {
                        turn: TurnState::WaitingPermission { request_id },
                    },
                    fx,
                )
            }
            (
                Phase::Draining {
                    turn,
                    then,
                    deadline,
                },
                Event::PermissionOpened { request_id },
            ) if uncut(&turn) => {
                let fx = self.arm_if_alone();
                let turn = TurnState::WaitingPermission { request_id };
                (
                    Phase::Draining {
                        turn,
                        then,
                        deadline,
                    },
                    fx,
                )
            }
            (p, Event::PermissionWithdrawn { request_id }) if pending(&p) == Some(&request_id) => {
                (without_permission(p), vec![CancelPermissionTimer])
            }
            (p, Event::PermissionAnswered { request_id }) if pending(&p) == Some(&request_id) => (
                without_permission(p),
                vec![CancelPermissionTimer, ForwardAnswer],
            ),
            (p, Event::PermissionTimedOut { request_id }) if pending(&p) == Some(&request_id) => (
                without_permission(p),
                vec![
                    DenyPermission {
                        request_id: request_id.clone(),
                    },
                    Notify(Notice::PermissionCancelled { request_id }),
                ],
            ),
            (p @ Phase::Stopping { .. }, Event::PermissionAnswered { .. }) => {
                (p, vec![Refuse(EngineError::Ended)])
            }
            (p, Event::PermissionAnswered { .. }) if p.is_live() => {
                (p, vec![Refuse(EngineError::NoSuchPermission)])
            }

            // ---- idleness and age ----
            (
                Phase::Running {
                    turn: TurnState::Idle { marked },
                },
                Event::Tick,
            ) => self.idle_check(marked, now),
            // ---- the memory budget: only an idle session gives up its process ----
            (
                Phase::Running {
                    turn: TurnState::Idle { .. },
                },
                Event::Reclaim,
            ) => stop(StopReason::MemoryBudget),
            (p, Event::Tick) if p.turn_running() => {
                // A running turn, even a long tool, is activity.
                self.last_activity = now;
                (p, vec![])
            }
            (p, Event::AgeWarning) if p.is_live() => {
                let (warn_at, limit) = age_schedule(self.limits.max_age);
                let remaining_seconds = (limit - warn_at).as_secs();
                (p, vec![Notify(Notice::AgeWarning { remaining_seconds })])
            }
            (
                Phase::Running {
                    turn: TurnState::Idle { .. },
                }
                | Phase::Restarting { .. },
                Event::AgeLimit,
            ) => stop(StopReason::DurationLimit),
            (Phase::Running { turn }, Event::AgeLimit) => {
                self.drain(turn, Pending::Stop(StopReason::DurationLimit), now)
            }
            (
                Phase::Draining {
                    turn,
                    then: Pending::Restart(_),
                    ..
                },
                Event::AgeLimit,
            ) => self.drain(turn, Pending::Stop(StopReason::DurationLimit), now),

            // ---- memory ----
            (Phase::Running { turn }, Event::MemoryExceeded) if self.turns_on_process > 0 => {
                let reason = RestartReason::MemoryLimit;
                let notice = Notify(Notice::Restarting(reason));
                if is_turn(&turn) {
                    let (next, mut fx) = self.drain(turn, Pending::Restart(reason), now);
                    fx.insert(0, notice);
                    (next, fx)
                } else {
                    (
                        Phase::Restarting { reason },
                        vec![notice, Launch(LaunchKind::Resume)],
                    )
                }
            }

            // ---- crashes ----
            (
                Phase::Running { turn }
                | Phase::Draining {
                    turn,
                    then: Pending::Restart(_),
                    ..
                },
                Event::Crashed,
            ) => {
                let mut fx = cancel_if_waiting(&turn);
                if is_turn(&turn) {
                    fx.push(AbandonTurn);
                }
                let (next, more) = self.crash_restart(RestartReason::Crashed, now);
                fx.extend(more);
                (next, fx)
            }
            (
                Phase::Draining {
                    turn,
                    then: Pending::Stop(reason),
                    ..
                },
                Event::Crashed,
            ) => {
                // The stop was decided already: do it now.
                let mut fx = cancel_if_waiting(&turn);
                fx.push(AbandonTurn);
                let (next, more) = stop(reason);
                fx.extend(more);
                (next, fx)
            }

            // ---- a drain's grace period ----
            (
                Phase::Draining {
                    turn,
                    then: then @ Pending::Stop(StopReason::Shutdown),
                    deadline,
                },
                Event::DrainDeadline { deadline: at },
            ) if at == deadline && uncut(&turn) => {
                // The turn is interrupted, so the CLI keeps what it wrote (its transcript
                // then resumes cleanly); the stop follows its end.
                let mut fx = cancel_if_waiting(&turn);
                let (turn, more) = cut_turn(Cut::Shutdown, now);
                fx.extend(more);
                let next = Phase::Draining {
                    turn,
                    then,
                    deadline,
                };
                (next, fx)
            }
            (
                Phase::Draining {
                    turn,
                    then,
                    deadline,
                },
                Event::DrainDeadline { deadline: at },
            ) if at == deadline && uncut(&turn) => {
                let mut fx = cancel_if_waiting(&turn);
                if matches!(then, Pending::Restart(_)) {
                    fx.push(AbandonTurn);
                }
                let (next, more) = carry_out(then);
                fx.extend(more);
                (next, fx)
            }

            // ---- a stalled turn is cut ----
            (
                Phase::Running {
                    turn: TurnState::Querying,
                },
                Event::Stalled,
            ) => {
                let (turn, fx) = cut_turn(Cut::Stalled, now);
                (Phase::Running { turn }, fx)
            }
            (
                Phase::Draining {
                    turn: TurnState::Querying,
                    then,
                    deadline,
                },
                Event::Stalled,
            ) => {
                let (turn, fx) = cut_turn(Cut::Stalled, now);
                let next = Phase::Draining {
                    turn,
                    then,
                    deadline,
                };
                (next, fx)
            }
            // The interrupt did not end the cut turn: the process is given up on.
            (
                Phase::Running {
                    turn: TurnState::Interrupting { deadline, .. },
                },
                Event::InterruptDeadline { deadline: at },
            ) if at == deadline => {
                let mut fx = vec![AbandonTurn];
                let (next, more) = self.crash_restart(RestartReason::Unresponsive, now);
                fx.extend(more);
                (next, fx)
            }
            (
                Phase::Draining {
                    turn: TurnState::Interrupting { deadline, .. },
                    then,
                    ..
                },
                Event::InterruptDeadline { deadline: at },
            ) if at == deadline => {
                let mut fx = vec![AbandonTurn];
                let (next, more) = carry_out(then);
                fx.extend(more);
                (next, fx)
            }

            // ---- destroy and shutdown ----
            (p, Event::Destroy) if p.is_live() => {
                let mut fx = cancel_if_waiting_phase(&p);
                fx.extend(stop(StopReason::Destroyed).1);
                (
                    Phase::Stopping {
                        reason: StopReason::Destroyed,
                    },
                    fx,
                )
            }
            (Phase::Running { turn }, Event::Shutdown { deadline })
            | (Phase::Draining { turn, .. }, Event::Shutdown { deadline })
                if is_turn(&turn) =>
            {
                drain_until(turn, Pending::Stop(StopReason::Shutdown), deadline)
            }
            (Phase::Running { .. } | Phase::Restarting { .. }, Event::Shutdown { .. }) => {
                stop(StopReason::Shutdown)
            }

            // ---- restarting ----
            (Phase::Restarting { reason }, Event::Launched { lost, .. }) => {
                self.on_new_process(now);
                let mut fx = vec![SwapProcess];
                if lost {
                    fx.extend([RecordNotRestored, Notify(Notice::NotRestored)]);
                }
                fx.extend([
                    SetStatus(SessionStatus::Active),
                    Notify(Notice::Ready(Source::Resumed)),
                ]);
                let _ = reason;
                (Phase::Running { turn: idle() }, fx)
            }
            (Phase::Restarting { .. }, Event::LaunchFailed) => stop(StopReason::Failed),

            // ---- stopping ----
            (p @ Phase::Stopping { .. }, Event::Launched { .. }) => (p, vec![DiscardLaunched]),
            (Phase::Stopping { reason }, Event::Stopped) => (stopped_phase(reason), vec![]),

            // ---- a session that is live answers resume and wake with itself ----
            (p, Event::Resume | Event::Wake) if p.is_live() => (p, vec![]),

            // Everything else changes nothing: stale timers and events that lost a race
            // (tests.rs says which pairs cannot happen at all).
            (p, _) => (p, vec![]),
        };
        self.phase = next;
        effects
    }

    fn on_new_process(&mut self, now: Instant) {
        self.turns_on_process = 0;
        self.last_activity = now;
    }

    fn turn_done(&mut self, now: Instant) {
        self.turns_on_process += 1;
        self.woken = false;
        self.last_activity = now;
    }

    fn arm_if_alone(&self) -> Vec<Effect> {
        if self.subscribed {
            vec![]
        } else {
            vec![Effect::ArmPermissionTimer]
        }
    }

    fn drain(&mut self, turn: TurnState, then: Pending, now: Instant) -> (Phase, Vec<Effect>) {
        drain_until(turn, then, now + TURN_GRACE)
    }

    fn idle_check(&mut self, marked: bool, now: Instant) -> (Phase, Vec<Effect>) {
        let quiet = now.saturating_duration_since(self.last_activity);
        let mut fx = Vec::new();
        let marked_now = marked || quiet >= self.limits.idle_after;
        if !marked && marked_now {
            fx.push(Effect::SetStatus(SessionStatus::Idle));
        }
        if marked_now && quiet >= self.limits.idle_after + self.limits.idle_grace {
            let (next, more) = stop(StopReason::Idle);
            fx.extend(more);
            return (next, fx);
        }
        let turn = TurnState::Idle { marked: marked_now };
        (Phase::Running { turn }, fx)
    }

    /// A crash (or a process that stopped answering): restarted within the budget, else the
    /// session fails.
    fn crash_restart(&mut self, reason: RestartReason, now: Instant) -> (Phase, Vec<Effect>) {
        while self
            .crashes
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) > CRASH_WINDOW)
        {
            self.crashes.pop_front();
        }
        if self.crashes.len() >= CRASH_BUDGET {
            return stop(StopReason::Failed);
        }
        self.crashes.push_back(now);
        (
            Phase::Restarting { reason },
            vec![
                Effect::Notify(Notice::Restarting(reason)),
                Effect::Launch(LaunchKind::Resume),
            ],
        )
    }
}

/// `turn` runs until `deadline`, then `then` happens.
fn drain_until(turn: TurnState, then: Pending, deadline: Instant) -> (Phase, Vec<Effect>) {
    (
        Phase::Draining {
            turn,
            then,
            deadline,
        },
        vec![Effect::ArmDrainDeadline { deadline }],
    )
}
