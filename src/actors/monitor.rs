//! The monitor: on a timer, samples the resident memory of every session's whole process
//! tree (the CLI and its tool children) and reports sessions over `MAX_SESSION_RSS_MB`; on
//! twice that period, stops and reaps orphans: processes re-parented to the server (it is
//! a child subreaper) that carry the server's owner mark in their environment — the tools
//! of a CLI that died — and are not one of its live CLIs. Other children of the process
//! are never touched. Every `/proc` scan runs on a blocking thread. (Each session checks
//! its own age and idleness on the same period.)
use std::time::Duration;

use actix::prelude::*;
use nix::sys::signal::Signal;
use slog::{debug, warn, Logger};

use super::messages::{GetState, MemoryExceeded};
use super::supervisor::{LiveSessions, Supervisor};
use crate::claude::spawn::{cli_pids, OWNER_ENV};
use crate::process as os;

pub struct Monitor {
    supervisor: Addr<Supervisor>,
    interval: Duration,
    limit_bytes: u64,
    /// Every child of this process is a CLI or came from one (true for the server binary;
    /// false when embedded in a process with children of its own, e.g. the test harness).
    /// Only then are zombies, whose origin can no longer be read, reaped.
    exclusive_children: bool,
    log: Logger,
}

impl Monitor {
    pub fn new(
        supervisor: Addr<Supervisor>,
        interval: Duration,
        limit_mb: u64,
        exclusive_children: bool,
        log: Logger,
    ) -> Monitor {
        Monitor {
            supervisor,
            interval,
            limit_bytes: limit_mb * 1024 * 1024,
            exclusive_children,
            log,
        }
    }

    fn sample_memory(&mut self, ctx: &mut Context<Self>) {
        let supervisor = self.supervisor.clone();
        let limit = self.limit_bytes;
        let log = self.log.clone();
        ctx.spawn(
            async move {
                let sessions = supervisor.send(LiveSessions).await.unwrap_or_default();
                let mut pids = Vec::new();
                for (id, addr) in sessions {
                    if let Ok(state) = addr.send(GetState).await {
                        if let (Some(pid), false) = (state.pid, state.restarting) {
                            pids.push((id, pid));
                        }
                    }
                }
                let samples = tokio::task::spawn_blocking(move || {
                    pids.into_iter()
                        .map(|(id, pid)| (id, os::rss_bytes_of_tree(pid)))
                        .collect::<Vec<_>>()
                })
                .await
                .unwrap_or_default();
                for (session_id, rss) in samples {
                    debug!(log, "session memory"; "session_id" => &session_id, "rss_mb" => rss / 1024 / 1024);
                    if rss > limit {
                        supervisor.do_send(MemoryExceeded {
                            session_id,
                            rss_mb: rss / 1024 / 1024,
                        });
                    }
                }
            }
            .into_actor(self),
        );
    }

    fn reap_orphans(&mut self, ctx: &mut Context<Self>) {
        let log = self.log.clone();
        let zombies = self.exclusive_children;
        ctx.spawn(
            async move {
                let reaped = tokio::task::spawn_blocking(move || reap_orphans(zombies))
                    .await
                    .unwrap_or_default();
                if reaped > 0 {
                    warn!(log, "stopped and reaped orphaned tool processes"; "count" => reaped);
                }
            }
            .into_actor(self),
        );
    }
}

/// True when `pid`'s environment carries this server's owner mark.
fn owned_by_us(pid: i32) -> bool {
    let mark = format!("{OWNER_ENV}={}", std::process::id());
    std::fs::read(format!("/proc/{pid}/environ"))
        .map(|env| env.split(|b| *b == 0).any(|kv| kv == mark.as_bytes()))
        .unwrap_or(false)
}

/// Our children that came from one of our CLIs but are not a live CLI: SIGTERM (and their
/// groups), SIGKILL after 2 s, reaped; with `zombies`, unknown zombie children are reaped
/// too. Returns how many.
pub fn reap_orphans(zombies: bool) -> usize {
    let me = std::process::id() as i32;
    let live = cli_pids();
    let orphans: Vec<os::ProcInfo> = os::children_of(me)
        .into_iter()
        .filter(|pid| !live.contains(pid))
        .filter_map(os::ProcInfo::read)
        .filter(|p| {
            if p.is_zombie() {
                zombies
            } else {
                owned_by_us(p.pid)
            }
        })
        .collect();
    for p in &orphans {
        if !p.is_zombie() {
            os::signal_group(p.pgid, Signal::SIGTERM);
            os::signal_pid(p.pid, Signal::SIGTERM);
        }
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    for p in &orphans {
        while !os::reap_if_exited(p.pid) {
            if std::time::Instant::now() >= deadline {
                os::signal_group(p.pgid, Signal::SIGKILL);
                os::signal_pid(p.pid, Signal::SIGKILL);
                let _ = nix::sys::wait::waitpid(nix::unistd::Pid::from_raw(p.pid), None);
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    orphans.len()
}

impl Actor for Monitor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.run_interval(self.interval, |act, ctx| act.sample_memory(ctx));
        ctx.run_interval(self.interval * 2, |act, ctx| act.reap_orphans(ctx));
    }
}
