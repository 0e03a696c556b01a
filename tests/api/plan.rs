//! Plan mode and plan approval (issue 15) against the real CLI and the model stub: the
//! model's `ExitPlanMode` call reaches the client as a permission request carrying the plan;
//! "Approve and run" continues in the chosen mode (the CLI switches, the session records it,
//! the client hears `session_options`); "Keep planning" sends the feedback to the model.

use claude_sdk_pattern::model_stub::Reply;
use claude_sdk_pattern::protocol::{EventBody, OptionsChange};
use serde_json::json;

use crate::engine_harness::{admin, collector, ends_turn, harness, Events, Harness};

const PLAN: &str = "# Plan\n- read the parser\n- add tests";

/// A session in plan mode whose next message makes the model present `PLAN`.
async fn planning(h: &Harness) -> (claude_sdk_pattern::SessionId, Events, String) {
    let created = h
        .engine
        .create_session_with(
            &admin(),
            OptionsChange {
                permission_mode: Some("plan".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let id = created.session.session_id;
    let mut ev = collector();
    h.engine
        .subscribe(&admin(), &id, ev.recipient.clone(), 0)
        .await
        .unwrap();
    h.stub.push(Reply::tool(
        "ExitPlanMode",
        json!({"plan": PLAN}),
        "Starting on step one.",
    ));
    h.engine
        .query(&admin(), &id, "plan the parser work", 1)
        .await
        .unwrap();
    let frames = ev
        .until(|b| matches!(b, EventBody::PermissionRequest { .. }))
        .await;
    let Some(EventBody::PermissionRequest {
        request_id,
        tool_name,
        input,
        ..
    }) = frames.last().map(|e| e.body.clone())
    else {
        unreachable!()
    };
    assert_eq!(tool_name, "ExitPlanMode");
    assert_eq!(input["plan"], PLAN, "the request carries the plan to show");
    (id, ev, request_id)
}

#[actix_web::test]
async fn approving_a_plan_continues_in_the_chosen_mode() {
    let h = harness(&[]).await;
    let (id, mut ev, request_id) = planning(&h).await;
    h.engine
        .answer_permission_in_mode(
            &admin(),
            &id,
            &request_id,
            true,
            None,
            Some("acceptEdits".into()),
        )
        .await
        .unwrap();
    let rest = ev.until(ends_turn).await;
    assert!(
        rest.iter().any(|e| matches!(&e.body,
            EventBody::SessionOptions { options } if options.permission_mode == "acceptEdits")),
        "{rest:?}"
    );
    let approved = h
        .stub
        .requests()
        .last()
        .unwrap()
        .tool_result_texts()
        .join("\n");
    assert!(approved.contains("approved"), "{approved}");
    let row = h.db.get(id.as_str()).await.unwrap().unwrap();
    assert_eq!(row.permission_mode, "acceptEdits");

    // The next turn runs outside plan mode.
    h.engine.query(&admin(), &id, "go on", 2).await.unwrap();
    ev.until(ends_turn).await;
    let next = h.stub.requests().last().unwrap().messages.to_string();
    assert!(next.contains("Exited Plan Mode"), "the CLI left plan mode");
    h.stop().await;
}

#[actix_web::test]
async fn keep_planning_sends_the_feedback_to_the_model() {
    let h = harness(&[]).await;
    let (id, mut ev, request_id) = planning(&h).await;
    h.engine
        .answer_permission(
            &admin(),
            &id,
            &request_id,
            false,
            Some("Also cover the lexer.".into()),
        )
        .await
        .unwrap();
    ev.until(ends_turn).await;
    let fed_back = h
        .stub
        .requests()
        .last()
        .unwrap()
        .tool_result_texts()
        .join("\n");
    assert!(fed_back.contains("Also cover the lexer."), "{fed_back}");
    let row = h.db.get(id.as_str()).await.unwrap().unwrap();
    assert_eq!(row.permission_mode, "plan", "still planning");
    h.stop().await;
}
