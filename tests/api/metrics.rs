//! `GET /metrics`: a real server, CLI and model stub, scraped as Prometheus would. (The
//! metrics are process-wide: other tests running beside this one add to the counters, so
//! counts are checked as lower bounds.)

use std::time::Duration;

use claude_sdk_pattern::model_stub::Reply;
use serde_json::json;

use crate::engine_harness::harness;
use crate::helpers::{call, TEST_KEY};
use crate::ws::with_session;
use crate::ws_client::{connect, deltas};

/// The value of the sample named exactly `series` (name and labels as written).
pub fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        let (name, value) = l.rsplit_once(' ')?;
        (name == series).then(|| value.parse().ok()).flatten()
    })
}

pub async fn scrape_text(addr: std::net::SocketAddr) -> String {
    let mut res = awc::Client::default()
        .get(format!("http://{addr}/metrics"))
        .insert_header(("X-API-Key", TEST_KEY))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let ct = res.headers().get("content-type").unwrap().to_str().unwrap();
    assert!(ct.starts_with("application/openmetrics-text"), "{ct}");
    let body = res.body().await.unwrap();
    String::from_utf8(body.to_vec()).unwrap()
}

#[actix_web::test]
async fn metrics_are_scraped_with_the_key_and_tell_what_happened() {
    let h = harness(&[
        ("PREWARM_POOL_SIZE", "1"),
        ("MONITOR_INTERVAL_SECONDS", "1"),
    ])
    .await;

    // Without the key: the same 401 as every authenticated route.
    let (status, body) = call(awc::Client::default().get(h.url("/metrics")), None).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "unauthorized");
    // A member's key: 403 (the series name every live session).
    let (status, member) = call(
        awc::Client::default()
            .post(h.url("/api/v1/users"))
            .insert_header(("X-API-Key", TEST_KEY))
            .insert_header(("Content-Type", "application/json")),
        Some(r#"{"name": "member1"}"#),
    )
    .await;
    assert_eq!(status, 201, "{member}");
    let member_key = member["api_key"].as_str().unwrap().to_string();
    let (status, body) = call(
        awc::Client::default()
            .get(h.url("/metrics"))
            .insert_header(("X-API-Key", member_key)),
        None,
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(body["error"], "forbidden");

    let mut ws = connect(h.addr).await;
    let id = with_session(&mut ws).await;
    h.stub.push(Reply::Text {
        text: "Measured.".into(),
        delay: Duration::from_millis(2),
    });
    ws.send(json!({"type": "user_message", "session_id": id, "text": "hi", "seq": 1}))
        .await;
    let turn = ws.turn().await;
    assert_eq!(deltas(&turn), "Measured.");

    // The monitor samples memory every second: wait (bounded) for this session's sample.
    let memory = format!("csp_session_memory_bytes{{session_id=\"{id}\"}}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let text = loop {
        let text = scrape_text(h.addr).await;
        if sample(&text, &memory).is_some_and(|b| b > 0.0) {
            break text;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no memory sample:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };

    let at_least = |series: &str, min: f64| {
        let v = sample(&text, series).unwrap_or_else(|| panic!("no {series} in\n{text}"));
        assert!(v >= min, "{series} = {v}, wanted ≥ {min}");
    };
    at_least("csp_sessions{status=\"active\"}", 1.0);
    at_least("csp_sessions{status=\"terminated\"}", 0.0);
    at_least("csp_sessions_live", 1.0);
    at_least("csp_pool_target", 1.0);
    at_least("csp_pool_ready", 0.0);
    at_least("csp_cli_spawn_ready_seconds_count", 1.0);
    at_least("csp_session_create_ready_seconds_count", 1.0);
    at_least("csp_turn_first_token_seconds_count", 1.0);
    at_least("csp_turns_total{outcome=\"completed\"}", 1.0);
    at_least("csp_sessions_memory_bytes", 1.0);
    at_least("csp_cli_memory_bytes", 1.0);
    at_least("csp_memory_budget_bytes", 1.0);
    at_least("csp_process_resident_memory_bytes", 1.0);
    at_least("csp_process_open_fds", 1.0);
    at_least("csp_ws_connections", 1.0);
    at_least("csp_ws_frames_sent_total", 4.0);
    at_least("csp_errors_total{code=\"unauthorized\"}", 1.0);
    at_least("csp_db_write_seconds_count{op=\"append_message\"}", 2.0);
    at_least("csp_session_restarts_total{reason=\"crashed\"}", 0.0);
    at_least("csp_capacity_refusals_total{reason=\"memory_budget\"}", 0.0);
    assert!(text.trim_end().ends_with("# EOF"));
    h.stop().await;
}
