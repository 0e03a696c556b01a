//! `make bench` — the first message of a new chat against a follow-up, in one run: for
//! sessions taken from a full pool (after the pooled process has waited `POOL_WAIT`), the
//! time from sending a message to its reply's first text, for the first message and for
//! the next one (the scripted model answers at once, so the figures are the CLI's and the
//! server's own time). Issue 13's target: first ≤ 1.5× the follow-up.
//!
//! Two servers side by side, their runs alternating, one per warm-up mode of the pooled
//! processes: `PREWARM_WARM_UP=full` and `summary` (the default). The first message is
//! sent either right after the create (the pool's refill is held back until its first
//! reply) or once the pool has refilled; follow-ups are sent with both pools full.
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

/// Runs per server and kind of first message.
const RUNS: usize = 8;
const POOL_WAIT: Duration = Duration::from_secs(1);

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

pub struct Collector(pub mpsc::UnboundedSender<SessionEvent>);

impl Actor for Collector {
    type Context = Context<Self>;
}

impl Handler<SessionEvent> for Collector {
    type Result = ();
    fn handle(&mut self, msg: SessionEvent, _ctx: &mut Context<Self>) {
        let _ = self.0.send(msg);
    }
}

async fn app(dir: &Path, stub: &ModelStub, warm_up: &str) -> Engine {
    let settings = [
        ("PREWARM_POOL_SIZE", "1".to_string()),
        ("PREWARM_POOL_MAX", "1".to_string()),
        ("PREWARM_WARM_UP", warm_up.to_string()),
    ];
    common::engine(dir, stub, &settings).await
}

/// Waits until every pool is ready and settled (nothing spawning), then `extra`.
async fn wait_pools(engines: &[&Engine], extra: Duration) {
    let deadline = Instant::now() + Duration::from_secs(120);
    for engine in engines {
        loop {
            let s = engine.pool_status().await.unwrap();
            if s.ready >= 1 && s.filling == 0 {
                break;
            }
            assert!(Instant::now() < deadline, "pool never refilled");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    tokio::time::sleep(extra).await;
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

#[derive(Default)]
struct Figures {
    at_once: Vec<Duration>,
    after_refill: Vec<Duration>,
    follow_ups: Vec<Duration>,
}

impl Figures {
    fn rows(&mut self, label: &str) -> String {
        self.at_once.sort();
        self.after_refill.sort();
        self.follow_ups.sort();
        let follow = |p| percentile(&self.follow_ups, p).as_secs_f64();
        let (f50, f95) = (follow(0.5), follow(0.95));
        let row = |what: &str, v: &[Duration], ratio: bool| {
            format!(
                "| {label}: {what} ({} runs) | {} | {} | {} |\n",
                v.len(),
                ms(percentile(v, 0.5)),
                ms(percentile(v, 0.95)),
                if ratio {
                    format!(
                        "{:.2}× / {:.2}×",
                        percentile(v, 0.5).as_secs_f64() / f50,
                        percentile(v, 0.95).as_secs_f64() / f95
                    )
                } else {
                    "1× / 1×".to_string()
                }
            )
        };
        row(
            "first message, sent right after the create",
            &self.at_once,
            true,
        ) + &row(
            "first message, sent once the pool has refilled",
            &self.after_refill,
            true,
        ) + &row("follow-up (second message)", &self.follow_ups, false)
    }
}

/// One session of `engine`: its first message (at once, or once the pools are full) and a
/// follow-up with the pools full.
async fn one_run(
    engines: &[&Engine],
    engine: &Engine,
    stub: &ModelStub,
    refilled: bool,
    f: &mut Figures,
) {
    wait_pools(engines, POOL_WAIT).await;
    let created = engine.create_session(&Caller::bootstrap()).await.unwrap();
    assert_eq!(created.source, Source::PreWarmed);
    let id = created.session.session_id;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let collector = Collector(tx).start();
    engine
        .subscribe(&Caller::bootstrap(), &id, collector.recipient(), 0)
        .await
        .unwrap();
    if refilled {
        wait_pools(engines, Duration::ZERO).await;
    }
    let first = first_text(engine, stub, &id, &mut rx, 1).await;
    if refilled {
        f.after_refill.push(first);
    } else {
        f.at_once.push(first);
    }
    wait_pools(engines, Duration::ZERO).await;
    f.follow_ups
        .push(first_text(engine, stub, &id, &mut rx, 2).await);
    engine
        .destroy_session(&Caller::bootstrap(), &id)
        .await
        .unwrap();
}

async fn run() -> String {
    let (dir_full, dir_summary) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let stub = ModelStub::start(0, StubMode::Scripted).await.unwrap();
    let full = app(dir_full.path(), &stub, "full").await;
    let summary = app(dir_summary.path(), &stub, "summary").await;
    let load_before = common::load_average();
    let (mut ff, mut fs) = (Figures::default(), Figures::default());
    let both = [&full, &summary];
    for run in 0..2 * RUNS {
        let refilled = run % 2 == 1;
        one_run(&both, &full, &stub, refilled, &mut ff).await;
        one_run(&both, &summary, &stub, refilled, &mut fs).await;
    }
    let load_after = common::load_average();
    full.shutdown().await;
    summary.shutdown().await;
    stub.stop().await;
    format!(
        "## First message of a new chat vs a follow-up\n\n\
         | message → first text | p50 | p95 | ratio to the follow-up, p50 / p95 (target ≤ 1.5×) |\n|---|---|---|---|\n\
         {}{}\n\
         Two servers in one run, their sessions alternating (and the two kinds of first \
         message alternating): pooled processes warmed up with `get_context_usage` of \
         `full` detail (`PREWARM_WARM_UP=full`: about 27 `count_tokens` calls per pooled \
         process, which the API does not bill) or `summary` (the default: a local estimate, \
         no request). Sessions taken from a full \
         pool (`PREWARM_POOL_SIZE=1`) after its process waited {} s; in process, from \
         `Engine::query` to the first `stream_delta` event, against the scripted model \
         (which answers at once). Right after a create, the pool holds its refill back until \
         the taken process's first reply (at most 2 s), so the replacement CLI does not \
         boot beside the first turn; follow-ups are sent with both pools full. Load average \
         (1 min) {load_before:.1} before, {load_after:.1} after.\n",
        ff.rows("`full`"),
        fs.rows("`summary`"),
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
