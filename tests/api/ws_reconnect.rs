//! `/ws/v1/chat` reconnects against the real server, CLI and model stub: a dropped
//! connection resumes the stream without loss or duplicates, a late window gets the whole
//! reply, a suspended session wakes, and a restarted sequence shows in `session_history`.

use std::time::Duration;

use claude_sdk_pattern::model_stub::Reply;
use serde_json::{json, Value};

use crate::engine_harness::harness;
use crate::ws::with_session;
use crate::ws_client::{connect, deltas, Ws};

#[actix_web::test]
async fn a_dropped_connection_resumes_the_stream_without_loss_or_duplicates() {
    let h = harness(&[]).await;
    let mut a = connect(h.addr).await;
    let id = with_session(&mut a).await;
    let running = "one two three four five six seven eight nine ten eleven twelve";
    h.stub.push(Reply::text("Earlier turn."));
    h.stub.push(Reply::Text {
        text: running.into(),
        delay: Duration::from_millis(120),
    });

    // A complete turn (history), then a running one.
    a.send(json!({"type": "user_message", "session_id": id, "text": "first", "seq": 1}))
        .await;
    assert_eq!(deltas(&a.turn().await), "Earlier turn.");
    a.send(json!({"type": "user_message", "session_id": id, "text": "second", "seq": 2}))
        .await;
    let seen = a.until("stream_delta").await;
    let mut got = deltas(&seen);
    let last_seq = seen.last().unwrap()["event_seq"].as_u64().unwrap();
    drop(a); // the network drops mid-stream

    let mut b = connect(h.addr).await;
    b.frame().await;
    b.send(json!({"type": "switch_session", "session_id": id, "after_seq": last_seq}))
        .await;
    let hist = b.until("session_history").await;
    assert!(
        hist.last().unwrap()["last_event_seq"].as_u64().unwrap() >= last_seq,
        "same server: no reason to reset"
    );
    assert_eq!(hist.last().unwrap()["turn_running"], true);
    let texts: Vec<&str> = hist.last().unwrap()["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["payload"]["text"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        texts,
        vec!["first", "Earlier turn."],
        "history holds the complete turns only"
    );
    let rest = b.turn().await;
    assert!(rest[0]["event_seq"].as_u64().unwrap() > last_seq);
    for pair in rest.windows(2) {
        // Replayed deltas may come merged (one frame, the run's last event_seq); live
        // events count up by one.
        assert!(
            pair[1]["event_seq"].as_u64().unwrap() > pair[0]["event_seq"].as_u64().unwrap(),
            "in order"
        );
    }
    got.push_str(&deltas(&rest));
    assert_eq!(got, running, "every token exactly once");

    // A client that saw nothing gets the whole running turn replayed after the history.
    let mut c = connect(h.addr).await;
    c.frame().await;
    c.send(json!({"type": "switch_session", "session_id": id}))
        .await;
    c.until("session_history").await;
    let replay = c.turn().await;
    assert_eq!(replay[0]["type"], "message_received");
    assert_eq!(
        replay[0]["text"], "second",
        "the running turn's question comes with it"
    );
    assert_eq!(deltas(&replay), running);
    h.stop().await;
}

#[actix_web::test]
async fn a_long_reply_replays_whole_to_a_late_window() {
    // Hundreds of deltas: far more than one burst of the connection's mailbox.
    let h = harness(&[]).await;
    let mut a = connect(h.addr).await;
    let id = with_session(&mut a).await;
    h.stub.push(Reply::tokens(400, Duration::ZERO));
    a.send(json!({"type": "user_message", "session_id": id, "text": "long", "seq": 1}))
        .await;
    let live = a.turn().await;
    assert_eq!(live.last().unwrap()["type"], "response_complete");
    let text = deltas(&live);
    assert!(
        text.ends_with("tok400"),
        "{}",
        &text[text.len().saturating_sub(40)..]
    );

    let (mut b, history) = history_in_new_window(h.addr, &id, 0).await;
    let last = live.last().unwrap()["event_seq"].as_u64().unwrap();
    assert_eq!(history["last_event_seq"], last);
    assert_eq!(history["turn_running"], false);
    let replay = b.turn().await;
    assert_eq!(deltas(&replay), text, "the whole reply, each token once");
    assert_eq!(replay.last().unwrap()["event_seq"], last);
    assert!(
        replay.len() < 10,
        "runs of deltas come merged: {} frames",
        replay.len()
    );
    h.stop().await;
}

#[actix_web::test]
async fn a_message_to_a_session_suspended_while_open_wakes_it_on_the_same_connection() {
    let h = harness(&[
        ("SESSION_IDLE_TIMEOUT_SECONDS", "1"),
        ("IDLE_GRACE_SECONDS", "0"),
        ("MONITOR_INTERVAL_SECONDS", "1"),
    ])
    .await;
    let mut ws = connect(h.addr).await;
    let id = with_session(&mut ws).await;
    h.stub.push(Reply::text("Before the nap."));
    ws.send(json!({"type": "user_message", "session_id": id, "text": "one", "seq": 1}))
        .await;
    assert_eq!(deltas(&ws.turn().await), "Before the nap.");
    let ended = ws.until("session_terminated").await.pop().unwrap();
    assert_eq!(ended["reason"], "idle");
    assert_eq!(ended["resumable"], true);
    let slept_at = ended["event_seq"].as_u64().unwrap();

    // The window still shows the session; the person just types.
    h.stub.push(Reply::text("Awake again."));
    ws.send(json!({"type": "user_message", "session_id": id, "text": "two", "seq": 2}))
        .await;
    let turn = ws.turn().await;
    let received = turn
        .iter()
        .find(|f| f["type"] == "message_received" && f["seq"] == 2)
        .unwrap_or_else(|| panic!("{turn:?}"));
    assert_eq!(deltas(&turn), "Awake again.");
    // The woken process's events count on from the last one: a client that missed the
    // `session_terminated` does not take them for events it already has.
    let woke_at = received["event_seq"].as_u64().unwrap();
    assert!(woke_at > slept_at, "event_seq {woke_at} after {slept_at}");

    // So does a window that opens the session now with what it had: it gets the new
    // events, not a sequence that went back.
    let (_late, history) = history_in_new_window(h.addr, &id, slept_at).await;
    assert!(
        history["last_event_seq"].as_u64().unwrap() > slept_at,
        "{history}"
    );
    h.stop().await;
}

#[actix_web::test]
async fn a_message_sent_as_its_session_is_suspended_is_answered_on_the_same_connection() {
    // Found by the soak: the message reached the server before the connection had seen
    // `session_terminated`; it was refused ("session has just ended"), or woke a process
    // whose reply went to nobody (the turn never ended for its sender).
    let h = harness(&[]).await;
    let mut ws = connect(h.addr).await;
    let id = with_session(&mut ws).await;
    h.stub.push(Reply::text("Before."));
    ws.send(json!({"type": "user_message", "session_id": id, "text": "one", "seq": 1}))
        .await;
    assert_eq!(deltas(&ws.turn().await), "Before.");

    // The memory budget suspends the idle session as the next message comes in (which of
    // the two the connection sees first varies; either way the message is answered).
    let sid = claude_sdk_pattern::session_id::SessionId::from_stored(&id);
    let session = h.engine.live_session(&sid).await.unwrap();
    h.stub.push(Reply::text("After."));
    session.do_send(claude_sdk_pattern::actors::budget::ReclaimSession);
    ws.send(json!({"type": "user_message", "session_id": id, "text": "two", "seq": 2}))
        .await;
    let frames = ws.turn().await;
    let at = |ty: &str| frames.iter().position(|f| f["type"] == ty);
    let ended = at("session_terminated").expect("suspended");
    assert_eq!(frames[ended]["reason"], "memory_budget");
    let received = at("message_received").expect("the message was taken");
    assert_eq!(frames[received]["seq"], 2);
    assert!(ended < received, "{frames:?}");
    assert!(at("error").is_none(), "{frames:?}");
    assert_eq!(deltas(&frames), "After.");
    assert_eq!(frames.last().unwrap()["type"], "response_complete");
    h.stop().await;
}

/// Connects a new window and switches it to `id` with `after_seq`; returns its
/// `session_history` frame.
async fn history_in_new_window(
    h_addr: std::net::SocketAddr,
    id: &str,
    after_seq: u64,
) -> (Ws, Value) {
    let mut ws = connect(h_addr).await;
    assert_eq!(ws.frame().await["type"], "session_list");
    ws.send(json!({"type": "switch_session", "session_id": id, "after_seq": after_seq}))
        .await;
    let history = ws.until("session_history").await.pop().unwrap();
    assert_eq!(history["session_id"], id);
    (ws, history)
}

#[actix_web::test]
async fn session_history_carries_the_last_event_seq_so_a_restarted_sequence_shows() {
    let h = harness(&[]).await;
    let mut a = connect(h.addr).await;
    let id = with_session(&mut a).await;
    let ready = a
        .seen
        .iter()
        .find(|f| f["type"] == "session_ready")
        .unwrap();
    let ready_seq = ready["event_seq"].as_u64().unwrap();
    assert_eq!(ready_seq, 1, "a fresh session's first event");

    // A fresh session: the latest event is its session_ready.
    let (mut b, history) = history_in_new_window(h.addr, &id, 0).await;
    assert_eq!(history["last_event_seq"], ready_seq);
    assert_eq!(
        b.frame().await["event_seq"],
        ready_seq,
        "the replay that follows ends at last_event_seq"
    );

    // After a turn: the event_seq of the turn's last event.
    h.stub.push(Reply::text("Counted."));
    b.send(json!({"type": "user_message", "session_id": id, "text": "count", "seq": 1}))
        .await;
    let turn = b.turn().await;
    let last = turn.last().unwrap();
    assert_eq!(last["type"], "response_complete");
    let last_seq = last["event_seq"].as_u64().unwrap();
    assert!(last_seq > ready_seq);
    let (mut c, history) = history_in_new_window(h.addr, &id, last_seq).await;
    assert_eq!(history["last_event_seq"], last_seq);
    // Nothing is replayed after last_event_seq: the next frame is the answer to a bad one.
    c.send(json!({"type": "fly"})).await;
    assert_eq!(c.frame().await["code"], "unknown_type");

    // A client that remembers a later event_seq (from before a server restart): the
    // history's last_event_seq is below its after_seq, and every event would look like a
    // duplicate. It resets with after_seq 0 and gets the last turn whole.
    let stale = last_seq + 1000;
    let (mut d, history) = history_in_new_window(h.addr, &id, stale).await;
    let seen = history["last_event_seq"].as_u64().unwrap();
    assert!(seen < stale, "{seen} < {stale}: the sequence restarted");
    d.send(json!({"type": "switch_session", "session_id": id, "after_seq": 0}))
        .await;
    let history = d.until("session_history").await.pop().unwrap();
    assert_eq!(history["last_event_seq"], last_seq);
    let replay = d.turn().await;
    assert_eq!(replay[0]["type"], "message_received");
    assert_eq!(deltas(&replay), "Counted.");
    assert_eq!(replay.last().unwrap()["event_seq"], last_seq);
    h.stop().await;
}
