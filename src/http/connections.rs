//! The registry of open WebSocket connections, and what the server tells them all when it
//! stops: `server_shutting_down` first (they stay open while running turns finish), then the
//! close.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use actix::prelude::*;

use super::ws_conn::WsConn;

/// Every open connection, to tell them the server is shutting down.
#[derive(Clone, Default)]
pub struct Connections {
    inner: Arc<Mutex<Vec<Addr<WsConn>>>>,
}

impl Connections {
    pub(super) fn add(&self, addr: Addr<WsConn>) {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(addr);
        crate::metrics::metrics().ws_connections.inc();
    }

    pub(super) fn remove(&self, addr: &Addr<WsConn>) {
        let mut all = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let before = all.len();
        all.retain(|a| a != addr);
        if all.len() < before {
            crate::metrics::metrics().ws_connections.dec();
        }
    }

    fn all(&self) -> Vec<Addr<WsConn>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Tells every connection `server_shutting_down` with the time left until `deadline`;
    /// they stay open (a running turn goes on streaming).
    pub async fn notify_shutdown(&self, deadline: Instant) {
        for conn in self.all() {
            let _ = conn.send(ServerShuttingDown { deadline }).await;
        }
    }

    /// Closes every connection with 1001 (after what is queued for it).
    pub async fn close_all(&self) {
        for conn in self.all() {
            let _ = conn.send(CloseForShutdown).await;
        }
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
