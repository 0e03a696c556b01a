//! The adaptive pool with the real CLI: a burst of creates grows it toward that demand,
//! up to `PREWARM_POOL_MAX`, and it refills to the new size.

use std::time::Duration;

use crate::engine_harness::{admin, harness};

#[actix_web::test]
async fn a_burst_of_creates_grows_the_pool_up_to_its_max() {
    let h = harness(&[("PREWARM_POOL_SIZE", "1"), ("PREWARM_POOL_MAX", "3")]).await;
    assert_eq!(h.engine.pool_status().await.unwrap().size, 1);
    let caller = admin();
    let creates = (0..4).map(|_| h.engine.create_session(&caller));
    for created in futures_util::future::join_all(creates).await {
        created.unwrap();
    }
    // Four creates at once: the pool now holds three (its max), refilled in the background.
    assert_eq!(h.engine.pool_status().await.unwrap().size, 3);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while h.engine.pool_status().await.unwrap().ready < 3 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the pool did not refill to 3"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    h.stop().await;
}
