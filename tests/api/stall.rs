//! No turn hangs forever: a turn whose CLI shows no progress for `TURN_STALL_SECONDS` is cut
//! (interrupted) and ends with one retryable `stream_error`, its partial text kept and the
//! session usable; a permission wait and a running tool are no stall; a CLI that does not
//! answer the interrupt is restarted with its conversation.

use std::time::{Duration, Instant};

use claude_sdk_pattern::db::MessageKind;
use claude_sdk_pattern::model_stub::Reply;
use claude_sdk_pattern::protocol::{ErrorCode, EventBody, SuggestedAction};
use serde_json::json;

use crate::cli::fake_cli;
use crate::engine_harness::{
    admin, ends_turn, harness, harness_with_cli, next_permission, text_of,
};

fn end_events(events: &[claude_sdk_pattern::protocol::SessionEvent]) -> usize {
    events.iter().filter(|e| e.body.ends_turn()).count()
}

#[actix_web::test]
async fn a_stalled_stream_ends_in_a_retryable_error_keeping_the_partial_text() {
    // Above the ~10 s between the keep-alive pings the CLI forwards during a stalled stream:
    // were a ping counted as progress, the cut would come a ping later (~22 s).
    let h = harness(&[("TURN_STALL_SECONDS", "12")]).await;
    let (id, mut ev) = h.open().await;
    h.stub.push(Reply::Stall {
        partial: "Partial answer before the stall".into(),
    });
    h.engine.query(&admin(), &id, "hello", 1).await.unwrap();
    let mut events = ev
        .until(|b| matches!(b, EventBody::StreamDelta { .. }))
        .await;
    let first_delta = Instant::now();
    events.extend(ev.until(ends_turn).await);
    let waited = first_delta.elapsed();
    assert!(
        waited < Duration::from_secs(20),
        "the forwarded pings must not hold the cut back: {waited:?}"
    );
    assert_eq!(text_of(&events), "Partial answer before the stall");
    assert_eq!(end_events(&events), 1, "{events:?}");
    match &events.last().unwrap().body {
        EventBody::StreamError {
            code,
            suggested_action,
            partial_preserved,
            ..
        } => {
            assert_eq!(*code, ErrorCode::Internal);
            assert_eq!(*suggested_action, SuggestedAction::Retry);
            assert!(*partial_preserved);
        }
        other => panic!("{other:?}"),
    }
    // Stored (events reach clients before the store): the question, the partial reply, the
    // error.
    let deadline = Instant::now() + Duration::from_secs(20);
    let stored = loop {
        let stored = h.db.messages(id.as_str(), 0).await.unwrap();
        if stored.len() >= 3 || Instant::now() > deadline {
            break stored;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let kinds: Vec<MessageKind> = stored.iter().map(|m| m.kind).collect();
    assert_eq!(
        kinds,
        [
            MessageKind::User,
            MessageKind::Assistant,
            MessageKind::Error
        ],
        "{stored:?}"
    );
    assert_eq!(
        stored[1].payload,
        json!({"text": "Partial answer before the stall"})
    );
    // The same process goes on: the next message is answered, with the partial reply in
    // the conversation the model sees.
    let pid = h.pid(&id).await;
    h.stub.push(Reply::text("Second try."));
    h.engine.query(&admin(), &id, "again", 2).await.unwrap();
    let events = ev.until(ends_turn).await;
    assert_eq!(text_of(&events), "Second try.");
    assert!(matches!(
        events.last().unwrap().body,
        EventBody::ResponseComplete { .. }
    ));
    assert_eq!(h.pid(&id).await, pid, "no restart was needed");
    let asked = h.stub.requests();
    let last = asked
        .iter()
        .rev()
        .find(|r| r.path == "/v1/messages" && !r.side)
        .unwrap();
    assert!(last
        .messages
        .to_string()
        .contains("Partial answer before the stall"));
    h.stop().await;
}

#[actix_web::test]
async fn a_permission_wait_and_a_running_tool_are_no_stall() {
    let h = harness(&[("TURN_STALL_SECONDS", "2")]).await;
    let (id, mut ev) = h.open().await;
    h.stub.push(Reply::tool(
        "Bash",
        json!({"command": "python3 -c 'import time; time.sleep(4); print(\"slept\")'", "description": "Wait"}),
        "All done.",
    ));
    h.engine
        .query(&admin(), &id, "take your time", 1)
        .await
        .unwrap();
    let request = next_permission(&mut ev).await;
    // The user thinks longer than the stall limit…
    tokio::time::sleep(Duration::from_secs(3)).await;
    h.engine
        .answer_permission(&admin(), &id, &request, true, None)
        .await
        .unwrap();
    // …and the tool runs longer than it, silently.
    let events = ev.until(ends_turn).await;
    assert!(
        matches!(
            events.last().unwrap().body,
            EventBody::ResponseComplete { .. }
        ),
        "{events:?}"
    );
    assert!(events.iter().any(
        |e| matches!(&e.body, EventBody::ToolResult { content, .. } if content.contains("slept"))
    ));
    assert_eq!(text_of(&events), "All done.");
    h.stop().await;
}

#[actix_web::test]
async fn a_cli_that_ignores_the_interrupt_is_restarted_with_its_conversation() {
    let cli = fake_cli().to_string_lossy().into_owned();
    let h = harness_with_cli(
        &[("TURN_STALL_SECONDS", "1"), ("CLAUDE_CLI_PATH", &cli)],
        &[("FAKE_CLI_MODE", "silent-turn")],
    )
    .await;
    let (id, mut ev) = h.open().await;
    ev.until(|b| matches!(b, EventBody::SessionReady { .. }))
        .await;
    let pid = h.pid(&id).await;
    h.engine.query(&admin(), &id, "hello", 1).await.unwrap();
    let events = ev
        .until(|b| matches!(b, EventBody::SessionReady { .. }))
        .await;
    assert_eq!(text_of(&events), "Half");
    assert_eq!(end_events(&events), 1, "{events:?}");
    let kinds: Vec<&str> = events.iter().map(|e| e.body.kind()).collect();
    assert_eq!(
        kinds,
        [
            "message_received",
            "stream_delta",
            "stream_error",
            "session_restarting",
            "session_ready"
        ]
    );
    match &events[3].body {
        EventBody::SessionRestarting { reason, .. } => assert_eq!(reason, "unresponsive"),
        other => panic!("{other:?}"),
    }
    assert_ne!(h.pid(&id).await, pid, "a new process");
    crate::engine_harness::wait_dead(pid).await;
    h.stop().await;
}

#[actix_web::test]
async fn after_a_model_request_that_hangs_the_next_message_is_answered() {
    // The request gets no answer at all (not even headers); the CLI may retry once.
    let h = harness_with_cli(
        &[("TURN_STALL_SECONDS", "3")],
        &[("CLAUDE_CODE_MAX_RETRIES", "1")],
    )
    .await;
    let (id, mut ev) = h.open().await;
    h.stub.push(Reply::text("First."));
    h.engine.query(&admin(), &id, "first", 1).await.unwrap();
    assert_eq!(text_of(&ev.until(ends_turn).await), "First.");
    h.stub.push(Reply::Hang);
    h.engine.query(&admin(), &id, "hello", 2).await.unwrap();
    let cut = ev.until(ends_turn).await;
    assert!(
        matches!(cut.last().unwrap().body, EventBody::StreamError { .. }),
        "{cut:?}"
    );
    h.stub.push(Reply::text("Answered."));
    h.engine.query(&admin(), &id, "again", 3).await.unwrap();
    assert_eq!(text_of(&ev.until(ends_turn).await), "Answered.");
    h.stop().await;
}
