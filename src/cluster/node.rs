//! This replica's life in the cluster: joining (the shared-workspace check and its `nodes`
//! row), the heartbeat (row, lease renewal, fencing, the dead-node sweep), draining and
//! leaving (docs/operations.md "Replicas").

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use slog::{info, warn};

use super::Cluster;
use crate::actors::fencing::{ClusterSlots, Fence};
use crate::actors::Engine;
use crate::db::cluster::{NodeLoad, NodeRow};
use crate::db::models::now;
use crate::session_id::SessionId;

/// The directory of `WORKSPACE_DIR` each replica writes its nonce to.
pub const NODES_DIR: &str = ".csp-nodes";

/// The file `node_id` proves it sees the workspace with.
pub fn nonce_file(workspace: &Path, node_id: &str) -> PathBuf {
    workspace.join(NODES_DIR).join(node_id)
}

impl Cluster {
    /// Joins the cluster at start: writes this replica's nonce into the workspace, checks
    /// that every live replica's nonce is visible here (the workspace is shared), and
    /// records this replica's row. Err: why it must not start (stable wording).
    pub async fn join(&self, workspace: &Path, max_sessions: usize) -> Result<(), String> {
        let Some(node) = self.node.as_deref() else {
            return Ok(());
        };
        let me = node.config.node_id.clone();
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let file = nonce_file(workspace, &me);
        let written = async {
            let dir = file.parent().unwrap_or(workspace);
            tokio::fs::create_dir_all(dir).await?;
            // When WORKSPACE_DIR is a git checkout, the nonces are not its untracked files
            // (a session's changes, a `git add -A` there): `/*` ignores the folder's files.
            let ignore = dir.join(".gitignore");
            if !tokio::fs::try_exists(&ignore).await.unwrap_or(false) {
                tokio::fs::write(&ignore, "/*\n").await?;
            }
            tokio::fs::write(&file, &nonce).await
        };
        written.await.map_err(|e| {
            format!(
                "cannot write {} in WORKSPACE_DIR (replica mode needs it writable): {e}",
                file.display()
            )
        })?;
        let at = now();
        let peers = node
            .db
            .live_nodes(at - self.lease_delta())
            .await
            .map_err(|e| format!("cannot read the replicas from the database: {e}"))?;
        for peer in peers.iter().filter(|p| p.node_id != me) {
            let seen = tokio::fs::read_to_string(nonce_file(workspace, &peer.node_id))
                .await
                .unwrap_or_default();
            if seen.trim() != peer.workspace_nonce {
                return Err(format!(
                    "the workspace is not shared with node {}: mount the same volume at the same path (WORKSPACE_DIR) on every replica",
                    peer.node_id
                ));
            }
        }
        let row = NodeRow {
            node_id: me,
            url: node.config.node_url.clone(),
            started_at: at,
            heartbeat_at: at,
            draining: false,
            live_sessions: 0,
            max_sessions: i32::try_from(max_sessions).unwrap_or(i32::MAX),
            pool_ready: 0,
            workspace_nonce: nonce,
        };
        node.db
            .upsert_node(&row)
            .await
            .map_err(|e| format!("cannot record this replica in the database: {e}"))?;
        *node.row.lock().unwrap_or_else(|p| p.into_inner()) = Some(row);
        info!(node.log, "joined the cluster"; "url" => &node.config.node_url,
            "replicas_seen" => peers.len());
        Ok(())
    }

    /// Starts the heartbeat (every third of `LEASE_SECONDS`); None on a single machine.
    pub fn spawn_heartbeat(&self, engine: Engine) -> Option<tokio::task::JoinHandle<()>> {
        self.node.as_ref()?;
        let cluster = self.clone();
        let period = Duration::from_millis(self.lease_duration().as_millis() as u64 / 3);
        Some(tokio::spawn(async move {
            let mut idle_before: HashSet<String> = HashSet::new();
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                idle_before = cluster.beat(&engine, &idle_before).await;
            }
        }))
    }

    /// One heartbeat. Returns the leases held by no local session (released when they
    /// still are at the next beat: a launch between its take and its slot is not one).
    async fn beat(&self, engine: &Engine, idle_before: &HashSet<String>) -> HashSet<String> {
        let Some(node) = self.node.as_deref() else {
            return HashSet::new();
        };
        let me = node.config.node_id.as_str();
        // The local sessions first: each took its lease before it got a slot, so a lease
        // missing below is really lost.
        let Ok(slots) = engine.supervisor.send(ClusterSlots).await else {
            return HashSet::new();
        };
        let pool_ready = engine
            .pool
            .send(crate::actors::pool::GetPoolStatus)
            .await
            .map_or(0, |s| s.ready);
        let at = now();
        let load = NodeLoad {
            live_sessions: i32::try_from(slots.held.len() + slots.creating).unwrap_or(i32::MAX),
            max_sessions: i32::try_from(slots.max).unwrap_or(i32::MAX),
            pool_ready: i32::try_from(pool_ready).unwrap_or(i32::MAX),
        };
        match node.db.heartbeat(me, at, load).await {
            Ok(true) => {}
            Ok(false) => {
                // Swept as dead (a long pause): back in, with our leases gone (fenced below).
                warn!(
                    node.log,
                    "this replica's row was gone (it was taken for dead): recorded again"
                );
                let row = node.row.lock().unwrap_or_else(|p| p.into_inner()).clone();
                if let Some(mut row) = row {
                    row.heartbeat_at = at;
                    row.draining = self.draining();
                    let _ = node.db.upsert_node(&row).await;
                }
            }
            Err(e) => {
                warn!(node.log, "heartbeat failed"; "error" => %e);
                return idle_before.clone();
            }
        }
        let held: HashSet<String> = match node.db.renew_leases(me, at + self.lease_delta()).await {
            Ok(held) => held.into_iter().collect(),
            Err(e) => {
                warn!(node.log, "lease renewal failed"; "error" => %e);
                return idle_before.clone();
            }
        };
        // Fencing: a local session whose lease is no longer ours stops at once, writing
        // nothing (its new owner's row is the truth).
        for (id, addr) in &slots.live {
            if !held.contains(id.as_str()) {
                warn!(node.log, "lost a session's lease: its process is stopped here"; "session_id" => id);
                addr.do_send(Fence);
            }
        }
        let local: HashSet<&str> = slots.held.iter().map(SessionId::as_str).collect();
        let idle: HashSet<String> = held
            .into_iter()
            .filter(|id| !local.contains(id.as_str()))
            .collect();
        for id in idle.intersection(idle_before) {
            self.release(&SessionId::from_stored(id)).await;
        }
        match node.db.sweep_dead_nodes(at, at - self.lease_delta()).await {
            Ok(suspended) if !suspended.is_empty() => {
                info!(node.log, "a replica died: its sessions are suspended (resumable anywhere)";
                    "sessions" => suspended.len());
            }
            Ok(_) => {}
            Err(e) => warn!(node.log, "dead-replica sweep failed"; "error" => %e),
        }
        idle.difference(idle_before).cloned().collect()
    }

    /// SIGTERM: this replica takes nothing any more, and says so in its row at once
    /// (placement skips it; forwarders re-route).
    pub async fn announce_draining(&self) {
        let Some(node) = self.node.as_deref() else {
            return;
        };
        self.set_draining();
        if let Err(e) = node.db.set_node_draining(&node.config.node_id).await {
            warn!(node.log, "cannot mark this replica draining"; "error" => %e);
        }
    }

    /// The end of a clean stop: every lease left is released and the row deleted.
    pub async fn leave(&self) {
        let Some(node) = self.node.as_deref() else {
            return;
        };
        let me = &node.config.node_id;
        if let Err(e) = node.db.release_all_leases(me).await {
            warn!(node.log, "cannot release this replica's leases (they expire)"; "error" => %e);
        }
        if let Err(e) = node.db.remove_node(me).await {
            warn!(node.log, "cannot remove this replica's row"; "error" => %e);
        }
        info!(node.log, "left the cluster");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ClusterConfig;
    use crate::db::test_backends::backend_tests;
    use crate::db::Db;
    use crate::secret::Secret;

    fn cluster(db: &Db, node_id: &str) -> Cluster {
        let config = ClusterConfig {
            node_id: node_id.into(),
            node_url: format!("http://127.0.0.1:1/{node_id}"),
            secret: Secret::new("s".repeat(40)),
            lease_seconds: 15,
        };
        let log = slog::Logger::root(slog::Discard, slog::o!());
        Cluster::new(Some(&config), db.clone(), &log)
    }

    backend_tests! {
        async fn a_replica_refuses_a_workspace_it_does_not_share(db: Db) {
            let (shared, other) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
            cluster(&db, "a").join(shared.path(), 10).await.unwrap();
            let row = db.node("a").await.unwrap().unwrap();
            let nonce = std::fs::read_to_string(nonce_file(shared.path(), "a")).unwrap();
            assert_eq!(row.workspace_nonce, nonce);
            assert_eq!((row.max_sessions, row.draining), (10, false));
            // Not an untracked file of a workspace that is a git checkout.
            let ignore = shared.path().join(NODES_DIR).join(".gitignore");
            assert_eq!(std::fs::read_to_string(ignore).unwrap(), "/*\n");
            cluster(&db, "b").join(shared.path(), 5).await.unwrap();
            let e = cluster(&db, "c").join(other.path(), 5).await.unwrap_err();
            assert!(
                e.starts_with("the workspace is not shared with node a: mount the same volume"),
                "{e}"
            );
            // A replica that stopped beating long ago does not count.
            let mut stale = db.node("a").await.unwrap().unwrap();
            stale.heartbeat_at -= chrono::TimeDelta::seconds(120);
            db.upsert_node(&stale).await.unwrap();
            db.remove_node("b").await.unwrap();
            cluster(&db, "c").join(other.path(), 5).await.unwrap();
            // Draining, then leaving, removes the row.
            let c = cluster(&db, "c");
            c.announce_draining().await;
            assert!(c.draining());
            assert!(db.node("c").await.unwrap().unwrap().draining);
            c.leave().await;
            assert_eq!(db.node("c").await.unwrap(), None);
        }
    }
}
