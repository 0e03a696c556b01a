//! Conversation controls (issue 15) against the real server, the real CLI and the model
//! stub, which records every request: the model and effort a session chose are the ones the
//! model API receives — at creation from the pool (still pre-warmed), after
//! `set_session_options`, and after the session was suspended and woken with `--resume`;
//! the permission mode reaches the CLI; bad values are `validation_error`s.

use claude_sdk_pattern::db::SessionStatus;
use claude_sdk_pattern::model_stub::{RecordedRequest, Reply};
use claude_sdk_pattern::protocol::{EventBody, OptionsChange};
use serde_json::{json, Value};

use crate::engine_harness::{admin, collector, ends_turn, harness, Harness};
use crate::helpers::{call, TEST_KEY, WAIT};
use crate::ws_client::{connect, Ws};

/// The conversation requests the stub received (not the CLI's side requests).
fn turns(h: &Harness) -> Vec<RecordedRequest> {
    h.stub
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1/messages" && !r.side)
        .collect()
}

fn effort(r: &RecordedRequest) -> Option<String> {
    r.body["output_config"]["effort"]
        .as_str()
        .map(str::to_string)
}

async fn get(h: &Harness, path: &str) -> Value {
    let req = awc::Client::builder()
        .timeout(WAIT)
        .finish()
        .get(h.url(path))
        .insert_header(("X-API-Key", TEST_KEY));
    let (status, body) = call(req, None).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

/// `response_complete.context.used_tokens` of a turn (checking the window too).
fn context_used(frames: &[Value]) -> u64 {
    let done = frames.last().unwrap();
    assert_eq!(done["type"], "response_complete", "{frames:?}");
    assert_eq!(done["context"]["window_tokens"], 1_000_000, "{done}");
    done["context"]["used_tokens"].as_u64().unwrap()
}

/// Sends a message and returns the frames of its turn.
async fn say(ws: &mut Ws, id: &str, text: &str, seq: u64) -> Vec<Value> {
    ws.send(json!({"type": "user_message", "session_id": id, "text": text, "seq": seq}))
        .await;
    ws.turn().await
}

#[actix_web::test]
async fn model_effort_and_mode_reach_the_cli_from_the_pool_and_switch_live() {
    let h = harness(&[("PREWARM_POOL_SIZE", "1"), ("MODELS", "opus,sonnet,haiku")]).await;
    let info = get(&h, "/api/v1/info").await;
    assert_eq!(
        info["session_options"]["models"],
        json!(["opus", "sonnet", "haiku"])
    );
    assert_eq!(info["session_options"]["default_model"], "opus");
    assert_eq!(
        info["session_options"]["efforts"],
        json!(["low", "medium", "high", "xhigh", "max"])
    );
    assert!(info["session_options"]["permission_modes"]
        .as_array()
        .unwrap()
        .contains(&json!("plan")));

    let mut ws = connect(h.addr).await;
    assert_eq!(ws.frame().await["type"], "session_list");

    // Bad values are refused before anything starts.
    ws.send(json!({"type": "create_session", "model": "gpt-4o"}))
        .await;
    let e = ws.frame().await;
    assert_eq!(e["type"], "error");
    assert_eq!(e["code"], "validation_error");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("opus, sonnet, haiku"),
        "{e}"
    );

    // A pooled process is switched, not discarded: the session is still pre-warmed.
    ws.send(json!({"type": "create_session", "model": "sonnet", "effort": "high"}))
        .await;
    let frames = ws.until("session_ready").await;
    let ready = frames.last().unwrap();
    assert_eq!(ready["source"], "pre-warmed", "{frames:?}");
    assert_eq!(ready["session"]["model"], "sonnet");
    assert_eq!(ready["session"]["effort"], "high");
    assert_eq!(ready["session"]["permission_mode"], "default");
    let id = ready["session_id"].as_str().unwrap().to_string();

    h.stub.push(Reply::text("from sonnet"));
    let turn1 = say(&mut ws, &id, "first", 1).await;
    let used1 = context_used(&turn1);
    let first = turns(&h).last().cloned().unwrap();
    assert_eq!(first.model.as_deref(), Some("claude-sonnet-5-5"));
    assert_eq!(effort(&first).as_deref(), Some("high"));

    // Mid-session: a bad value is refused and changes nothing.
    ws.send(json!({"type": "set_session_options", "session_id": id, "effort": "turbo"}))
        .await;
    let e = ws.until("error").await.pop().unwrap();
    assert_eq!(e["code"], "validation_error");
    assert_eq!(e["session_id"], id.as_str());

    ws.send(json!({"type": "set_session_options", "session_id": id,
        "model": "haiku", "effort": "low", "permission_mode": "acceptEdits"}))
        .await;
    let o = ws.until("session_options").await.pop().unwrap();
    assert_eq!(
        (&o["model"], &o["effort"], &o["permission_mode"]),
        (&json!("haiku"), &json!("low"), &json!("acceptEdits"))
    );
    h.stub.push(Reply::text("from haiku"));
    let turn2 = say(&mut ws, &id, "second", 2).await;
    // The context meter moves: the second turn's last call carried the whole conversation.
    assert!(context_used(&turn2) > used1, "{turn2:?}");
    let second = turns(&h).last().cloned().unwrap();
    assert_eq!(second.model.as_deref(), Some("claude-haiku-5-5"));
    assert_eq!(effort(&second).as_deref(), Some("low"));

    // The list shows (and the store keeps) what the session runs with.
    let list = get(&h, "/api/v1/sessions").await;
    let s = &list["sessions"][0];
    assert_eq!(
        (&s["model"], &s["effort"], &s["permission_mode"]),
        (&json!("haiku"), &json!("low"), &json!("acceptEdits"))
    );
    h.stop().await;
}

#[actix_web::test]
async fn the_chosen_options_survive_a_suspension_and_resume() {
    let h = harness(&[
        ("SESSION_IDLE_TIMEOUT_SECONDS", "1"),
        ("IDLE_GRACE_SECONDS", "0"),
        ("MONITOR_INTERVAL_SECONDS", "1"),
        ("MODELS", "opus,sonnet"),
    ])
    .await;
    let created = h
        .engine
        .create_session_with(
            &admin(),
            OptionsChange {
                model: Some("sonnet".into()),
                effort: Some("max".into()),
                permission_mode: Some("plan".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(created.session.model, "sonnet");
    let id = created.session.session_id;
    let mut ev = collector();
    h.engine
        .subscribe(&admin(), &id, ev.recipient.clone(), 0)
        .await
        .unwrap();
    h.stub.push(Reply::text("planned"));
    h.engine
        .query(&admin(), &id, "make a plan", 1)
        .await
        .unwrap();
    ev.until(ends_turn).await;
    let first = turns(&h).last().cloned().unwrap();
    // (Not haiku here: in plan mode the CLI 2.1.331 runs haiku as sonnet.)
    assert_eq!(first.model.as_deref(), Some("claude-sonnet-5-5"));
    assert_eq!(effort(&first).as_deref(), Some("max"));
    assert!(
        first.messages.to_string().contains("Plan mode is active"),
        "the CLI runs in plan mode"
    );

    // Suspended for idleness; the next message wakes it with --resume and the same options.
    ev.until(|b| matches!(b, EventBody::SessionTerminated { .. }))
        .await;
    h.wait_status(&id, SessionStatus::Suspended).await;
    let row = h.db.get(id.as_str()).await.unwrap().unwrap();
    assert_eq!(
        (
            row.model.as_str(),
            row.effort.as_deref(),
            row.permission_mode.as_str()
        ),
        ("sonnet", Some("max"), "plan")
    );
    let mut ev = collector();
    h.engine
        .subscribe(&admin(), &id, ev.recipient.clone(), 0)
        .await
        .unwrap();
    h.stub.push(Reply::text("still planning"));
    h.engine.query(&admin(), &id, "go on", 2).await.unwrap();
    ev.until(ends_turn).await;
    let after = turns(&h).last().cloned().unwrap();
    assert_eq!(after.model.as_deref(), Some("claude-sonnet-5-5"));
    assert_eq!(effort(&after).as_deref(), Some("max"));
    assert!(after.messages.to_string().contains("Plan mode is active"));

    // A REST create with a bad value names the problem.
    let req = awc::Client::builder()
        .timeout(WAIT)
        .finish()
        .post(h.url("/api/v1/sessions"))
        .insert_header(("X-API-Key", TEST_KEY))
        .insert_header(("Content-Type", "application/json"));
    let (status, body) = call(req, Some(r#"{"permission_mode":"yolo"}"#)).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "validation_error");
    h.stop().await;
}
