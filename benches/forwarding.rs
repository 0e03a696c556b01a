//! `make bench` — replica mode's forwarding overhead: the time from sending a message to
//! its reply's first text, through the replica that runs the session (direct) and through
//! another replica, which forwards it over its internal WebSocket (docs/architecture.md,
//! "Replicas: a frame through a non-owner"). Two replicas in this process on one
//! PostgreSQL database (`TEST_DATABASE_URL`, as `scripts/with-postgres.sh` gives it) and one
//! workspace, the pinned CLI against the scripted model (which answers at once); both
//! sessions run on replica B, one viewed from A, one from B, their messages alternating.
//! Without `TEST_DATABASE_URL` it writes a "skipped" section.
//! Writes its section of docs/benchmarks.md to `target/bench/forwarding.md`.

// A measuring program: failing loudly on a broken setup is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use actix_codec::Framed;
use awc::ws::{Codec, Frame, Message};
use awc::BoxedSocket;
use claude_sdk_pattern::db::test_support::PgTestDatabase;
use claude_sdk_pattern::model_stub::{ModelStub, Reply, StubMode};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};

/// Messages per path.
const RUNS: usize = 30;
const KEY: &str = "bench-key-0123456789abcdef";
const SECRET: &str = "bench-cluster-secret-0123456789abcdef";

type Ws = Framed<BoxedSocket, Codec>;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn signed_ms(a: Duration, b: Duration) -> String {
    format!("{:+.1} ms", (a.as_secs_f64() - b.as_secs_f64()) * 1000.0)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn frame(ws: &mut Ws) -> Value {
    loop {
        let item = tokio::time::timeout(Duration::from_secs(120), ws.next())
            .await
            .expect("frame within 120 s")
            .expect("open")
            .expect("frame");
        match item {
            Frame::Text(b) => return serde_json::from_slice(&b).unwrap(),
            Frame::Ping(p) => ws.send(Message::Pong(p)).await.unwrap(),
            _ => {}
        }
    }
}

async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::Text(v.to_string().into())).await.unwrap();
}

async fn connect(addr: SocketAddr) -> Ws {
    awc::Client::new()
        .ws(format!("ws://{addr}/ws/v1/chat"))
        .header("X-API-Key", KEY)
        .connect()
        .await
        .unwrap()
        .1
}

/// Waits (bounded) until the replica at `addr` has a ready pooled process, so a create sent
/// to it stays there.
async fn pool_ready(addr: SocketAddr) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let mut res = awc::Client::new()
            .get(format!("http://{addr}/api/v1/health/ready"))
            .send()
            .await
            .unwrap();
        let body: Value = res.json().await.unwrap_or_default();
        if body["pool"]["ready"].as_u64().unwrap_or(0) >= 1 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no pooled process on {addr}: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Creates a session through `ws` (on the replica it is connected to, both being empty).
async fn create(ws: &mut Ws) -> String {
    send(ws, json!({"type": "create_session"})).await;
    loop {
        let f = frame(ws).await;
        assert_ne!(f["type"], "error", "{f}");
        if f["type"] == "session_ready" {
            return f["session_id"].as_str().unwrap().to_string();
        }
    }
}

/// Sends one message; the time to its first `stream_delta`, then waits for the turn's end.
async fn first_text(ws: &mut Ws, stub: &ModelStub, id: &str, seq: u64) -> Duration {
    stub.push(Reply::text("Measured reply."));
    let started = Instant::now();
    send(
        ws,
        json!({"type": "user_message", "session_id": id, "text": "go", "seq": seq}),
    )
    .await;
    let mut first = None;
    loop {
        let f = frame(ws).await;
        assert_ne!(f["type"], "error", "{f}");
        if f["session_id"] != id {
            continue;
        }
        if f["type"] == "stream_delta" && first.is_none() {
            first = Some(started.elapsed());
        }
        if f["type"] == "response_complete" {
            return first.expect("a reply with text");
        }
    }
}

async fn replica(
    dir: &Path,
    workspace: &Path,
    stub: &ModelStub,
    db_url: &str,
    node: &str,
    max_sessions: usize,
    pool: usize,
) -> SocketAddr {
    let port = free_port();
    let settings = [
        ("DATABASE_URL", db_url.to_string()),
        ("DATA_DIR", dir.join("data").to_string_lossy().into_owned()),
        ("WORKSPACE_DIR", workspace.to_string_lossy().into_owned()),
        ("PORT", port.to_string()),
        ("NODE_ID", node.to_string()),
        ("NODE_URL", format!("http://127.0.0.1:{port}")),
        ("CLUSTER_SECRET", SECRET.to_string()),
        ("PREWARM_POOL_SIZE", pool.to_string()),
        ("MAX_SESSIONS", max_sessions.to_string()),
    ];
    common::engine_at(dir, stub, &settings).await.1
}

fn stats(label: &str, mut d: Vec<Duration>) -> (String, Duration, Duration) {
    d.sort();
    let (p50, p99) = (percentile(&d, 0.5), percentile(&d, 0.99));
    (
        format!("| {label} | {} | {} |\n", ms(p50), ms(p99)),
        p50,
        p99,
    )
}

async fn run(db: &PgTestDatabase) -> String {
    let (a_dir, b_dir, shared) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let stub = ModelStub::start(0, StubMode::Scripted).await.unwrap();
    let b = replica(
        b_dir.path(),
        shared.path(),
        &stub,
        db.url(),
        "bench-b",
        10,
        2,
    )
    .await;
    let a = replica(
        a_dir.path(),
        shared.path(),
        &stub,
        db.url(),
        "bench-a",
        1,
        1,
    )
    .await;
    // Both sessions on B: created there — a create stays on the replica it reaches while
    // that has a free slot and a ready pooled process (two here, so the second create does
    // not go to A while B refills).
    let (mut on_b, mut via_a) = (connect(b).await, connect(a).await);
    pool_ready(b).await;
    let direct_id = create(&mut on_b).await;
    pool_ready(b).await;
    let mut on_b2 = connect(b).await;
    let forwarded_id = create(&mut on_b2).await;
    drop(on_b2);
    let load_before = common::load_average();
    let (mut direct, mut forwarded) = (Vec::new(), Vec::new());
    // Warm-up: the first message through A opens its link to B.
    first_text(&mut via_a, &stub, &forwarded_id, 1).await;
    first_text(&mut on_b, &stub, &direct_id, 1).await;
    for run in 0..RUNS as u64 {
        forwarded.push(first_text(&mut via_a, &stub, &forwarded_id, run + 2).await);
        direct.push(first_text(&mut on_b, &stub, &direct_id, run + 2).await);
    }
    let load_after = common::load_average();
    // Both really ran on B: A forwarded, it did not take the session over.
    let location = claude_sdk_pattern::db::Location::parse(Some(db.url())).unwrap();
    let store = claude_sdk_pattern::db::Db::connect(&location)
        .await
        .unwrap();
    for id in [&direct_id, &forwarded_id] {
        let lease = store
            .lease(id)
            .await
            .unwrap()
            .expect("a live session's lease");
        assert_eq!(lease.node_id, "bench-b", "session {id} moved");
    }
    // A REST call that needs the process, sent to A, is answered by B (forwarded).
    let mut res = awc::Client::new()
        .delete(format!("http://{a}/api/v1/sessions/{forwarded_id}"))
        .insert_header(("X-API-Key", KEY))
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(res.status().as_u16(), 200, "{body}");
    assert_eq!(body["status"], "terminated", "{body}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while store.lease(&forwarded_id).await.unwrap().is_some() {
        assert!(
            Instant::now() < deadline,
            "B never released the destroyed session"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (row_d, d50, d99) = stats("direct (the owner)", direct);
    let (row_f, f50, f99) = stats("forwarded (another replica)", forwarded);
    stub.stop().await;
    format!(
        "## Replica mode: forwarding overhead\n\n\
         | message → first text | p50 | p99 |\n|---|---|---|\n{row_d}{row_f}\n\
         Added by forwarding: p50 {}, p99 {} (negative: within this machine's noise). Two replicas in one process on one PostgreSQL \
         database, both sessions running on replica B: one viewed through B, one through A \
         (frames over A's internal WebSocket to B and back), {RUNS} messages each, \
         alternating, after one warm-up message each; against the scripted model (which \
         answers at once). Load average (1 min) {load_before:.1} before, {load_after:.1} \
         after.\n",
        signed_ms(f50, d50),
        signed_ms(f99, d99),
    )
}

fn main() {
    claude_sdk_pattern::process::become_subreaper().unwrap();
    let report = match PgTestDatabase::create("the forwarding bench") {
        Some(db) => actix_web::rt::System::new().block_on(run(&db)),
        None => "## Replica mode: forwarding overhead\n\nSkipped: needs PostgreSQL \
                 (`TEST_DATABASE_URL`; run `make bench` with PostgreSQL installed, or under \
                 `scripts/with-postgres.sh`).\n"
            .to_string(),
    };
    print!("{report}");
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("forwarding.md"), report).unwrap();
}
