//! `make bench` — our long-lived session against the spawn-per-message way, in one run:
//! the Agent SDK's `query()` starts a fresh CLI for every message, resuming the
//! conversation with `--resume` (the peer web UIs do the same). Same CLI, same flags, same
//! scripted model; the two alternate conversation by conversation, `RUNS` each, every
//! conversation a first message and `FOLLOW_UPS` follow-ups, each timed from "send" to the
//! reply's first text and to its end. Writes `target/bench/spawn_per_message.md`.

// A measuring program: failing loudly on a broken setup is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use actix::prelude::*;
use claude_sdk_pattern::actors::Engine;
use claude_sdk_pattern::claude::{ClaudeProcess, CliEvent, SessionStart, SpawnOptions};
use claude_sdk_pattern::model_stub::{ModelStub, Reply, StubMode};
use claude_sdk_pattern::protocol::{EventBody, SessionEvent};
use claude_sdk_pattern::users::Caller;
use tokio::sync::mpsc;

const RUNS: usize = 10;
const FOLLOW_UPS: usize = 2;
const TURN: Duration = Duration::from_secs(90);

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

/// Message → first text and → end of the reply.
#[derive(Default)]
struct Timings {
    first: Vec<Duration>,
    done: Vec<Duration>,
}

impl Timings {
    fn push(&mut self, (first, done): (Duration, Duration)) {
        self.first.push(first);
        self.done.push(done);
    }

    fn cell(&mut self) -> (String, String) {
        self.first.sort();
        self.done.sort();
        let f =
            |v: &[Duration]| format!("{} / {}", ms(percentile(v, 0.5)), ms(percentile(v, 0.95)));
        (f(&self.first), f(&self.done))
    }
}

/// One message of a session of ours: `Engine::query` → first `stream_delta`, → turn end.
async fn ours_message(
    engine: &Engine,
    stub: &ModelStub,
    id: &claude_sdk_pattern::SessionId,
    rx: &mut mpsc::UnboundedReceiver<SessionEvent>,
    seq: u64,
) -> (Duration, Duration) {
    stub.push(Reply::text("Measured reply, a few words long."));
    let t = Instant::now();
    engine
        .query(&Caller::bootstrap(), id, "hello", seq)
        .await
        .unwrap();
    let mut first = None;
    loop {
        let e = tokio::time::timeout(TURN, rx.recv())
            .await
            .unwrap()
            .unwrap();
        if first.is_none() && matches!(e.body, EventBody::StreamDelta { .. }) {
            first = Some(t.elapsed());
        }
        if e.body.ends_turn() {
            return (first.expect("a reply without text"), t.elapsed());
        }
    }
}

/// One message the spawn-per-message way: spawn (new, or `--resume`), initialize, send,
/// read to the result, stop. Timed from before the spawn.
async fn spawned_message(
    options: &dyn Fn(SessionStart) -> SpawnOptions,
    stub: &ModelStub,
    start: SessionStart,
) -> (Duration, Duration) {
    stub.push(Reply::text("Measured reply, a few words long."));
    let t = Instant::now();
    let mut started = ClaudeProcess::start(options(start)).await.unwrap();
    started.process.send_user_message("hello").await.unwrap();
    let mut first = None;
    let timing = loop {
        let e = tokio::time::timeout(TURN, started.events.recv())
            .await
            .unwrap()
            .expect("the CLI ended mid-turn");
        match e {
            CliEvent::TextDelta { .. } if first.is_none() => first = Some(t.elapsed()),
            CliEvent::TurnResult(_) => break (first.expect("a reply without text"), t.elapsed()),
            _ => {}
        }
    };
    started.process.stop().await;
    timing
}

async fn run() -> String {
    let dir = tempfile::tempdir().unwrap();
    let stub = ModelStub::start(0, StubMode::Scripted).await.unwrap();
    let engine = common::engine(&dir.path().join("ours"), &stub, &[]).await;
    let spawned_dir = dir.path().join("spawned");
    let workspace = spawned_dir.join("workspace");
    std::fs::create_dir_all(&workspace).unwrap();
    let cli =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(claude_sdk_pattern::config::LOCAL_CLI_RELATIVE);
    let (config_dir, url) = (spawned_dir.join("cli"), stub.url());
    let options = move |start: SessionStart| {
        let mut o = SpawnOptions::new(cli.clone(), workspace.clone(), start);
        o.env = vec![
            ("CLAUDE_CONFIG_DIR".into(), config_dir.display().to_string()),
            ("ANTHROPIC_BASE_URL".into(), url.clone()),
            ("ANTHROPIC_API_KEY".into(), "sk-ant-bench".into()),
        ];
        o.extra_args = vec!["--setting-sources=".into()];
        o
    };
    let load_before = common::load_average();
    let (mut ours_first, mut ours_next) = (Timings::default(), Timings::default());
    let (mut spawn_first, mut spawn_next) = (Timings::default(), Timings::default());
    for _ in 0..RUNS {
        // Ours: a session from the pool, the first message sent at once.
        let created = engine.create_session(&Caller::bootstrap()).await.unwrap();
        let id = created.session.session_id;
        let (tx, mut rx) = mpsc::unbounded_channel();
        let collector = Collector(tx).start();
        engine
            .subscribe(&Caller::bootstrap(), &id, collector.recipient(), 0)
            .await
            .unwrap();
        ours_first.push(ours_message(&engine, &stub, &id, &mut rx, 1).await);
        for n in 0..FOLLOW_UPS {
            ours_next.push(ours_message(&engine, &stub, &id, &mut rx, 2 + n as u64).await);
        }
        engine
            .destroy_session(&Caller::bootstrap(), &id)
            .await
            .unwrap();
        // Spawn per message: a new conversation, then `--resume` for each follow-up.
        let conversation = uuid::Uuid::new_v4().to_string();
        spawn_first
            .push(spawned_message(&options, &stub, SessionStart::New(conversation.clone())).await);
        for _ in 0..FOLLOW_UPS {
            spawn_next.push(
                spawned_message(&options, &stub, SessionStart::Resume(conversation.clone())).await,
            );
        }
    }
    let load_after = common::load_average();
    engine.shutdown().await;
    stub.stop().await;
    let (of, od) = ours_first.cell();
    let (on, ond) = ours_next.cell();
    let (sf, sd) = spawn_first.cell();
    let (sn, snd) = spawn_next.cell();
    format!(
        "## Long-lived session vs a CLI spawned per message\n\n\
         | message → | first text, p50 / p95 | reply complete, p50 / p95 |\n|---|---|---|\n\
         | ours: first message of a new chat ({RUNS}) | {of} | {od} |\n\
         | ours: follow-up ({}) | {on} | {ond} |\n\
         | spawned per message: first message ({RUNS}) | {sf} | {sd} |\n\
         | spawned per message: follow-up, `--resume` ({}) | {sn} | {snd} |\n\n\
         One run, the two ways alternating conversation by conversation ({RUNS} each: a first \
         message and {FOLLOW_UPS} follow-ups), same CLI and flags, same scripted model (a \
         one-line reply, sent at once). Ours: a session from the default pool \
         (`PREWARM_POOL_SIZE=2`, warmed up), from `Engine::query` to the first \
         `stream_delta` and to the turn's end. Spawned per message (what the Agent SDK's \
         `query()` does): from before the spawn of a fresh CLI (`--session-id` for the first \
         message, `--resume` after) through `initialize` and the message to the first text \
         delta and the result; the process is stopped after each reply. Load average (1 min) \
         {load_before:.1} before, {load_after:.1} after.\n",
        RUNS * FOLLOW_UPS,
        RUNS * FOLLOW_UPS,
    )
}

fn main() {
    claude_sdk_pattern::process::become_subreaper().unwrap();
    let report = actix_web::rt::System::new().block_on(run());
    print!("{report}");
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("spawn_per_message.md"), report).unwrap();
}
