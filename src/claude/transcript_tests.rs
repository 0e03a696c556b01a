//! The parser and translator over every recorded CLI session in
//! `tests/fixtures/cli-transcripts/` (real CLI output, recorded against a mock API).

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::events::{permission_request, CliEvent, ContentBlock, Translator};
use super::frames::{parse_value, Frame};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cli-transcripts")
}

fn transcripts() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![fixtures()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "jsonl") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The stdout frames of one transcript, as raw JSON.
fn stdout_of(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|rec| rec["dir"] == "out")
        .map(|rec| rec["data"].clone())
        .collect()
}

/// Feeds frames as the reader does (control requests become permission events).
fn events_of(frames: &[Value]) -> Vec<CliEvent> {
    let mut t = Translator::new();
    let mut out = Vec::new();
    for raw in frames {
        match parse_value(raw.clone()).unwrap() {
            Frame::ControlRequest {
                request_id,
                subtype,
                request,
            } if subtype == "can_use_tool" => out.push(CliEvent::PermissionRequest(
                permission_request(&request_id, &request),
            )),
            Frame::ControlCancel { request_id } => {
                out.push(CliEvent::PermissionCancelled { request_id })
            }
            frame => t.translate(frame, &mut out),
        }
    }
    out
}

/// What a client that follows the streaming rule shows for each turn: the text blocks.
fn rendered_turns(events: &[CliEvent]) -> Vec<Vec<String>> {
    let mut turns = Vec::new();
    let mut blocks: Vec<String> = Vec::new();
    let mut streaming = String::new();
    for e in events {
        match e {
            CliEvent::TextDelta { text } => streaming.push_str(text),
            CliEvent::TextRetracted { text } => {
                assert!(
                    streaming.ends_with(text.as_str()),
                    "retracts what was streamed"
                );
                streaming.truncate(streaming.len() - text.len());
            }
            CliEvent::Assistant {
                block: ContentBlock::Text { text },
                streamed,
                parent_tool_use_id: None,
                ..
            } => {
                if *streamed {
                    assert_eq!(&streaming, text, "streamed text equals the complete block");
                    streaming.clear();
                } else {
                    assert!(streaming.is_empty(), "nothing pending before a whole block");
                }
                blocks.push(text.clone());
            }
            CliEvent::TurnResult(_) => {
                assert!(
                    streaming.is_empty(),
                    "no dangling streamed text at turn end"
                );
                turns.push(std::mem::take(&mut blocks));
            }
            _ => {}
        }
    }
    turns
}

/// The assistant text blocks of each turn according to the raw frames.
fn raw_turns(frames: &[Value]) -> Vec<Vec<String>> {
    let mut turns = Vec::new();
    let mut blocks = Vec::new();
    for f in frames {
        match f["type"].as_str() {
            Some("assistant") if f["parent_tool_use_id"].is_null() => {
                for b in f["message"]["content"].as_array().unwrap() {
                    if b["type"] == "text" {
                        blocks.push(b["text"].as_str().unwrap().to_string());
                    }
                }
            }
            Some("result") => turns.push(std::mem::take(&mut blocks)),
            _ => {}
        }
    }
    turns
}

#[test]
fn every_recorded_frame_parses_and_every_turn_renders_its_text() {
    let files = transcripts();
    assert!(files.len() >= 60, "fixtures missing: {}", files.len());
    let mut frames_seen = 0;
    for path in &files {
        let frames = stdout_of(path);
        frames_seen += frames.len();
        for raw in &frames {
            let line = serde_json::to_vec(raw).unwrap();
            super::frames::parse_line(&line)
                .unwrap_or_else(|e| panic!("{}: {e}: {raw}", path.display()));
        }
        let events = events_of(&frames);
        let results = frames.iter().filter(|f| f["type"] == "result").count();
        let turn_results = events
            .iter()
            .filter(|e| matches!(e, CliEvent::TurnResult(_)))
            .count();
        assert_eq!(turn_results, results, "{}", path.display());
        assert_eq!(
            rendered_turns(&events),
            raw_turns(&frames),
            "{}",
            path.display()
        );
        let tool_results = frames
            .iter()
            .filter(|f| f["type"] == "user")
            .flat_map(|f| {
                f["message"]["content"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .filter(|b| b["type"] == "tool_result")
            .count();
        let tool_events = events
            .iter()
            .filter(|e| matches!(e, CliEvent::ToolResult { .. }))
            .count();
        assert_eq!(tool_events, tool_results, "{}", path.display());
    }
    assert!(frames_seen > 1000, "{frames_seen}");
}

fn load(name: &str) -> (Vec<Value>, Vec<CliEvent>) {
    let frames = stdout_of(&fixtures().join(name));
    let events = events_of(&frames);
    (frames, events)
}

fn results(events: &[CliEvent]) -> Vec<&super::TurnResult> {
    events
        .iter()
        .filter_map(|e| match e {
            CliEvent::TurnResult(r) => Some(r),
            _ => None,
        })
        .collect()
}

#[test]
fn text_turns_stream_and_cost_per_turn() {
    let (_, events) = load("01_init_and_partial_text_bundled.jsonl");
    let deltas: String = events
        .iter()
        .take_while(|e| !matches!(e, CliEvent::TurnResult(_)))
        .filter_map(|e| match e {
            CliEvent::TextDelta { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(deltas, "Hello from the mock model. I saw 2 messages. ");
    let r = results(&events);
    assert_eq!(r.len(), 5);
    for (i, turn) in r.iter().enumerate() {
        assert!(!turn.is_error);
        assert_eq!(turn.terminal_reason.as_deref(), Some("completed"));
        assert!((turn.cost_usd - 0.0009).abs() < 1e-9, "{}", turn.cost_usd);
        assert!((turn.total_cost_usd - 0.0009 * (i as f64 + 1.0)).abs() < 1e-9);
    }
    assert!(matches!(
        events[0],
        CliEvent::TurnStarted {
            session_id: Some(_),
            ..
        }
    ));
}

#[test]
fn tool_turn_with_permission() {
    let (_, events) = load("03_tool_a_default_stdio_allow_bundled.jsonl");
    let req = events
        .iter()
        .find_map(|e| match e {
            CliEvent::PermissionRequest(p) => Some(p),
            _ => None,
        })
        .unwrap();
    assert_eq!(req.tool_name, "Bash");
    assert_eq!(req.reason, "This command requires approval");
    assert_eq!(req.tool_use_id.as_deref(), Some("toolu_mock1"));
    assert_eq!(req.input["command"], "python3 -c \"print('hi')\"");
    let tool_use = events.iter().any(|e| {
        matches!(e, CliEvent::Assistant { block: ContentBlock::ToolUse { name, .. }, .. } if name == "Bash")
    });
    assert!(tool_use);
    let result = events
        .iter()
        .find_map(|e| match e {
            CliEvent::ToolResult {
                content,
                is_error,
                duration_ms,
                ..
            } => Some((content.clone(), *is_error, *duration_ms)),
            _ => None,
        })
        .unwrap();
    assert_eq!(result.0, "hi");
    assert!(!result.1);
    assert!(
        result.2.is_some(),
        "duration measured from the tool_use block"
    );
    assert_eq!(results(&events)[0].num_turns, 2);
}

#[test]
fn denied_tool_is_an_error_result() {
    let (_, events) = load("03_tool_b_default_stdio_deny_bundled.jsonl");
    assert!(events
        .iter()
        .any(|e| matches!(e, CliEvent::ToolResult { is_error: true, .. })));
}

#[test]
fn abandoned_stream_falls_back_to_a_whole_block() {
    let (_, events) = load("07_midstream_sse_error_bundled.jsonl");
    let first = events
        .iter()
        .find_map(|e| match e {
            CliEvent::Assistant {
                block: ContentBlock::Text { text },
                streamed,
                ..
            } => Some((text.clone(), *streamed)),
            _ => None,
        })
        .unwrap();
    assert_eq!(first.0, "Hello from the mock model. I saw 2 messages.");
    assert!(
        !first.1,
        "no deltas came for the retried call: render it whole"
    );
}

#[test]
fn retraction_of_streamed_text_when_a_stream_is_abandoned() {
    // Synthesized from the recorded shapes: deltas, then the abandoning frame, then the
    // non-streaming retry's whole block.
    let se = |event: Value| serde_json::json!({"type": "stream_event", "event": event});
    let frames = vec![
        se(
            serde_json::json!({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}),
        ),
        se(
            serde_json::json!({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}}),
        ),
        se(serde_json::json!({"type":"content_block_stop","index":0})),
        serde_json::json!({"type":"stream_event","event":{"type":"message_stop"},
            "abandoned_blocks":{"api_message_id":"m1","from_block_index":0}}),
        serde_json::json!({"type":"assistant","message":{"id":"m2","content":[{"type":"text","text":"Hello."}]},"parent_tool_use_id":null}),
        serde_json::json!({"type":"result","subtype":"success","is_error":false,"total_cost_usd":0.1}),
    ];
    let events = events_of(&frames);
    assert_eq!(events[1], CliEvent::TextRetracted { text: "Hel".into() });
    assert_eq!(rendered_turns(&events), vec![vec!["Hello.".to_string()]]);
}

#[test]
fn api_errors_retries_and_interrupts() {
    let (_, events) = load("07_http429_maxretries0_bundled.jsonl");
    let first = results(&events)[0];
    assert!(first.is_error);
    assert_eq!(first.api_error_status, Some(429));
    assert_eq!(first.terminal_reason.as_deref(), Some("api_error"));
    assert!(events.iter().any(|e| matches!(
        e,
        CliEvent::Assistant { api_error: Some(kind), .. } if kind == "rate_limit"
    )));
    assert!(!results(&events)[1].is_error, "the process stays usable");

    let (_, events) = load("07_hang_api_timeout_5s_retries1_bundled.jsonl");
    assert!(events.iter().any(|e| matches!(
        e,
        CliEvent::ApiRetry {
            attempt: 1,
            max_retries: 1,
            ..
        }
    )));

    let (_, events) = load("04_interrupt_midstream_bundled.jsonl");
    let r = results(&events);
    assert!(r[0].was_interrupted());
    assert_eq!(r[0].terminal_reason.as_deref(), Some("aborted_streaming"));
    assert!(!r[1].is_error);

    let (_, events) = load("04_interrupt_pending_permission_bundled.jsonl");
    assert!(events
        .iter()
        .any(|e| matches!(e, CliEvent::PermissionCancelled { .. })));
    assert_eq!(
        results(&events)[0].terminal_reason.as_deref(),
        Some("aborted_tools")
    );
}

#[test]
fn bad_resume_reports_the_clis_reason() {
    let (_, events) = load("06_resume_unknown_uuid_bundled.jsonl");
    let r = results(&events);
    assert_eq!(r.len(), 1);
    assert!(r[0].errors[0].starts_with("No conversation found with session ID"));
}
