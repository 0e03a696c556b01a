//! The script: scripted replies, recorded requests, and the choice of an answer.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use serde_json::Value;

/// One scripted answer of the stub model.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Streamed as text deltas, one per token, with `delay` between tokens.
    Text { text: String, delay: Duration },
    /// A `tool_use` block (id generated as `toolu_stub_<n>`); when a later request carries
    /// the `tool_result` for that id, `then` is the answer, regardless of the queue.
    ToolUse {
        name: String,
        input: Value,
        then: Box<Reply>,
    },
    /// An HTTP error with the exact Anthropic error body (401, 429, 500, 529; others are
    /// answered as `api_error`).
    HttpError { status: u16 },
    /// Accept the request and never answer (until the client disconnects or the stub stops).
    Hang,
    /// Stream `partial` as text deltas, then nothing but an SSE `ping` every second, never
    /// ending (until the client disconnects or the stub stops): a model stream that stalls
    /// mid-reply. A non-streaming request hangs.
    Stall { partial: String },
    /// Stream `partial` text, then an SSE `error` event (`overloaded_error`) and end the
    /// stream. `recovery` answers the next conversation request (the CLI's non-streaming
    /// retry), ahead of rules and queue. A non-streaming request gets `recovery` at once.
    StreamError {
        partial: String,
        recovery: Box<Reply>,
    },
}

impl Reply {
    /// A text reply without delay.
    pub fn text(t: &str) -> Reply {
        Reply::Text {
            text: t.to_string(),
            delay: Duration::ZERO,
        }
    }

    /// A deterministic text of `n` tokens, `"tok1 tok2 … tokN"`, `delay` between tokens.
    pub fn tokens(n: usize, delay: Duration) -> Reply {
        let text = (1..=n)
            .map(|i| format!("tok{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        Reply::Text { text, delay }
    }

    /// A tool call followed, once its result comes back, by `then_text`.
    pub fn tool(name: &str, input: Value, then_text: &str) -> Reply {
        Reply::ToolUse {
            name: name.to_string(),
            input,
            then: Box::new(Reply::text(then_text)),
        }
    }
}

/// One request the stub received, in arrival order.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// `"POST"`, `"GET"`, `"HEAD"`.
    pub method: String,
    /// The path without the query, e.g. `"/v1/messages"`.
    pub path: String,
    pub model: Option<String>,
    pub stream: bool,
    /// The request's `messages` (`Null` when absent).
    pub messages: Value,
    /// The request's `system` (`Null` when absent).
    pub system: Value,
    /// Names of the tools offered to the model.
    pub tool_names: Vec<String>,
    /// The whole JSON body (`Null` when the body was empty or not JSON).
    pub body: Value,
    /// Text of the last user message (a string, or its text blocks joined); `None` if that
    /// message only has tool results (or there is none).
    pub last_user_text: Option<String>,
    /// True for a `/v1/messages` request that is not a conversation turn (see the module
    /// documentation); such requests never consume the script.
    pub side: bool,
}

impl RecordedRequest {
    /// Builds the record from the method, path and raw body.
    pub fn new(method: &str, path: &str, raw: &[u8]) -> RecordedRequest {
        let body: Value = serde_json::from_slice(raw).unwrap_or(Value::Null);
        let messages = body.get("messages").cloned().unwrap_or(Value::Null);
        let tool_names = body
            .get("tools")
            .and_then(Value::as_array)
            .map(|tools| {
                tools
                    .iter()
                    .filter_map(|t| t.get("name").and_then(Value::as_str))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let side = path == "/v1/messages" && is_side_request(&body);
        RecordedRequest {
            method: method.to_string(),
            path: path.to_string(),
            model: body
                .get("model")
                .and_then(Value::as_str)
                .map(str::to_string),
            stream: body.get("stream").and_then(Value::as_bool).unwrap_or(false),
            system: body.get("system").cloned().unwrap_or(Value::Null),
            last_user_text: last_user_text(&messages),
            messages,
            tool_names,
            body,
            side,
        }
    }

    /// Which conversation the request belongs to: the CLI's `metadata.user_id` (JSON text
    /// that names its session), or `""` for a request without one.
    pub fn conversation(&self) -> String {
        self.body
            .pointer("/metadata/user_id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    }

    /// `tool_use_id`s of the `tool_result` blocks in the last user message.
    pub fn tool_result_ids(&self) -> Vec<String> {
        last_user_blocks(&self.messages)
            .iter()
            .filter(|b| b.get("type").and_then(Value::as_str) == Some("tool_result"))
            .filter_map(|b| b.get("tool_use_id").and_then(Value::as_str))
            .map(str::to_string)
            .collect()
    }

    /// The text content of the `tool_result` blocks in the last user message.
    pub fn tool_result_texts(&self) -> Vec<String> {
        last_user_blocks(&self.messages)
            .iter()
            .filter(|b| b.get("type").and_then(Value::as_str) == Some("tool_result"))
            .map(|b| match b.get("content") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Array(parts)) => parts
                    .iter()
                    .filter_map(|p| p.get("text").and_then(Value::as_str))
                    .collect::<Vec<_>>()
                    .join("\n"),
                _ => String::new(),
            })
            .collect()
    }
}

/// Is this `/v1/messages` body something other than a conversation turn?
///
/// The CLI's turn requests offer the tool list, and stream unless they are the fallback
/// after a broken stream (which still offers the tools). A request with neither tools nor
/// streaming is a side request (see the module documentation).
pub fn is_side_request(body: &Value) -> bool {
    let has_tools = body
        .get("tools")
        .and_then(Value::as_array)
        .is_some_and(|t| !t.is_empty());
    let stream = body.get("stream").and_then(Value::as_bool).unwrap_or(false);
    !has_tools && !stream
}

pub(super) fn last_user_message(messages: &Value) -> Option<&Value> {
    messages
        .as_array()?
        .iter()
        .rev()
        .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))
}

fn last_user_blocks(messages: &Value) -> Vec<Value> {
    match last_user_message(messages).and_then(|m| m.get("content")) {
        Some(Value::Array(blocks)) => blocks.clone(),
        _ => Vec::new(),
    }
}

/// Text of the last user message: its string content, or its text blocks joined by `\n`.
/// Blocks that are only a `<system-reminder>` the CLI added are left out.
pub fn last_user_text(messages: &Value) -> Option<String> {
    match last_user_message(messages)?.get("content")? {
        Value::String(s) => Some(s.clone()),
        Value::Array(blocks) => {
            let texts: Vec<&str> = blocks
                .iter()
                .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
                .filter_map(|b| b.get("text").and_then(Value::as_str))
                .filter(|t| !is_reminder(t))
                .collect();
            if texts.is_empty() {
                None
            } else {
                Some(texts.join("\n"))
            }
        }
        _ => None,
    }
}

fn is_reminder(text: &str) -> bool {
    let t = text.trim();
    t.starts_with("<system-reminder>") && t.ends_with("</system-reminder>")
}

/// Splits `text` into tokens whose concatenation is exactly `text`: each word with the
/// whitespace that follows it (leading whitespace belongs to the first token).
pub fn tokenize(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut seen_word = false;
    let mut in_space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            in_space = seen_word || in_space;
            current.push(c);
        } else {
            if in_space && seen_word {
                tokens.push(std::mem::take(&mut current));
                in_space = false;
            }
            seen_word = true;
            current.push(c);
        }
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens
}

/// The mutable script of a stub: queue, rules, tool calls awaiting their result.
#[derive(Debug, Default)]
pub struct Script {
    pub queue: VecDeque<Reply>,
    pub rules: Vec<(String, Reply)>,
    /// Tool-use id → the reply owed once its result arrives.
    pub pending: HashMap<String, Reply>,
    /// The answer owed to the retry after a [`Reply::StreamError`], by conversation
    /// ([`RecordedRequest::conversation`]): served first to that conversation's next request,
    /// so that with several CLIs at once another conversation cannot take it.
    pub recovery: HashMap<String, Reply>,
    /// Consulted after recovery and tool follow-ups, before rules and queue (see
    /// [`super::ModelStub::responder`]).
    pub responder: Option<Responder>,
}

/// A function choosing the reply to a conversation request (`None`: fall through to the
/// rules, the queue, then the default).
#[derive(Clone)]
pub struct Responder(pub std::sync::Arc<ResponderFn>);

/// The function inside a [`Responder`].
pub type ResponderFn = dyn Fn(&RecordedRequest) -> Option<Reply> + Send + Sync;

impl std::fmt::Debug for Responder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Responder")
    }
}

impl Script {
    /// The scripted reply for a conversation request, if any: the recovery owed after a
    /// broken stream, a pending tool follow-up, the first matching rule, the queue front.
    pub fn next_for(&mut self, req: &RecordedRequest) -> Option<Reply> {
        if let Some(reply) = self.recovery.remove(&req.conversation()) {
            return Some(reply);
        }
        for id in req.tool_result_ids() {
            if let Some(reply) = self.pending.remove(&id) {
                return Some(reply);
            }
        }
        if let Some(reply) = self.responder.as_ref().and_then(|f| (f.0)(req)) {
            return Some(reply);
        }
        if let Some(text) = &req.last_user_text {
            if let Some((_, reply)) = self.rules.iter().find(|(c, _)| text.contains(c.as_str())) {
                return Some(reply.clone());
            }
        }
        self.queue.pop_front()
    }

    /// Drops queue, rules and pending tool follow-ups.
    pub fn clear(&mut self) {
        self.queue.clear();
        self.rules.clear();
        self.pending.clear();
        self.recovery.clear();
        self.responder = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tokenize_concatenates_to_the_input() {
        for text in [
            "",
            "a",
            "hello world",
            "  leading and trailing  ",
            "line one\nline two\n\n```rust\nfn x() {}\n```\n",
            "tok1 tok2 tok3",
            "üñíçødé — dash\ttab",
        ] {
            assert_eq!(tokenize(text).concat(), text, "{text:?}");
        }
        assert_eq!(tokenize("hello big world"), ["hello ", "big ", "world"]);
        assert_eq!(tokenize(" a  b\n"), [" a  ", "b\n"]);
        assert!(tokenize("").is_empty());
    }

    #[test]
    fn tokens_reply_has_n_tokens() {
        let Reply::Text { text, .. } = Reply::tokens(4, Duration::ZERO) else {
            panic!("not text")
        };
        assert_eq!(text, "tok1 tok2 tok3 tok4");
        assert_eq!(tokenize(&text).len(), 4);
    }

    #[test]
    fn last_user_text_handles_strings_blocks_and_tool_results() {
        let m = json!([{"role":"user","content":"hi"},{"role":"assistant","content":"x"}]);
        assert_eq!(last_user_text(&m).as_deref(), Some("hi"));
        let m = json!([{"role":"user","content":[
            {"type":"text","text":"a"},{"type":"image"},{"type":"text","text":"b"}]}]);
        assert_eq!(last_user_text(&m).as_deref(), Some("a\nb"));
        let m = json!([{"role":"user","content":[
            {"type":"text","text":"<system-reminder>\nx\n</system-reminder>\n"},
            {"type":"text","text":"hello"}]},
            {"role":"system","content":[{"type":"text","text":"env"}]}]);
        assert_eq!(last_user_text(&m).as_deref(), Some("hello"));
        let m = json!([{"role":"user","content":[
            {"type":"tool_result","tool_use_id":"t1","content":"out"}]}]);
        assert_eq!(last_user_text(&m), None);
    }

    #[test]
    fn script_prefers_tool_follow_up_then_rules_then_queue() {
        let mut s = Script::default();
        s.queue.push_back(Reply::text("queued"));
        s.rules.push(("magic".into(), Reply::text("ruled")));
        s.pending.insert("toolu_stub_1".into(), Reply::text("then"));
        let text = |r: Option<Reply>| match r {
            Some(Reply::Text { text, .. }) => text,
            other => panic!("{other:?}"),
        };
        let body = |messages: Value| {
            let raw =
                serde_json::to_vec(&json!({"messages": messages, "tools": [{"name":"Bash"}]}))
                    .unwrap();
            RecordedRequest::new("POST", "/v1/messages", &raw)
        };
        let tool_result = body(json!([{"role":"user","content":[
            {"type":"tool_result","tool_use_id":"toolu_stub_1","content":"x"}]}]));
        assert_eq!(text(s.next_for(&tool_result)), "then");
        let magic = body(json!([{"role":"user","content":"say magic"}]));
        assert_eq!(text(s.next_for(&magic)), "ruled");
        assert_eq!(text(s.next_for(&magic)), "ruled", "rules stay");
        let plain = body(json!([{"role":"user","content":"plain"}]));
        assert_eq!(text(s.next_for(&plain)), "queued");
        assert!(s.next_for(&plain).is_none());
        assert!(!plain.side);
        let side = RecordedRequest::new(
            "POST",
            "/v1/messages",
            br#"{"messages":[{"role":"user","content":"title?"}],"max_tokens":50}"#,
        );
        assert!(side.side);
        assert_eq!(plain.tool_names, ["Bash"]);
    }

    #[test]
    fn a_recovery_is_owed_to_its_own_conversation_and_the_responder_comes_before_rules() {
        let body = |user: &str, text: &str| {
            let raw = serde_json::to_vec(&json!({
                "messages": [{"role":"user","content": text}],
                "tools": [{"name":"Bash"}],
                "metadata": {"user_id": user},
            }))
            .unwrap();
            RecordedRequest::new("POST", "/v1/messages", &raw)
        };
        let text = |r: Option<Reply>| match r {
            Some(Reply::Text { text, .. }) => text,
            other => panic!("{other:?}"),
        };
        let mut s = Script::default();
        s.rules.push(("hi".into(), Reply::text("ruled")));
        s.recovery
            .insert(body("a", "hi").conversation(), Reply::text("a's retry"));
        assert_eq!(text(s.next_for(&body("b", "hi"))), "ruled", "not b's");
        assert_eq!(text(s.next_for(&body("a", "hi"))), "a's retry");
        s.responder = Some(Responder(std::sync::Arc::new(|r: &RecordedRequest| {
            (r.last_user_text.as_deref() == Some("hi")).then(|| Reply::text("responded"))
        })));
        assert_eq!(text(s.next_for(&body("a", "hi"))), "responded");
        assert_eq!(
            text(s.next_for(&body("a", "hi there"))),
            "ruled",
            "falls through"
        );
    }
}
