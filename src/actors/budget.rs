//! The memory budget (`MEMORY_BUDGET_MB`): a bound on the resident memory of every CLI
//! process tree, the sessions' and the pool's together.
//!
//! [`Budget`] is the shared account: the monitor records each sample (per session, the
//! pool), and every spawn since the last sample is counted at the estimated size of one
//! CLI ([`Budget::estimate`]: the average sampled tree, [`DEFAULT_CLI_ESTIMATE`] before
//! the first sample). Staying under it, in this order:
//! 1. the pool refills only while a process fits, and is shrunk first when the total is
//!    over ([`super::pool::Shrink`]);
//! 2. then the least recently used idle sessions are suspended (the lifecycle's `Reclaim`
//!    event: only a session with no turn running gives up its process; it resumes on the
//!    next message, as after the idle timeout);
//! 3. a create that still cannot fit is refused with `capacity_exceeded`
//!    ([`EngineError::OverMemoryBudget`](super::EngineError::OverMemoryBudget)).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use actix::prelude::*;

use super::lifecycle::{Event, Phase, StopReason};
use super::session::{Input, SessionActor};
use crate::session_id::SessionId;

/// The size of one CLI process tree assumed before any has been sampled.
pub const DEFAULT_CLI_ESTIMATE: u64 = 200 * 1024 * 1024;

#[derive(Debug, Default)]
struct Account {
    sessions: HashMap<SessionId, u64>,
    pool: u64,
    /// Average sampled tree (0 before the first sample).
    per_cli: u64,
    /// Processes spawned since the last sample, counted at the estimate.
    pending: u64,
}

/// The shared account (cheap to clone).
#[derive(Clone, Debug)]
pub struct Budget {
    limit: u64,
    account: Arc<Mutex<Account>>,
}

impl Budget {
    pub fn new(limit_mb: u64) -> Budget {
        Budget {
            limit: limit_mb * 1024 * 1024,
            account: Arc::new(Mutex::new(Account::default())),
        }
    }

    fn account(&self) -> std::sync::MutexGuard<'_, Account> {
        self.account.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// The assumed size of one more CLI process tree.
    pub fn estimate(&self) -> u64 {
        match self.account().per_cli {
            0 => DEFAULT_CLI_ESTIMATE,
            n => n,
        }
    }

    /// The sampled total plus the spawns since.
    pub fn used(&self) -> u64 {
        let a = self.account();
        a.sessions.values().sum::<u64>() + a.pool + a.pending
    }

    /// Bytes over the limit if `extra` were added (0 when it fits).
    pub fn excess_with(&self, extra: u64) -> u64 {
        (self.used() + extra).saturating_sub(self.limit)
    }

    /// One more process fits.
    pub fn fits_one(&self) -> bool {
        self.excess_with(self.estimate()) == 0
    }

    /// A process is being spawned: counted at the estimate until the next sample.
    pub fn note_spawn(&self) {
        let estimate = self.estimate();
        self.account().pending += estimate;
    }

    /// The sampled size of a live session's tree (the estimate when not sampled yet).
    pub fn session_bytes(&self, id: &SessionId) -> u64 {
        let sampled = self.account().sessions.get(id).copied();
        sampled.unwrap_or_else(|| self.estimate())
    }

    /// A monitor sample: every live session's tree, and the pool's `pool_count` trees.
    pub fn record(&self, sessions: &[(SessionId, u64)], pool: u64, pool_count: usize) {
        let mut a = self.account();
        a.sessions = sessions.iter().cloned().collect();
        a.pool = pool;
        a.pending = 0;
        let count = (sessions.len() + pool_count) as u64;
        if let Some(avg) = (a.sessions.values().sum::<u64>() + pool).checked_div(count) {
            a.per_cli = avg;
        }
    }

    /// A session's process is gone: its sample no longer counts (or, not sampled yet, its
    /// spawn).
    pub fn forget(&self, id: &SessionId) {
        let estimate = self.estimate();
        let mut a = self.account();
        if a.sessions.remove(id).is_none() {
            a.pending = a.pending.saturating_sub(estimate);
        }
    }

    /// Pooled processes stopped: their share of the pool's sample no longer counts.
    pub fn pool_shrunk(&self, bytes: u64) {
        let mut a = self.account();
        a.pool = a.pool.saturating_sub(bytes);
    }
}

/// Which sessions to suspend, least recently used first, until `needed` bytes are freed:
/// `candidates` are the idle sessions with their last activity and size.
pub fn pick_lru(mut candidates: Vec<(SessionId, Instant, u64)>, needed: u64) -> Vec<SessionId> {
    candidates.sort_by_key(|(_, last, _)| *last);
    let mut freed = 0;
    let mut picked = Vec::new();
    for (id, _, bytes) in candidates {
        if freed >= needed {
            break;
        }
        freed += bytes;
        picked.push(id);
    }
    picked
}

/// When an idle session was last active; None when a turn runs, it is not running, or it
/// was just woken for its user ([`super::lifecycle::Lifecycle::reclaimable`]).
#[derive(Message)]
#[rtype(result = "Option<Instant>")]
pub struct IdleSince;

impl Handler<IdleSince> for SessionActor {
    type Result = Option<Instant>;

    fn handle(&mut self, _msg: IdleSince, _ctx: &mut Context<Self>) -> Option<Instant> {
        self.life
            .reclaimable(Instant::now())
            .then(|| self.life.last_activity())
    }
}

/// Give up the process for the memory budget, if idle; true when it is now stopping.
#[derive(Message)]
#[rtype(result = "bool")]
pub struct ReclaimSession;

impl Handler<ReclaimSession> for SessionActor {
    type Result = bool;

    fn handle(&mut self, _msg: ReclaimSession, ctx: &mut Context<Self>) -> bool {
        let _ = self.run(ctx, Event::Reclaim, Input::None);
        matches!(
            self.life.phase(),
            Phase::Stopping {
                reason: StopReason::MemoryBudget
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_least_recently_used_go_first_until_enough_is_freed() {
        let t = Instant::now();
        let (a, b, c) = (
            SessionId::random(),
            SessionId::random(),
            SessionId::random(),
        );
        let mb = 1024 * 1024;
        let candidates = vec![
            (a.clone(), t + Duration::from_secs(3), 100 * mb),
            (b.clone(), t + Duration::from_secs(1), 100 * mb),
            (c.clone(), t + Duration::from_secs(2), 100 * mb),
        ];
        assert_eq!(pick_lru(candidates.clone(), 150 * mb), vec![b.clone(), c]);
        assert_eq!(pick_lru(candidates.clone(), 0), Vec::<SessionId>::new());
        assert_eq!(pick_lru(candidates, 10_000 * mb).len(), 3);
    }

    #[test]
    fn spawns_count_until_sampled_and_the_estimate_follows_samples() {
        let mb = 1024 * 1024;
        let budget = Budget::new(500);
        assert_eq!(budget.estimate(), DEFAULT_CLI_ESTIMATE);
        assert!(budget.fits_one());
        budget.note_spawn();
        budget.note_spawn();
        assert_eq!(budget.used(), 400 * mb);
        assert!(!budget.fits_one());
        let id = SessionId::random();
        budget.record(&[(id.clone(), 150 * mb)], 150 * mb, 1);
        assert_eq!(budget.used(), 300 * mb);
        assert_eq!(budget.estimate(), 150 * mb);
        assert!(budget.fits_one());
        assert_eq!(budget.excess_with(300 * mb), 100 * mb);
        budget.forget(&id);
        budget.pool_shrunk(150 * mb);
        assert_eq!(budget.used(), 0);
        budget.note_spawn();
        budget.forget(&SessionId::random());
        assert_eq!(
            budget.used(),
            0,
            "an unsampled session's spawn is forgotten with it"
        );
    }
}

// ---- the supervisor's part: making room ----

use super::pool::{GetPoolStatus, Pool, Shrink};
use super::supervisor::{Slot, Supervisor};
use super::EngineError;
use slog::{info, Logger};

/// Suspends least recently used idle sessions until about `needed` bytes are freed;
/// answers the bytes freed (as sampled).
#[derive(Message)]
#[rtype(result = "u64")]
pub struct Reclaim {
    pub needed: u64,
}

impl Handler<Reclaim> for Supervisor {
    type Result = ResponseFuture<u64>;

    fn handle(&mut self, msg: Reclaim, _ctx: &mut Context<Self>) -> Self::Result {
        let live = self.live_sessions();
        let budget = self.launcher.budget().clone();
        let log = self.log.clone();
        Box::pin(reclaim(live, budget, msg.needed, log))
    }
}

async fn reclaim(
    live: Vec<(SessionId, Addr<SessionActor>)>,
    budget: Budget,
    needed: u64,
    log: Logger,
) -> u64 {
    if needed == 0 {
        return 0;
    }
    let mut candidates = Vec::new();
    for (id, addr) in &live {
        if let Ok(Some(last)) = addr.send(IdleSince).await {
            candidates.push((id.clone(), last, budget.session_bytes(id)));
        }
    }
    let mut freed = 0;
    for id in pick_lru(candidates, needed) {
        let Some((_, addr)) = live.iter().find(|(i, _)| *i == id) else {
            continue;
        };
        if addr.send(ReclaimSession).await.unwrap_or(false) {
            let bytes = budget.session_bytes(&id);
            freed += bytes;
            crate::metrics::metrics().budget_suspensions.inc();
            info!(log, "idle session suspended to stay under the memory budget";
                "session_id" => &id, "rss_mb" => bytes / 1024 / 1024);
        }
    }
    freed
}

/// Brings the CLIs' total under the budget: the pool first, then idle sessions (the
/// monitor calls this after each sample). Answers what is still over (0 when under).
pub async fn enforce(pool: &Addr<Pool>, supervisor: &Addr<Supervisor>, budget: &Budget) -> u64 {
    let mut excess = budget.excess_with(0);
    if excess > 0 {
        excess = shrink_pool(pool, budget, excess).await;
    }
    if excess > 0 {
        let freed = supervisor
            .send(Reclaim { needed: excess })
            .await
            .unwrap_or(0);
        excess = excess.saturating_sub(freed);
    }
    excess
}

/// Stops pooled processes worth about `excess` bytes; answers what is still over.
async fn shrink_pool(pool: &Addr<Pool>, budget: &Budget, excess: u64) -> u64 {
    let Ok(status) = pool.send(GetPoolStatus).await else {
        return excess;
    };
    if status.ready == 0 {
        return excess;
    }
    let each = budget.estimate();
    let stopped = pool
        .send(Shrink {
            bytes: excess,
            each,
        })
        .await
        .unwrap_or(0);
    excess.saturating_sub(stopped as u64 * each)
}

impl Supervisor {
    fn live_sessions(&self) -> Vec<(SessionId, Addr<SessionActor>)> {
        self.slots
            .iter()
            .filter_map(|(id, s)| match s {
                Slot::Live(a) => Some((id.clone(), a.clone())),
                _ => None,
            })
            .collect()
    }

    /// Room for a new process of `need` bytes under the budget: idle sessions are
    /// suspended for it if needed (the pool is not touched: a create needs a process, and
    /// a pooled one is already counted); refused with [`EngineError::OverMemoryBudget`]
    /// when it still does not fit.
    pub(super) fn admit(&mut self, need: u64) -> ResponseActFuture<Self, Result<(), EngineError>> {
        let budget = self.launcher.budget().clone();
        let excess = budget.excess_with(need);
        if excess == 0 {
            return Box::pin(fut::ready(Ok(())));
        }
        let live = self.live_sessions();
        let log = self.log.clone();
        Box::pin(
            async move {
                let freed = reclaim(live, budget.clone(), excess, log).await;
                if freed >= excess {
                    return Ok(());
                }
                crate::metrics::metrics().capacity_refused("memory_budget");
                Err(EngineError::OverMemoryBudget {
                    budget_mb: budget.limit() / 1024 / 1024,
                })
            }
            .into_actor(self),
        )
    }
}
