//! Forking a session from a user message, through the real server and the real CLI (its
//! `--resume … --fork-session --resume-session-at`) against the model stub: the model
//! receives exactly the earlier turns, the original is untouched, and bad requests are
//! refused with stable codes.

use std::time::Duration;

use claude_sdk_pattern::model_stub::Reply;
use claude_sdk_pattern::SessionId;
use serde_json::{json, Value};

use crate::engine_harness::{admin, collector, ends_turn, harness, Harness};
use crate::helpers::TEST_KEY;
use crate::ws_client::connect;

/// The stored history of `id` (as the bootstrap admin).
async fn history(h: &Harness, id: &str) -> Vec<Value> {
    let (status, body) = h
        .call_as(
            TEST_KEY,
            "GET",
            &format!("/api/v1/sessions/{id}/messages"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["messages"].as_array().unwrap().clone()
}

/// Polls (bounded) until `id`'s history has `n` messages of `kind`.
async fn stored(h: &Harness, id: &str, kind: &str, n: usize) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let all = history(h, id).await;
        if all.iter().filter(|m| m["kind"] == kind).count() >= n {
            return all;
        }
        assert!(tokio::time::Instant::now() < deadline, "{all:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// (kind, text) of each user and assistant message.
fn said(messages: &[Value]) -> Vec<(String, String)> {
    messages
        .iter()
        .filter(|m| m["kind"] == "user" || m["kind"] == "assistant")
        .map(|m| {
            (
                m["kind"].as_str().unwrap().to_string(),
                m["payload"]["text"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// The texts of a model request's messages, in order (each message's text blocks joined).
fn conversation(messages: &Value) -> Vec<String> {
    messages
        .as_array()
        .unwrap()
        .iter()
        .map(|m| match &m["content"] {
            Value::String(s) => s.clone(),
            Value::Array(blocks) => blocks
                .iter()
                .filter_map(|b| b["text"].as_str())
                .collect::<Vec<_>>()
                .join("\n"),
            _ => String::new(),
        })
        .collect()
}

async fn ask(h: &Harness, id: &SessionId, text: &str, reply: &str, seq: u64) {
    let mut ev = collector();
    h.engine
        .subscribe(&admin(), id, ev.recipient.clone(), 0)
        .await
        .unwrap();
    h.stub.push(Reply::text(reply));
    h.engine.query(&admin(), id, text, seq).await.unwrap();
    ev.until(ends_turn).await;
}

#[actix_web::test]
async fn a_fork_before_the_second_message_continues_from_the_first_exchange() {
    let h = harness(&[]).await;
    let (id, _ev) = h.open().await;
    ask(
        &h,
        &id,
        "First question about kestrels",
        "First answer: kestrels hover.",
        1,
    )
    .await;
    ask(
        &h,
        &id,
        "Second question about herons",
        "Second answer: herons wade.",
        2,
    )
    .await;
    let original = stored(&h, id.as_str(), "assistant", 2).await;
    let second = original
        .iter()
        .filter(|m| m["kind"] == "user")
        .nth(1)
        .unwrap()["seq"]
        .as_i64()
        .unwrap();
    let transcript = |h: &Harness, sid: &str| -> Option<Vec<u8>> {
        std::fs::read_dir(h.dir.path().join("cli-config/projects"))
            .ok()?
            .flatten()
            .find_map(|p| std::fs::read(p.path().join(format!("{sid}.jsonl"))).ok())
    };
    let original_file = transcript(&h, id.as_str()).expect("the CLI wrote a transcript");
    let path = format!("/api/v1/sessions/{id}/fork");

    // Refused: not a user message, no such message, a bad body, an unknown session.
    let reply_seq = original.iter().find(|m| m["kind"] == "assistant").unwrap()["seq"].clone();
    for bad in [json!({"before_seq": reply_seq}), json!({"before_seq": 999})] {
        let (status, body) = h.call_as(TEST_KEY, "POST", &path, Some(bad.clone())).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("validation_error")),
            "{bad}: {body}"
        );
    }
    let (status, body) = h
        .call_as(TEST_KEY, "POST", &path, Some(json!({"before": 1})))
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_json"))
    );
    let unknown = uuid::Uuid::new_v4();
    let (status, body) = h
        .call_as(
            TEST_KEY,
            "POST",
            &format!("/api/v1/sessions/{unknown}/fork"),
            None,
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("session_not_found"))
    );
    // Another member's session is one that does not exist.
    let bob = h.add_user("bob", "member").await;
    let (status, body) = h
        .call_as(&bob.key, "POST", &path, Some(json!({"before_seq": second})))
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("session_not_found")),
        "{body}"
    );

    // The fork: titled after its origin, its history the first exchange only.
    let (status, fork) = h
        .call_as(TEST_KEY, "POST", &path, Some(json!({"before_seq": second})))
        .await;
    assert_eq!(status, 201, "{fork}");
    assert_eq!(fork["forked_from"], id.as_str());
    assert_eq!(fork["title"], "Fork of First question about kestrels");
    assert_eq!(fork["status"], "suspended");
    let fork_id = SessionId::parse(fork["session_id"].as_str().unwrap()).unwrap();
    assert_ne!(fork_id, id);
    let copied = history(&h, fork_id.as_str()).await;
    assert_eq!(
        said(&copied),
        vec![
            ("user".into(), "First question about kestrels".into()),
            ("assistant".into(), "First answer: kestrels hover.".into()),
        ]
    );
    let listed = h.listed_as(TEST_KEY).await;
    assert_eq!(
        listed[0],
        fork_id.as_str(),
        "the fork is the newest: {listed:?}"
    );

    // A message in the fork: the model gets the first exchange and the new text, no more.
    let before = h.stub.requests().len();
    ask(
        &h,
        &fork_id,
        "Forked question about owls",
        "Owls hunt at night.",
        1,
    )
    .await;
    let turn = h.stub.requests()[before..]
        .iter()
        .rev()
        .find(|r| {
            !r.side
                && r.last_user_text
                    .as_deref()
                    .is_some_and(|t| t.contains("owls"))
        })
        .cloned()
        .expect("the fork's turn reached the model");
    let seen = conversation(&turn.messages).join("\n---\n");
    assert!(seen.contains("First question about kestrels"), "{seen}");
    assert!(seen.contains("First answer: kestrels hover."), "{seen}");
    assert!(seen.contains("Forked question about owls"), "{seen}");
    assert!(
        !seen.contains("herons"),
        "the second exchange leaked: {seen}"
    );
    let forked = stored(&h, fork_id.as_str(), "assistant", 2).await;
    assert_eq!(said(&forked).len(), 4);
    assert_eq!(said(&forked)[3].1, "Owls hunt at night.");

    // The original is untouched: its history and its CLI transcript.
    assert_eq!(history(&h, id.as_str()).await, original);
    assert_eq!(transcript(&h, id.as_str()).unwrap(), original_file);
    assert!(
        transcript(&h, fork_id.as_str()).is_some(),
        "the fork has its own transcript"
    );

    // Before the first message: an empty fork; without before_seq: all of it.
    let first = original.iter().find(|m| m["kind"] == "user").unwrap()["seq"].clone();
    let (status, empty) = h
        .call_as(TEST_KEY, "POST", &path, Some(json!({"before_seq": first})))
        .await;
    assert_eq!(status, 201, "{empty}");
    assert!(history(&h, empty["session_id"].as_str().unwrap())
        .await
        .is_empty());
    let (status, all) = h.call_as(TEST_KEY, "POST", &path, None).await;
    assert_eq!(status, 201, "{all}");
    assert_eq!(
        said(&history(&h, all["session_id"].as_str().unwrap()).await),
        said(&original)
    );

    // Over the WebSocket: the connection switches to the fork and gets its history.
    let mut ws = connect(h.addr).await;
    ws.until("session_list").await;
    ws.send(json!({"type": "fork_session", "session_id": id.as_str(), "before_seq": second}))
        .await;
    let frames = ws.until("session_history").await;
    let hist = frames.last().unwrap();
    assert_ne!(hist["session_id"], id.as_str());
    assert_eq!(said(hist["messages"].as_array().unwrap()), said(&copied));
    ws.send(json!({"type": "fork_session", "session_id": id.as_str(), "before_seq": reply_seq}))
        .await;
    let frames = ws.until("error").await;
    assert_eq!(frames.last().unwrap()["code"], "validation_error");
    h.stop().await;
}
