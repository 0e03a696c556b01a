//! The session engine (supervisor, sessions, pool) with the real CLI and the model stub.

use std::time::Duration;

use claude_sdk_pattern::db::{MessageKind, SessionStatus};
use claude_sdk_pattern::http::error::{code_of, ApiError};
use claude_sdk_pattern::model_stub::Reply;
use claude_sdk_pattern::process::is_alive;
use claude_sdk_pattern::process::live_cli_pids;
use claude_sdk_pattern::protocol::ErrorCode;
use claude_sdk_pattern::protocol::{EventBody, Source};
use claude_sdk_pattern::SessionId;
use serde_json::json;

use crate::engine_harness::admin;
use crate::engine_harness::{collector, ends_turn, harness, text_of};

#[actix_web::test]
async fn sessions_come_from_the_pool_then_cold_and_persist() {
    let h = harness(&[("PREWARM_POOL_SIZE", "1")]).await;
    let first = h.engine.create_session(&admin()).await.unwrap();
    assert_eq!(first.source, Source::PreWarmed);
    // The pool is refilling: the next one is spawned on demand.
    let second = h.engine.create_session(&admin()).await.unwrap();
    assert_eq!(second.source, Source::Cold);
    for created in [&first, &second] {
        let row =
            h.db.get(created.session.session_id.as_str())
                .await
                .unwrap()
                .unwrap();
        assert_eq!(row.status, SessionStatus::Active);
        assert!(is_alive(row.subprocess_pid.unwrap()));
    }
    assert_eq!(h.engine.capacity().await.unwrap().live, 2);
    h.stop().await;
}

#[actix_web::test]
async fn a_turn_streams_in_order_and_is_stored() {
    let h = harness(&[]).await;
    let id = h
        .engine
        .create_session(&admin())
        .await
        .unwrap()
        .session
        .session_id;
    let mut ev = collector();
    let sub = h
        .engine
        .subscribe(&admin(), &id, ev.recipient.clone(), 0)
        .await
        .unwrap();
    assert!(!sub.turn_running);
    let ready = ev.next().await;
    assert!(matches!(
        ready.body,
        EventBody::SessionReady {
            source: Source::Cold,
            ..
        }
    ));

    h.stub.push(Reply::Text {
        text: "Every token, in order.".into(),
        delay: Duration::from_millis(5),
    });
    h.engine.query(&admin(), &id, "hello", 41).await.unwrap();
    let turn = ev.until(ends_turn).await;
    assert_eq!(
        turn[0].body,
        EventBody::MessageReceived {
            seq: 41,
            text: "hello".into(),
            attachments: vec![],
        }
    );
    assert_eq!(text_of(&turn), "Every token, in order.");
    // event_seq counts up by one, without gaps.
    for pair in turn.windows(2) {
        assert_eq!(pair[1].event_seq, pair[0].event_seq + 1);
    }
    match &turn.last().unwrap().body {
        EventBody::ResponseComplete { total_cost_usd, .. } => assert!(*total_cost_usd > 0.0),
        other => panic!("{other:?}"),
    }
    h.stop().await;
    let messages = h.db.messages(id.as_str(), 0).await.unwrap();
    let kinds: Vec<_> = messages.iter().map(|m| m.kind).collect();
    assert_eq!(kinds, vec![MessageKind::User, MessageKind::Assistant]);
    assert_eq!(messages[0].payload, json!({"text": "hello"}));
    assert_eq!(
        messages[1].payload,
        json!({"text": "Every token, in order."})
    );
    let row = h.db.get(id.as_str()).await.unwrap().unwrap();
    assert_eq!(row.message_count, 2);
    assert!(row.total_cost_usd > 0.0);
    assert_eq!(row.status, SessionStatus::Suspended, "shutdown suspends");
}

#[actix_web::test]
async fn one_query_at_a_time_and_interrupt_ends_the_turn() {
    let h = harness(&[]).await;
    let (id, mut ev) = h.open().await;
    h.stub.push(Reply::tokens(400, Duration::from_millis(25)));
    h.stub.push(Reply::text("Back again."));
    h.engine
        .query(&admin(), &id, "talk slowly", 1)
        .await
        .unwrap();
    ev.until(|b| matches!(b, EventBody::StreamDelta { .. }))
        .await;
    let second = h
        .engine
        .query(&admin(), &id, "and this?", 2)
        .await
        .unwrap_err();
    assert_eq!(code_of(second), ErrorCode::QueryInProgress);

    h.engine.interrupt(&admin(), &id).await.unwrap();
    let rest = ev.until(ends_turn).await;
    assert_eq!(rest.last().unwrap().body, EventBody::StreamInterrupted {});

    h.engine
        .query(&admin(), &id, "still there?", 3)
        .await
        .unwrap();
    let turn = ev.until(ends_turn).await;
    assert_eq!(text_of(&turn), "Back again.");
    // Interrupting an idle session is harmless.
    h.engine.interrupt(&admin(), &id).await.unwrap();
    h.stop().await;
    let kinds: Vec<_> =
        h.db.messages(id.as_str(), 0)
            .await
            .unwrap()
            .iter()
            .map(|m| m.kind)
            .collect();
    assert!(
        kinds.contains(&MessageKind::Notice),
        "the interruption is kept: {kinds:?}"
    );
}

#[actix_web::test]
async fn permission_requests_go_to_the_subscriber() {
    let h = harness(&[]).await;
    let (id, mut ev) = h.open().await;
    h.stub.push(Reply::tool(
        "Bash",
        json!({"command": "echo ok > allowed.txt", "description": "Write a file"}),
        "Written.",
    ));
    h.engine.query(&admin(), &id, "write it", 1).await.unwrap();
    let before = ev
        .until(|b| matches!(b, EventBody::PermissionRequest { .. }))
        .await;
    assert!(before
        .iter()
        .any(|e| matches!(&e.body, EventBody::ToolUse { name, .. } if name == "Bash")));
    let EventBody::PermissionRequest {
        request_id,
        tool_name,
        reason,
        ..
    } = before.last().unwrap().body.clone()
    else {
        unreachable!()
    };
    assert_eq!(tool_name, "Bash");
    assert!(!reason.is_empty());
    let wrong = h
        .engine
        .answer_permission(&admin(), &id, "nope", true, None)
        .await
        .unwrap_err();
    assert_eq!(code_of(wrong), ErrorCode::ValidationError);
    h.engine
        .answer_permission(&admin(), &id, &request_id, true, None)
        .await
        .unwrap();
    let rest = ev.until(ends_turn).await;
    assert!(rest.iter().any(|e| matches!(
        e.body,
        EventBody::ToolResult {
            is_error: false,
            ..
        }
    )));
    assert!(matches!(
        rest.last().unwrap().body,
        EventBody::ResponseComplete { .. }
    ));
    assert!(h.dir.path().join("workspace/allowed.txt").exists());
    h.stop().await;
    let kinds: Vec<_> =
        h.db.messages(id.as_str(), 0)
            .await
            .unwrap()
            .iter()
            .map(|m| m.kind)
            .collect();
    assert_eq!(
        kinds,
        vec![
            MessageKind::User,
            MessageKind::ToolUse,
            MessageKind::ToolResult,
            MessageKind::Assistant
        ]
    );
}

#[actix_web::test]
async fn an_unanswered_permission_is_denied_when_nobody_is_connected() {
    let h = harness(&[("PERMISSION_TIMEOUT_SECONDS", "1")]).await;
    let id = h
        .engine
        .create_session(&admin())
        .await
        .unwrap()
        .session
        .session_id;
    h.stub.push(Reply::tool(
        "Bash",
        json!({"command": "echo no > denied.txt", "description": "Write a file"}),
        "Understood.",
    ));
    h.engine.query(&admin(), &id, "write it", 1).await.unwrap();
    // The model hears back (second request) once the timeout denied the tool.
    let requests = h.stub.wait_for_requests(2, Duration::from_secs(30)).await;
    let last = requests
        .iter()
        .rev()
        .find(|r| r.path == "/v1/messages")
        .unwrap();
    assert!(
        last.tool_result_texts()
            .iter()
            .any(|t| t.contains("denied")),
        "{:?}",
        last.tool_result_texts()
    );
    assert!(!h.dir.path().join("workspace/denied.txt").exists());
    h.stop().await;
}

#[actix_web::test]
async fn capacity_is_enforced_and_destroy_leaves_no_process() {
    let h = harness(&[("MAX_SESSIONS", "1")]).await;
    let created = h.engine.create_session(&admin()).await.unwrap();
    let id = created.session.session_id;
    let full = h.engine.create_session(&admin()).await.unwrap_err();
    assert_eq!(code_of(full), ErrorCode::CapacityExceeded);

    let pid =
        h.db.get(id.as_str())
            .await
            .unwrap()
            .unwrap()
            .subprocess_pid
            .unwrap();
    h.engine.destroy_session(&admin(), &id).await.unwrap();
    assert!(!is_alive(pid), "destroy waits until the process is gone");
    assert!(!live_cli_pids().contains(&pid));
    let row = h.db.get(id.as_str()).await.unwrap().unwrap();
    assert_eq!(row.status, SessionStatus::Terminated);
    assert_eq!(row.terminated_reason.as_deref(), Some("destroyed"));
    assert!(!row.is_resumable);
    // The slot is free again; a destroyed session cannot be resumed or queried.
    h.engine.create_session(&admin()).await.unwrap();
    let e = ApiError::from(h.engine.resume_session(&admin(), &id).await.unwrap_err());
    assert_eq!(e.code, ErrorCode::NotResumable);
    assert_eq!(e.message, "Session not found or not resumable");
    let e = h.engine.query(&admin(), &id, "hi", 1).await.unwrap_err();
    assert_eq!(code_of(e), ErrorCode::NotResumable);
    let unknown = SessionId::parse("00000000-0000-4000-8000-000000000000").unwrap();
    let e = h
        .engine
        .resume_session(&admin(), &unknown)
        .await
        .unwrap_err();
    assert_eq!(code_of(e), ErrorCode::NotResumable);
    let e = h
        .engine
        .destroy_session(&admin(), &unknown)
        .await
        .unwrap_err();
    assert_eq!(code_of(e), ErrorCode::SessionNotFound);
    h.stop().await;
}

fn cmdline(pid: i32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/cmdline"))
        .unwrap_or_default()
        .replace('\0', " ")
}

#[actix_web::test]
async fn a_workspace_change_refreshes_the_pool_and_reaches_new_processes() {
    let h = harness(&[("PREWARM_POOL_SIZE", "1")]).await;
    let old_pool = h.engine.pool_status().await.unwrap().pids;
    assert_eq!(old_pool.len(), 1);
    assert!(!cmdline(old_pool[0]).contains("--mcp-config"));

    let ws = h.dir.path().join("workspace");
    std::fs::write(
        ws.join("mcp.json"),
        r#"{"mcpServers": {"notes": {"command": "true", "env": {"TOKEN": "secret-value"}}}}"#,
    )
    .unwrap();
    std::fs::create_dir_all(ws.join("commands")).unwrap();
    std::fs::write(ws.join("commands/review.md"), "Review the code.\n").unwrap();

    // The change is seen at the next creation: the pooled process is stale, so this one
    // is started fresh with the new configuration, and the pool is refreshed.
    let created = h.engine.create_session(&admin()).await.unwrap();
    assert_eq!(created.source, Source::Cold);
    let pid =
        h.db.get(created.session.session_id.as_str())
            .await
            .unwrap()
            .unwrap()
            .subprocess_pid
            .unwrap();
    assert!(cmdline(pid).contains("--mcp-config"), "{}", cmdline(pid));
    assert!(
        ws.join(".claude/commands/review.md").exists(),
        "exposed to the CLI"
    );

    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let now = h.engine.pool_status().await.unwrap().pids;
        if now.len() == 1 && now[0] != old_pool[0] {
            assert!(cmdline(now[0]).contains("--mcp-config"));
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "pool not refreshed: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while is_alive(old_pool[0]) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "stale pooled process still running"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Unchanged configuration: the refreshed pool serves again.
    assert_eq!(
        h.engine.create_session(&admin()).await.unwrap().source,
        Source::PreWarmed
    );
    h.stop().await;
}
