//! What a user does, over the WebSocket: create a session, open one, send a message and read
//! its reply. The stub answers every message so that a reply names its question.

use std::time::Duration;

use claude_sdk_pattern::model_stub::{ModelStub, RecordedRequest, Reply};
use serde_json::{json, Value};

use crate::ws_client::{deltas, Ws};

/// Delay between the tokens of a slow reply.
pub const TOKEN_DELAY: Duration = Duration::from_millis(100);

/// The stub's answers: a message `slow N: …` gets `N` tokens (`tok1 … tokN`), one every
/// [`TOKEN_DELAY`]; any other text `t` gets `echo: t` at once.
pub fn install_responder(stub: &ModelStub) {
    stub.responder(|req: &RecordedRequest| {
        let text = req.last_user_text.as_deref()?;
        Some(reply_to(text))
    });
}

fn reply_to(text: &str) -> Reply {
    let slow = text
        .strip_prefix("slow ")
        .and_then(|rest| rest.split(':').next())
        .and_then(|n| n.trim().parse::<usize>().ok());
    match slow {
        Some(n) => Reply::tokens(n, TOKEN_DELAY),
        None => Reply::text(&format!("echo: {text}")),
    }
}

/// The text of the reply the stub gives to `text`.
pub fn expected_reply(text: &str) -> String {
    match reply_to(text) {
        Reply::Text { text, .. } => text,
        other => unreachable!("{other:?}"),
    }
}

/// Creates a session on this connection; its id.
pub async fn create(ws: &mut Ws) -> String {
    ws.send(json!({"type": "create_session"})).await;
    loop {
        let f = ws.frame().await;
        match f["type"].as_str() {
            Some("session_ready") => return f["session_id"].as_str().unwrap().to_string(),
            Some("session_list" | "session_creating") => {}
            other => panic!("creating a session: unexpected {other:?}: {f}"),
        }
    }
}

/// What `switch_session` brought: the `session_history` (complete turns but the last) and
/// the replayed events of the current or last turn (those up to its `last_event_seq`).
pub struct Opened {
    pub history: Value,
    pub replay: Vec<Value>,
}

impl Opened {
    /// (kind, text) of the user and assistant messages shown: the stored ones, then the
    /// replayed turn (its question, and the reply streamed so far).
    pub fn conversation(&self) -> Vec<(String, String)> {
        let mut out = said(&self.history["messages"]);
        if let Some(asked) = self.replay.iter().find(|f| f["type"] == "message_received") {
            out.push((
                "user".into(),
                asked["text"].as_str().unwrap_or_default().into(),
            ));
            let reply = deltas(&self.replay);
            if !reply.is_empty() {
                out.push(("assistant".into(), reply));
            }
        }
        out
    }

    /// True when the replay ends the turn it shows.
    pub fn turn_ended(&self) -> bool {
        self.replay.last().is_some_and(|f| {
            matches!(
                f["type"].as_str(),
                Some("response_complete" | "stream_error" | "stream_interrupted")
            )
        })
    }
}

/// Opens `id` on this connection (`switch_session` with `after_seq`): its history and the
/// replay that follows it.
pub async fn open(ws: &mut Ws, id: &str, after_seq: u64) -> Opened {
    ws.send(json!({"type": "switch_session", "session_id": id, "after_seq": after_seq}))
        .await;
    let history = loop {
        let f = ws.frame().await;
        match f["type"].as_str() {
            Some("session_history") if f["session_id"] == id => break f,
            Some("error") => panic!("opening {id}: {f}"),
            _ => {}
        }
    };
    let last = history["last_event_seq"].as_u64().unwrap_or(0);
    let mut replay = Vec::new();
    while last > after_seq && last_event_seq(&replay) < last {
        let f = ws.frame().await;
        if f["session_id"] == id && f["event_seq"].is_u64() {
            replay.push(f);
        }
    }
    Opened { history, replay }
}

pub fn user_message(id: &str, text: &str, seq: u64) -> Value {
    json!({"type": "user_message", "session_id": id, "text": text, "seq": seq})
}

/// Sends `text` and reads its turn to the end: the frames of the turn (from its
/// `message_received`). Panics on an `error` frame or a turn that does not complete.
pub async fn say(ws: &mut Ws, id: &str, text: &str, seq: u64) -> Vec<Value> {
    ws.send(user_message(id, text, seq)).await;
    let mut turn = Vec::new();
    let mut received = false;
    loop {
        let f = ws.frame().await;
        match f["type"].as_str() {
            // Taken over by another connection earlier: about the past, not this message.
            Some("error") if f["code"] == "session_opened_elsewhere" => {}
            Some("error") => panic!("message {seq} refused: {f}; seen {:?}", ws.seen),
            Some("message_received") if f["session_id"] == id && f["seq"] == seq => {
                received = true;
                turn.push(f);
            }
            Some("response_complete" | "stream_error" | "stream_interrupted") if received => {
                assert_eq!(f["type"], "response_complete", "{f}; turn {turn:?}");
                turn.push(f);
                return turn;
            }
            _ if received => turn.push(f),
            _ => {}
        }
    }
}

/// Asserts that `turn` answered `text` in full.
pub fn assert_answered(turn: &[Value], text: &str) {
    assert_eq!(deltas(turn), expected_reply(text), "turn {turn:?}");
}

/// The stub's conversation requests whose last user text is `text`.
pub fn requests_for(stub: &ModelStub, text: &str) -> Vec<RecordedRequest> {
    stub.requests()
        .into_iter()
        .filter(|r| !r.side && r.last_user_text.as_deref() == Some(text))
        .collect()
}

/// (kind, text) of each user and assistant message of a `session_history` or of
/// `GET …/messages`.
pub fn said(messages: &Value) -> Vec<(String, String)> {
    messages
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter(|m| m["kind"] == "user" || m["kind"] == "assistant")
        .map(|m| {
            (
                m["kind"].as_str().unwrap_or_default().to_string(),
                m["payload"]["text"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect()
}

/// The pair a complete turn leaves in the history.
pub fn exchange(text: &str) -> [(String, String); 2] {
    [
        ("user".to_string(), text.to_string()),
        ("assistant".to_string(), expected_reply(text)),
    ]
}

/// The `event_seq` of the last session event in `frames` (0 if none).
pub fn last_event_seq(frames: &[Value]) -> u64 {
    frames
        .iter()
        .filter_map(|f| f["event_seq"].as_u64())
        .max()
        .unwrap_or(0)
}
