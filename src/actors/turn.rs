//! One turn, from CLI events to what the client sees and what the store keeps.
//!
//! Pure logic (no actor): [`Turn::on_event`] maps each [`CliEvent`] to wire events and to
//! consolidated messages (assistant text is stored whole, once, not per token). Errors are
//! translated here: no CLI or library text reaches a client.

use std::collections::{HashMap, HashSet};

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

/// The line a `/compact` leaves in the conversation.
pub fn compacted_text(pre_tokens: u64, post_tokens: u64) -> String {
    format!("Conversation compacted: {pre_tokens} → {post_tokens} tokens of context.")
}

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
    /// The input of each `ExitPlanMode` call: its permission request may come without the
    /// plan (when the model wrote none to the plan file), and the client shows the plan.
    plan_inputs: HashMap<String, Value>,
    /// Open permission requests → the tool call each is about.
    asked: HashMap<String, String>,
    /// Tool calls whose permission was denied: their result is a denial, not an error.
    denied: HashSet<String>,
    /// A tool that may change files ran (`crate::changes::edits_files`): the session's
    /// diff is refreshed when the turn ends.
    pub edited: bool,
    /// When the message was accepted (metrics: first token, outcome).
    pub clock: crate::metrics::turns::TurnClock,
}

/// The tool a model in plan mode calls to present its plan for approval.
pub const EXIT_PLAN_MODE: &str = "ExitPlanMode";

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

    /// A sub-agent's content block (it has no stream): its tool calls become `tool_use`
    /// events and stored messages with `parent_tool_use_id`, its text `agent_text` (stored
    /// as a tool-use-kind message would be misleading, so as an assistant message with the
    /// parent; the client nests both under the Agent call).
    fn subagent_block(&mut self, parent: String, block: ContentBlock, fx: &mut Effects) {
        match block {
            ContentBlock::ToolUse { id, name, input } => {
                self.tools_running.insert(id.clone());
                self.edited |= crate::changes::edits_files(&name);
                fx.persist.push((
                    MessageKind::ToolUse,
                    json!({"tool_use_id": id, "name": name, "input": input,
                           "parent_tool_use_id": parent}),
                ));
                fx.events.push(EventBody::ToolUse {
                    tool_use_id: id,
                    name,
                    input,
                    parent_tool_use_id: Some(parent),
                });
            }
            ContentBlock::Text { text } if !text.trim().is_empty() => {
                fx.persist.push((
                    MessageKind::Assistant,
                    json!({"text": text, "parent_tool_use_id": parent}),
                ));
                fx.events.push(EventBody::AgentText {
                    parent_tool_use_id: parent,
                    text,
                });
            }
            _ => {}
        }
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
                if api_error.is_some() {
                    // The synthetic "API Error: …" text is the CLI's wording: the result
                    // that follows becomes a translated stream_error instead.
                    return fx;
                }
                if let Some(parent) = parent_tool_use_id {
                    // A sub-agent's work: carried (and stored) under its Agent call.
                    self.subagent_block(parent, block, &mut fx);
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
                        self.edited |= crate::changes::edits_files(&name);
                        if name == EXIT_PLAN_MODE {
                            self.plan_inputs.insert(id.clone(), input.clone());
                        }
                        fx.persist.push((
                            MessageKind::ToolUse,
                            json!({"tool_use_id": id, "name": name, "input": input}),
                        ));
                        fx.events.push(EventBody::ToolUse {
                            tool_use_id: id,
                            name,
                            input,
                            parent_tool_use_id: None,
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
                self.tools_running.remove(&tool_use_id);
                let content = cut(content, TOOL_CONTENT_MAX_CHARS);
                let denied = self.denied.remove(&tool_use_id) && is_error;
                let mut stored = json!({"tool_use_id": tool_use_id, "is_error": is_error,
                                        "content": content, "duration_ms": duration_ms});
                if let Some(parent) = &parent_tool_use_id {
                    stored["parent_tool_use_id"] = json!(parent);
                }
                if denied {
                    stored["denied"] = json!(true);
                }
                fx.persist.push((MessageKind::ToolResult, stored));
                fx.events.push(EventBody::ToolResult {
                    tool_use_id,
                    is_error,
                    content,
                    duration_ms,
                    parent_tool_use_id,
                    denied,
                });
            }
            CliEvent::PermissionRequest(req) => {
                fx.permission_opened = Some(req.request_id.clone());
                let mut input = req.input;
                if req.tool_name == EXIT_PLAN_MODE && !input.is_object() {
                    input = json!({});
                }
                if req.tool_name == EXIT_PLAN_MODE && input.get("plan").is_none() {
                    // The plan then lives only in the assistant's tool_use block.
                    let announced = req
                        .tool_use_id
                        .as_ref()
                        .and_then(|id| self.plan_inputs.get(id));
                    if let (Some(plan), Some(obj)) = (
                        announced.and_then(|i| i.get("plan")).cloned(),
                        input.as_object_mut(),
                    ) {
                        obj.insert("plan".into(), plan);
                    }
                }
                if let Some(t) = &req.tool_use_id {
                    self.asked.insert(req.request_id.clone(), t.clone());
                }
                fx.events.push(EventBody::PermissionRequest {
                    request_id: req.request_id,
                    tool_name: req.tool_name,
                    input,
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
            CliEvent::Compacted {
                pre_tokens,
                post_tokens,
            } => {
                fx.persist.push((
                    MessageKind::Notice,
                    json!({"text": compacted_text(pre_tokens, post_tokens), "kind": "compacted"}),
                ));
                fx.events.push(EventBody::ContextCompacted {
                    pre_tokens,
                    post_tokens,
                });
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
                context: r.context,
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
#[path = "turn_tests.rs"]
mod tests;
