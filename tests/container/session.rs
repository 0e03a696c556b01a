//! Chat steps over the WebSocket (`/ws/v1/chat`, docs/protocol.md) against the container.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{json, Value};

use crate::ws_client::{connect_with, deltas, Ws};
use crate::Running;

/// The client's own message numbers (`user_message.seq`).
static SEQ: AtomicU64 = AtomicU64::new(1);

pub async fn connect(addr: SocketAddr, key: &str) -> Ws {
    let mut ws = connect_with(addr, Some(key), None, None)
        .await
        .unwrap_or_else(|status| panic!("WebSocket refused with HTTP {status}"));
    assert_eq!(ws.frame().await["type"], "session_list");
    ws
}

/// Creates a session; its id once `session_ready` arrived.
pub async fn create(ws: &mut Ws) -> String {
    ws.send(json!({"type": "create_session"})).await;
    loop {
        let f = ws.frame().await;
        match f["type"].as_str() {
            Some("session_ready") => return f["session_id"].as_str().unwrap().to_string(),
            Some("session_creating" | "session_list") => {}
            other => panic!("unexpected {other:?}: {f}"),
        }
    }
}

/// Sends `text`; the streamed reply once the turn completed.
pub async fn say(ws: &mut Ws, id: &str, text: &str) -> String {
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    ws.send(json!({"type": "user_message", "session_id": id, "text": text, "seq": seq}))
        .await;
    let turn = ws.turn().await;
    assert_eq!(
        turn.last().unwrap()["type"],
        "response_complete",
        "{turn:#?}"
    );
    assert!(
        turn.iter().filter(|f| f["type"] == "stream_delta").count() > 1,
        "the reply streams in pieces: {turn:#?}"
    );
    deltas(&turn)
}

/// Asks the demo model to ``run `command` `` and approves the Bash tool if it asks (the
/// CLI runs read-only commands such as `id` without asking). Returns the tool's output and
/// whether approval was asked.
pub async fn run_bash(ws: &mut Ws, id: &str, command: &str) -> (String, bool) {
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    ws.send(json!({"type": "user_message", "session_id": id,
        "text": format!("run `{command}`"), "seq": seq}))
        .await;
    let mut asked = false;
    let mut frames = Vec::new();
    loop {
        let f = ws.frame().await;
        frames.push(f.clone());
        match f["type"].as_str() {
            Some("permission_request") => {
                assert_eq!(f["tool_name"], "Bash", "{f}");
                assert_eq!(f["input"]["command"], command, "{f}");
                asked = true;
                ws.send(json!({"type": "permission_response", "session_id": id,
                    "request_id": f["request_id"], "allow": true}))
                    .await;
            }
            Some("response_complete" | "stream_error" | "stream_interrupted") => break,
            _ => {}
        }
    }
    assert_eq!(
        frames.last().unwrap()["type"],
        "response_complete",
        "{frames:#?}"
    );
    let result = frames
        .iter()
        .find(|f| f["type"] == "tool_result")
        .unwrap_or_else(|| panic!("no tool_result: {frames:#?}"));
    assert_eq!(result["is_error"], false, "{result}");
    (text_of(&result["content"]), asked)
}

/// A tool result's text (a string, or a list of text blocks).
fn text_of(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter_map(|b| b["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        other => other.to_string(),
    }
}

/// After a restart: the session is listed as resumable, `resume_session` brings back its
/// history (with `earlier`), and a new message gets a reply; the CLI's transcript on the
/// data volume chains the new message to the earlier turns (the model is sent them).
pub async fn resume_and_continue(c: &Running, key: &str, id: &str, earlier: &str, text: &str) {
    let mut ws = connect_with(c.addr(), Some(key), None, None)
        .await
        .unwrap_or_else(|status| panic!("WebSocket refused with HTTP {status}"));
    let list = ws.frame().await;
    assert_eq!(list["type"], "session_list");
    let listed = list["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["session_id"] == id)
        .unwrap_or_else(|| panic!("session {id} not listed: {list}"));
    assert_eq!(listed["is_resumable"], true, "{listed}");

    ws.send(json!({"type": "resume_session", "session_id": id}))
        .await;
    let (mut history, mut ready) = (None, false);
    while history.is_none() || !ready {
        let f = ws.frame().await;
        match f["type"].as_str() {
            Some("session_history") => history = Some(f),
            Some("session_ready") => {
                assert_eq!(f["source"], "resumed", "{f}");
                ready = true;
            }
            Some("session_list") => {}
            other => panic!("unexpected {other:?}: {f}"),
        }
    }
    let history = history.unwrap();
    let messages = history["messages"].as_array().unwrap();
    assert!(
        messages
            .iter()
            .any(|m| m["kind"] == "user" && m["payload"].to_string().contains(earlier)),
        "the history has {earlier:?}: {history}"
    );
    assert!(
        messages.iter().any(|m| m["kind"] == "assistant"),
        "{history}"
    );

    let reply = say(&mut ws, id, text).await;
    assert!(reply.contains(text), "{reply}");
    drop(ws);

    // The CLI continued the same conversation: walking back from the new message through
    // `parentUuid` reaches the earlier one.
    let transcripts = c.exec(&["sh", "-c", "cat /data/claude/projects/*/*.jsonl"]);
    let entries: Vec<Value> = transcripts
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let by_uuid: HashMap<&str, &Value> = entries
        .iter()
        .filter_map(|e| Some((e["uuid"].as_str()?, e)))
        .collect();
    let is_user_text = |e: &Value, needle: &str| {
        e["type"] == "user" && e["message"]["content"].to_string().contains(needle)
    };
    let newest = entries
        .iter()
        .rev()
        .find(|e| is_user_text(e, text))
        .unwrap_or_else(|| panic!("{text:?} is not in the CLI's transcripts"));
    let mut at = Some(newest);
    let mut reached = false;
    while let Some(entry) = at {
        if is_user_text(entry, earlier) {
            reached = true;
            break;
        }
        at = entry["parentUuid"]
            .as_str()
            .and_then(|p| by_uuid.get(p).copied());
    }
    assert!(
        reached,
        "the new message does not continue the conversation with {earlier:?}"
    );
}
