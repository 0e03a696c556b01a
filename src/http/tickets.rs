//! Single-use WebSocket tickets: the browser trades its API key for a ticket over REST
//! (`POST /api/v1/ws-ticket`) and opens the WebSocket with `?ticket=…`, so the key never
//! appears in a URL. A ticket works once, within [`TICKET_TTL`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const TICKET_TTL: Duration = Duration::from_secs(30);

/// Outstanding tickets → when they were issued. Cheap to clone.
#[derive(Clone, Default)]
pub struct TicketStore {
    inner: Arc<Mutex<HashMap<String, Instant>>>,
}

impl TicketStore {
    pub fn new() -> TicketStore {
        TicketStore::default()
    }

    /// A new ticket (256 random bits, hex). Expired tickets are dropped on the way.
    pub fn issue(&self) -> String {
        let ticket = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let mut map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, at| at.elapsed() < TICKET_TTL);
        map.insert(ticket.clone(), Instant::now());
        ticket
    }

    /// Uses up `ticket`: true once, if it was issued here less than [`TICKET_TTL`] ago.
    pub fn redeem(&self, ticket: &str) -> bool {
        let mut map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        matches!(map.remove(ticket), Some(at) if at.elapsed() < TICKET_TTL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticket_works_once() {
        let store = TicketStore::new();
        let t = store.issue();
        assert_eq!(t.len(), 64);
        assert!(store.redeem(&t));
        assert!(!store.redeem(&t));
        assert!(!store.redeem("made-up"));
    }

    #[test]
    fn an_expired_ticket_is_refused() {
        let store = TicketStore::new();
        let t = store.issue();
        store
            .inner
            .lock()
            .unwrap()
            .insert(t.clone(), Instant::now() - TICKET_TTL);
        assert!(!store.redeem(&t));
    }
}
