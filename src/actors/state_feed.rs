//! The fan-out of `session_state`: each session actor publishes what it is doing (running,
//! waiting for approval, …) here, and every watching connection of the session's owner gets
//! it — not only the one subscribed to the session. The owner is the session row's
//! `user_id`; a connection watches as its caller's user, so a second user never sees
//! another's sessions. The latest state of each live session is kept, so a connection that
//! opens learns them all at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use actix::prelude::*;

use crate::protocol::{LiveState, SessionStateUpdate};

/// Cheap to clone; shared by the engine's sessions and the connections.
#[derive(Clone, Default)]
pub struct StateFeed {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Default)]
struct Inner {
    next_id: u64,
    watchers: Vec<Watcher>,
    /// The last update of each live session, with its owner.
    latest: HashMap<String, (String, SessionStateUpdate)>,
}

struct Watcher {
    id: u64,
    owner: String,
    to: Recipient<SessionStateUpdate>,
}

/// A watch, to end with [`StateFeed::unwatch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchId(u64);

impl StateFeed {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `to` gets every state change of `owner`'s sessions from now on; returns the current
    /// state of each of them (to send first).
    pub fn watch(
        &self,
        owner: &str,
        to: Recipient<SessionStateUpdate>,
    ) -> (WatchId, Vec<SessionStateUpdate>) {
        let mut inner = self.lock();
        inner.next_id += 1;
        let id = inner.next_id;
        inner.watchers.push(Watcher {
            id,
            owner: owner.to_string(),
            to,
        });
        let mut now: Vec<SessionStateUpdate> = inner
            .latest
            .values()
            .filter(|(o, _)| o == owner)
            .map(|(_, u)| u.clone())
            .collect();
        now.sort_by(|a, b| a.session_id.as_str().cmp(b.session_id.as_str()));
        (WatchId(id), now)
    }

    pub fn unwatch(&self, id: WatchId) {
        self.lock().watchers.retain(|w| w.id != id.0);
    }

    /// Sends `update` to the owner's watchers, unless it says what the last one said. A
    /// session that stopped (suspended, ended) is forgotten after it is told.
    pub fn publish(&self, owner: &str, update: SessionStateUpdate) {
        let mut inner = self.lock();
        let key = update.session_id.as_str().to_string();
        if inner.latest.get(&key).is_some_and(|(_, u)| *u == update) {
            return;
        }
        // A connection that cannot take it (gone, or its mailbox full) misses this one;
        // the next change, or its next connect, brings it up to date.
        for w in inner.watchers.iter().filter(|w| w.owner == owner) {
            let _ = w.to.try_send(update.clone());
        }
        if matches!(update.state, LiveState::Suspended | LiveState::Ended) {
            inner.latest.remove(&key);
        } else {
            inner.latest.insert(key, (owner.to_string(), update));
        }
    }
}
