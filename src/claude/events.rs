//! The typed events one CLI process gives the layers above, and the [`Translator`] that
//! derives them from conversation frames.
//!
//! Streaming rule (docs/claude-cli-protocol.md §8.4): text deltas go out as they arrive. Each complete text
//! block then arrives as an [`CliEvent::Assistant`] frame; `streamed: true` means the deltas
//! already delivered exactly that text (finalize it), `streamed: false` means render it whole
//! (the API call fell back to non-streaming, so no deltas came). If a stream is abandoned
//! mid-way, or the complete block differs from what was streamed, a
//! [`CliEvent::TextRetracted`] comes first: drop the text streamed since the last complete
//! block.

use std::collections::HashMap;
use std::time::Instant;

use serde::Serialize;
use serde_json::Value;

use super::frames::Frame;

/// One content block of an assistant message.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentBlock {
    Text {
        text: String,
    },
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
    Thinking {
        thinking: String,
    },
    /// Any other block type, raw.
    Other {
        raw: Value,
    },
}

/// A tool approval the CLI asks for (`can_use_tool`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PermissionRequest {
    pub request_id: String,
    pub tool_name: String,
    pub tool_use_id: Option<String>,
    pub input: Value,
    /// Why approval is needed: the CLI's words ("This command requires approval") where it
    /// gives them (it does not always), else a plain sentence naming the tool.
    pub reason: String,
    /// What the tool call does (e.g. the Bash description).
    pub description: Option<String>,
    /// The CLI's `permission_suggestions` (permission updates it would accept), verbatim.
    pub suggestions: Vec<Value>,
}

/// The end of a turn (`result` frame).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TurnResult {
    /// `success`, `error_during_execution`, `error_max_turns`, …
    pub subtype: String,
    pub is_error: bool,
    /// `completed`, `aborted_streaming`, `aborted_tools`, `api_error`, `max_turns`, …
    pub terminal_reason: Option<String>,
    /// The final text, or the error text for API errors.
    pub result: Option<String>,
    /// Cost of this turn.
    pub cost_usd: f64,
    /// Cost of the conversation so far (the CLI's cumulative figure).
    pub total_cost_usd: f64,
    pub usage: Value,
    pub duration_ms: u64,
    pub num_turns: u64,
    pub api_error_status: Option<u16>,
    pub errors: Vec<String>,
    /// How full the context is (None when the turn made no model call).
    pub context: Option<ContextUsage>,
}

impl TurnResult {
    /// The turn was cut short by an interrupt.
    pub fn was_interrupted(&self) -> bool {
        matches!(
            self.terminal_reason.as_deref(),
            Some("aborted_streaming") | Some("aborted_tools")
        )
    }
}

/// How a CLI process ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExitInfo {
    pub code: Option<i32>,
    pub signal: Option<i32>,
    /// The last lines the CLI wrote to stderr.
    pub stderr_tail: Vec<String>,
}

/// What one CLI process reports, in order.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum CliEvent {
    /// The turn started (`system/init`): the session id and model in use.
    TurnStarted {
        session_id: Option<String>,
        model: Option<String>,
    },
    /// A piece of streamed assistant text.
    TextDelta {
        text: String,
    },
    /// Drop the text streamed since the last complete block.
    TextRetracted {
        text: String,
    },
    /// A complete assistant content block.
    Assistant {
        message_id: Option<String>,
        block: ContentBlock,
        /// For text: the deltas already delivered exactly this text.
        streamed: bool,
        /// Set for blocks of a subagent (Task tool).
        parent_tool_use_id: Option<String>,
        /// Set on the synthetic message that reports a failed API call.
        api_error: Option<String>,
    },
    ToolResult {
        tool_use_id: String,
        is_error: bool,
        content: String,
        /// From the tool_use block to its result, as seen here.
        duration_ms: Option<u64>,
        parent_tool_use_id: Option<String>,
    },
    PermissionRequest(PermissionRequest),
    /// The CLI withdrew a permission request (e.g. after an interrupt).
    PermissionCancelled {
        request_id: String,
    },
    /// The model API failed and is being retried.
    ApiRetry {
        attempt: u64,
        max_retries: u64,
        delay_ms: u64,
        error_status: Option<u16>,
        error: Option<String>,
    },
    TurnResult(TurnResult),
    /// `/compact` summarized the conversation (`system/compact_boundary`).
    Compacted {
        pre_tokens: u64,
        post_tokens: u64,
    },
    /// The process ended; always the last event.
    Exited(ExitInfo),
}

impl CliEvent {
    /// The model's reply has reached the CLI's output: streamed text, a complete block,
    /// or the turn's end.
    pub fn is_reply(&self) -> bool {
        matches!(
            self,
            CliEvent::TextDelta { .. } | CliEvent::Assistant { .. } | CliEvent::TurnResult(_)
        )
    }
}

/// Turns conversation frames into events; keeps the little state streaming needs.
#[derive(Debug, Default)]
pub struct Translator {
    /// Text streamed since the last complete text block.
    unconfirmed: String,
    /// When each tool call was announced, for its duration.
    tool_started: HashMap<String, Instant>,
    /// The CLI's cumulative cost at the last result.
    last_total_cost: Option<f64>,
    /// The context the main agent's last API call used, and its model (cli-research §2.2:
    /// the last call's usage, not the turn's sum).
    last_context: Option<(u64, Option<String>)>,
}

/// How full the conversation's context is after a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ContextUsage {
    /// Input tokens of the turn's last model call (input + cache read + cache creation).
    pub used_tokens: u64,
    /// The model's context window.
    pub window_tokens: u64,
}

fn text_of(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

fn u64_of(v: &Value, key: &str) -> u64 {
    v.get(key).and_then(Value::as_u64).unwrap_or(0)
}

/// The text of a tool_result `content` (a string, or blocks of which the text is kept).
fn flatten_content(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .map(|b| match b.get("type").and_then(Value::as_str) {
                Some("text") => text_of(b, "text").unwrap_or_default(),
                Some(other) => format!("[{other}]"),
                None => String::new(),
            })
            .collect::<Vec<_>>()
            .join("\n"),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

impl Translator {
    pub fn new() -> Translator {
        Translator::default()
    }

    /// The events of one conversation frame (control frames are not handled here).
    pub fn translate(&mut self, frame: Frame, out: &mut Vec<CliEvent>) {
        match frame {
            Frame::StreamEvent {
                event,
                abandoned_from_block,
                parent_tool_use_id,
            } => {
                if abandoned_from_block.is_some() {
                    self.retract(out);
                }
                if parent_tool_use_id.is_some() {
                    return; // a subagent's stream: its complete blocks are enough
                }
                if event.get("type").and_then(Value::as_str) == Some("content_block_delta") {
                    let delta = event.get("delta").unwrap_or(&Value::Null);
                    if delta.get("type").and_then(Value::as_str) == Some("text_delta") {
                        if let Some(text) = text_of(delta, "text").filter(|t| !t.is_empty()) {
                            self.unconfirmed.push_str(&text);
                            out.push(CliEvent::TextDelta { text });
                        }
                    }
                }
            }
            Frame::Assistant {
                message,
                parent_tool_use_id,
                error,
            } => {
                let message_id = text_of(&message, "id");
                if parent_tool_use_id.is_none() {
                    if let Some(usage) = message.get("usage") {
                        let used = [
                            "input_tokens",
                            "cache_read_input_tokens",
                            "cache_creation_input_tokens",
                        ]
                        .iter()
                        .map(|k| u64_of(usage, k))
                        .sum::<u64>();
                        if used > 0 {
                            self.last_context = Some((used, text_of(&message, "model")));
                        }
                    }
                }
                let blocks = message
                    .get("content")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                for raw in blocks {
                    let (block, streamed) = self.block(raw, parent_tool_use_id.is_some(), out);
                    out.push(CliEvent::Assistant {
                        message_id: message_id.clone(),
                        block,
                        streamed,
                        parent_tool_use_id: parent_tool_use_id.clone(),
                        api_error: error.clone(),
                    });
                }
            }
            Frame::User {
                message,
                parent_tool_use_id,
            } => {
                let Some(blocks) = message.get("content").and_then(Value::as_array) else {
                    return;
                };
                for b in blocks {
                    if b.get("type").and_then(Value::as_str) != Some("tool_result") {
                        continue; // e.g. "[Request interrupted by user]": the result says it
                    }
                    let tool_use_id = text_of(b, "tool_use_id").unwrap_or_default();
                    let duration_ms = self
                        .tool_started
                        .remove(&tool_use_id)
                        .map(|t| t.elapsed().as_millis() as u64);
                    out.push(CliEvent::ToolResult {
                        is_error: b.get("is_error").and_then(Value::as_bool).unwrap_or(false),
                        content: flatten_content(b.get("content").unwrap_or(&Value::Null)),
                        tool_use_id,
                        duration_ms,
                        parent_tool_use_id: parent_tool_use_id.clone(),
                    });
                }
            }
            Frame::System { subtype, raw } => match subtype.as_str() {
                "init" => out.push(CliEvent::TurnStarted {
                    session_id: text_of(&raw, "session_id"),
                    model: text_of(&raw, "model"),
                }),
                "compact_boundary" => {
                    let meta = raw.get("compact_metadata").unwrap_or(&Value::Null);
                    out.push(CliEvent::Compacted {
                        pre_tokens: u64_of(meta, "pre_tokens"),
                        post_tokens: u64_of(meta, "post_tokens"),
                    });
                }
                "api_retry" => out.push(CliEvent::ApiRetry {
                    attempt: u64_of(&raw, "attempt"),
                    max_retries: u64_of(&raw, "max_retries"),
                    delay_ms: u64_of(&raw, "retry_delay_ms"),
                    error_status: raw
                        .get("error_status")
                        .and_then(Value::as_u64)
                        .and_then(|s| u16::try_from(s).ok()),
                    error: text_of(&raw, "error"),
                }),
                _ => {}
            },
            Frame::Result(raw) => {
                // Anything still unconfirmed at the end of a turn was never completed.
                self.retract(out);
                self.tool_started.clear();
                out.push(CliEvent::TurnResult(self.result(&raw)));
            }
            Frame::ControlResponse { .. }
            | Frame::ControlRequest { .. }
            | Frame::ControlCancel { .. }
            | Frame::Unknown { .. } => {}
        }
    }

    fn retract(&mut self, out: &mut Vec<CliEvent>) {
        if !self.unconfirmed.is_empty() {
            out.push(CliEvent::TextRetracted {
                text: std::mem::take(&mut self.unconfirmed),
            });
        }
    }

    fn block(
        &mut self,
        raw: Value,
        subagent: bool,
        out: &mut Vec<CliEvent>,
    ) -> (ContentBlock, bool) {
        match raw.get("type").and_then(Value::as_str) {
            Some("text") => {
                let text = text_of(&raw, "text").unwrap_or_default();
                if subagent {
                    return (ContentBlock::Text { text }, false);
                }
                let streamed = !self.unconfirmed.is_empty() && self.unconfirmed == text;
                if streamed {
                    self.unconfirmed.clear();
                } else {
                    self.retract(out);
                }
                (ContentBlock::Text { text }, streamed)
            }
            Some("tool_use") => {
                let id = text_of(&raw, "id").unwrap_or_default();
                self.tool_started.insert(id.clone(), Instant::now());
                (
                    ContentBlock::ToolUse {
                        id,
                        name: text_of(&raw, "name").unwrap_or_default(),
                        input: raw.get("input").cloned().unwrap_or(Value::Null),
                    },
                    false,
                )
            }
            Some("thinking") => (
                ContentBlock::Thinking {
                    thinking: text_of(&raw, "thinking").unwrap_or_default(),
                },
                false,
            ),
            _ => (ContentBlock::Other { raw }, false),
        }
    }

    fn result(&mut self, raw: &Value) -> TurnResult {
        let total = raw
            .get("total_cost_usd")
            .and_then(Value::as_f64)
            .unwrap_or(0.0);
        // Per-turn cost: the CLI's own per-turn usage where present (2.1.331), else the
        // difference of the cumulative figure.
        let cost_usd = match raw
            .get("model_usage_since_last_result")
            .and_then(Value::as_object)
        {
            Some(models) => models
                .values()
                .filter_map(|m| m.get("costUSD").and_then(Value::as_f64))
                .sum(),
            None => (total - self.last_total_cost.unwrap_or(0.0)).max(0.0),
        };
        self.last_total_cost = Some(total);
        let context = self.last_context.take().and_then(|(used, model)| {
            let models = raw.get("modelUsage").and_then(Value::as_object)?;
            let window_of = |m: &Value| m.get("contextWindow").and_then(Value::as_u64);
            let window = model
                .as_deref()
                .and_then(|name| models.get(name))
                .and_then(window_of)
                .or_else(|| models.values().filter_map(window_of).max())?;
            Some(ContextUsage {
                used_tokens: used,
                window_tokens: window,
            })
        });
        TurnResult {
            subtype: text_of(raw, "subtype").unwrap_or_default(),
            is_error: raw
                .get("is_error")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            terminal_reason: text_of(raw, "terminal_reason"),
            result: text_of(raw, "result"),
            cost_usd,
            total_cost_usd: total,
            usage: raw.get("usage").cloned().unwrap_or(Value::Null),
            duration_ms: u64_of(raw, "duration_ms"),
            num_turns: u64_of(raw, "num_turns"),
            api_error_status: raw
                .get("api_error_status")
                .and_then(Value::as_u64)
                .and_then(|s| u16::try_from(s).ok()),
            errors: raw
                .get("errors")
                .and_then(Value::as_array)
                .map(|e| {
                    e.iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
            context,
        }
    }
}

/// The [`PermissionRequest`] of a `can_use_tool` control request.
pub fn permission_request(request_id: &str, request: &Value) -> PermissionRequest {
    PermissionRequest {
        request_id: request_id.to_string(),
        tool_name: text_of(request, "tool_name").unwrap_or_default(),
        tool_use_id: text_of(request, "tool_use_id"),
        input: request.get("input").cloned().unwrap_or(Value::Null),
        reason: text_of(request, "decision_reason")
            .or_else(|| text_of(request, "title"))
            .unwrap_or_else(|| {
                let tool = text_of(request, "display_name")
                    .or_else(|| text_of(request, "tool_name"))
                    .unwrap_or_else(|| "A tool".to_string());
                format!("{tool} needs your approval to run")
            }),
        description: text_of(request, "description"),
        suggestions: request
            .get("permission_suggestions")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
    }
}
