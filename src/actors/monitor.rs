//! The monitor: on a timer, samples the resident memory of every session's whole process
//! tree (the CLI and its tool children) and reports sessions over `MAX_SESSION_RSS_MB`; on
//! twice that period, stops and reaps orphans: processes re-parented to the server (it is
//! a child subreaper) that carry the server's owner mark in their environment — the tools
//! of a CLI that died — and are not one of its live CLIs. Other children of the process
//! are never touched. Every scan runs on a blocking thread (see [`crate::process`]). (Each
//! session checks its own age and idleness on the same period.)
use std::time::Duration;

use actix::prelude::*;
use slog::{debug, warn, Logger};

use super::budget::Budget;
use super::messages::{GetState, MemoryExceeded};
use super::pool::{GetPoolStatus, Pool, Refill};
use super::supervisor::{LiveSessions, Supervisor};
use crate::process as os;

pub struct Monitor {
    supervisor: Addr<Supervisor>,
    pool: Addr<Pool>,
    budget: Budget,
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
        pool: Addr<Pool>,
        budget: Budget,
        interval: Duration,
        limit_mb: u64,
        exclusive_children: bool,
        log: Logger,
    ) -> Monitor {
        Monitor {
            supervisor,
            pool,
            budget,
            interval,
            limit_bytes: limit_mb * 1024 * 1024,
            exclusive_children,
            log,
        }
    }

    fn sample_memory(&mut self, ctx: &mut Context<Self>) {
        let supervisor = self.supervisor.clone();
        let pool = self.pool.clone();
        let budget = self.budget.clone();
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
                let roots: Vec<i32> = pids.iter().map(|(_, pid)| *pid).collect();
                let pooled = pool.send(GetPoolStatus).await.map(|p| p.pids);
                let pooled = pooled.unwrap_or_default();
                let pool_count = pooled.len();
                let (rss, pool_rss) = tokio::task::spawn_blocking(move || {
                    (os::rss_of_trees(&roots), os::rss_of_trees(&pooled))
                })
                .await
                .unwrap_or_default();
                let sample: Vec<(String, u64)> = pids
                    .iter()
                    .zip(&rss)
                    .map(|((id, _), rss)| (id.to_string(), *rss))
                    .collect();
                let m = crate::metrics::metrics();
                m.set_session_memory(&sample);
                let pool_total: u64 = pool_rss.iter().sum();
                m.pool_memory.set(crate::metrics::gauge_value(pool_total));
                let total = sample.iter().map(|(_, b)| b).sum::<u64>() + pool_total;
                m.cli_memory_total.set(crate::metrics::gauge_value(total));
                let by_id: Vec<_> = pids
                    .iter()
                    .zip(&rss)
                    .map(|((id, _), rss)| (id.clone(), *rss))
                    .collect();
                budget.record(&by_id, pool_total, pool_count);
                let over = super::budget::enforce(&pool, &supervisor, &budget).await;
                if over > 0 {
                    warn!(log, "over the memory budget: no idle session or pooled process left to free";
                        "over_mb" => over / 1024 / 1024);
                }
                pool.do_send(Refill);
                for ((session_id, _), rss) in pids.into_iter().zip(rss) {
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
                let reaped = os::sweep_orphans(zombies).await;
                if reaped > 0 {
                    warn!(log, "stopped and reaped orphaned tool processes"; "count" => reaped);
                }
            }
            .into_actor(self),
        );
    }
}

impl Actor for Monitor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.run_interval(self.interval, |act, ctx| act.sample_memory(ctx));
        ctx.run_interval(self.interval * 2, |act, ctx| act.reap_orphans(ctx));
    }
}
