//! The open WebSocket connections and who each belongs to: to tell them all that the server
//! is stopping (`server_shutting_down` first, while running turns finish, then the close),
//! and to close at once those of a revoked key or a disabled user (1008, with a reason that
//! starts `revoked:`).
//!
//! A key revoked or a user disabled over REST closes their connections right away. The
//! operator's command line changes the database from another process, so a sweep also
//! checks, every [`SWEEP_EVERY`], the keys and users of the open connections against the
//! store.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix::prelude::*;
use slog::{info, warn, Logger};

use super::ws_conn::WsConn;
use crate::db::Db;
use crate::protocol::{KEY_REVOKED_REASON, USER_DISABLED_REASON};
use crate::users::Caller;

/// How often open connections are checked against the store.
pub const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// One open connection and who opened it.
type Entry = (Addr<WsConn>, Caller);

/// Every open connection, with its caller. Cheap to clone.
#[derive(Clone, Default)]
pub struct Connections {
    inner: Arc<Mutex<Vec<Entry>>>,
}

impl Connections {
    fn all(&self) -> Vec<Entry> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub(super) fn add(&self, addr: Addr<WsConn>, caller: Caller) {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((addr, caller));
        crate::metrics::metrics().ws_connections.inc();
    }

    pub(super) fn remove(&self, addr: &Addr<WsConn>) {
        let mut all = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let before = all.len();
        all.retain(|(a, _)| a != addr);
        if all.len() < before {
            crate::metrics::metrics().ws_connections.dec();
        }
    }

    /// Tells every connection `server_shutting_down` with the time left until `deadline`;
    /// they stay open (a running turn goes on streaming).
    pub async fn notify_shutdown(&self, deadline: Instant) {
        for (conn, _) in self.all() {
            let _ = conn.send(ServerShuttingDown { deadline }).await;
        }
    }

    /// Closes every connection with 1001 (after what is queued for it).
    pub async fn close_all(&self) {
        for (conn, _) in self.all() {
            let _ = conn.send(CloseForShutdown).await;
        }
    }

    /// Closes (1008) every connection opened with one of `key_ids` or by one of `user_ids`;
    /// returns how many.
    pub fn revoke(&self, user_ids: &[String], key_ids: &[String]) -> usize {
        let mut closed = 0;
        for (conn, caller) in self.all() {
            let reason = if user_ids.contains(&caller.user_id) {
                USER_DISABLED_REASON
            } else if caller.key_id.as_ref().is_some_and(|k| key_ids.contains(k)) {
                KEY_REVOKED_REASON
            } else {
                continue;
            };
            conn.do_send(Revoked { reason });
            closed += 1;
        }
        closed
    }

    /// The users and keys the open connections were opened with.
    fn identities(&self) -> (Vec<String>, Vec<String>) {
        let mut users = Vec::new();
        let mut keys = Vec::new();
        for (_, caller) in self.all() {
            if !users.contains(&caller.user_id) {
                users.push(caller.user_id.clone());
            }
            if let Some(key) = caller.key_id {
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
        }
        (users, keys)
    }

    /// Checks the open connections against the store every [`SWEEP_EVERY`] and closes those
    /// whose key was revoked or whose user was disabled meanwhile (by another process).
    pub fn spawn_sweep(&self, db: Db, log: Logger) -> tokio::task::JoinHandle<()> {
        let connections = self.clone();
        let task = async move {
            let mut every = tokio::time::interval(SWEEP_EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                let (users, keys) = connections.identities();
                if users.is_empty() {
                    continue;
                }
                match db.no_longer_valid(users, keys).await {
                    Ok((users, keys)) if !users.is_empty() || !keys.is_empty() => {
                        let closed = connections.revoke(&users, &keys);
                        info!(log, "closed the connections of revoked keys or disabled users";
                            "connections" => closed);
                    }
                    Ok(_) => {}
                    Err(e) => warn!(log, "could not check open connections' keys"; "error" => %e),
                }
            }
        };
        actix::spawn(task)
    }
}

/// The server is stopping; running turns may finish until `deadline`.
#[derive(Message)]
#[rtype(result = "()")]
pub struct ServerShuttingDown {
    pub deadline: Instant,
}

/// The server is about to stop: close with 1001.
#[derive(Message)]
#[rtype(result = "()")]
pub struct CloseForShutdown;

/// The connection's key was revoked or its user disabled: close with 1008 and `reason`.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Revoked {
    pub reason: &'static str,
}
