//! Operational metrics in the Prometheus text format (`GET /metrics`, docs/operations.md).
//!
//! One process-wide [`Metrics`] ([`metrics()`]): the engine records into it where things
//! happen (a CLI started, a turn's first token and end, a restart, a database write, a
//! WebSocket frame, an error answered), and the scrape handler ([`scrape`]) sets the gauges
//! read at scrape time (sessions by status, the pool, memory, the server's own RSS and file
//! descriptors) before encoding. The format comes from `prometheus-client` (the Prometheus
//! project's own Rust client): OpenMetrics text, which Prometheus scrapes natively.
//!
//! Process-wide because the things measured are (one server per process in production);
//! tests that embed several servers in one process see their counters summed.

mod scrape;
mod system;
pub mod turns;

use std::sync::LazyLock;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};

pub use scrape::{scrape, CONTENT_TYPE};
pub use system::{open_fds, server_rss_bytes};

/// Every series is named `csp_…` (claude-sdk-pattern).
pub const PREFIX: &str = "csp";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusLabel {
    pub status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabel {
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabel {
    pub reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SessionLabel {
    pub session_id: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CodeLabel {
    pub code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OpLabel {
    pub op: String,
}

/// Why a create is refused with `capacity_exceeded` (`MAX_SESSIONS`, `MEMORY_BUDGET_MB`).
pub const CAPACITY_REASONS: [&str; 2] = ["max_sessions", "memory_budget"];

/// Latency buckets from 1 ms to ~33 s (doubling).
fn latency_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

/// Database write buckets from 0.1 ms to ~0.8 s (doubling).
fn db_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.0001, 2.0, 14))
}

/// The series (see docs/operations.md for each one's meaning).
pub struct Metrics {
    registry: Registry,
    pub sessions: Family<StatusLabel, Gauge>,
    pub sessions_live: Gauge,
    pub sessions_max: Gauge,
    pub pool_ready: Gauge,
    pub pool_target: Gauge,
    pub spawn_ready: Histogram,
    pub create_ready: Histogram,
    pub first_token: Histogram,
    pub turns: Family<OutcomeLabel, Counter>,
    pub restarts: Family<ReasonLabel, Counter>,
    pub session_memory: Family<SessionLabel, Gauge>,
    pub sessions_memory_total: Gauge,
    pub pool_memory: Gauge,
    pub cli_memory_total: Gauge,
    pub memory_budget: Gauge,
    pub budget_suspensions: Counter,
    pub pool_shrinks: Counter,
    pub capacity_refusals: Family<ReasonLabel, Counter>,
    pub server_rss: Gauge,
    pub open_fds: Gauge,
    pub ws_connections: Gauge,
    pub ws_frames_sent: Counter,
    pub errors: Family<CodeLabel, Counter>,
    pub db_write: Family<OpLabel, Histogram>,
}

impl Metrics {
    fn new() -> Metrics {
        let mut registry = Registry::with_prefix(PREFIX);
        let m = Metrics {
            sessions: Family::default(),
            sessions_live: Gauge::default(),
            sessions_max: Gauge::default(),
            pool_ready: Gauge::default(),
            pool_target: Gauge::default(),
            spawn_ready: latency_buckets(),
            create_ready: latency_buckets(),
            first_token: latency_buckets(),
            turns: Family::default(),
            restarts: Family::default(),
            session_memory: Family::default(),
            sessions_memory_total: Gauge::default(),
            pool_memory: Gauge::default(),
            cli_memory_total: Gauge::default(),
            memory_budget: Gauge::default(),
            budget_suspensions: Counter::default(),
            pool_shrinks: Counter::default(),
            capacity_refusals: Family::default(),
            server_rss: Gauge::default(),
            open_fds: Gauge::default(),
            ws_connections: Gauge::default(),
            ws_frames_sent: Counter::default(),
            errors: Family::default(),
            db_write: Family::new_with_constructor(db_buckets),
            registry: Registry::default(),
        };
        let r = &mut registry;
        r.register("sessions", "Stored sessions by status", m.sessions.clone());
        r.register(
            "sessions_live",
            "Sessions holding a slot (starting, live or stopping)",
            m.sessions_live.clone(),
        );
        r.register("sessions_max", "MAX_SESSIONS", m.sessions_max.clone());
        r.register(
            "pool_ready",
            "Pre-warmed CLI processes ready to be taken",
            m.pool_ready.clone(),
        );
        r.register(
            "pool_target",
            "The pool's current target size",
            m.pool_target.clone(),
        );
        r.register_with_unit(
            "cli_spawn_ready",
            "From spawning a CLI to its initialize answer",
            Unit::Seconds,
            m.spawn_ready.clone(),
        );
        r.register_with_unit(
            "session_create_ready",
            "From a create request to the session being ready",
            Unit::Seconds,
            m.create_ready.clone(),
        );
        r.register_with_unit(
            "turn_first_token",
            "From a user message to its reply's first text",
            Unit::Seconds,
            m.first_token.clone(),
        );
        r.register("turns", "Turns ended, by outcome", m.turns.clone());
        r.register(
            "session_restarts",
            "Session process restarts, by reason",
            m.restarts.clone(),
        );
        r.register_with_unit(
            "session_memory",
            "Resident memory of each live session's process tree (last sample)",
            Unit::Bytes,
            m.session_memory.clone(),
        );
        r.register_with_unit(
            "sessions_memory",
            "Resident memory of every live session's process tree, summed",
            Unit::Bytes,
            m.sessions_memory_total.clone(),
        );
        r.register_with_unit(
            "pool_memory",
            "Resident memory of the pre-warmed CLI processes, summed",
            Unit::Bytes,
            m.pool_memory.clone(),
        );
        r.register_with_unit(
            "cli_memory",
            "Resident memory of every CLI process tree (sessions and pool)",
            Unit::Bytes,
            m.cli_memory_total.clone(),
        );
        r.register_with_unit(
            "memory_budget",
            "MEMORY_BUDGET_MB: the bound on the CLIs' total",
            Unit::Bytes,
            m.memory_budget.clone(),
        );
        r.register(
            "budget_suspensions",
            "Idle sessions suspended to stay under the memory budget",
            m.budget_suspensions.clone(),
        );
        r.register(
            "pool_shrinks",
            "Pre-warmed processes stopped to stay under the memory budget",
            m.pool_shrinks.clone(),
        );
        r.register(
            "capacity_refusals",
            "Creates refused with capacity_exceeded, by reason",
            m.capacity_refusals.clone(),
        );
        r.register_with_unit(
            "process_resident_memory",
            "The server process's resident memory",
            Unit::Bytes,
            m.server_rss.clone(),
        );
        r.register(
            "process_open_fds",
            "The server process's open file descriptors",
            m.open_fds.clone(),
        );
        r.register(
            "ws_connections",
            "Open WebSocket connections",
            m.ws_connections.clone(),
        );
        r.register(
            "ws_frames_sent",
            "WebSocket frames queued to clients",
            m.ws_frames_sent.clone(),
        );
        r.register(
            "errors",
            "Errors answered to clients (REST and stream_error), by code",
            m.errors.clone(),
        );
        r.register_with_unit(
            "db_write",
            "Database write latency (including the wait for a connection), by operation",
            Unit::Seconds,
            m.db_write.clone(),
        );
        // Known label values start at zero, so their series exist before the first event.
        for outcome in ["completed", "interrupted", "error"] {
            let _ = m.turns.get_or_create(&OutcomeLabel {
                outcome: outcome.to_string(),
            });
        }
        for reason in ["memory_limit", "crashed", "unresponsive"] {
            let _ = m.restarts.get_or_create(&ReasonLabel {
                reason: reason.to_string(),
            });
        }
        for reason in CAPACITY_REASONS {
            let _ = m.capacity_refusals.get_or_create(&ReasonLabel {
                reason: reason.to_string(),
            });
        }
        Metrics { registry, ..m }
    }

    /// An error answered to a client.
    pub fn error(&self, code: &str) {
        self.errors
            .get_or_create(&CodeLabel {
                code: code.to_string(),
            })
            .inc();
    }

    pub fn restart(&self, reason: &str) {
        self.restarts
            .get_or_create(&ReasonLabel {
                reason: reason.to_string(),
            })
            .inc();
    }

    pub fn db_write(&self, op: &'static str, took: Duration) {
        self.db_write
            .get_or_create(&OpLabel { op: op.to_string() })
            .observe(took.as_secs_f64());
    }

    pub fn capacity_refused(&self, reason: &str) {
        self.capacity_refusals
            .get_or_create(&ReasonLabel {
                reason: reason.to_string(),
            })
            .inc();
    }

    /// Replaces the per-session memory series with this sample (ended sessions drop out).
    pub fn set_session_memory(&self, sample: &[(String, u64)]) {
        self.session_memory.clear();
        let mut total = 0u64;
        for (id, bytes) in sample {
            total += bytes;
            self.session_memory
                .get_or_create(&SessionLabel {
                    session_id: id.clone(),
                })
                .set(gauge_value(*bytes));
        }
        self.sessions_memory_total.set(gauge_value(total));
    }

    pub(crate) fn registry(&self) -> &Registry {
        &self.registry
    }
}

/// A count or size as a gauge value (saturating).
pub fn gauge_value(v: impl TryInto<i64>) -> i64 {
    v.try_into().unwrap_or(i64::MAX)
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    &METRICS
}
