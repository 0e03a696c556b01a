//! The Anthropic Messages API wire shapes: SSE events, complete messages, error bodies.

use std::time::Duration;

use actix_web::web::Bytes;
use serde_json::{json, Value};

use super::script::tokenize;

/// One content block of an answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Text(String),
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
}

/// A complete assistant message to send, streamed or not.
#[derive(Debug, Clone)]
pub struct Message {
    pub id: String,
    pub model: String,
    pub blocks: Vec<Block>,
    /// Pause between two text tokens.
    pub delay: Duration,
    pub input_tokens: u64,
}

impl Message {
    /// `"tool_use"` when the message calls a tool, else `"end_turn"`.
    pub fn stop_reason(&self) -> &'static str {
        if self
            .blocks
            .iter()
            .any(|b| matches!(b, Block::ToolUse { .. }))
        {
            "tool_use"
        } else {
            "end_turn"
        }
    }

    /// Output tokens: text tokens plus a rough count for tool inputs.
    pub fn output_tokens(&self) -> u64 {
        self.blocks
            .iter()
            .map(|b| match b {
                Block::Text(t) => tokenize(t).len() as u64,
                Block::ToolUse { input, .. } => rough_tokens(&input.to_string()),
            })
            .sum()
    }

    /// The complete (non-streaming) Message object.
    pub fn to_json(&self) -> Value {
        let content: Vec<Value> = self
            .blocks
            .iter()
            .map(|b| match b {
                Block::Text(t) => json!({"type": "text", "text": t}),
                Block::ToolUse { id, name, input } => {
                    json!({"type": "tool_use", "id": id, "name": name, "input": input})
                }
            })
            .collect();
        json!({
            "id": self.id,
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": content,
            "stop_reason": self.stop_reason(),
            "stop_sequence": null,
            "usage": usage(self.input_tokens, self.output_tokens()),
        })
    }

    /// The `message_start` event: the message with empty content and no stop reason.
    fn start_event(&self) -> Value {
        json!({
            "type": "message_start",
            "message": {
                "id": self.id,
                "type": "message",
                "role": "assistant",
                "model": self.model,
                "content": [],
                "stop_reason": null,
                "stop_sequence": null,
                "usage": usage(self.input_tokens, 1),
            }
        })
    }
}

/// A rough token count: one per four bytes, at least one.
pub fn rough_tokens(text: &str) -> u64 {
    (text.len() as u64 / 4).max(1)
}

fn usage(input_tokens: u64, output_tokens: u64) -> Value {
    json!({
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
    })
}

/// One SSE frame: `event: <type>\ndata: <json>\n\n`.
pub fn event(data: &Value) -> Bytes {
    let name = data
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("message");
    Bytes::from(format!("event: {name}\ndata: {data}\n\n"))
}

/// An SSE frame and the pause to take before sending it.
pub type Frame = (Duration, Bytes);

/// The events of a streamed message, each with the pause before it.
pub fn message_frames(msg: &Message) -> Vec<Frame> {
    let now = Duration::ZERO;
    let mut frames = vec![
        (now, event(&msg.start_event())),
        (now, event(&json!({"type": "ping"}))),
    ];
    let mut first_token = true;
    for (index, block) in msg.blocks.iter().enumerate() {
        match block {
            Block::Text(text) => {
                frames.push((now, block_start(index, json!({"type": "text", "text": ""}))));
                for token in tokenize(text) {
                    let pause = if first_token { now } else { msg.delay };
                    first_token = false;
                    frames.push((pause, text_delta(index, &token)));
                }
            }
            Block::ToolUse { id, name, input } => {
                let start = json!({"type": "tool_use", "id": id, "name": name, "input": {}});
                frames.push((now, block_start(index, start)));
                for chunk in json_chunks(&input.to_string()) {
                    frames.push((
                        now,
                        event(&json!({
                            "type": "content_block_delta",
                            "index": index,
                            "delta": {"type": "input_json_delta", "partial_json": chunk},
                        })),
                    ));
                }
            }
        }
        frames.push((
            now,
            event(&json!({"type": "content_block_stop", "index": index})),
        ));
    }
    frames.push((
        now,
        event(&json!({
            "type": "message_delta",
            "delta": {"stop_reason": msg.stop_reason(), "stop_sequence": null},
            "usage": {"output_tokens": msg.output_tokens()},
        })),
    ));
    frames.push((now, event(&json!({"type": "message_stop"}))));
    frames
}

/// A message that streams `partial` and then fails with an SSE `error` event
/// (`overloaded_error`); no `content_block_stop` / `message_stop` follow.
pub fn broken_frames(msg: &Message, partial: &str) -> Vec<Frame> {
    let now = Duration::ZERO;
    let mut frames = vec![
        (now, event(&msg.start_event())),
        (now, event(&json!({"type": "ping"}))),
        (now, block_start(0, json!({"type": "text", "text": ""}))),
    ];
    for (i, token) in tokenize(partial).into_iter().enumerate() {
        let pause = if i == 0 { now } else { msg.delay };
        frames.push((pause, text_delta(0, &token)));
    }
    frames.push((
        now,
        Bytes::from(format!("event: error\ndata: {}\n\n", error_body(529))),
    ));
    frames
}

/// The start of a message that streams `partial` and then stalls: no stop events follow.
pub fn stalled_frames(msg: &Message, partial: &str) -> Vec<Frame> {
    let now = Duration::ZERO;
    let mut frames = vec![
        (now, event(&msg.start_event())),
        (now, ping()),
        (now, block_start(0, json!({"type": "text", "text": ""}))),
    ];
    for token in tokenize(partial) {
        frames.push((now, text_delta(0, &token)));
    }
    frames
}

/// The SSE keep-alive.
pub fn ping() -> Bytes {
    event(&json!({"type": "ping"}))
}

fn block_start(index: usize, content_block: Value) -> Bytes {
    event(&json!({"type": "content_block_start", "index": index, "content_block": content_block}))
}

fn text_delta(index: usize, text: &str) -> Bytes {
    event(&json!({
        "type": "content_block_delta",
        "index": index,
        "delta": {"type": "text_delta", "text": text},
    }))
}

/// Splits serialized JSON into a few pieces, as the API streams `input_json_delta`s
/// (the first piece is empty, as the real API's often is).
fn json_chunks(json: &str) -> Vec<String> {
    let chars: Vec<char> = json.chars().collect();
    let mut chunks = vec![String::new()];
    chunks.extend(chars.chunks(16).map(|c| c.iter().collect::<String>()));
    chunks
}

/// The Anthropic error type for an HTTP status.
pub fn error_type(status: u16) -> &'static str {
    match status {
        400 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        _ => "api_error",
    }
}

/// The exact Anthropic error body for an HTTP status (also the SSE `error` event data),
/// written by hand to keep the API's key order (`type` first).
pub fn error_body(status: u16) -> String {
    let message = match status {
        401 => "invalid x-api-key",
        429 => "Number of request tokens has exceeded your per-minute rate limit",
        529 => "Overloaded",
        _ => "Internal server error",
    };
    format!(
        r#"{{"type":"error","error":{{"type":"{}","message":"{}"}}}}"#,
        error_type(status),
        message
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(frames: &[Frame]) -> Vec<(String, Value)> {
        frames
            .iter()
            .map(|(_, bytes)| {
                let text = std::str::from_utf8(bytes).unwrap();
                assert!(text.ends_with("\n\n"), "{text:?}");
                let mut lines = text.trim_end().lines();
                let name = lines.next().unwrap().strip_prefix("event: ").unwrap();
                let data = lines.next().unwrap().strip_prefix("data: ").unwrap();
                assert!(lines.next().is_none());
                let data: Value = serde_json::from_str(data).unwrap();
                assert_eq!(data["type"], name);
                (name.to_string(), data)
            })
            .collect()
    }

    fn msg(blocks: Vec<Block>) -> Message {
        Message {
            id: "msg_stub_1".into(),
            model: "claude-test".into(),
            blocks,
            delay: Duration::from_millis(5),
            input_tokens: 42,
        }
    }

    #[test]
    fn a_stalled_message_starts_and_never_stops() {
        let frames = stalled_frames(&msg(vec![]), "half a reply");
        let events = parse(&frames);
        let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "message_start",
                "ping",
                "content_block_start",
                "content_block_delta",
                "content_block_delta",
                "content_block_delta"
            ]
        );
        assert_eq!(parse(&[(Duration::ZERO, ping())])[0].0, "ping");
    }

    #[test]
    fn text_message_streams_exact_event_sequence() {
        let m = msg(vec![Block::Text("hello big world".into())]);
        let frames = message_frames(&m);
        let events = parse(&frames);
        let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "message_start",
                "ping",
                "content_block_start",
                "content_block_delta",
                "content_block_delta",
                "content_block_delta",
                "content_block_stop",
                "message_delta",
                "message_stop"
            ]
        );
        let start = &events[0].1["message"];
        assert_eq!(start["id"], "msg_stub_1");
        assert_eq!(start["model"], "claude-test");
        assert_eq!(start["content"], json!([]));
        assert!(start["stop_reason"].is_null());
        assert!(start["stop_sequence"].is_null());
        assert_eq!(start["usage"]["input_tokens"], 42);
        assert_eq!(start["usage"]["cache_read_input_tokens"], 0);
        assert_eq!(
            events[2].1,
            json!({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})
        );
        let text: String = events
            .iter()
            .filter(|(n, _)| n == "content_block_delta")
            .map(|(_, d)| d["delta"]["text"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(text, "hello big world");
        assert_eq!(events[7].1["delta"]["stop_reason"], "end_turn");
        assert_eq!(events[7].1["usage"]["output_tokens"], 3);
        // The delay sits between tokens: none before the first.
        let pauses: Vec<Duration> = frames.iter().map(|(d, _)| *d).collect();
        assert_eq!(pauses[3], Duration::ZERO);
        assert_eq!(pauses[4], Duration::from_millis(5));
        assert_eq!(pauses[5], Duration::from_millis(5));
    }

    #[test]
    fn tool_use_streams_input_json_deltas() {
        let input = json!({"command": "echo hi", "description": "say hi"});
        let m = msg(vec![
            Block::Text("I will".into()),
            Block::ToolUse {
                id: "toolu_stub_1".into(),
                name: "Bash".into(),
                input: input.clone(),
            },
        ]);
        let events = parse(&message_frames(&m));
        let start = events
            .iter()
            .find(|(n, d)| n == "content_block_start" && d["index"] == 1)
            .unwrap();
        assert_eq!(
            start.1["content_block"],
            json!({"type":"tool_use","id":"toolu_stub_1","name":"Bash","input":{}})
        );
        let partial: String = events
            .iter()
            .filter(|(_, d)| d["delta"]["type"] == "input_json_delta")
            .map(|(_, d)| d["delta"]["partial_json"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(serde_json::from_str::<Value>(&partial).unwrap(), input);
        let delta = events.iter().find(|(n, _)| n == "message_delta").unwrap();
        assert_eq!(delta.1["delta"]["stop_reason"], "tool_use");
        assert_eq!(m.to_json()["content"][1]["input"], input);
        assert_eq!(m.to_json()["stop_reason"], "tool_use");
    }

    #[test]
    fn broken_stream_ends_with_overloaded_error_event() {
        let frames = broken_frames(&msg(vec![]), "partial text");
        let raw = std::str::from_utf8(&frames.last().unwrap().1)
            .unwrap()
            .to_string();
        assert_eq!(
            raw,
            "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n"
        );
        let events = parse(&frames);
        assert!(events.iter().all(|(n, _)| n != "message_stop"));
    }

    #[test]
    fn error_bodies_match_the_api() {
        let body = |s| serde_json::from_str::<Value>(&error_body(s)).unwrap();
        assert_eq!(body(401)["error"]["type"], "authentication_error");
        assert_eq!(body(429)["error"]["type"], "rate_limit_error");
        assert_eq!(body(500)["error"]["type"], "api_error");
        assert_eq!(body(529)["error"]["type"], "overloaded_error");
        assert_eq!(body(503)["error"]["type"], "api_error");
        assert_eq!(body(429)["type"], "error");
        assert!(error_body(529).starts_with(r#"{"type":"error","error":{"type":"#));
    }

    #[test]
    fn non_streaming_message_is_complete() {
        let m = msg(vec![Block::Text("OK".into())]);
        let v = m.to_json();
        assert_eq!(v["type"], "message");
        assert_eq!(v["role"], "assistant");
        assert_eq!(v["content"], json!([{"type":"text","text":"OK"}]));
        assert_eq!(v["stop_reason"], "end_turn");
        assert_eq!(v["usage"]["output_tokens"], 1);
    }
}
