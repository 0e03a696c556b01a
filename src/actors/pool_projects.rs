//! The pool's ready processes for projects other than the default (issue 17). A CLI's
//! working directory is fixed when it starts, so a project gets its own ready process once
//! a session is created in it: one per project in use, within `PREWARM_POOL_MAX` processes
//! in all and the memory budget. A project unused for [`PROJECT_IDLE`] loses its process.
//! A create for a project with no ready process spawns one (cold), as before.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use actix::prelude::*;
use slog::{info, warn};

use super::pool::Pool;
use crate::claude::{ClaudeProcess, SessionStart, Started};
use crate::protocol::SessionOptions;

/// A project's ready process is stopped after this long without a create in it.
pub const PROJECT_IDLE: Duration = Duration::from_secs(10 * 60);
/// How often idle projects are looked for.
pub const SWEEP_EVERY: Duration = Duration::from_secs(30);

/// One project in use.
struct Slot {
    ready: Option<Started>,
    /// A spawn is in flight (of generation `generation`).
    filling: bool,
    /// Bumped when its extensions change: a spawn of an older generation is discarded.
    generation: u64,
    last_used: Instant,
}

#[derive(Default)]
pub struct Projects {
    slots: HashMap<PathBuf, Slot>,
}

impl Projects {
    pub fn filling(&self) -> usize {
        self.slots.values().filter(|s| s.filling).count()
    }

    fn held(&self) -> usize {
        self.slots
            .values()
            .map(|s| usize::from(s.ready.is_some()) + usize::from(s.filling))
            .sum()
    }

    pub fn ready_in(&self, dir: &Path) -> usize {
        self.slots
            .get(dir)
            .map_or(0, |s| usize::from(s.ready.is_some()))
    }

    pub fn pids(&self) -> Vec<i32> {
        self.slots
            .values()
            .filter_map(|s| s.ready.as_ref().map(|r| r.process.pid()))
            .collect()
    }

    /// Every ready process, taken (to be stopped).
    pub fn take_all(&mut self) -> Vec<Started> {
        self.slots
            .values_mut()
            .filter_map(|s| s.ready.take())
            .collect()
    }

    /// One ready process (the least recently used project's), taken to be stopped.
    pub fn pop_one(&mut self) -> Option<Started> {
        self.slots
            .values_mut()
            .filter(|s| s.ready.is_some())
            .min_by_key(|s| s.last_used)
            .and_then(|s| s.ready.take())
    }

    /// Stops every ready process.
    pub fn drain(&mut self) {
        for started in self.take_all() {
            actix::spawn(async move { started.process.stop().await });
        }
    }

    /// Drops the ready process of `dir` (its extensions changed); refilled at its next use.
    pub fn invalidate(&mut self, dir: &Path) {
        if let Some(slot) = self.slots.get_mut(dir) {
            slot.generation += 1;
            if let Some(started) = slot.ready.take() {
                actix::spawn(async move { started.process.stop().await });
            }
        }
    }

    /// Forgets the projects unused since [`PROJECT_IDLE`] before `now`, stopping their
    /// ready processes.
    pub fn sweep(&mut self, now: Instant) {
        let idle: Vec<PathBuf> = self
            .slots
            .iter()
            .filter(|(_, s)| now.duration_since(s.last_used) >= PROJECT_IDLE)
            .map(|(d, _)| d.clone())
            .collect();
        for dir in idle {
            if let Some(started) = self.slots.remove(&dir).and_then(|s| s.ready) {
                actix::spawn(async move { started.process.stop().await });
            }
        }
    }
}

impl Pool {
    /// Takes the ready process of the project in `dir` (if it has one alive), then
    /// prepares the next.
    pub(super) fn take_in(&mut self, ctx: &mut Context<Self>, dir: PathBuf) -> Option<Started> {
        let slot = self.projects.slots.entry(dir.clone()).or_insert(Slot {
            ready: None,
            filling: false,
            generation: 0,
            last_used: Instant::now(),
        });
        slot.last_used = Instant::now();
        let taken = slot
            .ready
            .take()
            .filter(|s| s.process.exit_status().is_none());
        self.refill_project(ctx, dir);
        taken
    }

    /// Spawns a ready process for the project in `dir` if it has none, room permitting.
    fn refill_project(&mut self, ctx: &mut Context<Self>, dir: PathBuf) {
        if self.is_stopped() {
            return;
        }
        let held = self.projects.held() + self.ready_default();
        match self.projects.slots.get(&dir) {
            Some(s) if s.ready.is_none() && !s.filling => {}
            _ => return,
        }
        if held >= self.max_size() || !self.budget_allows() {
            return;
        }
        let Some(slot) = self.projects.slots.get_mut(&dir) else {
            return;
        };
        slot.filling = true;
        let generation = slot.generation;
        let factory = self.factory();
        let options = factory.options_in(
            &dir,
            SessionStart::New(uuid::Uuid::new_v4().to_string()),
            &SessionOptions::defaults(factory.settings()),
        );
        // Given up at once if the pool stops meanwhile (as the default project's spawns).
        let mut stop = self.stop_signal();
        ctx.spawn(
            async move {
                let cancel = async move {
                    let _ = stop.wait_for(|stopped| *stopped).await;
                };
                ClaudeProcess::start_unless(options, cancel).await
            }
            .into_actor(self)
            .map(move |result, act, _ctx| {
                let stopped = act.is_stopped();
                let slot = act.projects.slots.get_mut(&dir);
                match (result, slot) {
                    (Ok(started), Some(slot)) if slot.generation == generation && !stopped => {
                        slot.filling = false;
                        slot.ready = Some(started);
                        info!(act.log(), "a project's process is ready";
                                "project_dir" => dir.display().to_string());
                    }
                    (result, slot) => {
                        if let Some(slot) = slot {
                            slot.filling = false;
                        }
                        match result {
                            Ok(stale) => {
                                actix::spawn(async move { stale.process.stop().await });
                            }
                            Err(_) if stopped => {}
                            Err(e) => {
                                warn!(act.log(), "pre-warming a project's CLI process failed";
                                    "error" => %e)
                            }
                        }
                    }
                }
                act.notify_drained();
            }),
        );
    }
}
