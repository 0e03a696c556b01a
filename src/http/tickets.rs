//! Single-use WebSocket tickets: the browser trades its API key for a ticket over REST
//! (`POST /api/v1/ws-ticket`) and opens the WebSocket with `?ticket=…`, so the key never
//! appears in a URL. A ticket works once, within [`TICKET_TTL`], for the caller it was
//! issued to (whose key and user are checked again when it is used).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::users::Caller;

pub const TICKET_TTL: Duration = Duration::from_secs(30);

/// Outstanding tickets → when they were issued, and to whom. Cheap to clone.
#[derive(Clone, Default)]
pub struct TicketStore {
    inner: Arc<Mutex<HashMap<String, (Instant, Caller)>>>,
}

impl TicketStore {
    pub fn new() -> TicketStore {
        TicketStore::default()
    }

    /// A new ticket for `caller` (244 random bits, hex). Expired tickets are dropped on the
    /// way.
    pub fn issue(&self, caller: Caller) -> String {
        let ticket = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let mut map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, (at, _)| at.elapsed() < TICKET_TTL);
        map.insert(ticket.clone(), (Instant::now(), caller));
        ticket
    }

    /// Uses up `ticket`: its caller, once, if it was issued here less than [`TICKET_TTL`]
    /// ago.
    pub fn redeem(&self, ticket: &str) -> Option<Caller> {
        let mut map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        match map.remove(ticket) {
            Some((at, caller)) if at.elapsed() < TICKET_TTL => Some(caller),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticket_works_once() {
        let store = TicketStore::new();
        let t = store.issue(Caller::bootstrap());
        assert_eq!(t.len(), 64);
        assert_eq!(store.redeem(&t), Some(Caller::bootstrap()));
        assert_eq!(store.redeem(&t), None);
        assert_eq!(store.redeem("made-up"), None);
    }

    #[test]
    fn an_expired_ticket_is_refused() {
        let store = TicketStore::new();
        let t = store.issue(Caller::bootstrap());
        store.inner.lock().unwrap().insert(
            t.clone(),
            (Instant::now() - TICKET_TTL, Caller::bootstrap()),
        );
        assert_eq!(store.redeem(&t), None);
    }
}
