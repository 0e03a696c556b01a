//! A turn's timing and end, as metrics: message → first text, and turns by outcome.

use std::time::Instant;

use super::metrics;
use crate::protocol::EventBody;

/// When the turn's message was accepted, and whether its first text was seen yet.
#[derive(Debug)]
pub struct TurnClock {
    started: Instant,
    first_text_seen: bool,
}

impl Default for TurnClock {
    fn default() -> TurnClock {
        TurnClock {
            started: Instant::now(),
            first_text_seen: false,
        }
    }
}

impl TurnClock {
    /// Records what these events, about to be sent to the client, say about the turn: its
    /// first text (the message → first token histogram) and its end (turns by outcome;
    /// errors by code).
    pub fn observe(&mut self, events: &[EventBody]) {
        let m = metrics();
        for body in events {
            let outcome = match body {
                EventBody::StreamDelta { .. } if !self.first_text_seen => {
                    self.first_text_seen = true;
                    m.first_token.observe(self.started.elapsed().as_secs_f64());
                    continue;
                }
                EventBody::ResponseComplete { .. } => "completed",
                EventBody::StreamInterrupted {} => "interrupted",
                EventBody::StreamError { code, .. } => {
                    m.error(code.as_str());
                    "error"
                }
                _ => continue,
            };
            m.turns
                .get_or_create(&super::OutcomeLabel {
                    outcome: outcome.to_string(),
                })
                .inc();
        }
    }
}
