//! What a reconnecting client is sent again: the events of the current (or last) turn
//! after the `after_seq` it saw.

use crate::protocol::{EventBody, SessionEvent};

/// The kept events after `after_seq`, with each run of consecutive `stream_delta`s merged
/// into one (carrying the run's last `event_seq`): a long reply replays as a handful of
/// frames instead of one per token, and always fits the subscriber's mailbox.
pub fn coalesce_replay(buffer: &[SessionEvent], after_seq: u64) -> Vec<SessionEvent> {
    let mut out: Vec<SessionEvent> = Vec::new();
    for event in buffer.iter().filter(|e| e.event_seq > after_seq) {
        if let (
            Some(SessionEvent {
                event_seq,
                body: EventBody::StreamDelta { text },
                ..
            }),
            EventBody::StreamDelta { text: more },
        ) = (out.last_mut(), &event.body)
        {
            text.push_str(more);
            *event_seq = event.event_seq;
            continue;
        }
        out.push(event.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(seq: u64, body: EventBody) -> SessionEvent {
        SessionEvent {
            session_id: crate::SessionId::from_stored("s"),
            event_seq: seq,
            body,
        }
    }
    fn delta(seq: u64, t: &str) -> SessionEvent {
        ev(seq, EventBody::StreamDelta { text: t.into() })
    }

    #[test]
    fn replay_merges_runs_of_deltas_and_keeps_everything_else() {
        let tool = EventBody::ToolUse {
            tool_use_id: "t".into(),
            name: "Bash".into(),
            input: serde_json::json!({}),
            parent_tool_use_id: None,
        };
        let buffer = vec![
            ev(
                1,
                EventBody::MessageReceived {
                    seq: 1,
                    text: "q".into(),
                    attachments: vec![],
                },
            ),
            delta(2, "a"),
            delta(3, "b"),
            delta(4, "c"),
            ev(5, tool.clone()),
            delta(6, "d"),
            delta(7, "e"),
        ];
        let all = coalesce_replay(&buffer, 0);
        assert_eq!(
            all,
            vec![
                ev(
                    1,
                    EventBody::MessageReceived {
                        seq: 1,
                        text: "q".into(),
                        attachments: vec![],
                    }
                ),
                delta(4, "abc"),
                ev(5, tool),
                delta(7, "de"),
            ]
        );
        assert_eq!(coalesce_replay(&buffer, 2), {
            let mut v = coalesce_replay(&buffer[2..], 0);
            v[0] = delta(4, "bc");
            v
        });
        assert!(coalesce_replay(&buffer, 7).is_empty());
    }
}
