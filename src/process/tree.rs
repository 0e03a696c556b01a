//! [`ProcessTree`]: a process, its process group and every descendant seen while it ran,
//! and the one kill ladder every stop goes through (a CLI's stop, the orphan sweep,
//! start-up recovery):
//!
//! close stdin → grace → SIGTERM+SIGCONT to the group → grace → SIGKILL to the group, the
//! leader, and the group of every descendant seen on the way → reap.
//!
//! Each step is optional ([`Ladder`]): an orphan has no stdin, a stale CLI of a previous run
//! goes straight to SIGKILL. Scans run on blocking threads.

use std::collections::HashSet;
use std::future::Future;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use tokio::sync::watch;

use super::scan::{self, ProcInfo};
use super::signal::{reap_if_exited, signal_group, signal_pid};

/// After the last SIGKILL, how long the leader may take to be reaped.
const KILL_WAIT: Duration = Duration::from_secs(5);
/// How long leftovers (re-parented to us) may take to be reaped.
const REAP_WAIT: Duration = Duration::from_secs(2);
/// Poll period while waiting for a process that is not watched.
const POLL: Duration = Duration::from_millis(10);

/// The steps of a stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ladder {
    /// After closing stdin, how long the leader may take to exit by itself (None: no
    /// stdin step).
    pub stdin_grace: Option<Duration>,
    /// After SIGTERM+SIGCONT to the group (None: straight to SIGKILL).
    pub term_grace: Option<Duration>,
}

impl Ladder {
    /// A CLI: 2 s after stdin closes, 5 s after SIGTERM.
    pub const CLI: Ladder = Ladder {
        stdin_grace: Some(Duration::from_secs(2)),
        term_grace: Some(Duration::from_secs(5)),
    };
    /// An orphaned tool process: SIGTERM, 2 s, SIGKILL.
    pub const ORPHAN: Ladder = Ladder {
        stdin_grace: None,
        term_grace: Some(Duration::from_secs(2)),
    };
    /// A CLI a previous run of the server left behind: SIGKILL at once.
    pub const STALE: Ladder = Ladder {
        stdin_grace: None,
        term_grace: None,
    };
}

/// How the stop learns that the leader has exited.
pub enum Exit<T> {
    /// Another task reaps the leader (tokio's child waiter) and publishes `Some` here.
    Watched(watch::Receiver<Option<T>>),
    /// The leader is our child (an adopted orphan): reaped here.
    Reap,
    /// Not our child: gone once it no longer runs.
    Poll,
}

/// How a stop ended the leader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopMethod {
    /// It had already exited.
    AlreadyExited,
    /// It exited on its own after stdin was closed.
    StdinClosed,
    /// It exited after SIGTERM.
    Terminated,
    /// It had to be killed (SIGKILL).
    Killed,
}

/// What a stop did.
#[derive(Debug, Clone)]
pub struct Stopped {
    pub method: StopMethod,
    pub elapsed: Duration,
    /// Descendant processes (tool children) that were signalled.
    pub descendants_killed: usize,
}

/// A process tree led by `pid` in group `pgid`.
#[derive(Debug)]
pub struct ProcessTree {
    pid: i32,
    pgid: i32,
    seen: HashSet<ProcInfo>,
}

impl ProcessTree {
    /// The tree of a process that leads its own group (every CLI does).
    pub fn group_leader(pid: i32) -> ProcessTree {
        ProcessTree {
            pid,
            pgid: pid,
            seen: HashSet::new(),
        }
    }

    /// The tree of a process in group `pgid`.
    pub fn in_group(pid: i32, pgid: i32) -> ProcessTree {
        ProcessTree {
            pid,
            pgid,
            seen: HashSet::new(),
        }
    }

    /// Records the current descendants (they may leave the tree before the stop ends).
    pub async fn snapshot(&mut self) {
        let pid = self.pid;
        if let Ok(found) = tokio::task::spawn_blocking(move || scan::descendants(pid)).await {
            self.seen.extend(found);
        }
    }

    /// Stops the tree with `ladder`; `close_stdin` is the stdin step (skipped when None or
    /// when the ladder has none). No process of the tree survives.
    pub async fn stop<T, F>(
        &mut self,
        ladder: Ladder,
        exit: &mut Exit<T>,
        close_stdin: Option<F>,
    ) -> Stopped
    where
        F: Future<Output = ()>,
    {
        let started = Instant::now();
        let method = self.run_ladder(ladder, exit, close_stdin).await;
        let descendants_killed = self.kill_leftovers().await;
        if method == StopMethod::Killed {
            self.wait_exit(exit, KILL_WAIT).await;
        }
        Stopped {
            method,
            elapsed: started.elapsed(),
            descendants_killed,
        }
    }

    async fn run_ladder<T, F>(
        &mut self,
        ladder: Ladder,
        exit: &mut Exit<T>,
        close_stdin: Option<F>,
    ) -> StopMethod
    where
        F: Future<Output = ()>,
    {
        if self.wait_exit(exit, Duration::ZERO).await {
            return StopMethod::AlreadyExited;
        }
        self.snapshot().await;
        if let (Some(grace), Some(close)) = (ladder.stdin_grace, close_stdin) {
            close.await;
            if self.wait_exit(exit, grace).await {
                return StopMethod::StdinClosed;
            }
            self.snapshot().await;
        }
        if let Some(grace) = ladder.term_grace {
            signal_group(self.pgid, Signal::SIGTERM);
            signal_group(self.pgid, Signal::SIGCONT);
            if self.pgid != self.pid {
                signal_pid(self.pid, Signal::SIGTERM);
            }
            if self.wait_exit(exit, grace).await {
                return StopMethod::Terminated;
            }
            self.snapshot().await;
        }
        signal_group(self.pgid, Signal::SIGKILL);
        signal_pid(self.pid, Signal::SIGKILL);
        StopMethod::Killed
    }

    /// Waits up to `within` for the leader to exit.
    async fn wait_exit<T>(&self, exit: &mut Exit<T>, within: Duration) -> bool {
        let pid = self.pid;
        match exit {
            Exit::Watched(rx) => {
                if rx.borrow().is_some() {
                    return true;
                }
                matches!(
                    tokio::time::timeout(within, rx.wait_for(Option::is_some)).await,
                    Ok(Ok(_))
                )
            }
            Exit::Reap => poll_until(within, move || reap_if_exited(pid)).await,
            Exit::Poll => poll_until(within, move || !scan::is_alive(pid)).await,
        }
    }

    /// SIGKILLs every recorded descendant still alive (and its group), then reaps the ones
    /// that became our children (bounded). Returns how many were signalled.
    async fn kill_leftovers(&mut self) -> usize {
        self.snapshot().await;
        let procs: Vec<ProcInfo> = self.seen.iter().copied().collect();
        tokio::task::spawn_blocking(move || {
            let alive: HashSet<i32> = scan::infos(&procs.iter().map(|p| p.pid).collect::<Vec<_>>())
                .into_iter()
                .filter(|p| !p.zombie)
                .map(|p| p.pid)
                .collect();
            for p in procs.iter().filter(|p| alive.contains(&p.pid)) {
                signal_group(p.pgid, Signal::SIGKILL);
                signal_pid(p.pid, Signal::SIGKILL);
            }
            // Wait (bounded) until none of them runs any more, reaping those re-parented
            // to us (we are a subreaper): a SIGKILL takes effect when the process is next
            // scheduled, not when the signal is sent.
            let deadline = Instant::now() + REAP_WAIT;
            let mut pending: Vec<i32> = procs.iter().map(|p| p.pid).collect();
            while !pending.is_empty() {
                // Our children until reaped; others until they no longer run.
                let unreaped: Vec<i32> = pending
                    .iter()
                    .copied()
                    .filter(|&pid| !reap_if_exited(pid))
                    .collect();
                let running = scan::infos(&pending)
                    .into_iter()
                    .filter(|p| !p.zombie)
                    .map(|p| p.pid);
                let mut next: HashSet<i32> = unreaped.into_iter().collect();
                next.extend(running);
                pending = next.into_iter().collect();
                if Instant::now() >= deadline {
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            alive.len()
        })
        .await
        .unwrap_or(0)
    }
}

/// Polls `done` (on a blocking thread) until it holds or `within` passed.
async fn poll_until(within: Duration, done: impl Fn() -> bool + Send + Clone + 'static) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let check = done.clone();
        if tokio::task::spawn_blocking(check).await.unwrap_or(true) {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(POLL).await;
    }
}
