//! Handing a session's events to its subscriber (a WebSocket connection's mailbox).
//!
//! The session never waits on a connection, but it must not lose events silently either. A
//! full mailbox means the connection's actor is behind (a starved CPU, a burst of deltas),
//! not that the client is gone: the event is queued anyway (`do_send` ignores the mailbox's
//! capacity), and the connection's own bounded queue to the socket decides whether the
//! client is too slow — it then closes with 1008 and the client reconnects with `after_seq`
//! (docs/protocol.md). Dropping the subscriber on a full mailbox instead left the
//! connection open and silent: the stream stopped with no error and no reason to reconnect
//! (found by `make soak` under load). Only a closed mailbox (the connection is gone) drops it.

use actix::prelude::*;

/// What became of one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// In the subscriber's mailbox (past its capacity if it was full).
    Queued,
    /// The subscriber is gone: stop sending to it.
    Gone,
}

/// Queues `msg` for `to`, past a full mailbox if need be (see the module's docs).
pub fn deliver<M>(to: &Recipient<M>, msg: M) -> Delivery
where
    M: Message + Send + 'static,
    M::Result: Send,
{
    match to.try_send(msg) {
        Ok(()) => Delivery::Queued,
        Err(SendError::Full(msg)) => {
            to.do_send(msg);
            Delivery::Queued
        }
        Err(SendError::Closed(_)) => Delivery::Gone,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    #[derive(Message)]
    #[rtype(result = "()")]
    struct Numbered(u32);

    /// A subscriber with a mailbox of one whose first message blocks its thread until the
    /// test says so: every later message meets a full mailbox.
    struct Slow {
        gate: Option<mpsc::Receiver<()>>,
        seen: mpsc::Sender<u32>,
    }

    impl Actor for Slow {
        type Context = Context<Self>;
        fn started(&mut self, ctx: &mut Context<Self>) {
            ctx.set_mailbox_capacity(1);
        }
    }

    impl Handler<Numbered> for Slow {
        type Result = ();
        fn handle(&mut self, msg: Numbered, _: &mut Context<Self>) {
            if let Some(gate) = self.gate.take() {
                let _ = gate.recv_timeout(Duration::from_secs(10));
            }
            let _ = self.seen.send(msg.0);
        }
    }

    #[actix::test]
    async fn events_past_a_full_mailbox_arrive_all_and_in_order() {
        let (open, gate) = mpsc::channel();
        let (seen_tx, seen) = mpsc::channel();
        let arbiter = Arbiter::new();
        let slow = Slow::start_in_arbiter(&arbiter.handle(), move |_| Slow {
            gate: Some(gate),
            seen: seen_tx,
        });
        let to = slow.clone().recipient();
        // Wait until the first message holds the subscriber's thread.
        assert_eq!(deliver(&to, Numbered(0)), Delivery::Queued);
        let mut full = false;
        for n in 1..50 {
            if to.try_send(Numbered(1000 + n)).is_err() {
                full = true;
                break;
            }
        }
        assert!(full, "the mailbox of one never filled");
        for n in 1..=20 {
            assert_eq!(deliver(&to, Numbered(n)), Delivery::Queued);
        }
        open.send(()).unwrap();
        let got: Vec<u32> = (0..)
            .map_while(|_| seen.recv_timeout(Duration::from_secs(10)).ok())
            .filter(|n| *n < 1000)
            .take(21)
            .collect();
        assert_eq!(got, (0..=20).collect::<Vec<_>>());
        arbiter.stop();
    }

    #[actix::test]
    async fn a_gone_subscriber_is_reported() {
        let (_open, gate) = mpsc::channel();
        let (seen_tx, _seen) = mpsc::channel();
        let slow = Slow::create(move |ctx| {
            ctx.stop();
            Slow {
                gate: Some(gate),
                seen: seen_tx,
            }
        });
        // Answered with an error once the subscriber has stopped and its mailbox is closed.
        assert!(slow.send(Numbered(1)).await.is_err());
        assert_eq!(deliver(&slow.recipient(), Numbered(2)), Delivery::Gone);
    }
}
