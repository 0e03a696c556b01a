//! `make bench` — the API: the latency the server adds between a CLI's stdout line and the
//! WebSocket frame a client receives (p50/p99), for one session, for 20 sessions streaming
//! at once while 50 are live, and for 50 streaming at once, with zero lost or reordered
//! frames.
//!
//! To measure the server alone, the CLI is `benches/fixtures/stamping-cli.py`, which writes
//! the wall-clock time into every text delta as it writes the line; the client subtracts
//! it from the time the frame arrived, taken as soon as the WebSocket codec hands the
//! frame over (before the JSON is parsed). Everything between (pipe, reader, translator,
//! session and connection actors, serialization, WebSocket over loopback) is counted.
//!
//! The clients run on threads and runtimes of their own ([`CLIENT_THREADS`]), never on the
//! server's: the server's actors live on the main thread's runtime (as in the real server),
//! so clients there would queue behind the actors' work and the other way round, and the
//! tail would measure the bench.
//!
//! Writes its section of docs/benchmarks.md to `target/bench/api.md`.

// A measuring program: failing loudly on a broken setup is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_codec::Framed;
use awc::ws::{Codec, Frame, Message};
use awc::BoxedSocket;
use claude_sdk_pattern::app::{Application, Options};
use claude_sdk_pattern::config::Settings;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::Barrier;

const KEY: &str = "bench-key-0123456789abcdef";
const TOKENS: usize = 200;
/// Sessions streaming at once, as issue 13 asks: 20 of 50 live.
const STREAMING: usize = 20;
const LIVE: usize = 50;
/// Threads (each with its own runtime) the clients are spread over.
const CLIENT_THREADS: usize = 2;

type Ws = Framed<BoxedSocket, Codec>;

fn now_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// The next text frame, with the time it arrived (taken before parsing it).
async fn frame(ws: &mut Ws) -> (Value, u128) {
    loop {
        let item = tokio::time::timeout(Duration::from_secs(120), ws.next())
            .await
            .expect("frame within 120 s")
            .expect("open")
            .expect("frame");
        let received = now_ns();
        match item {
            Frame::Text(b) => return (serde_json::from_slice(&b).unwrap(), received),
            Frame::Ping(p) => ws.send(Message::Pong(p)).await.unwrap(),
            _ => {}
        }
    }
}

/// Keeps the connection alive until `until` resolves: answers the server's pings and
/// sends its own every 2 s (the server closes a connection it has not heard from for 10 s;
/// on a loaded machine a pong can come late while 50 sessions start).
async fn idle_until<T>(ws: &mut Ws, until: impl std::future::Future<Output = T>) {
    tokio::pin!(until);
    let mut keep_alive = tokio::time::interval(Duration::from_secs(2));
    loop {
        tokio::select! {
            _ = &mut until => return,
            _ = keep_alive.tick() => ws.send(Message::Ping(Default::default())).await.unwrap(),
            item = ws.next() => match item {
                Some(Ok(Frame::Ping(p))) => ws.send(Message::Pong(p)).await.unwrap(),
                Some(Ok(Frame::Close(why))) => panic!("closed while idle: {why:?}"),
                Some(Ok(_)) => {}
                other => panic!("connection ended while idle: {other:?}"),
            },
        }
    }
}

/// Ends the session (the next case needs the live-session quota back).
async fn destroy(ws: &mut Ws, id: &str) {
    let msg = json!({"type": "destroy_session", "session_id": id});
    ws.send(Message::Text(msg.to_string().into()))
        .await
        .unwrap();
    loop {
        let (f, _) = frame(ws).await;
        if f["type"] == "session_terminated" && f["session_id"] == id {
            return;
        }
    }
}

/// One client: creates a session and waits at `ready` until every client has one. Then a
/// streaming client sends a message, checks every token arrives once and in order, and
/// returns the per-token latencies in µs; one that does not stream keeps its session live
/// and its connection open (answering pings). All leave through `finished` together and
/// end their sessions.
async fn client(
    addr: SocketAddr,
    streams: bool,
    ready: Arc<Barrier>,
    finished: Arc<Barrier>,
) -> Vec<f64> {
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
        let (f, _) = frame(&mut ws).await;
        if f["type"] == "session_ready" {
            break f["session_id"].as_str().unwrap().to_string();
        }
        assert_ne!(f["type"], "error", "{f}");
    };
    idle_until(&mut ws, ready.wait()).await;
    if !streams {
        idle_until(&mut ws, finished.wait()).await;
        destroy(&mut ws, &id).await;
        return Vec::new();
    }
    let msg = json!({"type": "user_message", "session_id": id, "text": "go", "seq": 1});
    ws.send(Message::Text(msg.to_string().into()))
        .await
        .unwrap();
    let mut latencies = Vec::with_capacity(TOKENS);
    let mut next_index = 0usize;
    let mut last_seq = 0u64;
    loop {
        let (f, received) = frame(&mut ws).await;
        if f["session_id"] == id.as_str() {
            if let Some(seq) = f["event_seq"].as_u64() {
                assert!(seq > last_seq, "reordered: {seq} after {last_seq}");
                last_seq = seq;
            }
        }
        match f["type"].as_str() {
            Some("stream_delta") => {
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
    idle_until(&mut ws, finished.wait()).await;
    destroy(&mut ws, &id).await;
    latencies
}

/// Runs `live` clients, `streaming` of which stream, spread over [`CLIENT_THREADS`]
/// threads with a runtime each; returns every latency, sorted.
fn clients(addr: SocketAddr, live: usize, streaming: usize) -> Vec<f64> {
    let (ready, finished) = (Arc::new(Barrier::new(live)), Arc::new(Barrier::new(live)));
    let threads: Vec<_> = (0..CLIENT_THREADS.min(live))
        .map(|t| {
            let (ready, finished) = (ready.clone(), finished.clone());
            std::thread::spawn(move || {
                actix_web::rt::System::new().block_on(async move {
                    let mine: Vec<_> = (t..live)
                        .step_by(CLIENT_THREADS)
                        .map(|i| {
                            let c = client(addr, i < streaming, ready.clone(), finished.clone());
                            actix_web::rt::spawn(c)
                        })
                        .collect();
                    let mut all = Vec::new();
                    for h in mine {
                        all.extend(h.await.unwrap());
                    }
                    all
                })
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in threads {
        all.extend(t.join().unwrap());
    }
    all.sort_by(f64::total_cmp);
    all
}

/// The 1-minute load average, to state beside the figures on a shared machine.
fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN)
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Runs `f` off the server's runtime (the clients block their thread until done).
async fn off_runtime<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
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
        ("MAX_SESSIONS", (2 * LIVE + 10).to_string()),
        ("MAX_SESSIONS_PER_USER", (2 * LIVE + 10).to_string()),
        ("ANTHROPIC_API_KEY", "sk-ant-bench".into()),
        ("LOG_LEVEL", "error".into()),
        // 50 creates at once are each counted at the default estimate (200 MiB) until the
        // monitor samples the stamping CLIs (14 MiB): the default budget (a share of the
        // machine) refused two of them on a 24 GiB machine. This bench measures the relay.
        ("MEMORY_BUDGET_MB", (64 * 1024).to_string()),
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

    let load_before = load_average();
    let single = off_runtime(move || clients(addr, 1, 1)).await;
    let twenty = off_runtime(move || clients(addr, LIVE, STREAMING)).await;
    let fifty = off_runtime(move || clients(addr, LIVE, LIVE)).await;
    let load_after = load_average();
    engine.shutdown().await;

    let row = |what: &str, v: &[f64]| {
        format!(
            "| {what}, p50 / p99 ({} frames) | {:.0} µs / {:.0} µs |",
            v.len(),
            pct(v, 0.5),
            pct(v, 0.99)
        )
    };
    format!(
        "## API (WebSocket)\n\n\
         | figure | value | target |\n|---|---|---|\n\
         {} < 1 ms / < 5 ms |\n\
         {} < 5 ms (p99) |\n\
         {} |\n\
         | streaming at once: frames lost / reordered | 0 / 0 (checked per frame) | zero |\n\n\
         The CLI here is `benches/fixtures/stamping-cli.py`, which stamps each text delta with the time \
         it writes the line (a {TOKENS}-token reply at one token per 5 ms), so the figure is the server's \
         own path: pipe, reader, translator, session and connection actors, JSON, WebSocket over loopback. \
         The client takes its time as the WebSocket codec hands it the frame, before parsing it; the \
         clients run on {CLIENT_THREADS} threads with a runtime each, apart from the server's. \
         Load average (1 min) {load_before:.1} before, {load_after:.1} after.\n",
        row("added latency, CLI stdout line → WebSocket frame, one session", &single),
        row(
            &format!("same, {STREAMING} sessions streaming at once of {LIVE} live"),
            &twenty
        ),
        row(&format!("same, all {LIVE} streaming at once"), &fifty),
    )
}

fn main() {
    // A client that fails (a refused create, a lost frame) panics in its task; the others
    // would then wait at their barrier for ever. The whole bench fails at once instead.
    let report_panic = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        report_panic(info);
        std::process::exit(101);
    }));
    let report = actix_web::rt::System::new().block_on(run());
    print!("{report}");
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("api.md"), report).unwrap();
}
