//! One stdout line of the CLI → a [`Frame`] (docs/claude-cli-protocol.md §3, §4, §8).
//!
//! Only the envelope and the fields the server reads are typed; everything else stays raw
//! JSON. Unknown frame types are tolerated ([`Frame::Unknown`]), as the SDK does.

use serde_json::Value;

/// A parsed stdout line.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// The answer to one of our control requests.
    ControlResponse {
        request_id: String,
        /// The response body, or the CLI's error text.
        outcome: Result<Value, String>,
    },
    /// A request from the CLI (`can_use_tool`, `hook_callback`, `mcp_message`, …).
    ControlRequest {
        request_id: String,
        subtype: String,
        request: Value,
    },
    /// The CLI withdrew one of its own requests; it must not be answered any more.
    ControlCancel {
        request_id: String,
    },
    /// A raw Anthropic SSE event (only with `--include-partial-messages`).
    StreamEvent {
        event: Value,
        /// Set on the frame that abandons a partly streamed message (docs/claude-cli-protocol.md §8.4).
        abandoned_from_block: Option<u64>,
        parent_tool_use_id: Option<String>,
    },
    /// One complete assistant content block (one frame per block).
    Assistant {
        message: Value,
        parent_tool_use_id: Option<String>,
        /// Set on synthetic API-error frames (`rate_limit`, `authentication_failed`, …).
        error: Option<String>,
    },
    /// Tool results (and interrupt notices) fed back to the model.
    User {
        message: Value,
        parent_tool_use_id: Option<String>,
    },
    System {
        subtype: String,
        raw: Value,
    },
    /// The end of a turn: exactly one per user message.
    Result(Value),
    Unknown {
        kind: String,
    },
}

impl Frame {
    /// The frame shows that the turn is moving: anything the CLI writes except the answer to
    /// one of our own control requests and the model API's keep-alive `ping`, which the CLI
    /// forwards every ~10 s while a stalled model stream stays open.
    pub fn shows_progress(&self) -> bool {
        match self {
            Frame::ControlResponse { .. } => false,
            Frame::StreamEvent { event, .. } => {
                event.get("type").and_then(Value::as_str) != Some("ping")
            }
            Frame::Unknown { kind } => kind != "keep_alive",
            _ => true,
        }
    }
}

/// Why a line is not a frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// Not JSON at all (some builds print debug lines); skipped, as the SDK does.
    #[error("not a JSON line")]
    NotJson,
    /// Starts like JSON but does not parse.
    #[error("malformed JSON line: {0}")]
    Malformed(String),
    #[error("JSON line without a type")]
    NoType,
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

/// Parses one line (without its newline).
pub fn parse_line(line: &[u8]) -> Result<Frame, FrameError> {
    let trimmed = line.trim_ascii();
    if !trimmed.starts_with(b"{") {
        return Err(FrameError::NotJson);
    }
    let value: Value =
        serde_json::from_slice(trimmed).map_err(|e| FrameError::Malformed(e.to_string()))?;
    parse_value(value)
}

/// Classifies an already parsed JSON object.
pub fn parse_value(mut value: Value) -> Result<Frame, FrameError> {
    let kind = text(&value, "type").ok_or(FrameError::NoType)?;
    let frame = match kind.as_str() {
        "control_response" => {
            let response = value
                .get_mut("response")
                .map(Value::take)
                .unwrap_or_default();
            let request_id = text(&response, "request_id").unwrap_or_default();
            let outcome = if response.get("subtype").and_then(Value::as_str) == Some("error") {
                Err(text(&response, "error").unwrap_or_else(|| "unknown error".to_string()))
            } else {
                Ok(response.get("response").cloned().unwrap_or(Value::Null))
            };
            Frame::ControlResponse {
                request_id,
                outcome,
            }
        }
        "control_request" => {
            let request_id = text(&value, "request_id").unwrap_or_default();
            let request = value
                .get_mut("request")
                .map(Value::take)
                .unwrap_or_default();
            let subtype = text(&request, "subtype").unwrap_or_default();
            Frame::ControlRequest {
                request_id,
                subtype,
                request,
            }
        }
        "control_cancel_request" => Frame::ControlCancel {
            request_id: text(&value, "request_id").unwrap_or_default(),
        },
        "stream_event" => Frame::StreamEvent {
            abandoned_from_block: value
                .get("abandoned_blocks")
                .and_then(|a| a.get("from_block_index"))
                .and_then(Value::as_u64),
            parent_tool_use_id: text(&value, "parent_tool_use_id"),
            event: value.get_mut("event").map(Value::take).unwrap_or_default(),
        },
        "assistant" => Frame::Assistant {
            parent_tool_use_id: text(&value, "parent_tool_use_id"),
            error: text(&value, "error"),
            message: value
                .get_mut("message")
                .map(Value::take)
                .unwrap_or_default(),
        },
        "user" => Frame::User {
            parent_tool_use_id: text(&value, "parent_tool_use_id"),
            message: value
                .get_mut("message")
                .map(Value::take)
                .unwrap_or_default(),
        },
        "system" => Frame::System {
            subtype: text(&value, "subtype").unwrap_or_default(),
            raw: value,
        },
        "result" => Frame::Result(value),
        _ => Frame::Unknown { kind },
    };
    Ok(frame)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn control_frames() {
        let ok = br#"{"type":"control_response","response":{"subtype":"success","request_id":"req_1","response":{"pid":7}}}"#;
        assert_eq!(
            parse_line(ok).unwrap(),
            Frame::ControlResponse {
                request_id: "req_1".into(),
                outcome: Ok(json!({"pid": 7}))
            }
        );
        let err = br#"{"type":"control_response","response":{"subtype":"error","request_id":"req_2","error":"Unsupported"}}"#;
        assert_eq!(
            parse_line(err).unwrap(),
            Frame::ControlResponse {
                request_id: "req_2".into(),
                outcome: Err("Unsupported".into())
            }
        );
        let cancel = br#"{"type":"control_cancel_request","request_id":"abc"}"#;
        assert_eq!(
            parse_line(cancel).unwrap(),
            Frame::ControlCancel {
                request_id: "abc".into()
            }
        );
    }

    #[test]
    fn tolerates_unknown_and_rejects_garbage() {
        assert_eq!(
            parse_line(br#"{"type":"brand_new","x":1}"#).unwrap(),
            Frame::Unknown {
                kind: "brand_new".into()
            }
        );
        assert_eq!(
            parse_line(b"[SandboxDebug] hello"),
            Err(FrameError::NotJson)
        );
        assert!(matches!(
            parse_line(b"{\"type\": "),
            Err(FrameError::Malformed(_))
        ));
        assert_eq!(parse_line(br#"{"no":"type"}"#), Err(FrameError::NoType));
    }

    #[test]
    fn pings_and_our_own_answers_are_no_progress() {
        let line = |l: &str| parse_line(l.as_bytes()).unwrap();
        for quiet in [
            r#"{"type":"stream_event","event":{"type":"ping"}}"#,
            r#"{"type":"control_response","response":{"subtype":"success","request_id":"r"}}"#,
            r#"{"type":"keep_alive"}"#,
        ] {
            assert!(!line(quiet).shows_progress(), "{quiet}");
        }
        for moving in [
            r#"{"type":"stream_event","event":{"type":"content_block_delta","delta":{"type":"text_delta","text":"x"}}}"#,
            r#"{"type":"stream_event","event":{"type":"content_block_delta","delta":{"type":"input_json_delta","partial_json":"{"}}}"#,
            r#"{"type":"system","subtype":"task_started"}"#,
            r#"{"type":"control_request","request_id":"r","request":{"subtype":"can_use_tool"}}"#,
            r#"{"type":"assistant","message":{"content":[]}}"#,
            r#"{"type":"tool_progress"}"#,
        ] {
            assert!(line(moving).shows_progress(), "{moving}");
        }
    }

    #[test]
    fn abandoned_blocks_are_read() {
        let line = br#"{"type":"stream_event","event":{"type":"message_stop"},"abandoned_blocks":{"api_message_id":"m","from_block_index":0}}"#;
        match parse_line(line).unwrap() {
            Frame::StreamEvent {
                abandoned_from_block,
                ..
            } => assert_eq!(abandoned_from_block, Some(0)),
            other => panic!("{other:?}"),
        }
    }
}
