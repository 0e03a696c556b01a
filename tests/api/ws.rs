//! `/ws/v1/chat` against the real server, CLI and model stub: auth and origin, every client
//! frame, every error code, limits, takeover (reconnecting without loss: `ws_reconnect.rs`).

use std::time::Duration;

use awc::ws::{CloseCode, Message};
use claude_sdk_pattern::model_stub::Reply;
use serde_json::{json, Value};

use crate::engine_harness::harness;
use crate::helpers::TEST_KEY;
use crate::ws_client::{close_code_for_invalid_utf8, connect, connect_with, deltas, Next, Ws};

const UNKNOWN: &str = "00000000-0000-4000-8000-000000000000";

/// Reads the session list, creates a session, and returns its id once both its
/// `session_ready` and the refreshed `session_list` (in either order) arrived.
pub async fn with_session(ws: &mut Ws) -> String {
    let list = ws.frame().await;
    assert_eq!(list["type"], "session_list");
    ws.send(json!({"type": "create_session"})).await;
    assert_eq!(ws.frame().await["type"], "session_creating");
    let (mut id, mut listed) = (None, false);
    while id.is_none() || !listed {
        let f = ws.frame().await;
        match f["type"].as_str() {
            Some("session_ready") => {
                assert!(f["event_seq"].as_u64().unwrap() >= 1);
                assert!(f["source"].is_string());
                id = Some(f["session_id"].as_str().unwrap().to_string());
            }
            Some("session_list") => {
                assert_eq!(f["sessions"].as_array().unwrap().len(), 1);
                listed = true;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    id.unwrap()
}

#[actix_web::test]
async fn the_upgrade_needs_a_key_and_an_allowed_origin() {
    let h = harness(&[]).await;
    assert_eq!(
        connect_with(h.addr, None, None, None).await.err(),
        Some(401)
    );
    assert_eq!(
        connect_with(h.addr, Some("wrong-key-wrong-key"), None, None)
            .await
            .err(),
        Some(401)
    );
    assert_eq!(
        connect_with(h.addr, None, Some("made-up"), None)
            .await
            .err(),
        Some(401)
    );
    assert_eq!(
        connect_with(h.addr, Some(TEST_KEY), None, Some("https://evil.example"))
            .await
            .err(),
        Some(403)
    );
    let same = format!("http://{}", h.addr);
    let mut ws = connect_with(h.addr, Some(TEST_KEY), None, Some(&same))
        .await
        .unwrap();
    let list = ws.frame().await;
    assert_eq!(list["type"], "session_list");
    assert!(list["sessions"].is_array());
    h.stop().await;
}

#[actix_web::test]
async fn a_conversation_over_the_socket() {
    let h = harness(&[]).await;
    let mut ws = connect(h.addr).await;
    let id = with_session(&mut ws).await;

    h.stub.push(Reply::Text {
        text: "Hello over the socket.".into(),
        delay: Duration::from_millis(2),
    });
    ws.send(json!({"type": "user_message", "session_id": id, "text": "hi", "seq": 5}))
        .await;
    let turn = ws.turn().await;
    assert_eq!(turn[0]["type"], "message_received");
    assert_eq!(turn[0]["seq"], 5);
    assert_eq!(deltas(&turn), "Hello over the socket.");
    let done = turn.last().unwrap();
    assert_eq!(done["type"], "response_complete");
    assert!(done["total_cost_usd"].as_f64().unwrap() > 0.0);
    for f in &turn {
        assert_eq!(f["session_id"], id.as_str());
    }

    // Tool with permission: allowed.
    h.stub.push(Reply::tool(
        "Bash",
        json!({"command": "echo ws > ws.txt", "description": "Write"}),
        "Done.",
    ));
    ws.send(json!({"type": "user_message", "session_id": id, "text": "write", "seq": 6}))
        .await;
    let before = ws.until("permission_request").await;
    assert!(before
        .iter()
        .any(|f| f["type"] == "tool_use" && f["name"] == "Bash"));
    let req = before.last().unwrap();
    assert!(req["reason"].as_str().is_some_and(|r| !r.is_empty()));
    ws.send(json!({"type": "permission_response", "session_id": id,
        "request_id": req["request_id"], "allow": true}))
        .await;
    let rest = ws.turn().await;
    assert!(rest
        .iter()
        .any(|f| f["type"] == "tool_result" && f["is_error"] == false));
    assert_eq!(rest.last().unwrap()["type"], "response_complete");

    // Interrupt.
    h.stub.push(Reply::tokens(300, Duration::from_millis(25)));
    ws.send(json!({"type": "user_message", "session_id": id, "text": "long", "seq": 7}))
        .await;
    ws.until("stream_delta").await;
    ws.send(json!({"type": "interrupt", "session_id": id}))
        .await;
    assert_eq!(
        ws.turn().await.last().unwrap()["type"],
        "stream_interrupted"
    );

    // Destroy, then resume is refused.
    ws.send(json!({"type": "destroy_session", "session_id": id}))
        .await;
    let end = ws.until("session_terminated").await;
    assert_eq!(end.last().unwrap()["reason"], "destroyed");
    ws.until("session_list").await;
    ws.send(json!({"type": "resume_session", "session_id": id}))
        .await;
    let e = ws.until("error").await;
    assert_eq!(e.last().unwrap()["code"], "not_resumable");
    // Switching to it (a window reopening the session it had) names the session in the error.
    ws.send(json!({"type": "switch_session", "session_id": id}))
        .await;
    let e = ws.until("error").await.pop().unwrap();
    assert_eq!(e["code"], "not_resumable");
    assert_eq!(e["session_id"], id.as_str());
    h.stop().await;
}

#[actix_web::test]
async fn bad_frames_get_stable_error_codes_and_the_connection_stays() {
    let h = harness(&[]).await;
    let mut ws = connect(h.addr).await;
    let id = with_session(&mut ws).await;
    let cases: Vec<(Value, &str)> = vec![
        (Value::String("{not json".into()), "invalid_json"),
        (json!({"kind": "x"}), "unknown_type"),
        (json!({"type": "fly"}), "unknown_type"),
        (
            json!({"type": "user_message", "session_id": id, "text": "   "}),
            "validation_error",
        ),
        (
            json!({"type": "user_message", "session_id": id, "text": "x".repeat(32_001)}),
            "validation_error",
        ),
        (
            json!({"type": "interrupt", "session_id": "not-a-uuid"}),
            "validation_error",
        ),
        (json!({"type": "switch_session"}), "validation_error"),
        (
            json!({"type": "interrupt", "session_id": UNKNOWN}),
            "session_not_found",
        ),
        (
            json!({"type": "permission_response", "session_id": id, "request_id": "r", "allow": true}),
            "validation_error",
        ),
    ];
    for (frame, code) in cases {
        match &frame {
            Value::String(raw) => ws.send_raw(Message::Text(raw.clone().into())).await,
            other => ws.send(other.clone()).await,
        }
        let e = ws.until("error").await;
        assert_eq!(e.last().unwrap()["code"], code, "for {frame}");
        assert!(e.last().unwrap()["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
    // A second message while a reply streams.
    h.stub.push(Reply::tokens(200, Duration::from_millis(25)));
    ws.send(json!({"type": "user_message", "session_id": id, "text": "one", "seq": 1}))
        .await;
    ws.until("stream_delta").await;
    ws.send(json!({"type": "user_message", "session_id": id, "text": "two", "seq": 2}))
        .await;
    let e = ws.until("error").await;
    assert_eq!(e.last().unwrap()["code"], "query_in_progress");
    ws.send(json!({"type": "interrupt", "session_id": id}))
        .await;
    ws.turn().await;
    h.stop().await;
}

#[actix_web::test]
async fn oversized_and_non_utf8_frames_close_the_connection_and_the_server_lives_on() {
    let h = harness(&[]).await;
    let mut ws = connect(h.addr).await;
    ws.frame().await;
    ws.send_raw(Message::Text(
        "x".repeat(
            claude_sdk_pattern::protocol::attachments::AttachmentLimits::default()
                .max_frame_bytes()
                + 1,
        )
        .into(),
    ))
    .await;
    assert_eq!(ws.next().await, Next::Closed(Some(CloseCode::Size)));

    let mut ws = connect(h.addr).await;
    ws.frame().await;
    // A text frame whose bytes are not UTF-8 (sent as raw frame bytes).
    ws.send_raw(Message::Binary(vec![0xff, 0xfe].into())).await;
    let e = ws.until("error").await;
    assert_eq!(
        e.last().unwrap()["code"],
        "invalid_json",
        "binary frames are refused"
    );
    assert_eq!(close_code_for_invalid_utf8(h.addr).await, Some(1007));

    // Still serving.
    let mut ws = connect(h.addr).await;
    assert_eq!(ws.frame().await["type"], "session_list");
    h.stop().await;
}

#[actix_web::test]
async fn a_second_connection_takes_the_session_over() {
    let h = harness(&[]).await;
    let mut first = connect(h.addr).await;
    let id = with_session(&mut first).await;
    let mut second = connect(h.addr).await;
    second.frame().await;
    second
        .send(json!({"type": "switch_session", "session_id": id}))
        .await;
    let history = second.until("session_history").await;
    assert_eq!(history.last().unwrap()["session_id"], id.as_str());
    let e = first.until("error").await;
    assert_eq!(e.last().unwrap()["code"], "session_opened_elsewhere");
    h.stop().await;
}

#[actix_web::test]
async fn a_browser_gets_a_ticket_over_rest_and_uses_it_once() {
    let h = harness(&[]).await;
    let client = awc::Client::default();
    let mut res = client
        .post(h.url("/api/v1/ws-ticket"))
        .insert_header(("X-API-Key", TEST_KEY))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let body: Value = res.json().await.unwrap();
    let ticket = body["ticket"].as_str().unwrap().to_string();
    let mut ws = connect_with(h.addr, None, Some(&ticket), None)
        .await
        .unwrap();
    assert_eq!(ws.frame().await["type"], "session_list");
    assert_eq!(
        connect_with(h.addr, None, Some(&ticket), None).await.err(),
        Some(401),
        "single use"
    );
    h.stop().await;
}

/// Frames of failed turns carry our own words, never the CLI's or the API's.
fn assert_no_raw_error_text(frames: &[Value]) {
    let all = serde_json::to_string(frames).unwrap();
    for raw in [
        "API Error",
        "rate_limit_error",
        "overloaded_error",
        "api_error",
        "Request rejected",
        "ede_diagnostic",
    ] {
        assert!(
            !all.contains(raw),
            "raw error text {raw:?} reached the client: {all}"
        );
    }
}

#[actix_web::test]
async fn model_api_failures_and_crashes_are_translated() {
    let h = harness(&[]).await;
    let mut ws = connect(h.addr).await;
    let id = with_session(&mut ws).await;
    for (status, code, action) in [
        (429, "rate_limited", "wait"),
        (529, "rate_limited", "wait"),
        (500, "internal", "retry"),
    ] {
        h.stub.push(Reply::HttpError { status });
        ws.send(json!({"type": "user_message", "session_id": id, "text": "hi", "seq": 1}))
            .await;
        let turn = ws.turn().await;
        let err = turn.last().unwrap();
        assert_eq!(err["type"], "stream_error", "{turn:?}");
        assert_eq!(err["code"], code);
        assert_eq!(err["suggested_action"], action);
        assert_eq!(err["partial_preserved"], false);
        assert_no_raw_error_text(&turn);
    }
    // The CLI dies mid-reply: the turn ends with a translated error, text kept, and the
    // session comes back by itself.
    h.stub.push(Reply::tokens(300, Duration::from_millis(25)));
    ws.send(json!({"type": "user_message", "session_id": id, "text": "talk", "seq": 2}))
        .await;
    ws.until("stream_delta").await;
    let session = claude_sdk_pattern::SessionId::parse(&id).unwrap();
    claude_sdk_pattern::process::signal_pid(
        h.pid(&session).await,
        nix::sys::signal::Signal::SIGKILL,
    );
    let crash = ws.turn().await;
    let err = crash.last().unwrap();
    assert_eq!(err["partial_preserved"], true);
    assert_eq!(err["suggested_action"], "retry");
    let back = ws.until("session_ready").await;
    assert!(back
        .iter()
        .any(|f| f["type"] == "session_restarting" && f["reason"] == "crashed"));
    assert_no_raw_error_text(&ws.seen);
    h.stop().await;
}

#[actix_web::test]
async fn on_sigterm_every_client_hears_it_and_gets_close_1001() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = crate::helpers::ServerProcess::start(&crate::helpers::base_env(dir.path()));
    let addr = server.wait_listening();
    let mut ws = connect(addr).await;
    assert_eq!(ws.frame().await["type"], "session_list");
    server.signal(nix::sys::signal::Signal::SIGTERM);
    let notice = ws.frame().await;
    assert_eq!(notice["type"], "server_shutting_down");
    assert!(notice["message"].as_str().is_some());
    assert_eq!(ws.next().await, Next::Closed(Some(CloseCode::Away)));
    assert_eq!(server.wait_exit().code(), Some(0));
}

#[actix_web::test]
async fn a_busy_model_api_is_retried_visibly_then_answers() {
    let h = crate::engine_harness::harness_with_cli(&[], &[("CLAUDE_CODE_MAX_RETRIES", "2")]).await;
    let mut ws = connect(h.addr).await;
    let id = with_session(&mut ws).await;
    h.stub.push(Reply::HttpError { status: 529 });
    h.stub.push(Reply::HttpError { status: 429 });
    h.stub.push(Reply::text("Finally."));
    ws.send(json!({"type": "user_message", "session_id": id, "text": "hi", "seq": 1}))
        .await;
    let turn = ws.turn().await;
    let retries: Vec<&Value> = turn
        .iter()
        .filter(|f| f["type"] == "stream_retrying")
        .collect();
    assert_eq!(retries.len(), 2, "{turn:?}");
    assert_eq!(retries[0]["attempt"], 1);
    assert_eq!(retries[1]["attempt"], 2);
    assert_eq!(retries[0]["max_retries"], 2);
    assert!(retries[0]["message"]
        .as_str()
        .unwrap()
        .contains("temporarily busy"));
    assert_eq!(deltas(&turn), "Finally.");
    assert_eq!(turn.last().unwrap()["type"], "response_complete");
    assert_no_raw_error_text(&turn);
    h.stop().await;
}

#[actix_web::test]
async fn a_silent_client_is_pinged_then_closed() {
    let h = harness(&[]).await;
    let started = std::time::Instant::now();
    let (pings, code) = crate::ws_client::raw_until_close(h.addr, None).await;
    assert!(pings >= 1, "pinged every 5 s");
    assert_eq!(code, Some(1001), "closed for silence");
    assert!(started.elapsed() >= Duration::from_secs(10));
    // The server is fine and the connection left its registry.
    let mut ws = connect(h.addr).await;
    assert_eq!(ws.frame().await["type"], "session_list");
    h.stop().await;
}
