//! Replica mode (issue 18, docs/operations.md "Replicas"): several servers share one
//! PostgreSQL database and one workspace volume, and each live session runs on exactly one
//! of them — the holder of its lease (`session_leases`, src/db/cluster.rs).
//!
//! [`Cluster`] is this replica's view: who runs a session ([`Cluster::route`]), taking and
//! giving up leases, where a new session should go ([`Cluster::place_create`]). Without
//! `NODE_ID` it is [`Cluster::single`], and every call answers [`Route::Local`] or does
//! nothing, without touching the database: single-machine mode is unchanged.

pub mod auth;
pub mod forward;
pub mod node;
pub mod transcript;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
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
    /// Its `nodes` row as recorded at start (recorded again if it is ever swept).
    row: Mutex<Option<NodeRow>>,
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
                    row: Mutex::new(None),
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
        self.is_live(&holder, now).then_some(Remote {
            node_id: holder.node_id,
            url: holder.url,
        })
    }

    /// Takes (or renews) the lease of `session_id` for this replica: true when it is ours
    /// now. Always true on a single machine; false on a draining replica unless already
    /// ours; [`EngineError::NotFound`] when no such session is stored. One conditional statement (src/db/cluster.rs): of several replicas racing,
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
            .map_err(|e| match e {
                // A lease needs its session's row: there is none.
                crate::db::DbError::Query(diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::ForeignKeyViolation,
                    _,
                )) => EngineError::NotFound,
                e => {
                    warn!(node.log, "cannot take a session's lease"; "session_id" => %session_id, "error" => %e);
                    EngineError::StoreFailed
                }
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

    /// Where a new session goes (`None`: here). Here when this replica has a free slot and a
    /// ready pooled process: its start is instant and its frames need no hop. Else a live,
    /// non-draining replica with room — with a ready process when this one has a slot but
    /// none ready, the one with the most free slots (then ready processes) when this one is
    /// full; here when there is none (a cold start, or `capacity_exceeded` as on one
    /// machine). `room_here`/`ready_here` are this replica's own live figures: its row in
    /// the store is up to a heartbeat old.
    pub async fn place_create(&self, room_here: bool, ready_here: bool) -> Option<Remote> {
        let node = self.node.as_deref()?;
        if room_here && ready_here {
            return None;
        }
        let now = crate::db::models::now();
        let nodes = node.db.live_nodes(now - self.lease_delta()).await.ok()?;
        let best = nodes
            .into_iter()
            .filter(|n| !n.draining && n.node_id != node.config.node_id && n.free() > 0)
            .filter(|n| !room_here || n.pool_ready > 0)
            .max_by_key(|n| (n.free(), n.pool_ready))?;
        Some(Remote {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::cluster::NodeRow;
    use crate::db::test_backends::backend_tests;
    use crate::db::{Session, BOOTSTRAP_USER_ID};

    const ID: &str = "6c1a1f8e-8a39-4b4e-9d6c-0a1b2c3d4e5f";

    fn config(node_id: &str) -> ClusterConfig {
        ClusterConfig {
            node_id: node_id.into(),
            node_url: format!("http://127.0.0.1:1/{node_id}"),
            secret: Secret::new("s".repeat(40)),
            lease_seconds: 15,
        }
    }

    fn row(node_id: &str, heartbeat_at: NaiveDateTime, live: i32) -> NodeRow {
        NodeRow {
            node_id: node_id.into(),
            url: format!("http://127.0.0.1:1/{node_id}"),
            started_at: heartbeat_at,
            heartbeat_at,
            draining: false,
            live_sessions: live,
            max_sessions: 10,
            pool_ready: 1,
            workspace_nonce: "n".into(),
        }
    }

    #[tokio::test]
    async fn a_single_machine_answers_local_and_touches_nothing() {
        let c = Cluster::single();
        let id = SessionId::random();
        assert!(!c.enabled());
        assert_eq!((c.node_id(), c.node_url()), (None, None));
        assert!(c.secret().is_none());
        assert_eq!(c.route(&id).await.unwrap(), Route::Local);
        assert!(c.take(&id).await.unwrap());
        assert!(c.holds(&id).await);
        assert_eq!(c.owner(&id).await, None);
        assert_eq!(c.place_create(false, false).await, None);
        c.release(&id).await;
        c.set_draining();
        assert!(!c.draining());
    }

    backend_tests! {
        async fn routes_follow_the_lease_and_the_holders_heartbeat(db: Db) {
            let log = slog::Logger::root(slog::Discard, slog::o!());
            db.save(&Session::new(ID, BOOTSTRAP_USER_ID)).await.unwrap();
            let (a, b) = (
                Cluster::new(Some(&config("a")), db.clone(), &log),
                Cluster::new(Some(&config("b")), db.clone(), &log),
            );
            let id = SessionId::from_stored(ID);
            let t = crate::db::models::now();
            db.upsert_node(&row("a", t, 5)).await.unwrap();
            db.upsert_node(&row("b", t, 1)).await.unwrap();
            assert_eq!(a.route(&id).await.unwrap(), Route::Local);
            assert_eq!(a.route(&id).await.unwrap(), Route::Local);
            let remote = Remote { node_id: "a".into(), url: "http://127.0.0.1:1/a".into() };
            assert_eq!(b.route(&id).await.unwrap(), Route::Remote(remote.clone()));
            assert_eq!(b.owner(&id).await, Some(remote));
            assert_eq!(a.owner(&id).await, None);
            assert!(!b.take(&id).await.unwrap());
            // a is full: it places on b, which has free slots; b, with room, keeps its own.
            assert_eq!(a.place_create(false, false).await.map(|r| r.node_id), Some("b".into()));
            assert_eq!(b.place_create(true, true).await, None);
            // a stops beating (its lease still runs): nobody may take it yet.
            db.upsert_node(&row("a", t - chrono::TimeDelta::seconds(60), 5)).await.unwrap();
            assert_eq!(b.route(&id).await, Err(EngineError::Restarting));
            // Released: b takes it.
            a.release(&id).await;
            assert_eq!(b.route(&id).await.unwrap(), Route::Local);
            // A draining replica takes nothing new, and keeps what it holds.
            b.set_draining();
            assert!(b.draining());
            assert!(b.take(&id).await.unwrap());
            b.release(&id).await;
            assert!(!b.take(&id).await.unwrap());
            assert_eq!(b.route(&id).await, Err(EngineError::ShuttingDown));
            // No such session: not found.
            assert_eq!(a.route(&SessionId::random()).await, Err(EngineError::NotFound));
        }
    }
}
