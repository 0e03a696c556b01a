//! `make bench` — the API: the latency the server adds between a CLI's stdout line and the
//! WebSocket frame a client receives (p50/p99), and 20 sessions streaming at once on 2
//! cores with zero lost or reordered frames.
//!
//! To measure the server alone, the CLI is `benches/fixtures/stamping-cli.py`, which writes
//! the wall-clock time into every text delta as it writes the line; the client subtracts
//! it from the time it received the frame. Everything between (pipe, reader, translator,
//! session and connection actors, serialization, WebSocket over loopback) is counted.
//!
//! Writes its section of docs/benchmarks.md to `target/bench/api.md`.

// A measuring program: failing loudly on a broken setup is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_codec::Framed;
use awc::ws::{Codec, Frame, Message};
use awc::BoxedSocket;
use claude_sdk_pattern::app::{Application, Options};
use claude_sdk_pattern::config::Settings;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};

const KEY: &str = "bench-key-0123456789abcdef";
const TOKENS: usize = 200;
const SESSIONS: usize = 20;

type Ws = Framed<BoxedSocket, Codec>;

fn now_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

async fn frame(ws: &mut Ws) -> Value {
    loop {
        let item = tokio::time::timeout(Duration::from_secs(60), ws.next())
            .await
            .expect("frame within 60 s")
            .expect("open")
            .expect("frame");
        match item {
            Frame::Text(b) => return serde_json::from_slice(&b).unwrap(),
            Frame::Ping(p) => ws.send(Message::Pong(p)).await.unwrap(),
            _ => {}
        }
    }
}

/// One client: creates a session, sends a message, checks every token arrives once and in
/// order, returns the per-token latencies in µs.
async fn client(addr: std::net::SocketAddr) -> Vec<f64> {
    let (_, mut ws) = awc::Client::new()
        .ws(format!("ws://{addr}/ws/v1/chat"))
        .header("X-API-Key", KEY)
        .connect()
        .await
        .unwrap();
    ws.send(Message::Text(
        json!({"type": "create_session"}).to_string().into(),
    ))
    .await
    .unwrap();
    let id = loop {
        let f = frame(&mut ws).await;
        if f["type"] == "session_ready" {
            break f["session_id"].as_str().unwrap().to_string();
        }
        assert_ne!(f["type"], "error", "{f}");
    };
    let msg = json!({"type": "user_message", "session_id": id, "text": "go", "seq": 1});
    ws.send(Message::Text(msg.to_string().into()))
        .await
        .unwrap();
    let mut latencies = Vec::with_capacity(TOKENS);
    let mut next_index = 0usize;
    let mut last_seq = 0u64;
    loop {
        let f = frame(&mut ws).await;
        if f["session_id"] == id.as_str() {
            if let Some(seq) = f["event_seq"].as_u64() {
                assert!(seq > last_seq, "reordered: {seq} after {last_seq}");
                last_seq = seq;
            }
        }
        match f["type"].as_str() {
            Some("stream_delta") => {
                let received = now_ns();
                let text = f["text"].as_str().unwrap();
                let (index, sent) = text
                    .trim_matches(|c| c == '<' || c == '>')
                    .split_once(':')
                    .unwrap();
                assert_eq!(
                    index.parse::<usize>().unwrap(),
                    next_index,
                    "lost or reordered"
                );
                next_index += 1;
                latencies.push((received - sent.parse::<u128>().unwrap()) as f64 / 1000.0);
            }
            Some("response_complete") => break,
            Some("stream_error") | Some("error") => panic!("{f}"),
            _ => {}
        }
    }
    assert_eq!(next_index, TOKENS, "every token arrived");
    latencies
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn run() -> String {
    let dir = tempfile::tempdir().unwrap();
    let ws_dir = dir.path().join("workspace");
    std::fs::create_dir_all(&ws_dir).unwrap();
    let cli = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/fixtures/stamping-cli.py");
    let vars = [
        ("CLAUDE_SDK_PATTERN_API_KEY", KEY.to_string()),
        ("PORT", "0".into()),
        (
            "DATABASE_URL",
            dir.path().join("bench.db").to_string_lossy().into_owned(),
        ),
        ("WORKSPACE_DIR", ws_dir.to_string_lossy().into_owned()),
        ("CLAUDE_CLI_PATH", cli.to_string_lossy().into_owned()),
        ("PREWARM_POOL_SIZE", "0".into()),
        ("MAX_SESSIONS", "40".into()),
        ("ANTHROPIC_API_KEY", "sk-ant-bench".into()),
        ("LOG_LEVEL", "error".into()),
    ];
    let settings =
        Settings::from_vars(vars.iter().map(|(k, v)| (k.to_string(), v.clone()))).unwrap();
    let options = Options {
        exclusive_children: false,
        ..Options::default()
    };
    let app = Application::build_with(settings, claude_sdk_pattern::logging::discard(), options)
        .await
        .unwrap();
    let addr = app.local_addr();
    let engine = app.engine();
    actix_web::rt::spawn(app.run_until_stopped());

    // One session alone.
    let mut single = client(addr).await;
    single.sort_by(f64::total_cmp);

    // Twenty at once.
    let handles: Vec<_> = (0..SESSIONS)
        .map(|_| actix_web::rt::spawn(client(addr)))
        .collect();
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await.unwrap());
    }
    all.sort_by(f64::total_cmp);
    engine.shutdown().await;

    format!(
        "## API (WebSocket)\n\n\
         | figure | value | target |\n|---|---|---|\n\
         | added latency, CLI stdout line → WebSocket frame, one session, p50 / p99 ({TOKENS} frames) | {:.0} µs / {:.0} µs | < 1 ms / < 5 ms |\n\
         | same, {SESSIONS} sessions streaming at once, p50 / p99 ({} frames) | {:.0} µs / {:.0} µs | |\n\
         | {SESSIONS} sessions streaming at once: frames lost / reordered | 0 / 0 (checked per frame) | zero |\n\n\
         The CLI here is `benches/fixtures/stamping-cli.py`, which stamps each text delta with the time \
         it writes the line (a {TOKENS}-token reply at one token per 5 ms), so the figure is the server's \
         own path: pipe, reader, translator, session and connection actors, JSON, WebSocket over loopback, \
         client parse.\n",
        pct(&single, 0.5),
        pct(&single, 0.99),
        all.len(),
        pct(&all, 0.5),
        pct(&all, 0.99),
    )
}

fn main() {
    let report = actix_web::rt::System::new().block_on(run());
    print!("{report}");
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("api.md"), report).unwrap();
}
