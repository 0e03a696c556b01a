//! The memory budget (`MEMORY_BUDGET_MB`) with the real CLI: the pool shrinks first, then
//! the least recently used idle session is suspended (resumable) for a new one, and a
//! create that cannot fit is refused with `capacity_exceeded` and the reason.

use std::time::Duration;

use claude_sdk_pattern::actors::EngineError;
use claude_sdk_pattern::db::SessionStatus;
use claude_sdk_pattern::model_stub::Reply;
use claude_sdk_pattern::protocol::EventBody;

use claude_sdk_pattern::SessionId;

use crate::engine_harness::{admin, collector, ends_turn, harness, text_of, Events, Harness};
use crate::helpers::TEST_KEY;

#[actix_web::test]
async fn idle_sessions_make_room_and_a_create_that_cannot_fit_is_refused() {
    // No memory sample in this test (the monitor's period is an hour): every CLI counts at
    // the pre-sample estimate of 200 MB, so a 300 MB budget holds one session at a time.
    let h = harness(&[
        ("MEMORY_BUDGET_MB", "300"),
        ("MONITOR_INTERVAL_SECONDS", "3600"),
    ])
    .await;
    let (a, mut a_events) = h.open().await;
    let (b, mut b_events) = h.open().await;

    // Making room for b suspended a, the least recently used idle session, resumably.
    let ended = a_events
        .until(|e| matches!(e, EventBody::SessionTerminated { .. }))
        .await;
    match &ended.last().unwrap().body {
        EventBody::SessionTerminated {
            reason, resumable, ..
        } => {
            assert_eq!(reason, "memory_budget");
            assert!(*resumable);
        }
        _ => unreachable!(),
    }
    h.wait_status(&a, SessionStatus::Suspended).await;

    // b is busy with a long reply: it cannot be suspended, so nothing can make room.
    h.stub.push(Reply::tokens(200, Duration::from_millis(20)));
    h.engine.query(&admin(), &b, "long", 1).await.unwrap();
    b_events
        .until(|e| matches!(e, EventBody::StreamDelta { .. }))
        .await;
    let refused = h.engine.create_session(&admin()).await.err();
    assert_eq!(
        refused,
        Some(EngineError::OverMemoryBudget { budget_mb: 300 })
    );
    let (status, body) = crate::helpers::call(
        awc::Client::default()
            .post(h.url("/api/v1/sessions"))
            .insert_header(("X-API-Key", TEST_KEY)),
        None,
    )
    .await;
    assert_eq!(status, 503);
    assert_eq!(body["error"], "capacity_exceeded");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("memory budget (300 MB)"),
        "{body}"
    );
    b_events.until(ends_turn).await;

    // a comes back with its next message (b, idle now, makes room for it).
    let mut a_events = collector();
    h.stub.push(Reply::text("Back."));
    h.engine.query(&admin(), &a, "again", 2).await.unwrap();
    h.engine
        .subscribe(&admin(), &a, a_events.recipient.clone(), 0)
        .await
        .unwrap();
    assert_eq!(text_of(&a_events.until(ends_turn).await), "Back.");
    h.stop().await;
}

#[actix_web::test]
async fn over_the_budget_the_pool_shrinks_first() {
    // A budget below one idle CLI (~160 MB): the first sample finds the pool over it.
    let h = harness(&[
        ("MEMORY_BUDGET_MB", "64"),
        ("PREWARM_POOL_SIZE", "2"),
        ("MONITOR_INTERVAL_SECONDS", "1"),
    ])
    .await;
    let engine = h.engine.clone();
    // Both start-up processes are stopped as they become ready (one sample each, or one for
    // both); shrinks are process-wide, so counted as a lower bound.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let ready = engine.pool_status().await.unwrap().ready;
        let text = crate::metrics::scrape_text(h.addr).await;
        let shrinks = crate::metrics::sample(&text, "csp_pool_shrinks_total").unwrap();
        if ready == 0 && shrinks >= 2.0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the pool did not shrink"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Nothing fits any more: a create is refused, and the pool does not refill.
    assert!(matches!(
        h.engine.create_session(&admin()).await,
        Err(EngineError::OverMemoryBudget { budget_mb: 64 })
    ));
    let text = crate::metrics::scrape_text(h.addr).await;
    let refusals = r#"csp_capacity_refusals_total{reason="memory_budget"}"#;
    assert!(
        crate::metrics::sample(&text, refusals).unwrap() >= 1.0,
        "{text}"
    );
    assert_eq!(engine.pool_status().await.unwrap().ready, 0);
    h.stop().await;
}

#[actix_web::test]
async fn a_session_woken_for_its_user_is_not_suspended_again_before_its_first_reply() {
    // One session fits (see above). b's create suspends a; opening a wakes it (suspending
    // b, which has served no one since it was created).
    let h = harness(&[
        ("MEMORY_BUDGET_MB", "300"),
        ("MONITOR_INTERVAL_SECONDS", "3600"),
    ])
    .await;
    let (a, _a_events) = h.open().await;
    let (_b, _b_events) = h.open().await;
    h.wait_status(&a, SessionStatus::Suspended).await;
    let mut a_events = collector();
    h.engine
        .subscribe(&admin(), &a, a_events.recipient.clone(), 0)
        .await
        .unwrap();

    // a, just woken and idle until its user's message arrives, is held: a create in that
    // gap is refused rather than taking a's process (which refused the message, or woke a
    // third process its viewer was not subscribed to).
    let refused = h.engine.create_session(&admin()).await.err();
    assert_eq!(
        refused,
        Some(EngineError::OverMemoryBudget { budget_mb: 300 })
    );
    h.stub.push(Reply::text("Still here."));
    h.engine.query(&admin(), &a, "hello", 1).await.unwrap();
    assert_eq!(text_of(&a_events.until(ends_turn).await), "Still here.");
    h.stop().await;
}

/// A session with one answered turn, then told to suspend itself for the memory budget
/// (the actor decides at once; what the caller sends next meets it stopping).
async fn one_turn_then_reclaim(h: &Harness) -> (SessionId, Events) {
    let (a, mut events) = h.open().await;
    h.stub.push(Reply::text("First."));
    h.engine.query(&admin(), &a, "one", 1).await.unwrap();
    assert_eq!(text_of(&events.until(ends_turn).await), "First.");
    let session = h.engine.live_session(&a).await.unwrap();
    session.do_send(claude_sdk_pattern::actors::budget::ReclaimSession);
    (a, events)
}

#[actix_web::test]
async fn a_message_that_meets_its_session_being_suspended_wakes_it_for_its_sender() {
    // Found by the soak: the budget suspended an idle session just as a message for it
    // arrived. The message was refused as sent to an ended session, or woke a process that
    // its sender (subscribed to the old one) never heard from.
    let h = harness(&[]).await;
    // The suspend is decided first; the message meets the session stopping (or stopped).
    let (a, mut events) = one_turn_then_reclaim(&h).await;
    h.stub.push(Reply::text("Woken for you."));
    let message = claude_sdk_pattern::actors::UserMessage {
        text: "two",
        client_seq: 2,
        attachments: Vec::new(),
        subscriber: Some(events.recipient.clone()),
    };
    h.engine.query_with(&admin(), &a, message).await.unwrap();
    let ended = events
        .until(|e| matches!(e, EventBody::SessionTerminated { .. }))
        .await;
    assert!(matches!(
        &ended.last().unwrap().body,
        EventBody::SessionTerminated { reason, .. } if reason == "memory_budget"
    ));
    // The woken process counts its events on from the suspended one's (the collector
    // checks each event_seq is above the last); its turn reaches the sender.
    let turn = events.until(ends_turn).await;
    assert!(
        turn.iter()
            .any(|e| matches!(&e.body, EventBody::MessageReceived { seq: 2, .. })),
        "{turn:?}"
    );
    assert_eq!(text_of(&turn), "Woken for you.");
    h.wait_status(&a, SessionStatus::Active).await;
    h.stop().await;
}

#[actix_web::test]
async fn a_destroy_that_meets_its_session_being_suspended_still_ends_it() {
    // Read in the code after the soak: a destroy that reached the session actor after it had
    // decided to suspend itself (idle, or the memory budget) was answered by that stop,
    // which leaves a session resumable — deleted by its user, it came back as suspended.
    let h = harness(&[]).await;
    // The suspend is decided first; the destroy meets the session stopping.
    let (a, _events) = one_turn_then_reclaim(&h).await;
    h.engine.destroy_session(&admin(), &a).await.unwrap();
    let row = h.db.get(a.as_str()).await.unwrap().unwrap();
    assert_eq!(row.status, SessionStatus::Terminated);
    assert_eq!(row.terminated_reason.as_deref(), Some("destroyed"));
    assert!(!row.is_resumable);
    let e = h.engine.resume_session(&admin(), &a).await.unwrap_err();
    assert!(matches!(e, EngineError::NotResumable), "{e:?}");
    h.stop().await;
}
