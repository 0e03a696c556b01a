//! `make bench` — the session engine: `create_session` → ready, from the pool vs cold, in
//! one run; and the server's own memory per live session (CLI processes excluded: they
//! are separate processes).
//!
//! Writes its section of docs/benchmarks.md to `target/bench/engine.md`.

// A measuring program: failing loudly on a broken setup is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use claude_sdk_pattern::actors::Engine;
use claude_sdk_pattern::model_stub::{ModelStub, StubMode};
use claude_sdk_pattern::protocol::Source;
use claude_sdk_pattern::users::Caller;

const POOLED_RUNS: usize = 20;
const COLD_RUNS: usize = 8;
const LIVE_SESSIONS: usize = 10;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn own_rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    statm
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse::<u64>()
        .unwrap()
        * 4096
}

async fn app(dir: &Path, stub: &ModelStub, pool: usize) -> Engine {
    let settings = [
        ("PREWARM_POOL_SIZE", pool.to_string()),
        ("MAX_SESSIONS", "50".to_string()),
    ];
    common::engine(dir, stub, &settings).await
}

async fn wait_pool_full(engine: &Engine) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let s = engine.pool_status().await.unwrap();
        if s.ready == s.size {
            return;
        }
        assert!(Instant::now() < deadline, "pool never refilled");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn run() -> String {
    let dir = tempfile::tempdir().unwrap();
    let stub = ModelStub::start(0, StubMode::Scripted).await.unwrap();

    // Pooled: each creation with a full pool.
    let engine = app(&dir.path().join("pooled"), &stub, 1).await;
    let mut pooled = Vec::new();
    for _ in 0..POOLED_RUNS {
        wait_pool_full(&engine).await;
        let t = Instant::now();
        let created = engine.create_session(&Caller::bootstrap()).await.unwrap();
        pooled.push(t.elapsed());
        assert_eq!(created.source, Source::PreWarmed);
        engine
            .destroy_session(&Caller::bootstrap(), &created.session.session_id)
            .await
            .unwrap();
    }
    engine.shutdown().await;

    // Cold, and memory per live session, on a server without a pool.
    let engine = app(&dir.path().join("cold"), &stub, 0).await;
    let mut cold = Vec::new();
    for _ in 0..COLD_RUNS {
        let t = Instant::now();
        let created = engine.create_session(&Caller::bootstrap()).await.unwrap();
        cold.push(t.elapsed());
        assert_eq!(created.source, Source::Cold);
        engine
            .destroy_session(&Caller::bootstrap(), &created.session.session_id)
            .await
            .unwrap();
    }
    let before = own_rss_bytes();
    let mut ids = Vec::new();
    for _ in 0..LIVE_SESSIONS {
        let id = engine
            .create_session(&Caller::bootstrap())
            .await
            .unwrap()
            .session
            .session_id;
        engine
            .query(&Caller::bootstrap(), &id, "hello", 1)
            .await
            .unwrap();
        ids.push(id);
    }
    // Let every first turn finish.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = own_rss_bytes();
    engine.shutdown().await;
    stub.stop().await;

    pooled.sort();
    cold.sort();
    let per_session_kb = (after.saturating_sub(before)) as f64 / LIVE_SESSIONS as f64 / 1024.0;
    format!(
        "## Session engine\n\n\
         | figure | value | target |\n|---|---|---|\n\
         | `create_session` → ready, pre-warmed, p50 / p99 ({POOLED_RUNS} runs) | {} / {} | < 5 ms / < 20 ms |\n\
         | `create_session` → ready, cold spawn, p50 / max ({COLD_RUNS} runs) | {} / {} | ≈ 300–700 ms |\n\
         | pre-warmed vs cold, p50 | {:.0}× faster | |\n\
         | server RSS per live session, CLI processes excluded ({LIVE_SESSIONS} sessions, one turn each) | {per_session_kb:.0} KiB | < 2 MB |\n\n\
         Server side, in process: from the call to the supervisor until the session is registered and \
         its row written (SQLite, WAL). The memory figure is the growth of the server's own RSS while \
         {LIVE_SESSIONS} sessions are live.\n",
        ms(percentile(&pooled, 0.5)),
        ms(percentile(&pooled, 0.99)),
        ms(percentile(&cold, 0.5)),
        ms(cold[cold.len() - 1]),
        percentile(&cold, 0.5).as_secs_f64() / percentile(&pooled, 0.5).as_secs_f64(),
    )
}

fn main() {
    claude_sdk_pattern::process::become_subreaper().unwrap();
    let report = actix_web::rt::System::new().block_on(run());
    print!("{report}");
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("engine.md"), report).unwrap();
}
