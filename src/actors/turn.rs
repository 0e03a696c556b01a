//! One turn, from CLI events to what the client sees and what the store keeps.
//!
//! Pure logic (no actor): [`Turn::on_event`] maps each [`CliEvent`] to wire events and to
//! consolidated messages (assistant text is stored whole, once, not per token). Errors are
//! translated here: no CLI or library text reaches a client.

use std::collections::HashSet;

use serde_json::{json, Value};

use super::lifecycle::Cut;
use crate::claude::{CliEvent, ContentBlock, TurnResult};
use crate::db::MessageKind;
use crate::protocol::{ErrorCode, EventBody, SuggestedAction};

/// Tool output sent to clients is cut at this many characters (the CLI itself keeps large
/// outputs on disk and sends a preview).
pub const TOOL_CONTENT_MAX_CHARS: usize = 100_000;

/// Stored after the partial reply of a turn the shutdown cut (and sent as its
/// `stream_error`).
pub const CUT_BY_SHUTDOWN_NOTICE: &str =
    "The server restarted while this reply was being written; it was cut here.";

/// The `stream_error` of a turn the stall watch cut.
pub const STALLED_MESSAGE: &str = "The AI service stopped sending this reply, so it was stopped. \
     What arrived is kept; send your message again to retry.";

/// What a turn produced for one CLI event.
#[derive(Debug, Default, PartialEq)]
pub struct Effects {
    pub events: Vec<EventBody>,
    pub persist: Vec<(MessageKind, Value)>,
    /// Set when the CLI's result ended the turn.
    pub finished: Option<TurnResult>,
    /// A permission request opened (its id) — the session waits on the client.
    pub permission_opened: Option<String>,
    /// A permission request closed by the CLI (its id).
    pub permission_closed: Option<String>,
}

/// The state of the running turn.
#[derive(Debug, Default)]
pub struct Turn {
    /// Assistant text since the last stored assistant message.
    text: String,
    /// Any assistant text reached the client in this turn.
    pub text_arrived: bool,
    /// The server cut the turn: its end is reported as this cut.
    cut: Option<Cut>,
    /// Tool calls announced and not answered yet (a running tool is no stall).
    tools_running: HashSet<String>,
    /// Open permission requests → the tool call each is about.
    asked: std::collections::HashMap<String, String>,
    /// Tool calls whose permission was denied: their result is a denial, not an error.
    denied: HashSet<String>,
    /// When the message was accepted (metrics: first token, outcome).
    pub clock: crate::metrics::turns::TurnClock,
}

impl Turn {
    pub fn new() -> Turn {
        Turn::default()
    }

    /// A tool call runs (from its `tool_use` to its result): the CLI bounds tools itself
    /// and shows nothing while one runs.
    pub fn tool_running(&self) -> bool {
        !self.tools_running.is_empty()
    }

    /// The server cut this turn (and interrupts the CLI): its end, when the CLI reports it
    /// as interrupted or failed, or when it never comes, is reported as `cut`.
    pub fn cut(&mut self, cut: Cut) {
        self.cut = Some(cut);
    }

    /// The permission request `request_id` was denied: its tool call's result says so.
    pub fn denied(&mut self, request_id: &str) {
        if let Some(tool_use_id) = self.asked.remove(request_id) {
            self.denied.insert(tool_use_id);
        }
    }

    fn flush_text(&mut self, fx: &mut Effects) {
        if !self.text.is_empty() {
            let text = std::mem::take(&mut self.text);
            fx.persist
                .push((MessageKind::Assistant, json!({ "text": text })));
        }
    }

    pub fn on_event(&mut self, event: CliEvent) -> Effects {
        let mut fx = Effects::default();
        match event {
            CliEvent::TurnStarted { .. } | CliEvent::Exited(_) => {}
            CliEvent::TextDelta { text } => {
                self.text.push_str(&text);
                self.text_arrived = true;
                fx.events.push(EventBody::StreamDelta { text });
            }
            CliEvent::TextRetracted { text } => {
                if self.text.ends_with(text.as_str()) {
                    self.text.truncate(self.text.len() - text.len());
                }
                fx.events.push(EventBody::StreamRetracted { text });
            }
            CliEvent::Assistant {
                block,
                streamed,
                parent_tool_use_id,
                api_error,
                ..
            } => {
                if api_error.is_some() || parent_tool_use_id.is_some() {
                    // The synthetic "API Error: …" text is the CLI's wording: the result
                    // that follows becomes a translated stream_error instead. Subagent
                    // blocks stay inside their Task tool.
                    return fx;
                }
                match block {
                    ContentBlock::Text { text } if !streamed => {
                        // A block that came without deltas: it streams as one delta.
                        self.text.push_str(&text);
                        self.text_arrived = true;
                        fx.events.push(EventBody::StreamDelta { text });
                    }
                    ContentBlock::ToolUse { id, name, input } => {
                        self.flush_text(&mut fx);
                        self.tools_running.insert(id.clone());
                        fx.persist.push((
                            MessageKind::ToolUse,
                            json!({"tool_use_id": id, "name": name, "input": input}),
                        ));
                        fx.events.push(EventBody::ToolUse {
                            tool_use_id: id,
                            name,
                            input,
                        });
                    }
                    _ => {}
                }
            }
            CliEvent::ToolResult {
                tool_use_id,
                is_error,
                content,
                duration_ms,
                parent_tool_use_id,
            } => {
                if parent_tool_use_id.is_some() {
                    return fx;
                }
                self.tools_running.remove(&tool_use_id);
                let content = cut(content, TOOL_CONTENT_MAX_CHARS);
                let denied = self.denied.remove(&tool_use_id) && is_error;
                let mut stored = json!({"tool_use_id": tool_use_id, "is_error": is_error,
                                        "content": content, "duration_ms": duration_ms});
                if denied {
                    stored["denied"] = json!(true);
                }
                fx.persist.push((MessageKind::ToolResult, stored));
                fx.events.push(EventBody::ToolResult {
                    tool_use_id,
                    is_error,
                    content,
                    duration_ms,
                    denied,
                });
            }
            CliEvent::PermissionRequest(req) => {
                fx.permission_opened = Some(req.request_id.clone());
                if let Some(t) = &req.tool_use_id {
                    self.asked.insert(req.request_id.clone(), t.clone());
                }
                fx.events.push(EventBody::PermissionRequest {
                    request_id: req.request_id,
                    tool_name: req.tool_name,
                    input: req.input,
                    reason: req.reason,
                    tool_use_id: req.tool_use_id,
                    suggestions: req.suggestions,
                    // Filled in by the session, which knows its granted rules.
                    session_rules: Vec::new(),
                });
            }
            CliEvent::PermissionCancelled { request_id } => {
                fx.permission_closed = Some(request_id.clone());
                fx.events
                    .push(EventBody::PermissionCancelled { request_id });
            }
            CliEvent::ApiRetry {
                attempt,
                max_retries,
                delay_ms,
                ..
            } => fx.events.push(EventBody::StreamRetrying {
                attempt,
                max_retries,
                delay_ms,
                message: format!(
                    "The AI service is temporarily busy. Retrying automatically \
                     (attempt {attempt} of {max_retries})…"
                ),
            }),
            CliEvent::TurnResult(result) => {
                self.flush_text(&mut fx);
                if let Some(cut) = self.cut.filter(|_| result.is_error) {
                    self.report_cut(cut, &mut fx);
                    fx.finished = Some(result);
                    return fx;
                }
                let body = self.end_event(&result);
                match &body {
                    EventBody::StreamInterrupted {} => fx.persist.push((
                        MessageKind::Notice,
                        json!({"text": "[Response interrupted]", "kind": "interrupted"}),
                    )),
                    EventBody::StreamError {
                        code,
                        message,
                        suggested_action,
                        ..
                    } => fx.persist.push((
                        MessageKind::Error,
                        json!({"code": code, "message": message,
                               "suggested_action": suggested_action}),
                    )),
                    _ => {}
                }
                fx.events.push(body);
                fx.finished = Some(result);
            }
        }
        fx
    }

    /// The event that ends the turn.
    fn end_event(&self, r: &TurnResult) -> EventBody {
        if r.was_interrupted() {
            return EventBody::StreamInterrupted {};
        }
        if !r.is_error {
            return EventBody::ResponseComplete {
                cost_usd: r.cost_usd,
                total_cost_usd: r.total_cost_usd,
                usage: r.usage.clone(),
                duration_ms: r.duration_ms,
                num_turns: r.num_turns,
            };
        }
        let (code, message, suggested_action) = translate_failure(r);
        EventBody::StreamError {
            code,
            message: message.to_string(),
            suggested_action,
            partial_preserved: self.text_arrived,
        }
    }

    /// What ends a cut turn: the partial reply is kept (stored by the caller's flush), then
    /// the cut's notice and `stream_error`.
    fn report_cut(&self, cut: Cut, fx: &mut Effects) {
        match cut {
            Cut::Stalled => {
                fx.persist.push((
                    MessageKind::Error,
                    json!({"code": ErrorCode::Internal, "message": STALLED_MESSAGE,
                           "suggested_action": SuggestedAction::Retry}),
                ));
                fx.events.push(EventBody::StreamError {
                    code: ErrorCode::Internal,
                    message: STALLED_MESSAGE.to_string(),
                    suggested_action: SuggestedAction::Retry,
                    partial_preserved: self.text_arrived,
                });
            }
            Cut::Shutdown => {
                fx.persist.push((
                    MessageKind::Notice,
                    json!({"text": CUT_BY_SHUTDOWN_NOTICE, "kind": "cut_by_restart"}),
                ));
                fx.events.push(EventBody::StreamError {
                    code: ErrorCode::ServerShuttingDown,
                    message: CUT_BY_SHUTDOWN_NOTICE.to_string(),
                    suggested_action: SuggestedAction::Retry,
                    partial_preserved: self.text_arrived,
                });
            }
        }
    }

    /// The turn ended because the process died or was given up on (no result will come).
    pub fn crashed(&mut self) -> Effects {
        let mut fx = Effects::default();
        self.flush_text(&mut fx);
        if let Some(cut) = self.cut {
            self.report_cut(cut, &mut fx);
            return fx;
        }
        let message = "The session's process stopped unexpectedly. It is being restarted with \
                       your conversation; send your message again.";
        fx.persist.push((
            MessageKind::Error,
            json!({"code": ErrorCode::Internal, "message": message, "suggested_action": SuggestedAction::Retry}),
        ));
        fx.events.push(EventBody::StreamError {
            code: ErrorCode::Internal,
            message: message.to_string(),
            suggested_action: SuggestedAction::Retry,
            partial_preserved: self.text_arrived,
        });
        fx
    }
}

/// A failed turn in words for a person: what happened, why, what to do.
fn translate_failure(r: &TurnResult) -> (ErrorCode, &'static str, SuggestedAction) {
    match r.api_error_status {
        Some(429) | Some(529) => (
            ErrorCode::RateLimited,
            "The AI service is busy and did not answer after several retries. Your message \
             is kept; wait a minute and try again.",
            SuggestedAction::Wait,
        ),
        Some(401) | Some(403) => (
            ErrorCode::Internal,
            "The AI service rejected this server's credentials. Ask the server's operator to \
             check its Anthropic API key.",
            SuggestedAction::None,
        ),
        Some(status) if status >= 500 => (
            ErrorCode::Internal,
            "The AI service had an internal error. Try again.",
            SuggestedAction::Retry,
        ),
        None if r.terminal_reason.as_deref() == Some("api_error") => (
            ErrorCode::Internal,
            "The AI service did not answer in time. Try again.",
            SuggestedAction::Retry,
        ),
        _ if r.subtype == "error_max_turns" => (
            ErrorCode::Internal,
            "The reply needed more steps than this server allows. Ask for a smaller step.",
            SuggestedAction::Retry,
        ),
        _ => (
            ErrorCode::Internal,
            "The reply could not be completed. Try again.",
            SuggestedAction::Retry,
        ),
    }
}

/// `text` cut to at most `max` characters, with a note when it was cut.
fn cut(text: String, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text,
        Some((byte, _)) => format!(
            "{}\n… [output cut: {} more characters]",
            &text[..byte],
            text[byte..].chars().count()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claude::PermissionRequest;

    fn result(is_error: bool, status: Option<u16>, reason: &str) -> TurnResult {
        TurnResult {
            subtype: "success".into(),
            is_error,
            terminal_reason: Some(reason.into()),
            result: Some("API Error: raw CLI text".into()),
            cost_usd: 0.01,
            total_cost_usd: 0.03,
            usage: json!({}),
            duration_ms: 5,
            num_turns: 1,
            api_error_status: status,
            errors: vec!["raw".into()],
        }
    }

    #[test]
    fn text_is_streamed_and_stored_once() {
        let mut t = Turn::new();
        let a = t.on_event(CliEvent::TextDelta { text: "Hel".into() });
        let b = t.on_event(CliEvent::TextDelta { text: "lo".into() });
        assert_eq!(
            a.events,
            vec![EventBody::StreamDelta { text: "Hel".into() }]
        );
        assert!(a.persist.is_empty() && b.persist.is_empty());
        let streamed_block = t.on_event(CliEvent::Assistant {
            message_id: None,
            block: ContentBlock::Text {
                text: "Hello".into(),
            },
            streamed: true,
            parent_tool_use_id: None,
            api_error: None,
        });
        assert!(streamed_block.events.is_empty(), "not sent twice");
        let end = t.on_event(CliEvent::TurnResult(result(false, None, "completed")));
        assert_eq!(
            end.persist,
            vec![(MessageKind::Assistant, json!({"text": "Hello"}))]
        );
        assert!(matches!(end.events[0], EventBody::ResponseComplete { .. }));
        assert!(end.finished.is_some());
    }

    #[test]
    fn retraction_and_whole_blocks() {
        let mut t = Turn::new();
        t.on_event(CliEvent::TextDelta {
            text: "abandoned".into(),
        });
        let r = t.on_event(CliEvent::TextRetracted {
            text: "abandoned".into(),
        });
        assert_eq!(
            r.events,
            vec![EventBody::StreamRetracted {
                text: "abandoned".into()
            }]
        );
        let whole = t.on_event(CliEvent::Assistant {
            message_id: None,
            block: ContentBlock::Text {
                text: "Recovered.".into(),
            },
            streamed: false,
            parent_tool_use_id: None,
            api_error: None,
        });
        assert_eq!(
            whole.events,
            vec![EventBody::StreamDelta {
                text: "Recovered.".into()
            }]
        );
        let end = t.on_event(CliEvent::TurnResult(result(false, None, "completed")));
        assert_eq!(
            end.persist,
            vec![(MessageKind::Assistant, json!({"text": "Recovered."}))]
        );
    }

    #[test]
    fn tools_flush_text_first_and_are_stored() {
        let mut t = Turn::new();
        t.on_event(CliEvent::TextDelta {
            text: "Let me look.".into(),
        });
        let fx = t.on_event(CliEvent::Assistant {
            message_id: None,
            block: ContentBlock::ToolUse {
                id: "t1".into(),
                name: "Bash".into(),
                input: json!({"command": "ls"}),
            },
            streamed: false,
            parent_tool_use_id: None,
            api_error: None,
        });
        assert_eq!(
            fx.persist[0],
            (MessageKind::Assistant, json!({"text": "Let me look."}))
        );
        assert_eq!(fx.persist[1].0, MessageKind::ToolUse);
        let p = t.on_event(CliEvent::PermissionRequest(PermissionRequest {
            request_id: "r1".into(),
            tool_name: "Bash".into(),
            tool_use_id: Some("t1".into()),
            input: json!({}),
            reason: "needs approval".into(),
            description: None,
            suggestions: Vec::new(),
        }));
        assert_eq!(p.permission_opened.as_deref(), Some("r1"));
        assert!(t.tool_running(), "from its tool_use to its result");
        let big = "x".repeat(TOOL_CONTENT_MAX_CHARS + 10);
        let fx = t.on_event(CliEvent::ToolResult {
            tool_use_id: "t1".into(),
            is_error: false,
            content: big,
            duration_ms: Some(3),
            parent_tool_use_id: None,
        });
        match &fx.events[0] {
            EventBody::ToolResult { content, .. } => {
                assert!(content.ends_with("[output cut: 10 more characters]"))
            }
            other => panic!("{other:?}"),
        }
        assert!(!t.tool_running());
    }

    #[test]
    fn a_cut_turn_keeps_its_partial_reply_and_ends_once_as_the_cut() {
        let interrupted = || {
            let mut r = result(true, None, "aborted_streaming");
            r.subtype = "error_during_execution".into();
            r
        };
        // The CLI answers the interrupt: the partial text comes back whole, then the result.
        let mut t = Turn::new();
        t.on_event(CliEvent::TextDelta {
            text: "Half a".into(),
        });
        t.cut(Cut::Shutdown);
        let aborted = t.on_event(CliEvent::Assistant {
            message_id: None,
            block: ContentBlock::Text {
                text: "Half a".into(),
            },
            streamed: true,
            parent_tool_use_id: None,
            api_error: None,
        });
        assert!(aborted.events.is_empty());
        let end = t.on_event(CliEvent::TurnResult(interrupted()));
        assert_eq!(
            end.persist,
            vec![
                (MessageKind::Assistant, json!({"text": "Half a"})),
                (
                    MessageKind::Notice,
                    json!({"text": CUT_BY_SHUTDOWN_NOTICE, "kind": "cut_by_restart"})
                ),
            ]
        );
        assert_eq!(
            end.events,
            vec![EventBody::StreamError {
                code: ErrorCode::ServerShuttingDown,
                message: CUT_BY_SHUTDOWN_NOTICE.into(),
                suggested_action: SuggestedAction::Retry,
                partial_preserved: true,
            }]
        );
        assert!(end.finished.is_some());
        // No result ever comes: the same end, from what had streamed.
        let mut t = Turn::new();
        t.on_event(CliEvent::TextDelta {
            text: "Part".into(),
        });
        t.cut(Cut::Shutdown);
        let fx = t.crashed();
        assert_eq!(
            fx.persist[0],
            (MessageKind::Assistant, json!({"text": "Part"}))
        );
        assert_eq!(fx.persist[1].0, MessageKind::Notice);
        assert!(matches!(
            fx.events[..],
            [EventBody::StreamError {
                code: ErrorCode::ServerShuttingDown,
                ..
            }]
        ));
        // A stalled turn ends as a retryable error, its partial text kept.
        let mut t = Turn::new();
        t.on_event(CliEvent::TextDelta {
            text: "Partial".into(),
        });
        t.cut(Cut::Stalled);
        let fx = t.on_event(CliEvent::TurnResult(interrupted()));
        assert_eq!(
            fx.persist[0],
            (MessageKind::Assistant, json!({"text": "Partial"}))
        );
        assert_eq!(fx.persist[1].0, MessageKind::Error);
        assert_eq!(
            fx.events,
            vec![EventBody::StreamError {
                code: ErrorCode::Internal,
                message: STALLED_MESSAGE.into(),
                suggested_action: SuggestedAction::Retry,
                partial_preserved: true,
            }]
        );
        // A turn that completed just as it was cut is complete.
        let mut t = Turn::new();
        t.cut(Cut::Shutdown);
        let fx = t.on_event(CliEvent::TurnResult(result(false, None, "completed")));
        assert!(matches!(fx.events[0], EventBody::ResponseComplete { .. }));
    }

    #[test]
    fn failures_are_translated_never_raw() {
        for (status, reason, code) in [
            (Some(429), "api_error", ErrorCode::RateLimited),
            (Some(529), "api_error", ErrorCode::RateLimited),
            (Some(401), "api_error", ErrorCode::Internal),
            (Some(500), "api_error", ErrorCode::Internal),
            (None, "api_error", ErrorCode::Internal),
        ] {
            let mut t = Turn::new();
            let synthetic = t.on_event(CliEvent::Assistant {
                message_id: None,
                block: ContentBlock::Text {
                    text: "API Error: raw".into(),
                },
                streamed: false,
                parent_tool_use_id: None,
                api_error: Some("rate_limit".into()),
            });
            assert!(
                synthetic.events.is_empty(),
                "synthetic error text is not streamed"
            );
            let fx = t.on_event(CliEvent::TurnResult(result(true, status, reason)));
            let text = serde_json::to_string(&fx.events).unwrap();
            assert!(!text.contains("raw"), "{text}");
            match &fx.events[0] {
                EventBody::StreamError {
                    code: c,
                    partial_preserved,
                    ..
                } => {
                    assert_eq!(*c, code);
                    assert!(!partial_preserved);
                }
                other => panic!("{other:?}"),
            }
        }
        let mut t = Turn::new();
        let fx = t.on_event(CliEvent::TurnResult(result(
            true,
            None,
            "aborted_streaming",
        )));
        assert_eq!(fx.events, vec![EventBody::StreamInterrupted {}]);
        assert_eq!(fx.persist[0].0, MessageKind::Notice);
    }
}
