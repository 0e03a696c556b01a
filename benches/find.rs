//! `make bench` — finding sessions with 10,000 sessions (40,000 messages) in the database:
//! the first page of `GET /api/v1/sessions`, a page deep in the list, a title filter, and
//! `GET /api/v1/search` for a word in every session and for a rare one, over HTTP on
//! loopback (the server's whole path: routing, store, JSON).
//!
//! Writes its section of docs/benchmarks.md to `target/bench/find.md`.

// A measuring program: failing loudly on a broken setup is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::{Duration, Instant};

use claude_sdk_pattern::app::{Application, Options};
use claude_sdk_pattern::config::Settings;
use claude_sdk_pattern::db::{Db, MessageKind, Session};
use serde_json::{json, Value};

const KEY: &str = "bench-key-0123456789abcdef";
const SESSIONS: usize = 10_000;
const RUNS: usize = 200;

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// p50 and p99 in ms of `RUNS` GETs of `path` (each must answer 200).
async fn measure(client: &awc::Client, base: &str, path: &str) -> (f64, f64, Value) {
    let mut times = Vec::with_capacity(RUNS);
    let mut last = Value::Null;
    for _ in 0..RUNS {
        let t = Instant::now();
        let mut res = client
            .get(format!("{base}{path}"))
            .insert_header(("X-API-Key", KEY))
            .send()
            .await
            .unwrap();
        let body = res.body().limit(8 << 20).await.unwrap();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(res.status(), 200, "{path}");
        last = serde_json::from_slice(&body).unwrap();
    }
    times.sort_by(f64::total_cmp);
    (pct(&times, 0.5), pct(&times, 0.99), last)
}

async fn run() -> String {
    let dir = tempfile::tempdir().unwrap();
    let ws_dir = dir.path().join("workspace");
    std::fs::create_dir_all(&ws_dir).unwrap();
    let db_path = dir.path().join("bench.db");
    let vars = [
        ("CLAUDE_SDK_PATTERN_API_KEY", KEY.to_string()),
        ("PORT", "0".into()),
        ("DATABASE_URL", db_path.to_string_lossy().into_owned()),
        ("WORKSPACE_DIR", ws_dir.to_string_lossy().into_owned()),
        ("PREWARM_POOL_SIZE", "0".into()),
        ("ANTHROPIC_API_KEY", "sk-ant-bench".into()),
        ("LOG_LEVEL", "error".into()),
    ];

    // Fill the store first (as sessions would have, message by message).
    let db = Db::open(&db_path).await.unwrap();
    let fill = Instant::now();
    let base_time = chrono::Utc::now().naive_utc() - chrono::Duration::days(30);
    for n in 0..SESSIONS {
        let mut s = Session::new(
            uuid::Uuid::new_v4().to_string(),
            claude_sdk_pattern::db::BOOTSTRAP_USER_ID,
        );
        s.status = claude_sdk_pattern::db::SessionStatus::Terminated;
        s.last_active_at = base_time + chrono::Duration::seconds(n as i64 * 60);
        db.save(&s).await.unwrap();
        let id = &s.session_id;
        let rare = if n % 1000 == 0 { " zeppelin" } else { "" };
        let user = format!(
            "Session {n}: please check the deployment of service {}{rare}",
            n % 97
        );
        db.append_message(id, MessageKind::User, &json!({ "text": user }))
            .await
            .unwrap();
        db.append_message(id, MessageKind::ToolUse, &json!({"tool_use_id": "t", "name": "Bash", "input": {"command": format!("systemctl status svc{}", n % 97)}}))
            .await
            .unwrap();
        db.append_message(id, MessageKind::ToolResult, &json!({"tool_use_id": "t", "is_error": false, "content": "active (running) since Monday; deployment healthy"}))
            .await
            .unwrap();
        db.append_message(
            id,
            MessageKind::Assistant,
            &json!({"text": format!("The deployment of service {} is healthy.", n % 97)}),
        )
        .await
        .unwrap();
    }
    let fill_s = fill.elapsed().as_secs_f64();
    drop(db);
    let db_mb = std::fs::metadata(&db_path).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;

    let settings =
        Settings::from_vars(vars.iter().map(|(k, v)| (k.to_string(), v.clone()))).unwrap();
    let options = Options {
        exclusive_children: false,
        ..Options::default()
    };
    let app = Application::build_with(settings, claude_sdk_pattern::logging::discard(), options)
        .await
        .unwrap();
    let base = format!("http://{}", app.local_addr());
    let engine = app.engine();
    actix_web::rt::spawn(app.run_until_stopped());
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(30))
        .finish();

    let (first50, first99, page) = measure(&client, &base, "/api/v1/sessions").await;
    assert_eq!(page["sessions"].as_array().unwrap().len(), 50);
    // A cursor 100 pages down.
    let mut cursor = page["next_cursor"].as_str().unwrap().to_string();
    for _ in 0..99 {
        let (_, _, p) =
            measure_once(&client, &base, &format!("/api/v1/sessions?cursor={cursor}")).await;
        cursor = p["next_cursor"].as_str().unwrap().to_string();
    }
    let (deep50, deep99, _) =
        measure(&client, &base, &format!("/api/v1/sessions?cursor={cursor}")).await;
    let (filter50, filter99, _) = measure(&client, &base, "/api/v1/sessions?q=service%2042").await;
    let (common50, common99, hits) = measure(&client, &base, "/api/v1/search?q=deployment").await;
    assert_eq!(hits["hits"].as_array().unwrap().len(), 20);
    let (rare50, rare99, hits) = measure(&client, &base, "/api/v1/search?q=zeppelin").await;
    assert_eq!(hits["hits"].as_array().unwrap().len(), 10);
    let (prefix50, prefix99, _) =
        measure(&client, &base, "/api/v1/search?q=deploy*%20healthy").await;
    engine.shutdown().await;

    format!(
        "## Finding sessions\n\n\
         {SESSIONS} sessions with 4 messages each ({} messages; database {db_mb:.0} MB, filled in {fill_s:.0} s \
         one message per transaction), over HTTP on loopback, {RUNS} requests each:\n\n\
         | request | p50 | p99 |\n|---|---|---|\n\
         | `GET /api/v1/sessions` (first page, 50) | {first50:.2} ms | {first99:.2} ms |\n\
         | same, 100 pages down (cursor) | {deep50:.2} ms | {deep99:.2} ms |\n\
         | `GET /api/v1/sessions?q=service 42` (title filter, a scan) | {filter50:.2} ms | {filter99:.2} ms |\n\
         | `GET /api/v1/search?q=deployment` (3 of the 4 messages of every session: best 20 of 30,000 matches) | {common50:.2} ms | {common99:.2} ms |\n\
         | `GET /api/v1/search?q=zeppelin` (10 matches) | {rare50:.2} ms | {rare99:.2} ms |\n\
         | `GET /api/v1/search?q=deploy* healthy` (prefix and a second word) | {prefix50:.2} ms | {prefix99:.2} ms |\n\n\
         The list pages on the `(last_active_at, session_id)` index, so a page costs the same at any depth; \
         the title filter (`q`) scans titles. Search ranks every match with bm25, so a word in every \
         session costs more than a rare one.\n",
        SESSIONS * 4,
    )
}

async fn measure_once(client: &awc::Client, base: &str, path: &str) -> (f64, f64, Value) {
    let t = Instant::now();
    let mut res = client
        .get(format!("{base}{path}"))
        .insert_header(("X-API-Key", KEY))
        .send()
        .await
        .unwrap();
    let body = res.body().limit(8 << 20).await.unwrap();
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    (ms, ms, serde_json::from_slice(&body).unwrap())
}

fn main() {
    let report = actix_web::rt::System::new().block_on(run());
    print!("{report}");
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("find.md"), report).unwrap();
}
