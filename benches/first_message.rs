//! `make bench` — the first message of a new chat against a follow-up, in one run: for each
//! of `RUNS` sessions taken from a full pool (after the pooled process has waited
//! `POOL_WAIT`), the time from sending a message to its reply's first text, for the first
//! message and for the next one (the scripted model answers at once, so the figures are the
//! CLI's and the server's own time). Issue 13's target: first ≤ 1.5× the follow-up.
//! Writes its section of docs/benchmarks.md to `target/bench/first_message.md`.

// A measuring program: failing loudly on a broken setup is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use actix::prelude::*;
use claude_sdk_pattern::actors::Engine;
use claude_sdk_pattern::model_stub::{ModelStub, Reply, StubMode};
use claude_sdk_pattern::protocol::{EventBody, SessionEvent, Source};
use claude_sdk_pattern::users::Caller;
use tokio::sync::mpsc;

const RUNS: usize = 10;
const POOL_WAIT: Duration = Duration::from_secs(2);

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

struct Collector(mpsc::UnboundedSender<SessionEvent>);

impl Actor for Collector {
    type Context = Context<Self>;
}

impl Handler<SessionEvent> for Collector {
    type Result = ();
    fn handle(&mut self, msg: SessionEvent, _ctx: &mut Context<Self>) {
        let _ = self.0.send(msg);
    }
}

async fn app(dir: &Path, stub: &ModelStub) -> Engine {
    let settings = [
        ("PREWARM_POOL_SIZE", "1".to_string()),
        ("PREWARM_POOL_MAX", "1".to_string()),
    ];
    common::engine(dir, stub, &settings).await
}

/// Waits until the pool's process is ready, then `POOL_WAIT` more (as a user would).
async fn wait_pool(engine: &Engine) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while engine.pool_status().await.unwrap().ready == 0 {
        assert!(Instant::now() < deadline, "pool never refilled");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(POOL_WAIT).await;
}

/// Sends `text` and times it to the first text of the reply; waits for the turn's end.
async fn first_text(
    engine: &Engine,
    stub: &ModelStub,
    id: &claude_sdk_pattern::SessionId,
    rx: &mut mpsc::UnboundedReceiver<SessionEvent>,
    seq: u64,
) -> Duration {
    stub.push(Reply::text("Measured reply."));
    let t = Instant::now();
    engine
        .query(&Caller::bootstrap(), id, "hello", seq)
        .await
        .unwrap();
    let mut first = None;
    loop {
        let e = tokio::time::timeout(Duration::from_secs(60), rx.recv())
            .await
            .expect("no event within 60 s")
            .unwrap();
        if first.is_none() && matches!(e.body, EventBody::StreamDelta { .. }) {
            first = Some(t.elapsed());
        }
        if e.body.ends_turn() {
            return first.expect("a reply without text");
        }
    }
}

async fn run() -> String {
    let dir = tempfile::tempdir().unwrap();
    let stub = ModelStub::start(0, StubMode::Scripted).await.unwrap();
    let engine = app(dir.path(), &stub).await;
    let (mut at_once, mut after_refill, mut follow_ups) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..2 * RUNS {
        wait_pool(&engine).await;
        let created = engine.create_session(&Caller::bootstrap()).await.unwrap();
        assert_eq!(created.source, Source::PreWarmed);
        let id = created.session.session_id;
        let (tx, mut rx) = mpsc::unbounded_channel();
        let collector = Collector(tx).start();
        engine
            .subscribe(&Caller::bootstrap(), &id, collector.recipient(), 0)
            .await
            .unwrap();
        // Alternating: the first message sent at once (the pool's replacement CLI is
        // booting beside it), or once the pool has refilled.
        let refilled = run % 2 == 1;
        if refilled {
            wait_pool(&engine).await;
        }
        let first = first_text(&engine, &stub, &id, &mut rx, 1).await;
        if refilled {
            after_refill.push(first);
        } else {
            at_once.push(first);
        }
        follow_ups.push(first_text(&engine, &stub, &id, &mut rx, 2).await);
        engine
            .destroy_session(&Caller::bootstrap(), &id)
            .await
            .unwrap();
    }
    engine.shutdown().await;
    stub.stop().await;
    at_once.sort();
    after_refill.sort();
    follow_ups.sort();
    let follow = percentile(&follow_ups, 0.5).as_secs_f64();
    let ratio = |v: &[Duration]| percentile(v, 0.5).as_secs_f64() / follow;
    format!(
        "## First message of a new chat vs a follow-up\n\n\
         | message → first text | p50 | p95 | p50 / follow-up p50 (target ≤ 1.5×) |\n|---|---|---|---|\n\
         | first message, sent right after the create ({RUNS} runs) | {} | {} | {:.2}× |\n\
         | first message, sent once the pool has refilled ({RUNS} runs) | {} | {} | {:.2}× |\n\
         | follow-up (second message, same session; {} runs) | {} | {} | 1× |\n\n\
         Sessions taken from a full pool (`PREWARM_POOL_SIZE=1`) after its process waited {} s, \
         the two kinds alternating; in process, from `Engine::query` to the first \
         `stream_delta` event, against the scripted model (which answers at once). Right after \
         a create the pool's replacement CLI is booting (about a second of CPU) beside the \
         first turn.\n",
        ms(percentile(&at_once, 0.5)),
        ms(percentile(&at_once, 0.95)),
        ratio(&at_once),
        ms(percentile(&after_refill, 0.5)),
        ms(percentile(&after_refill, 0.95)),
        ratio(&after_refill),
        2 * RUNS,
        ms(percentile(&follow_ups, 0.5)),
        ms(percentile(&follow_ups, 0.95)),
        POOL_WAIT.as_secs(),
    )
}

fn main() {
    claude_sdk_pattern::process::become_subreaper().unwrap();
    let report = actix_web::rt::System::new().block_on(run());
    print!("{report}");
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("first_message.md"), report).unwrap();
}
