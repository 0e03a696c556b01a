//! `make bench` — a burst of 20 `create_session` at once: time to ready, p50 / p95, with
//! a fixed pool (`PREWARM_POOL_MAX` = `PREWARM_POOL_SIZE` = 2) and with the adaptive pool
//! (default size 2, grows toward recent demand up to `PREWARM_POOL_MAX`), in one run.
//!
//! Each server sees two bursts: the first (the pool at its start-up size) teaches the
//! adaptive pool the demand; once the pool has refilled, the second burst is measured.
//! Then worktree sessions (issue 17) created one at a time: from a pool that keeps one
//! ready in a worktree made ahead, and with no pool (each create makes its worktree and
//! spawns). Writes its section of docs/benchmarks.md to `target/bench/pool.md`.

// A measuring program: failing loudly on a broken setup is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use claude_sdk_pattern::actors::Engine;
use claude_sdk_pattern::model_stub::{ModelStub, StubMode};
use claude_sdk_pattern::protocol::Source;
use claude_sdk_pattern::users::Caller;

const BURST: usize = 20;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

async fn app(dir: &Path, stub: &ModelStub, max: Option<usize>) -> Engine {
    let mut settings = vec![("MAX_SESSIONS", "50".to_string())];
    if let Some(max) = max {
        settings.push(("PREWARM_POOL_MAX", max.to_string()));
    }
    common::engine(dir, stub, &settings).await
}

/// Waits until the pool holds its current target (bounded).
async fn wait_pool_full(engine: &Engine) -> usize {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let s = engine.pool_status().await.unwrap();
        if s.ready >= s.size {
            return s.size;
        }
        assert!(Instant::now() < deadline, "pool never refilled");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

struct Burst {
    sorted: Vec<Duration>,
    pre_warmed: usize,
}

/// `BURST` creates at once; each one's time to ready. Every session is destroyed after.
async fn burst(engine: &Engine) -> Burst {
    let creates = (0..BURST).map(|_| async {
        let t = Instant::now();
        let created = engine.create_session(&Caller::bootstrap()).await.unwrap();
        (t.elapsed(), created)
    });
    let results = futures_util::future::join_all(creates).await;
    let mut sorted: Vec<Duration> = results.iter().map(|(d, _)| *d).collect();
    sorted.sort();
    let pre_warmed = results
        .iter()
        .filter(|(_, c)| c.source == Source::PreWarmed)
        .count();
    for (_, c) in results {
        engine
            .destroy_session(&Caller::bootstrap(), &c.session.session_id)
            .await
            .unwrap();
    }
    Burst { sorted, pre_warmed }
}

struct Row {
    name: String,
    pool_before: usize,
    first: Burst,
    pool_after: usize,
    second: Burst,
}

async fn measure(dir: &Path, stub: &ModelStub, name: &str, max: Option<usize>) -> Row {
    let engine = app(dir, stub, max).await;
    let pool_before = wait_pool_full(&engine).await;
    let first = burst(&engine).await;
    let pool_after = wait_pool_full(&engine).await;
    let second = burst(&engine).await;
    engine.shutdown().await;
    Row {
        name: name.to_string(),
        pool_before,
        first,
        pool_after,
        second,
    }
}

/// Creates of worktree sessions in a git repository, one at a time, each destroyed after:
/// with `pool` (waiting before each until the pool holds a worktree process), or with no
/// pool. The project's first create, which starts its worktree pool, is not counted.
async fn worktree_creates(dir: &Path, stub: &ModelStub, pool: bool) -> Vec<Duration> {
    use claude_sdk_pattern::actors::placing::Placement;
    use claude_sdk_pattern::actors::pool::ReadyIn;
    use claude_sdk_pattern::workspace::{Isolation, Project};
    let workspace = dir.join("workspace");
    std::fs::create_dir_all(&workspace).unwrap();
    for args in [
        &["init", "-q"][..],
        &[
            "-c",
            "user.name=b",
            "-c",
            "user.email=b@b",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "init",
        ],
    ] {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(&workspace)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success());
    }
    let size = if pool { "1" } else { "0" };
    let settings = [
        ("PREWARM_POOL_SIZE", size.to_string()),
        ("PREWARM_POOL_MAX", if pool { "2" } else { "0" }.to_string()),
    ];
    let engine = common::engine(dir, stub, &settings).await;
    let project = Project {
        name: "workspace".into(),
        dir: std::fs::canonicalize(&workspace).unwrap(),
    };
    let mut times = Vec::new();
    for run in 0..=WORKTREE_RUNS {
        if pool {
            let deadline = Instant::now() + Duration::from_secs(120);
            while run > 0
                && engine
                    .pool
                    .send(ReadyIn {
                        dir: Some(project.dir.clone()),
                        isolation: Isolation::Worktree,
                    })
                    .await
                    .unwrap()
                    == 0
            {
                assert!(
                    Instant::now() < deadline,
                    "the worktree pool never refilled"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        let placement = Placement {
            project: project.clone(),
            isolation: Isolation::Worktree,
        };
        let t = Instant::now();
        let created = engine
            .create_session_in(&Caller::bootstrap(), Default::default(), Some(placement))
            .await
            .unwrap();
        let took = t.elapsed();
        if run > 0 {
            let expected = if pool {
                Source::PreWarmed
            } else {
                Source::Cold
            };
            assert_eq!(created.source, expected);
            times.push(took);
        }
        engine
            .destroy_session(&Caller::bootstrap(), &created.session.session_id)
            .await
            .unwrap();
    }
    engine.shutdown().await;
    times.sort();
    times
}

/// Worktree creates measured per kind.
const WORKTREE_RUNS: usize = 6;

async fn run() -> String {
    let dir = tempfile::tempdir().unwrap();
    let stub = ModelStub::start(0, StubMode::Scripted).await.unwrap();
    let default_max = claude_sdk_pattern::config::DEFAULT_PREWARM_POOL_MAX;
    let rows = vec![
        measure(
            &dir.path().join("fixed"),
            &stub,
            "fixed pool (size 2, max 2)",
            Some(2),
        )
        .await,
        measure(
            &dir.path().join("adaptive"),
            &stub,
            &format!("adaptive pool, defaults (size 2, max {default_max})"),
            None,
        )
        .await,
        measure(
            &dir.path().join("adaptive20"),
            &stub,
            "adaptive pool (size 2, max 20)",
            Some(20),
        )
        .await,
    ];
    let pooled = worktree_creates(&dir.path().join("wt-pool"), &stub, true).await;
    let cold = worktree_creates(&dir.path().join("wt-cold"), &stub, false).await;
    stub.stop().await;
    let mut out = format!(
        "## Pool: a burst of {BURST} creates\n\n\
         | pool | first burst: pool, pre-warmed, p50 / p95 | second burst: pool, pre-warmed, p50 / p95 |\n\
         |---|---|---|\n"
    );
    for r in &rows {
        out.push_str(&format!(
            "| {} | {}, {}, {} / {} | {}, {}, {} / {} |\n",
            r.name,
            r.pool_before,
            r.first.pre_warmed,
            ms(percentile(&r.first.sorted, 0.5)),
            ms(percentile(&r.first.sorted, 0.95)),
            r.pool_after,
            r.second.pre_warmed,
            ms(percentile(&r.second.sorted, 0.5)),
            ms(percentile(&r.second.sorted, 0.95)),
        ));
    }
    out.push_str(&format!(
        "\n{BURST} `create_session` calls at once, in process, each timed from the call until \
         the session is ready (pre-warmed, or a cold spawn of the CLI: on this machine's 2 cores \
         cold spawns queue behind each other). \"pool\" is the pool's target when the burst \
         starts (after a full refill); the first burst teaches the adaptive pool the demand \
         (the largest burst within {} s over the last {} min), the second is the one to \
         compare. Each pooled CLI holds ~160 MB, so `PREWARM_POOL_MAX` trades memory (bounded by \
         `MEMORY_BUDGET_MB`) for bursts.\n",
        claude_sdk_pattern::actors::pool_demand::BURST_WINDOW.as_secs(),
        claude_sdk_pattern::actors::pool_demand::DEMAND_MEMORY.as_secs() / 60,
    ));
    out.push_str(&format!(
        "\n| worktree session (`isolation: \"worktree\"`), created alone | p50 | p95 |\n|---|---|---|\n\
         | from the pool (its worktree and branch made ahead) | {} | {} |\n\
         | no pool (worktree made, then a cold spawn) | {} | {} |\n\
         \n{WORKTREE_RUNS} creates each, one at a time (each session destroyed after, the pool \
         refilled before the next), in a git repository with one commit.\n",
        ms(percentile(&pooled, 0.5)),
        ms(percentile(&pooled, 0.95)),
        ms(percentile(&cold, 0.5)),
        ms(percentile(&cold, 0.95)),
    ));
    out
}

fn main() {
    claude_sdk_pattern::process::become_subreaper().unwrap();
    let report = actix_web::rt::System::new().block_on(run());
    print!("{report}");
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("pool.md"), report).unwrap();
}
