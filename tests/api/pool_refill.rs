//! When the pool refills (issue 13, "fast from the first message"): its processes are
//! warmed up before they count as ready, a take holds the refill back until the taken
//! process's first reply (so the replacement CLI does not boot beside that first turn),
//! and a second take — a burst — refills at once.

use std::time::{Duration, Instant};

use claude_sdk_pattern::actors::pool::REFILL_DEFER;
use claude_sdk_pattern::model_stub::Reply;
use claude_sdk_pattern::protocol::EventBody;

use crate::engine_harness::{admin, harness, Harness};

async fn wait_ready(h: &Harness, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(90);
    while h.engine.pool_status().await.unwrap().ready < n {
        assert!(Instant::now() < deadline, "the pool did not refill to {n}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[actix_web::test]
async fn the_refill_waits_for_the_first_reply_of_the_taken_process() {
    let h = harness(&[
        ("PREWARM_POOL_SIZE", "1"),
        ("PREWARM_POOL_MAX", "1"),
        ("PREWARM_WARM_UP", "full"),
    ])
    .await;
    wait_ready(&h, 1).await;
    assert!(
        h.stub.count_tokens_calls() > 0,
        "the pooled process was warmed up (get_context_usage) before it was ready"
    );
    let taken_at = Instant::now();
    let (id, mut ev) = h.open().await;
    let status = h.engine.pool_status().await.unwrap();
    if taken_at.elapsed() < REFILL_DEFER {
        assert!(status.deferred, "{status:?}");
        assert_eq!(
            (status.ready, status.filling),
            (0, 0),
            "nothing spawning yet"
        );
    }
    h.stub.push(Reply::text("First reply."));
    h.engine.query(&admin(), &id, "hello", 1).await.unwrap();
    ev.until(|b| matches!(b, EventBody::StreamDelta { .. }))
        .await;
    // The first reply (or the hold's bound) released the refill.
    wait_ready(&h, 1).await;
    assert!(!h.engine.pool_status().await.unwrap().deferred);
    h.stop().await;
}

#[actix_web::test]
async fn a_second_create_while_the_refill_is_held_refills_at_once() {
    let h = harness(&[("PREWARM_POOL_SIZE", "1"), ("PREWARM_POOL_MAX", "1")]).await;
    wait_ready(&h, 1).await;
    h.engine.create_session(&admin()).await.unwrap();
    // The pool is empty and held: this create is a cold spawn, and its take ends the hold.
    h.engine.create_session(&admin()).await.unwrap();
    let status = h.engine.pool_status().await.unwrap();
    assert!(!status.deferred, "{status:?}");
    assert!(status.ready + status.filling >= 1, "{status:?}");
    wait_ready(&h, 1).await;
    h.stop().await;
}
