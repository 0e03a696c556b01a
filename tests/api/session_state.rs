//! `session_state` to every connection, a permission request answered from another
//! connection, and "Allow for this session" with the real CLI: not asked again for the
//! same command prefix, asked again once revoked; a denial is `denied`, not an error.

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

#[actix_web::test]
async fn a_second_connection_sees_the_wait_and_answers_it() {
    let h = harness(&[]).await;
    let mut viewer = connect(h.addr).await;
    let id = with_session(&mut viewer).await;
    let mut other = connect(h.addr).await;
    assert_eq!(other.frame().await["type"], "session_list");
    // On connect it learns the state of each live session.
    other.state(&id, "idle").await;

    h.stub.push(bash("npm run build"));
    say(&mut viewer, &id, "build it", 1).await;
    other.state(&id, "running").await;
    let waiting = other.state(&id, "waiting_for_approval").await;
    let request_id = waiting["permission"]["request_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(waiting["permission"]["tool_name"], "Bash");

    // The viewer got the request itself, with the tool call and what "remember" grants.
    let before = viewer.until("permission_request").await;
    let req = before.last().unwrap();
    assert_eq!(req["request_id"], request_id.as_str());
    let tool_use = of_type(&before, "tool_use")[0];
    assert_eq!(req["tool_use_id"], tool_use["tool_use_id"]);
    assert_eq!(req["session_rules"], json!(["Bash(npm run *)"]));
    assert!(!req["suggestions"].as_array().unwrap().is_empty());

    // Answered from the other connection, which does not view the session.
    other
        .send(json!({"type": "permission_response", "session_id": id,
            "request_id": request_id, "allow": true, "remember": true}))
        .await;
    let rest = viewer.turn().await;
    let answered = of_type(&rest, "permission_answered");
    assert_eq!(answered.len(), 1, "{rest:?}");
    assert_eq!(answered[0]["allow"], true);
    assert_eq!(answered[0]["remember"], true);
    assert_eq!(of_type(&rest, "tool_result")[0]["denied"], false);
    assert_eq!(rest.last().unwrap()["type"], "response_complete");
    let idle = other
        .state_where(&id, |s| s["state"] == "idle" && s["allowed"] != json!([]))
        .await;
    assert_eq!(idle["allowed"], json!(["Bash(npm run *)"]));
    assert!(idle.get("permission").is_none());
    // No error went to either connection.
    for ws in [&viewer, &other] {
        assert!(
            !ws.seen.iter().any(|f| f["type"] == "error"),
            "{:?}",
            ws.seen
        );
    }
    h.stop().await;
}

#[actix_web::test]
async fn allowed_for_the_session_is_not_asked_again_until_revoked() {
    let h = harness(&[]).await;
    let mut ws = connect(h.addr).await;
    let id = with_session(&mut ws).await;

    h.stub.push(bash("npm run build"));
    say(&mut ws, &id, "build", 1).await;
    let req = ws.until("permission_request").await.pop().unwrap();
    assert_eq!(req["session_rules"], json!(["Bash(npm run *)"]));
    ws.send(json!({"type": "permission_response", "session_id": id,
        "request_id": req["request_id"], "allow": true, "remember": true}))
        .await;
    assert_eq!(ws.turn().await.last().unwrap()["type"], "response_complete");

    // The same prefix, another command: not asked.
    h.stub.push(bash("npm run test"));
    say(&mut ws, &id, "test", 2).await;
    let turn = ws.turn().await;
    assert!(of_type(&turn, "permission_request").is_empty(), "{turn:?}");
    assert_eq!(of_type(&turn, "tool_result").len(), 1);
    assert_eq!(turn.last().unwrap()["type"], "response_complete");

    // Revoked: listed no more, and asked again (offering the rule back).
    ws.send(json!({"type": "revoke_permission", "session_id": id, "rule": "Bash(npm run *)"}))
        .await;
    ws.state_where(&id, |s| s["state"] == "idle" && s["allowed"] == json!([]))
        .await;
    h.stub.push(bash("npm run lint"));
    say(&mut ws, &id, "lint", 3).await;
    let req = ws.until("permission_request").await.pop().unwrap();
    assert_eq!(req["session_rules"], json!(["Bash(npm run *)"]));

    // Denied with a reason: the result is a denial, not an error of the tool.
    ws.send(json!({"type": "permission_response", "session_id": id,
        "request_id": req["request_id"], "allow": false, "message": "Not now."}))
        .await;
    let rest = ws.turn().await;
    let result = of_type(&rest, "tool_result")[0];
    assert_eq!(result["denied"], true);
    assert_eq!(result["is_error"], true);
    assert!(
        result["content"].as_str().unwrap().contains("Not now."),
        "{result}"
    );
    assert_eq!(of_type(&rest, "permission_answered")[0]["allow"], false);
    assert!(
        !ws.seen.iter().any(|f| f["type"] == "error"),
        "{:?}",
        ws.seen
    );
    h.stop().await;
}
