//! The pool's ready processes for the (project, isolation) pairs in use other than the
//! default project's plain sessions (issue 17). A CLI's working directory is fixed when it
//! starts, so a pair gets its own ready process once a session is created with it: one per
//! pair in use, within `PREWARM_POOL_MAX` processes in all and the memory budget. A pair
//! unused for [`PROJECT_IDLE`] loses its process. A create for a pair with no ready process
//! spawns one (cold), as before.
//!
//! A worktree pair's ready process has its worktree made up front: the pool picks the
//! session id the process will carry (`--session-id`), makes `worktrees/<id>` on the branch
//! `claude/<id…>` from the project's `HEAD`, reads the extensions there and starts the CLI
//! in it — so taking it is instant. A ready worktree process that is never taken (server
//! stop, pool shrink, an idle pair, a project whose `HEAD` moved on) is stopped and its
//! worktree removed with its branch: they hold no user work.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use actix::prelude::*;
use slog::{info, warn, Logger};

use super::pool::Pool;
use crate::claude::{ClaudeProcess, SessionStart, Started};
use crate::protocol::SessionOptions;
use crate::session_id::SessionId;
use crate::workspace::{self, worktree, Isolation};

/// A pair's ready process is stopped after this long without a create in it.
pub const PROJECT_IDLE: Duration = Duration::from_secs(10 * 60);
/// How often idle pairs are looked for.
pub const SWEEP_EVERY: Duration = Duration::from_secs(30);

/// What a slot holds ready processes for: a project's directory and an isolation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SlotKey {
    pub dir: PathBuf,
    pub isolation: Isolation,
}

/// The worktree a pooled process was started in.
#[derive(Debug, Clone)]
pub struct PooledWorktree {
    /// The project (repository) it belongs to.
    pub project: PathBuf,
    /// The session id its process carries.
    pub id: SessionId,
    pub made: worktree::Made,
}

/// A ready process of a pair, with its worktree for a worktree pair.
pub struct Ready {
    pub started: Started,
    pub worktree: Option<PooledWorktree>,
}

impl Ready {
    /// Stops the process and removes its worktree and branch (they hold no user work).
    pub async fn discard(self, log: Logger) {
        self.started.process.stop().await;
        if let Some(wt) = self.worktree {
            discard_worktree(wt, log).await;
        }
    }
}

/// Removes a pooled worktree and its branch (on a blocking thread).
pub async fn discard_worktree(wt: PooledWorktree, log: Logger) {
    let removed = tokio::task::spawn_blocking(move || {
        worktree::discard(&wt.project, &wt.made.dir, &wt.made.branch)
    })
    .await;
    match removed {
        Ok(Ok(())) => {}
        Ok(Err(e)) => warn!(log, "could not remove a pooled worktree"; "error" => %e),
        Err(e) => warn!(log, "could not remove a pooled worktree"; "error" => %e),
    }
}

/// One pair in use.
struct Slot {
    ready: Option<Ready>,
    /// A spawn is in flight (of generation `generation`).
    filling: bool,
    /// Bumped when its extensions change: a spawn of an older generation is discarded.
    generation: u64,
    last_used: Instant,
}

#[derive(Default)]
pub struct Projects {
    slots: HashMap<SlotKey, Slot>,
    /// Discards in flight that the pool's stop waits for (a worktree being removed).
    discarding: usize,
}

impl Projects {
    /// Spawns in flight, and discards the stop must wait for.
    pub fn filling(&self) -> usize {
        self.slots.values().filter(|s| s.filling).count() + self.discarding
    }

    fn held(&self) -> usize {
        self.slots
            .values()
            .map(|s| usize::from(s.ready.is_some()) + usize::from(s.filling))
            .sum()
    }

    pub fn ready_in(&self, key: &SlotKey) -> usize {
        self.slots
            .get(key)
            .map_or(0, |s| usize::from(s.ready.is_some()))
    }

    pub fn pids(&self) -> Vec<i32> {
        self.slots
            .values()
            .filter_map(|s| s.ready.as_ref().map(|r| r.started.process.pid()))
            .collect()
    }

    /// Every ready process, taken (to be discarded).
    pub fn take_all(&mut self) -> Vec<Ready> {
        self.slots
            .values_mut()
            .filter_map(|s| s.ready.take())
            .collect()
    }

    /// One ready process (the least recently used pair's), taken to be discarded.
    pub fn pop_one(&mut self) -> Option<Ready> {
        self.slots
            .values_mut()
            .filter(|s| s.ready.is_some())
            .min_by_key(|s| s.last_used)
            .and_then(|s| s.ready.take())
    }

    /// Discards every ready process.
    pub fn drain(&mut self, log: &Logger) {
        for ready in self.take_all() {
            actix::spawn(ready.discard(log.clone()));
        }
    }

    /// Drops the ready process of the project in `dir` working in that directory (its
    /// extensions changed); refilled at its next use. Worktree pairs read their extensions
    /// from their own checkout of `HEAD`, which the project's working files do not change.
    pub fn invalidate(&mut self, dir: &Path, log: &Logger) {
        let key = SlotKey {
            dir: dir.to_path_buf(),
            isolation: Isolation::None,
        };
        if let Some(slot) = self.slots.get_mut(&key) {
            slot.generation += 1;
            if let Some(ready) = slot.ready.take() {
                actix::spawn(ready.discard(log.clone()));
            }
        }
    }

    /// Forgets the pairs unused since [`PROJECT_IDLE`] before `now`, discarding their
    /// ready processes.
    pub fn sweep(&mut self, now: Instant, log: &Logger) {
        let idle: Vec<SlotKey> = self
            .slots
            .iter()
            .filter(|(_, s)| now.duration_since(s.last_used) >= PROJECT_IDLE)
            .map(|(k, _)| k.clone())
            .collect();
        for key in idle {
            if let Some(ready) = self.slots.remove(&key).and_then(|s| s.ready) {
                actix::spawn(ready.discard(log.clone()));
            }
        }
    }
}

impl Pool {
    /// Takes the ready process of the pair `key` (if it has one alive), then prepares the
    /// next.
    pub(super) fn take_in(&mut self, ctx: &mut Context<Self>, key: SlotKey) -> Option<Ready> {
        let slot = self.projects.slots.entry(key.clone()).or_insert(Slot {
            ready: None,
            filling: false,
            generation: 0,
            last_used: Instant::now(),
        });
        slot.last_used = Instant::now();
        let taken = match slot.ready.take() {
            Some(r) if r.started.process.exit_status().is_none() => Some(r),
            Some(dead) => {
                warn!(self.log(), "a pre-warmed CLI process had exited; discarded");
                actix::spawn(dead.discard(self.log().clone()));
                None
            }
            None => None,
        };
        self.refill_project(ctx, key);
        taken
    }

    /// Spawns a ready process for the pair `key` if it has none, room permitting.
    fn refill_project(&mut self, ctx: &mut Context<Self>, key: SlotKey) {
        if self.is_stopped() {
            return;
        }
        let held = self.projects.held() + self.ready_default();
        match self.projects.slots.get(&key) {
            Some(s) if s.ready.is_none() && !s.filling => {}
            _ => return,
        }
        if held >= self.max_size() || !self.budget_allows() {
            return;
        }
        let Some(slot) = self.projects.slots.get_mut(&key) else {
            return;
        };
        slot.filling = true;
        let generation = slot.generation;
        let (factory, log) = (self.factory(), self.log().clone());
        let dir = key.dir.clone();
        // Given up at once if the pool stops meanwhile (as the default project's spawns).
        let stop = self.stop_signal();
        ctx.spawn(
            start_ready(factory, key.clone(), log, stop)
                .into_actor(self)
                .map(move |result, act, ctx| {
                    let stopped = act.is_stopped();
                    let slot = act.projects.slots.get_mut(&key);
                    match (result, slot) {
                        (Ok(ready), Some(slot)) if slot.generation == generation && !stopped => {
                            slot.filling = false;
                            slot.ready = Some(ready);
                            info!(act.log(), "a project's process is ready";
                                "project_dir" => dir.display().to_string(),
                                "isolation" => key.isolation.as_str());
                        }
                        (result, slot) => {
                            if let Some(slot) = slot {
                                slot.filling = false;
                            }
                            match result {
                                Ok(stale) => {
                                    // The stop waits for its worktree to be gone.
                                    act.projects.discarding += 1;
                                    ctx.spawn(
                                        stale.discard(act.log().clone()).into_actor(act).map(
                                            |_, act, _| {
                                                act.projects.discarding -= 1;
                                                act.notify_drained();
                                            },
                                        ),
                                    );
                                }
                                Err(_) if stopped => {}
                                Err(e) => {
                                    warn!(act.log(), "pre-warming a project's CLI process failed";
                                    "error" => e)
                                }
                            }
                        }
                    }
                    act.notify_drained();
                }),
        );
    }
}

/// Starts a ready process for the pair `key`: in the project's directory, or in a worktree
/// made for the session id it will carry.
async fn start_ready(
    factory: super::cli_factory::CliFactory,
    key: SlotKey,
    log: Logger,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Result<Ready, String> {
    let cancel = async move {
        let mut stop = stop;
        let _ = stop.wait_for(|stopped| *stopped).await;
    };
    let defaults = SessionOptions::defaults(factory.settings());
    if key.isolation == Isolation::None {
        let id = uuid::Uuid::new_v4().to_string();
        let options = factory.options_in(&key.dir, SessionStart::New(id), &defaults);
        let started = ClaudeProcess::start_unless(options, cancel)
            .await
            .map_err(|e| e.to_string())?;
        return Ok(Ready {
            started,
            worktree: None,
        });
    }
    let id = SessionId::random();
    let (repo, root, name) = (
        key.dir.clone(),
        workspace::worktrees_dir(factory.settings()),
        id.as_str().to_string(),
    );
    let made = tokio::task::spawn_blocking(move || worktree::create(&repo, &root, &name))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let wt = PooledWorktree {
        project: key.dir.clone(),
        id: id.clone(),
        made,
    };
    if let Some(ext) = super::supervisor::read_extensions(wt.made.dir.clone()).await {
        factory.set_mcp_config_for(&wt.made.dir, ext.mcp_config);
    }
    let options = factory.options_in(
        &wt.made.dir,
        SessionStart::New(id.as_str().to_string()),
        &defaults,
    );
    match ClaudeProcess::start_unless(options, cancel).await {
        Ok(started) => Ok(Ready {
            started,
            worktree: Some(wt),
        }),
        Err(e) => {
            discard_worktree(wt, log).await;
            Err(e.to_string())
        }
    }
}
