//! Replica mode (issue 18, docs/operations.md "Replicas"): several servers share one
//! PostgreSQL database and one workspace volume, and each live session runs on exactly one
//! of them — the holder of its lease (`session_leases`, src/db/cluster.rs).
//!
//! [`Cluster`] is this replica's view: who runs a session ([`Cluster::route`]), taking and
//! giving up leases, where a new session should go ([`Cluster::placement`]). Without
//! `NODE_ID` it is [`Cluster::single`], and every call answers [`Route::Local`] or does
//! nothing, without touching the database: single-machine mode is unchanged.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;
use slog::{warn, Logger};

use crate::actors::EngineError;
use crate::config::ClusterConfig;
use crate::db::cluster::NodeRow;
use crate::db::Db;
use crate::secret::Secret;
use crate::session_id::SessionId;

/// Where a session runs now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Here: its lease is this replica's (it was, or it was free and is taken now).
    Local,
    /// On another live replica, which holds a live lease.
    Remote(Remote),
}

/// Another replica.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    pub node_id: String,
    /// Its `NODE_URL`.
    pub url: String,
}

/// This replica in the cluster (or the single machine). Cheap to clone.
#[derive(Clone, Default)]
pub struct Cluster {
    node: Option<Arc<Node>>,
}

struct Node {
    config: ClusterConfig,
    db: Db,
    /// Set at SIGTERM: this replica takes no session any more.
    draining: AtomicBool,
    log: Logger,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.node {
            None => f.write_str("Cluster::single"),
            Some(n) => f
                .debug_struct("Cluster")
                .field("node_id", &n.config.node_id)
                .finish(),
        }
    }
}

impl Cluster {
    /// No `NODE_ID`: every call answers [`Route::Local`] or does nothing.
    pub fn single() -> Cluster {
        Cluster { node: None }
    }

    /// This replica, from its settings (`None`: [`Cluster::single`]).
    pub fn new(config: Option<&ClusterConfig>, db: Db, log: &Logger) -> Cluster {
        Cluster {
            node: config.map(|config| {
                Arc::new(Node {
                    config: config.clone(),
                    db,
                    draining: AtomicBool::new(false),
                    log: log.new(slog::o!("node_id" => config.node_id.clone())),
                })
            }),
        }
    }

    pub fn enabled(&self) -> bool {
        self.node.is_some()
    }

    /// `NODE_ID`.
    pub fn node_id(&self) -> Option<&str> {
        self.node.as_deref().map(|n| n.config.node_id.as_str())
    }

    /// `NODE_URL`.
    pub fn node_url(&self) -> Option<&str> {
        self.node.as_deref().map(|n| n.config.node_url.as_str())
    }

    /// `CLUSTER_SECRET` (signs replica-to-replica requests).
    pub fn secret(&self) -> Option<&Secret> {
        self.node.as_deref().map(|n| &n.config.secret)
    }

    /// `LEASE_SECONDS` (0 on a single machine).
    pub fn lease_duration(&self) -> Duration {
        Duration::from_secs(self.node.as_deref().map_or(0, |n| n.config.lease_seconds))
    }

    /// True once this replica began its stop (SIGTERM): it takes no session any more.
    pub fn draining(&self) -> bool {
        self.node
            .as_deref()
            .is_some_and(|n| n.draining.load(Ordering::SeqCst))
    }

    /// Who runs this session now: [`Route::Local`] when its lease is this replica's, or
    /// was free (or expired) and is taken now; [`Route::Remote`] when another live replica
    /// holds a live lease. A lease held by a replica that stopped beating, not expired
    /// yet, cannot be taken: [`EngineError::Restarting`] (try again after the lease). A
    /// draining replica takes nothing: [`EngineError::ShuttingDown`].
    pub async fn route(&self, session_id: &SessionId) -> Result<Route, EngineError> {
        let Some(node) = self.node.as_deref() else {
            return Ok(Route::Local);
        };
        if self.take(session_id).await? {
            return Ok(Route::Local);
        }
        if let Some(remote) = self.owner(session_id).await {
            return Ok(Route::Remote(remote));
        }
        // Between our take and the read the holder may have released it: once more.
        if self.take(session_id).await? {
            return Ok(Route::Local);
        }
        match self.owner(session_id).await {
            Some(remote) => Ok(Route::Remote(remote)),
            None if node.draining.load(Ordering::SeqCst) => Err(EngineError::ShuttingDown),
            None => Err(EngineError::Restarting),
        }
    }

    /// The other live replica holding a live lease of this session (read only). None on a
    /// single machine, when the lease is this replica's, free or expired, or its holder
    /// stopped beating.
    pub async fn owner(&self, session_id: &SessionId) -> Option<Remote> {
        let node = self.node.as_deref()?;
        let now = crate::db::models::now();
        let lease = match node.db.lease(session_id.as_str()).await {
            Ok(lease) => lease?,
            Err(e) => {
                warn!(node.log, "cannot read a session's lease"; "session_id" => %session_id, "error" => %e);
                return None;
            }
        };
        if lease.node_id == node.config.node_id || lease.expires_at <= now {
            return None;
        }
        let holder = node.db.node(&lease.node_id).await.ok().flatten()?;
        self.is_live(&holder, now).then(|| Remote {
            node_id: holder.node_id,
            url: holder.url,
        })
    }

    /// Takes (or renews) the lease of `session_id` for this replica: true when it is ours
    /// now. Always true on a single machine; false on a draining replica unless already
    /// ours. One conditional statement (src/db/cluster.rs): of several replicas racing,
    /// exactly one wins.
    pub async fn take(&self, session_id: &SessionId) -> Result<bool, EngineError> {
        let Some(node) = self.node.as_deref() else {
            return Ok(true);
        };
        if node.draining.load(Ordering::SeqCst) {
            return Ok(self.holds(session_id).await);
        }
        let now = crate::db::models::now();
        let expires = now + self.lease_delta();
        node.db
            .take_lease(session_id.as_str(), &node.config.node_id, expires, now)
            .await
            .map_err(|e| {
                warn!(node.log, "cannot take a session's lease"; "session_id" => %session_id, "error" => %e);
                EngineError::StoreFailed
            })
    }

    /// Whether this replica holds a live lease of `session_id` (true on a single machine).
    pub async fn holds(&self, session_id: &SessionId) -> bool {
        let Some(node) = self.node.as_deref() else {
            return true;
        };
        matches!(
            node.db.lease(session_id.as_str()).await,
            Ok(Some(l)) if l.node_id == node.config.node_id
                && l.expires_at > crate::db::models::now()
        )
    }

    /// Gives up this replica's lease of `session_id` (its process stopped for good). A
    /// no-op on a single machine or when another replica holds it.
    pub async fn release(&self, session_id: &SessionId) {
        let Some(node) = self.node.as_deref() else {
            return;
        };
        if let Err(e) = node
            .db
            .release_lease(session_id.as_str(), &node.config.node_id)
            .await
        {
            warn!(node.log, "cannot release a session's lease (it expires by itself)";
                "session_id" => %session_id, "error" => %e);
        }
    }

    /// Where a new session should go when not here: the live, non-draining replica with
    /// the most free session slots (then the most ready pooled processes), if that is not
    /// this one. None on a single machine, or when this replica is the best (or the store
    /// cannot be read).
    pub async fn placement(&self) -> Option<Remote> {
        let node = self.node.as_deref()?;
        let now = crate::db::models::now();
        let nodes = node.db.live_nodes(now - self.lease_delta()).await.ok()?;
        let best = nodes
            .into_iter()
            .filter(|n| !n.draining)
            .max_by_key(|n| (n.free(), n.pool_ready, n.node_id == node.config.node_id))?;
        (best.node_id != node.config.node_id && best.free() > 0).then(|| Remote {
            node_id: best.node_id,
            url: best.url,
        })
    }

    /// The store (replica mode only).
    pub fn db(&self) -> Option<&Db> {
        self.node.as_deref().map(|n| &n.db)
    }

    /// Marks this replica draining, here at once (it takes no session any more).
    pub fn set_draining(&self) {
        if let Some(node) = self.node.as_deref() {
            node.draining.store(true, Ordering::SeqCst);
        }
    }

    /// A replica whose heartbeat is within one lease of `now`.
    fn is_live(&self, row: &NodeRow, now: NaiveDateTime) -> bool {
        row.heartbeat_at >= now - self.lease_delta()
    }

    fn lease_delta(&self) -> chrono::TimeDelta {
        chrono::TimeDelta::seconds(self.lease_duration().as_secs() as i64)
    }
}
