//! `make bench` — the protocol layer: spawn → initialized latency of the real CLI, and
//! stdout line parse throughput (frames + translator) over the recorded transcripts.
//!
//! Writes its section of docs/benchmarks.md to `target/bench/protocol.md`.

// A measuring program: failing loudly on a broken setup is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use claude_sdk_pattern::claude::events::Translator;
use claude_sdk_pattern::claude::frames::{parse_line, Frame};
use claude_sdk_pattern::claude::{ClaudeProcess, SessionStart, SpawnOptions};

const SPAWN_RUNS: usize = 10;
const PARSE_ROUNDS: usize = 50;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn transcript_lines() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cli-transcripts");
    let mut lines = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("fixtures")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    for f in files {
        for rec in std::fs::read_to_string(f).expect("read").lines() {
            let v: serde_json::Value = serde_json::from_str(rec).expect("json");
            if v["dir"] == "out" {
                lines.push(serde_json::to_vec(&v["data"]).expect("ser"));
            }
        }
    }
    lines
}

async fn spawn_latency(cli: PathBuf) -> Vec<Duration> {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut out = Vec::new();
    for _ in 0..SPAWN_RUNS {
        let mut o = SpawnOptions::new(
            cli.clone(),
            dir.path().to_path_buf(),
            SessionStart::New(uuid::Uuid::new_v4().to_string()),
        );
        o.env = vec![(
            "CLAUDE_CONFIG_DIR".into(),
            dir.path().join("config").to_string_lossy().into_owned(),
        )];
        o.extra_args = vec!["--setting-sources=".into()];
        let t = Instant::now();
        let started = ClaudeProcess::start(o).await.expect("CLI start");
        out.push(t.elapsed());
        started.process.stop().await;
    }
    out.sort();
    out
}

fn main() {
    let cli = std::env::var("CLAUDE_CLI_PATH")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(claude_sdk_pattern::config::LOCAL_CLI_RELATIVE)
        });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let spawn = rt.block_on(spawn_latency(cli));

    let lines = transcript_lines();
    let bytes: usize = lines.iter().map(Vec::len).sum();
    let mut events = Vec::new();
    let t = Instant::now();
    for _ in 0..PARSE_ROUNDS {
        let mut tr = Translator::new();
        for l in &lines {
            match parse_line(l) {
                Ok(Frame::ControlResponse { .. } | Frame::ControlRequest { .. }) => {}
                Ok(frame) => tr.translate(frame, &mut events),
                Err(e) => panic!("{e}"),
            }
            events.clear();
        }
    }
    let parse = t.elapsed();
    let n = (lines.len() * PARSE_ROUNDS) as f64;
    let per_line_us = parse.as_secs_f64() * 1e6 / n;
    let lines_per_s = n / parse.as_secs_f64();
    let mb_per_s = (bytes * PARSE_ROUNDS) as f64 / parse.as_secs_f64() / 1e6;

    let report = format!(
        "## Protocol layer\n\n\
         | figure | value |\n|---|---|\n\
         | CLI spawn → `initialize` answered, median of {SPAWN_RUNS} | {} |\n\
         | … min / p90 / max | {} / {} / {} |\n\
         | stdout line parse + translate, per line | {per_line_us:.1} µs |\n\
         | … throughput | {lines_per_s:.0} lines/s, {mb_per_s:.0} MB/s |\n\n\
         Parse input: the {} recorded stdout frames of `tests/fixtures/cli-transcripts/` \
         ({:.1} MB), {PARSE_ROUNDS} rounds.\n",
        ms(percentile(&spawn, 0.5)),
        ms(spawn[0]),
        ms(percentile(&spawn, 0.9)),
        ms(spawn[spawn.len() - 1]),
        lines.len(),
        bytes as f64 / 1e6,
    );
    print!("{report}");
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&out).expect("mkdir");
    std::fs::write(out.join("protocol.md"), report).expect("write");
}
