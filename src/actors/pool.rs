//! The pre-warm pool: `PREWARM_POOL_SIZE` CLI processes spawned **and initialized**, each
//! with its own session id, so a new session is ready at once. Taking one does no I/O;
//! refills run in the background with exponential back-off on failure.
//!
//! At start-up the server waits for the first ready process ([`StartupFill`]); one failed
//! spawn is a hiccup, retried with the same back-off. Start-up fails only when the first
//! [`startup_attempts`] attempts all failed — each slot's first attempt and two retries —
//! so a CLI that cannot start at all stops the server within a few seconds.
//!
//! Two things keep a new chat's first message as fast as a follow-up (issue 13):
//! - each pooled process is **warmed up** before it counts as ready (`PREWARM_WARM_UP`,
//!   [`ClaudeProcess::warm_up`]): the one-time work of a first turn that a control request
//!   can reach is done while it waits;
//! - after a take, the **refill waits** until the taken process's first reply reached its
//!   output, at most [`REFILL_DEFER`]: booting a replacement CLI is about a second of CPU,
//!   which on a small machine would run beside that first turn. A second take meanwhile
//!   (a burst) refills at once, so a burst never waits for it.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use actix::prelude::*;
use slog::{info, warn, Logger};
use tokio::sync::oneshot;

use super::budget::Budget;
use super::cli_factory::CliFactory;
use super::pool_demand::{Demand, ADAPT_EVERY};
use super::pool_projects::{Ready, SlotKey};
use crate::claude::{ClaudeProcess, SessionStart, Started};
use crate::workspace::Isolation;

pub const BACKOFF_START: Duration = Duration::from_secs(1);
pub const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// The longest a take holds the refill back (see the module documentation).
pub const REFILL_DEFER: Duration = Duration::from_secs(2);

/// Failed attempts after which start-up gives up, when none succeeded: each of the `size`
/// slots' first attempt, and two retries.
pub fn startup_attempts(size: usize) -> usize {
    size + 2
}

pub struct Pool {
    ready: VecDeque<Started>,
    /// The current target: between `base` and `max`, following demand.
    size: usize,
    /// `PREWARM_POOL_SIZE`.
    base: usize,
    /// `PREWARM_POOL_MAX` (`base` unless set: no growth).
    max: usize,
    demand: Demand,
    /// Spawns in flight.
    filling: usize,
    backoff: Duration,
    /// Set while a back-off delay is pending (no refill until it ends).
    waiting: bool,
    /// Set while a take holds the refill back; `deferrals` tells a stale hold's end from
    /// the current one's.
    deferred: bool,
    deferrals: u64,
    /// `PREWARM_WARM_UP`: the `get_context_usage` detail, None for no warm-up.
    warm_up: Option<String>,
    /// Bumped when the pool is invalidated: spawns of an older epoch are discarded.
    epoch: u64,
    factory: CliFactory,
    startup: Vec<oneshot::Sender<Result<(), String>>>,
    /// Failed attempts so far while no process has ever become ready.
    startup_failures: usize,
    /// A process has become ready once (start-up succeeded).
    started: bool,
    stopped: bool,
    /// Resolved when the pool is stopped and no spawn is in flight any more.
    drained: Vec<oneshot::Sender<()>>,
    /// Set when the pool stops: spawns in flight give up (their process is stopped).
    stop: tokio::sync::watch::Sender<bool>,
    /// The memory budget: once started, the pool refills only while a process fits.
    budget: Option<Budget>,
    /// The ready processes of the other projects in use (`pool_projects.rs`).
    pub(super) projects: super::pool_projects::Projects,
    log: Logger,
}

impl Pool {
    pub fn new(size: usize, factory: CliFactory, log: Logger) -> Pool {
        Pool {
            ready: VecDeque::new(),
            size,
            base: size,
            max: size,
            demand: Demand::default(),
            filling: 0,
            backoff: BACKOFF_START,
            waiting: false,
            deferred: false,
            deferrals: 0,
            warm_up: None,
            epoch: 0,
            factory,
            startup: Vec::new(),
            startup_failures: 0,
            started: false,
            stopped: false,
            drained: Vec::new(),
            stop: tokio::sync::watch::Sender::new(false),
            budget: None,
            projects: Default::default(),
            log,
        }
    }

    /// Grows toward recent demand up to `max` (see [`super::pool_demand`]).
    pub fn with_max(mut self, max: usize) -> Pool {
        self.max = max.max(self.base);
        self
    }

    /// Warms each process up with `get_context_usage` of this detail before it is ready.
    pub fn with_warm_up(mut self, detail: Option<String>) -> Pool {
        self.warm_up = detail;
        self
    }

    /// Re-reads the target from demand; ready processes beyond it are stopped (newest
    /// first), and a larger one is refilled.
    fn adapt(&mut self, ctx: &mut Context<Self>) {
        let target = self.demand.target(Instant::now(), self.base, self.max);
        if target != self.size {
            info!(self.log, "pool size follows demand"; "from" => self.size, "to" => target);
            self.size = target;
        }
        while self.ready.len() > self.size {
            if let Some(extra) = self.ready.pop_back() {
                actix::spawn(async move { extra.process.stop().await });
            }
        }
        self.refill(ctx);
    }

    /// Refills only while a process fits `budget` (after the first process is ready:
    /// start-up always gets one).
    pub fn with_budget(mut self, budget: Budget) -> Pool {
        self.budget = Some(budget);
        self
    }

    /// Another process may be spawned under the memory budget (counted when it may).
    pub(super) fn budget_allows(&self) -> bool {
        match &self.budget {
            Some(b) if self.started => {
                if b.fits_one() {
                    b.note_spawn();
                    true
                } else {
                    false
                }
            }
            Some(b) => {
                b.note_spawn();
                true
            }
            None => true,
        }
    }

    pub(super) fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// The default project's ready processes.
    pub(super) fn ready_default(&self) -> usize {
        self.ready.len()
    }

    /// `PREWARM_POOL_MAX`: the most ready processes, all projects together.
    pub(super) fn max_size(&self) -> usize {
        self.max
    }

    pub(super) fn factory(&self) -> CliFactory {
        self.factory.clone()
    }

    pub(super) fn log(&self) -> &Logger {
        &self.log
    }

    fn refill(&mut self, ctx: &mut Context<Self>) {
        if self.stopped || self.waiting || self.deferred {
            return;
        }
        while self.ready.len() + self.filling < self.size {
            if !self.budget_allows() {
                break;
            }
            self.filling += 1;
            let options = self
                .factory
                .options(SessionStart::New(uuid::Uuid::new_v4().to_string()));
            let epoch = self.epoch;
            let (warm_up, log) = (self.warm_up.clone(), self.log.clone());
            // A stopping pool gives up its spawns in flight at once (stopping them) rather
            // than waiting for each to initialize and warm up first: on a loaded machine that
            // took 10–20 s, and held up the server's exit after SIGTERM past 30 s.
            let (mut stop_start, mut stop_warm) = (self.stop.subscribe(), self.stop.subscribe());
            ctx.spawn(
                async move {
                    let cancel = async move {
                        let _ = stop_start.wait_for(|stopped| *stopped).await;
                    };
                    let started = ClaudeProcess::start_unless(options, cancel).await?;
                    if let Some(detail) = warm_up {
                        let t = Instant::now();
                        let warmed = tokio::select! {
                            warmed = started.process.warm_up(&detail) => warmed,
                            _ = stop_warm.wait_for(|stopped| *stopped) => {
                                started.process.stop().await;
                                return Err(crate::claude::ClaudeError::Closed);
                            }
                        };
                        match warmed {
                            Ok(()) => info!(log, "pre-warmed CLI warmed up";
                                "pid" => started.process.pid(),
                                "warm_up_ms" => t.elapsed().as_millis() as u64),
                            // Still usable: its first turn does the work itself.
                            Err(e) => warn!(log, "warming up a pre-warmed CLI failed";
                                "pid" => started.process.pid(), "error" => %e),
                        }
                    }
                    Ok::<_, crate::claude::ClaudeError>(started)
                }
                    .into_actor(self)
                    .map(move |result, act, ctx| {
                        act.filling -= 1;
                        match result {
                            Ok(started) if epoch == act.epoch && !act.stopped => {
                                act.backoff = BACKOFF_START;
                                act.started = true;
                                act.ready.push_back(started);
                                for w in act.startup.drain(..) {
                                    let _ = w.send(Ok(()));
                                }
                            }
                            Ok(stale) => {
                                // Started for an older configuration, or the pool stopped
                                // meanwhile: stopped before anything else happens here.
                                ctx.wait(
                                    async move { stale.process.stop().await }
                                        .into_actor(act)
                                        .map(|_, act, _| act.notify_drained()),
                                );
                            }
                            Err(_) if act.stopped => act.notify_drained(),
                            Err(e) => {
                                warn!(act.log, "pre-warming a CLI process failed";
                                    "error" => %e, "retry_in_ms" => act.backoff.as_millis() as u64);
                                if !act.started {
                                    act.startup_failures += 1;
                                    let attempts = startup_attempts(act.size);
                                    if act.startup_failures >= attempts {
                                        let reason = format!(
                                            "all of the first {attempts} attempts failed; the last: {e}"
                                        );
                                        for w in act.startup.drain(..) {
                                            let _ = w.send(Err(reason.clone()));
                                        }
                                    }
                                }
                                if act.waiting {
                                    return; // a retry is already scheduled
                                }
                                act.waiting = true;
                                let delay = act.backoff;
                                act.backoff = (act.backoff * 2).min(BACKOFF_MAX);
                                ctx.run_later(delay, |act, ctx| {
                                    act.waiting = false;
                                    act.refill(ctx);
                                });
                                return;
                            }
                        }
                        act.refill(ctx);
                    }),
            );
        }
    }

    /// Becomes true when the pool stops.
    pub(super) fn stop_signal(&self) -> tokio::sync::watch::Receiver<bool> {
        self.stop.subscribe()
    }

    pub(super) fn notify_drained(&mut self) {
        if self.stopped && self.filling == 0 && self.projects.filling() == 0 {
            for w in self.drained.drain(..) {
                let _ = w.send(());
            }
        }
    }

    fn drain(&mut self) {
        self.projects.drain(&self.log);
        for started in self.ready.drain(..) {
            actix::spawn(async move {
                started.process.stop().await;
            });
        }
    }
}

impl Actor for Pool {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.refill(ctx);
        ctx.run_interval(super::pool_projects::SWEEP_EVERY, |act, _ctx| {
            act.projects.sweep(Instant::now(), &act.log);
        });
        if self.max > self.base {
            ctx.run_interval(ADAPT_EVERY, |act, ctx| {
                if !act.stopped {
                    act.adapt(ctx);
                }
            });
        }
    }

    fn stopped(&mut self, _ctx: &mut Context<Self>) {
        self.drain();
    }
}

/// Waits until one process is ready (Ok at once with no pool); Err with the CLI's reason
/// when the first [`startup_attempts`] attempts all failed.
#[derive(Message)]
#[rtype(result = "Result<(), String>")]
pub struct StartupFill;

impl Handler<StartupFill> for Pool {
    type Result = ResponseFuture<Result<(), String>>;

    fn handle(&mut self, _msg: StartupFill, _ctx: &mut Context<Self>) -> Self::Result {
        if self.size == 0 || !self.ready.is_empty() {
            return Box::pin(async { Ok(()) });
        }
        let attempts = startup_attempts(self.size);
        if !self.started && self.startup_failures >= attempts {
            let reason = format!("all of the first {attempts} attempts failed");
            return Box::pin(async move { Err(reason) });
        }
        let (tx, rx) = oneshot::channel();
        self.startup.push(tx);
        Box::pin(async move {
            rx.await
                .unwrap_or_else(|_| Err("the pool stopped".to_string()))
        })
    }
}

/// Takes a ready process (no I/O) of the default project, or of the project in `dir`; None
/// when there is none. A project other than the default gets a ready process from then on
/// (`pool_projects.rs`).
#[derive(Message, Default)]
#[rtype(result = "Option<Started>")]
pub struct Take {
    pub dir: Option<std::path::PathBuf>,
}

impl Handler<Take> for Pool {
    type Result = Option<Started>;

    fn handle(&mut self, msg: Take, ctx: &mut Context<Self>) -> Option<Started> {
        if let Some(dir) = msg.dir.filter(|d| d != self.factory.default_dir()) {
            let key = SlotKey {
                dir,
                isolation: Isolation::None,
            };
            return self.take_in(ctx, key).map(|ready| ready.started);
        }
        self.demand.record(Instant::now());
        let target = self.demand.target(Instant::now(), self.base, self.max);
        if target > self.size {
            info!(self.log, "pool grows toward demand"; "from" => self.size, "to" => target);
            self.size = target;
        }
        let mut taken = None;
        while let Some(started) = self.ready.pop_front() {
            if started.process.exit_status().is_none() {
                taken = Some(started);
                break;
            }
            warn!(self.log, "a pre-warmed CLI process had exited; discarded");
        }
        match &taken {
            // A burst: the refill starts now, whatever an earlier take was waiting for.
            _ if self.deferred => self.deferred = false,
            Some(started) if self.started && !self.stopped => self.hold_refill(started, ctx),
            _ => {}
        }
        self.refill(ctx);
        taken
    }
}

impl Pool {
    /// Holds the refill until `taken`'s first reply reached its output, or [`REFILL_DEFER`].
    fn hold_refill(&mut self, taken: &Started, ctx: &mut Context<Self>) {
        self.deferred = true;
        self.deferrals += 1;
        let hold = self.deferrals;
        let process = taken.process.clone();
        ctx.spawn(
            async move {
                let _ = tokio::time::timeout(REFILL_DEFER, process.first_reply()).await;
            }
            .into_actor(self)
            .map(move |_, act, ctx| {
                if act.deferrals == hold && act.deferred {
                    act.deferred = false;
                    act.refill(ctx);
                }
            }),
        );
    }
}

/// Takes the ready worktree process of the project (repository) in `project`, its
/// worktree made for the session id it carries; None when there is none. The project's
/// worktree sessions get a ready process from then on (`pool_projects.rs`).
#[derive(Message)]
#[rtype(result = "Option<Ready>")]
pub struct TakeWorktree {
    pub project: std::path::PathBuf,
}

impl Handler<TakeWorktree> for Pool {
    type Result = Option<Ready>;

    fn handle(&mut self, msg: TakeWorktree, ctx: &mut Context<Self>) -> Option<Ready> {
        let key = SlotKey {
            dir: msg.project,
            isolation: Isolation::Worktree,
        };
        self.take_in(ctx, key)
    }
}

/// How many ready processes the project in `dir` has for sessions of `isolation` (None:
/// the default project).
#[derive(Message)]
#[rtype(result = "usize")]
pub struct ReadyIn {
    pub dir: Option<std::path::PathBuf>,
    pub isolation: Isolation,
}

impl Handler<ReadyIn> for Pool {
    type Result = usize;

    fn handle(&mut self, msg: ReadyIn, _ctx: &mut Context<Self>) -> usize {
        let dir = msg
            .dir
            .unwrap_or_else(|| self.factory.default_dir().to_path_buf());
        if dir == self.factory.default_dir() && msg.isolation == Isolation::None {
            return self.ready.len();
        }
        self.projects.ready_in(&SlotKey {
            dir,
            isolation: msg.isolation,
        })
    }
}

/// Ready processes and the target size.
#[derive(Message)]
#[rtype(result = "PoolStatus")]
pub struct GetPoolStatus;

#[derive(Debug, Clone)]
pub struct PoolStatus {
    pub ready: usize,
    pub size: usize,
    pub pids: Vec<i32>,
    /// Spawns in flight.
    pub filling: usize,
    /// A take holds the refill back ([`REFILL_DEFER`]).
    pub deferred: bool,
}

impl Handler<GetPoolStatus> for Pool {
    type Result = MessageResult<GetPoolStatus>;

    fn handle(&mut self, _msg: GetPoolStatus, _ctx: &mut Context<Self>) -> Self::Result {
        let mut pids: Vec<i32> = self.ready.iter().map(|s| s.process.pid()).collect();
        pids.extend(self.projects.pids());
        MessageResult(PoolStatus {
            ready: pids.len(),
            size: self.size,
            pids,
            filling: self.filling,
            deferred: self.deferred,
        })
    }
}

/// The extension configuration changed: drop the ready processes (of the project in `dir`
/// only, when set) and refill.
#[derive(Message, Default)]
#[rtype(result = "()")]
pub struct Invalidate {
    pub dir: Option<std::path::PathBuf>,
}

impl Handler<Invalidate> for Pool {
    type Result = ();

    fn handle(&mut self, msg: Invalidate, ctx: &mut Context<Self>) {
        if let Some(dir) = msg.dir.filter(|d| d != self.factory.default_dir()) {
            self.projects.invalidate(&dir, &self.log);
            return;
        }
        info!(
            self.log,
            "extension configuration changed; refreshing the pool"
        );
        self.epoch += 1;
        self.drain();
        self.refill(ctx);
    }
}

/// Stop every pooled process (awaited) and refill no more.
#[derive(Message)]
#[rtype(result = "()")]
pub struct StopPool;

impl Handler<StopPool> for Pool {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, _msg: StopPool, _ctx: &mut Context<Self>) -> Self::Result {
        self.stopped = true;
        self.stop.send_replace(true);
        self.epoch += 1;
        let ready: Vec<Started> = self.ready.drain(..).collect();
        let projects = self.projects.take_all();
        let log = self.log.clone();
        // Spawns in flight give up and stop their process; wait for that too (bounded by
        // the initialize timeout).
        let in_flight = (self.filling + self.projects.filling() > 0).then(|| {
            let (tx, rx) = oneshot::channel();
            self.drained.push(tx);
            rx
        });
        Box::pin(async move {
            for started in ready {
                started.process.stop().await;
            }
            for ready in projects {
                ready.discard(log.clone()).await;
            }
            if let Some(rx) = in_flight {
                let _ = tokio::time::timeout(crate::claude::process::INITIALIZE_TIMEOUT, rx).await;
            }
        })
    }
}

/// Over the memory budget: stop ready processes (newest first) until about `bytes` are
/// freed, each counted at `each` bytes; answers how many were stopped. The pool refills
/// again once the budget has room (on the monitor's next [`Refill`]).
#[derive(Message)]
#[rtype(result = "usize")]
pub struct Shrink {
    pub bytes: u64,
    pub each: u64,
}

impl Handler<Shrink> for Pool {
    type Result = usize;

    fn handle(&mut self, msg: Shrink, _ctx: &mut Context<Self>) -> usize {
        let mut freed = 0u64;
        let mut stopped = 0;
        while freed < msg.bytes {
            if let Some(ready) = self.projects.pop_one() {
                actix::spawn(ready.discard(self.log.clone()));
            } else if let Some(started) = self.ready.pop_back() {
                actix::spawn(async move { started.process.stop().await });
            } else {
                break;
            }
            freed += msg.each;
            stopped += 1;
        }
        if stopped > 0 {
            if let Some(b) = &self.budget {
                b.pool_shrunk(freed);
            }
            crate::metrics::metrics()
                .pool_shrinks
                .inc_by(stopped as u64);
            info!(self.log, "pool shrunk to stay under the memory budget"; "stopped" => stopped);
        }
        stopped
    }
}

/// Refill if the budget has room again (the monitor sends this after each sample).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Refill;

impl Handler<Refill> for Pool {
    type Result = ();

    fn handle(&mut self, _msg: Refill, ctx: &mut Context<Self>) {
        self.refill(ctx);
    }
}
