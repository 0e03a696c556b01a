//! How big the pre-warm pool should be: it grows toward recent demand, up to
//! `PREWARM_POOL_MAX`, and falls back to `PREWARM_POOL_SIZE` once that demand is old.
//!
//! Demand is the creates that asked the pool for a process (served or not). The target is
//! the largest number of them within any [`BURST_WINDOW`] over the last [`DEMAND_MEMORY`]:
//! a burst of 12 creates makes the pool hold 12 (within the bounds) for the next one, and
//! 10 minutes without such a burst shrink it back. (The memory budget bounds it further:
//! the pool refills only while a process fits.)

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Creates this close together count as one burst.
pub const BURST_WINDOW: Duration = Duration::from_secs(10);
/// How long a burst keeps the pool grown.
pub const DEMAND_MEMORY: Duration = Duration::from_secs(600);
/// How often the pool re-reads its target when nothing is taken (shrinking when idle).
pub const ADAPT_EVERY: Duration = Duration::from_secs(30);

#[derive(Debug, Default)]
pub struct Demand {
    takes: VecDeque<Instant>,
}

impl Demand {
    /// A create asked the pool for a process at `now`.
    pub fn record(&mut self, now: Instant) {
        self.takes.push_back(now);
    }

    /// The pool's size now: the largest burst remembered, between `base` and `max`. With
    /// `base` 0 the pool is off and stays off.
    pub fn target(&mut self, now: Instant, base: usize, max: usize) -> usize {
        while self
            .takes
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) > DEMAND_MEMORY)
        {
            self.takes.pop_front();
        }
        if base == 0 {
            return 0;
        }
        let mut peak = 0;
        let mut start = 0;
        for (end, t) in self.takes.iter().enumerate() {
            while t.saturating_duration_since(self.takes[start]) > BURST_WINDOW {
                start += 1;
            }
            peak = peak.max(end - start + 1);
        }
        peak.clamp(base, max.max(base))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_grows_the_pool_within_its_bounds_and_old_demand_shrinks_it() {
        let t0 = Instant::now();
        let mut d = Demand::default();
        assert_eq!(d.target(t0, 2, 6), 2, "no demand: the base size");
        for i in 0..4 {
            d.record(t0 + Duration::from_millis(i * 100));
        }
        assert_eq!(d.target(t0 + Duration::from_secs(1), 2, 6), 4);
        for i in 0..10 {
            d.record(t0 + Duration::from_secs(2) + Duration::from_millis(i * 10));
        }
        assert_eq!(
            d.target(t0 + Duration::from_secs(3), 2, 6),
            6,
            "capped at the max"
        );
        // Creates spread out (one a minute) are not a burst.
        let mut spread = Demand::default();
        for i in 0..8 {
            spread.record(t0 + Duration::from_secs(60 * i));
        }
        assert_eq!(spread.target(t0 + Duration::from_secs(480), 2, 6), 2);
        // Ten minutes later the burst is forgotten.
        let later = t0 + DEMAND_MEMORY + Duration::from_secs(5);
        assert_eq!(d.target(later, 2, 6), 2);
        // A disabled pool stays disabled.
        d.record(later);
        assert_eq!(d.target(later, 0, 6), 0);
    }
}
