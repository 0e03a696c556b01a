//! The stall watch of a session's running turn: a turn whose CLI shows no progress for
//! `TURN_STALL_SECONDS` becomes the lifecycle event `Stalled` (which cuts it).
//!
//! Progress is any frame the CLI writes except the model API's keep-alive `ping` (the CLI
//! forwards one every ~10 s while a stalled stream stays open) and the answers to our own
//! control requests ([`crate::claude::ClaudeProcess::last_progress`]). The watch pauses
//! while a permission request waits for the user and while a tool runs: the CLI shows
//! nothing while a tool works and bounds its tools itself (Bash: 2 minutes by default).
//! One timer per session, armed for exactly when the silence would reach the limit.

use std::time::{Duration, Instant};

use actix::prelude::*;
use slog::warn;

use super::lifecycle::{Event, TurnState};
use super::session::{Input, SessionActor};

impl SessionActor {
    /// `TURN_STALL_SECONDS`.
    fn stall_limit(&self) -> Duration {
        Duration::from_secs(self.settings().turn_stall_seconds)
    }

    /// Starts watching the turn that starts now.
    pub(super) fn watch_new_turn(&mut self, ctx: &mut Context<Self>) {
        self.quiet_since = Instant::now();
        let limit = self.stall_limit();
        self.arm_stall_check(ctx, limit);
    }

    /// The turn moved on without its CLI writing anything (e.g. a permission was answered):
    /// the silence counts from now.
    pub(super) fn turn_progressed(&mut self) {
        self.quiet_since = Instant::now();
    }

    fn arm_stall_check(&mut self, ctx: &mut Context<Self>, after: Duration) {
        if let Some(t) = self.stall_timer.take() {
            ctx.cancel_future(t);
        }
        self.stall_timer = Some(ctx.run_later(after, |act, ctx| {
            act.stall_timer = None;
            act.check_stall(ctx);
        }));
    }

    fn check_stall(&mut self, ctx: &mut Context<Self>) {
        let Some(turn) = self.turn.as_ref() else {
            return; // the turn ended
        };
        let limit = self.stall_limit();
        let now = Instant::now();
        match self.life.phase().turn() {
            Some(TurnState::Querying) if !turn.tool_running() => {}
            // Cut already: its own deadline bounds it.
            Some(TurnState::Interrupting { .. }) | Some(TurnState::Idle { .. }) | None => return,
            // A permission waits or a tool runs: no stall; the silence starts after it.
            Some(TurnState::WaitingPermission { .. }) | Some(TurnState::Querying) => {
                self.quiet_since = now;
                self.arm_stall_check(ctx, limit);
                return;
            }
        }
        let last = self.process.as_ref().map_or(self.quiet_since, |p| {
            p.last_progress().max(self.quiet_since)
        });
        let quiet = now.saturating_duration_since(last);
        if quiet < limit {
            self.arm_stall_check(ctx, limit - quiet);
            return;
        }
        warn!(self.log, "the turn stalled: nothing from the CLI; cutting it";
            "quiet_ms" => quiet.as_millis() as u64);
        let _ = self.run(ctx, Event::Stalled, Input::None);
    }
}
