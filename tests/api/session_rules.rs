//! "Allow for this session" outlives the session's process, with the real CLI: a rule
//! granted before a server restart (the session suspended, then woken by a message) or a
//! memory restart is not asked for again; revoked after the restart, it is asked again.

use claude_sdk_pattern::model_stub::Reply;
use serde_json::{json, Value};

use crate::engine_harness::harness;
use crate::ws::with_session;
use crate::ws_client::{connect, Ws};

fn bash(command: &str) -> Reply {
    Reply::tool(
        "Bash",
        json!({"command": command, "description": "Run it"}),
        "Done.",
    )
}

async fn say(ws: &mut Ws, id: &str, text: &str, seq: u64) {
    ws.send(json!({"type": "user_message", "session_id": id, "text": text, "seq": seq}))
        .await;
}

fn of_type<'a>(frames: &'a [Value], ty: &str) -> Vec<&'a Value> {
    frames.iter().filter(|f| f["type"] == ty).collect()
}

/// Runs `npm run build`, answered "Allow for this session".
async fn grant_npm_run(ws: &mut Ws, h: &crate::engine_harness::Harness, id: &str) {
    h.stub.push(bash("npm run build"));
    say(ws, id, "build", 1).await;
    let req = ws.until("permission_request").await.pop().unwrap();
    assert_eq!(req["session_rules"], json!(["Bash(npm run *)"]));
    ws.send(json!({"type": "permission_response", "session_id": id,
        "request_id": req["request_id"], "allow": true, "remember": true}))
        .await;
    assert_eq!(ws.turn().await.last().unwrap()["type"], "response_complete");
}

/// A turn running `command`: it ran, and nobody was asked.
async fn runs_unasked(
    ws: &mut Ws,
    h: &crate::engine_harness::Harness,
    id: &str,
    command: &str,
    seq: u64,
) {
    h.stub.push(bash(command));
    say(ws, id, command, seq).await;
    let turn = ws.turn().await;
    assert!(of_type(&turn, "permission_request").is_empty(), "{turn:?}");
    let results = of_type(&turn, "tool_result");
    assert_eq!(results.len(), 1, "{turn:?}");
    assert_eq!(results[0]["denied"], false, "{turn:?}");
    assert_eq!(turn.last().unwrap()["type"], "response_complete");
}

#[actix_web::test]
async fn allowed_for_the_session_survives_a_server_restart_and_a_wake() {
    let h = harness(&[]).await;
    let mut ws = connect(h.addr).await;
    let id = with_session(&mut ws).await;
    grant_npm_run(&mut ws, &h, &id).await;
    let session_id = id.as_str();
    assert_eq!(
        h.db.session_rules(session_id).await.unwrap(),
        vec!["Bash(npm run *)"]
    );
    drop(ws);

    // The server restarts (the session is suspended); a new window opens the session and
    // types: the session wakes with --resume and the rule.
    let h = h.restart(&[]).await;
    let mut ws = connect(h.addr).await;
    assert_eq!(ws.frame().await["type"], "session_list");
    ws.send(json!({"type": "switch_session", "session_id": id, "after_seq": 0}))
        .await;
    ws.until("session_history").await;
    runs_unasked(&mut ws, &h, &id, "npm run test", 2).await;
    ws.state_where(&id, |s| s["allowed"] == json!(["Bash(npm run *)"]))
        .await;

    // Revoked on the woken process: asked again, and no longer stored.
    ws.send(json!({"type": "revoke_permission", "session_id": id, "rule": "Bash(npm run *)"}))
        .await;
    ws.state_where(&id, |s| s["state"] == "idle" && s["allowed"] == json!([]))
        .await;
    h.stub.push(bash("npm run lint"));
    say(&mut ws, &id, "lint", 3).await;
    let req = ws.until("permission_request").await.pop().unwrap();
    assert_eq!(req["tool_name"], "Bash");
    ws.send(json!({"type": "permission_response", "session_id": id,
        "request_id": req["request_id"], "allow": false}))
        .await;
    assert_eq!(ws.turn().await.last().unwrap()["type"], "response_complete");
    assert!(h.db.session_rules(session_id).await.unwrap().is_empty());
    h.stop().await;
}

#[actix_web::test]
async fn allowed_for_the_session_survives_a_memory_restart() {
    // An idle CLI already uses ~160 MB: the process is replaced after its first turn.
    let h = harness(&[
        ("MAX_SESSION_RSS_MB", "100"),
        ("MONITOR_INTERVAL_SECONDS", "1"),
    ])
    .await;
    let mut ws = connect(h.addr).await;
    let id = with_session(&mut ws).await;
    grant_npm_run(&mut ws, &h, &id).await;
    let restarting = ws.until("session_restarting").await.pop().unwrap();
    assert_eq!(restarting["reason"], "memory_limit");
    let ready = ws.until("session_ready").await.pop().unwrap();
    assert_eq!(ready["source"], "resumed");
    runs_unasked(&mut ws, &h, &id, "npm run test", 2).await;
    h.stop().await;
}
