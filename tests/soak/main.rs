//! `make soak`: sessions holding conversations with the real CLI through the real server
//! binary over real WebSockets, against the model stub, while faults are injected at
//! random; then the invariants (docs/benchmarks.md, "Soak and chaos").
//!
//! Skipped unless `SOAK_MINUTES` is set. `SOAK_SESSIONS` (default 30), `SOAK_SEED` (printed;
//! the same seed draws the same faults), `SOAK_BUDGET_MB`, `SOAK_SESSION_RSS_MB`; to chase
//! one fault down, `SOAK_ONLY=hang,sigkill` (draw only those) and `SOAK_TRACE=1` (print
//! every frame).
//! Everything it starts is ended by PID at the end, also when it fails.

// A test harness: panicking on a failed setup step is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;

mod checks;
mod model;
mod procs;
mod report;
mod rng;
mod server;
mod session;
mod ws;

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use claude_sdk_pattern::model_stub::{ModelStub, StubMode};
use tokio::sync::watch;
use tokio::time::Instant;

use checks::{Invariant, Sample};

#[derive(Debug, Clone)]
pub struct Config {
    pub minutes: f64,
    pub sessions: usize,
    pub seed: u64,
    pub budget_mb: u64,
    pub session_rss_mb: u64,
    pub hog_mb: u64,
}

impl Config {
    fn from_env() -> Option<Config> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let minutes: f64 = var("SOAK_MINUTES")?.parse().expect("SOAK_MINUTES: minutes");
        let sessions: usize =
            var("SOAK_SESSIONS").map_or(30, |v| v.parse().expect("SOAK_SESSIONS"));
        let seed = var("SOAK_SEED").map_or_else(
            || {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
            },
            |v| v.parse().expect("SOAK_SEED"),
        );
        // About 60 % of the sessions fit at once (~220 MB per CLI tree): the budget keeps
        // suspending idle ones and waking them again.
        let budget_mb = var("SOAK_BUDGET_MB")
            .map_or(((sessions as f64 * 0.6 + 2.0) * 220.0) as u64, |v| {
                v.parse().expect("SOAK_BUDGET_MB")
            });
        let session_rss_mb =
            var("SOAK_SESSION_RSS_MB").map_or(450, |v| v.parse().expect("SOAK_SESSION_RSS_MB"));
        Some(Config {
            minutes,
            sessions,
            seed,
            budget_mb,
            session_rss_mb,
            hog_mb: session_rss_mb + 150,
        })
    }
}

#[derive(Debug, Clone)]
pub struct ServerInfo {
    /// 1 for the first server process, 2 after the restart.
    pub gen: u64,
    pub addr: SocketAddr,
    pub pid: i32,
}

/// What the users share: the current server, the end time, the counters.
pub struct Ctx {
    pub server: watch::Receiver<Option<ServerInfo>>,
    pub end: Instant,
    /// `SOAK_TRACE=1`: print every frame the users read.
    pub trace: bool,
    /// `SOAK_ONLY=hang,sigkill`: draw only these faults (to chase one down).
    pub only: Vec<model::Fault>,
    counts: RefCell<BTreeMap<(String, String), u64>>,
    hog: Cell<bool>,
    created: watch::Sender<usize>,
}

impl Ctx {
    pub fn count(&self, group: &str, name: &str) {
        *self
            .counts
            .borrow_mut()
            .entry((group.to_string(), name.to_string()))
            .or_default() += 1;
    }

    pub fn take_hog(&self) -> bool {
        !self.hog.replace(true)
    }

    pub fn hog_done(&self) {
        self.hog.set(false);
    }

    pub fn created(&self) {
        self.created.send_modify(|n| *n += 1);
    }
}

fn main() {
    let Some(cfg) = Config::from_env() else {
        println!("soak: skipped (set SOAK_MINUTES to run it; `make soak` does)");
        return;
    };
    println!(
        "soak: {} minutes, {} sessions, seed {} (SOAK_SEED={} replays the draws), memory budget {} MB, session limit {} MB",
        cfg.minutes, cfg.sessions, cfg.seed, cfg.seed, cfg.budget_mb, cfg.session_rss_mb
    );
    let result = actix_web::rt::System::new().block_on(run(cfg.clone()));
    let text = report::render(&cfg, &result);
    println!("{text}");
    report::write(&text);
    if !result.passed() {
        eprintln!("soak: FAILED (seed {})", cfg.seed);
        std::process::exit(1);
    }
    println!("soak: passed");
}

/// Everything measured and checked.
pub struct Outcome {
    pub counts: BTreeMap<(String, String), u64>,
    pub invariants: Vec<Invariant>,
    pub turns: BTreeMap<String, u64>,
    pub flat_summary: String,
    pub elapsed: Duration,
    pub end: End,
}

/// The state at the end: before the final SIGTERM, and after it.
#[derive(Debug, Default)]
pub struct End {
    pub clis: u64,
    pub live: u64,
    pub pool: u64,
    /// The CLIs' process trees' resident memory in all.
    pub clis_rss_mib: f64,
    pub server_rss_mib: f64,
    /// Processes of the run still running after the final SIGTERM.
    pub left: usize,
    /// Load averages (1, 5, 15 min) at the start and at the end.
    pub load_start: String,
    pub load_end: String,
    /// How long each SIGTERM took to end its server.
    pub exits: Vec<Duration>,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.invariants
            .iter()
            .all(|i| i.violations.is_empty() && i.checked > 0)
    }
}

async fn run(cfg: Config) -> Outcome {
    let started = Instant::now();
    let load_start = procs::load_average();
    let dir = tempfile::tempdir().unwrap();
    let run_id = uuid::Uuid::new_v4().to_string();
    let _cleanup = server::Cleanup {
        run: run_id.clone(),
    };
    let stub = ModelStub::start(0, StubMode::Scripted).await.unwrap();
    model::install(&stub, cfg.hog_mb);
    let env = server::env(dir.path(), &stub, &cfg, &run_id);

    let start =
        |env: Vec<(String, String)>| tokio::task::spawn_blocking(move || server::start(&env));
    let (first, addr) = start(env.clone()).await.unwrap();
    let (server_tx, server_rx) = watch::channel(Some(ServerInfo {
        gen: 1,
        addr,
        pid: first.pid,
    }));
    let mut server = Some(first);
    let duration = Duration::from_secs_f64(cfg.minutes * 60.0);
    let (created_tx, mut created_rx) = watch::channel(0usize);
    let ctx = Rc::new(Ctx {
        server: server_rx.clone(),
        end: started + duration,
        trace: std::env::var("SOAK_TRACE").is_ok_and(|v| v == "1"),
        only: std::env::var("SOAK_ONLY")
            .unwrap_or_default()
            .split(',')
            .filter_map(|n| model::Fault::ALL.into_iter().find(|f| f.name() == n.trim()))
            .collect(),
        counts: RefCell::default(),
        hog: Cell::new(false),
        created: created_tx,
    });

    // Samples of the server process, and this run's processes outside its tree.
    let samples: Rc<RefCell<Vec<(u64, Sample)>>> = Rc::default();
    let mut outside = Invariant::new("no process of the run outside the server's tree");
    let outside_found: Rc<RefCell<Vec<String>>> = Rc::default();
    let sampler = {
        let (samples, found, rx, run) = (
            samples.clone(),
            outside_found.clone(),
            server_rx.clone(),
            run_id.clone(),
        );
        let checks = Rc::new(Cell::new(0u64));
        let checks2 = checks.clone();
        let handle = actix_web::rt::spawn(async move {
            let mut born: BTreeMap<u64, Instant> = BTreeMap::new();
            loop {
                let info = rx.borrow().clone();
                if let Some(info) = info {
                    let t0 = *born.entry(info.gen).or_insert_with(Instant::now);
                    let clis = procs::cli_pids(info.pid).len();
                    if let (Some(fds), Some(rss)) = (procs::fds(info.pid), procs::rss_mib(info.pid))
                    {
                        samples.borrow_mut().push((
                            info.gen,
                            Sample {
                                age: t0.elapsed().as_secs_f64(),
                                fds,
                                rss_mib: rss,
                                clis,
                            },
                        ));
                    }
                    // A process seen outside the tree twice in a row (not merely between a
                    // fork and its reparenting) is a leak.
                    let first = procs::outside_tree(&run, Some(info.pid));
                    if !first.is_empty() {
                        tokio::time::sleep(Duration::from_secs(2)).await;
                        let now = rx.borrow().clone();
                        if now.as_ref().map(|i| i.gen) != Some(info.gen) {
                            continue; // the server is being restarted: checked separately
                        }
                        let again = procs::outside_tree(&run, Some(info.pid));
                        for pid in first.iter().filter(|p| again.contains(p)) {
                            found
                                .borrow_mut()
                                .push(format!("pid {pid} at {:?}", t0.elapsed()));
                        }
                    }
                    checks2.set(checks2.get() + 1);
                }
                tokio::time::sleep(Duration::from_secs(3)).await;
            }
        });
        (handle, checks)
    };

    let root = rng::Rng::new(cfg.seed);
    let users: Vec<_> = (0..cfg.sessions)
        .map(|i| actix_web::rt::spawn(session::run(ctx.clone(), i, root.fork(i as u64))))
        .collect();

    // One SIGTERM and restart, a third into the run (once every user has a session).
    let restart_at = started + duration.mul_f64(0.35);
    tokio::time::sleep_until(restart_at).await;
    let _ = tokio::time::timeout(
        Duration::from_secs(240),
        created_rx.wait_for(|n| *n >= cfg.sessions),
    )
    .await;
    let mut exits = Vec::new();
    let mut restart =
        Invariant::new("SIGTERM: exit 0, every process of the run ended, then restart");
    {
        server_tx.send_replace(None);
        let mut old = server.take().unwrap();
        let (code, took) = tokio::task::spawn_blocking(move || {
            let stopped = server::stop(&mut old);
            report::keep_log(1, &old.stdout_text(), &old.stderr.lock().unwrap());
            stopped
        })
        .await
        .unwrap();
        exits.push(took);
        restart.check(code == Some(0), || {
            format!(
                "first server exited with {code:?} after {took:?} (bound {:?})",
                server::EXIT_BOUND
            )
        });
        let left = wait_gone(&run_id).await;
        restart.check(left.is_empty(), || {
            format!("left running after SIGTERM: {left:?}")
        });
        ctx.count("fault", "server SIGTERM + restart");
        let (second, addr) = start(env.clone()).await.unwrap();
        server_tx.send_replace(Some(ServerInfo {
            gen: 2,
            addr,
            pid: second.pid,
        }));
        server = Some(second);
    }

    let mut logs = Vec::new();
    for u in users {
        match tokio::time::timeout(duration + Duration::from_secs(600), u).await {
            Ok(Ok(log)) => logs.push(log),
            _ => logs.push(session::SessionLog {
                problems: vec!["the user task did not finish".into()],
                ..Default::default()
            }),
        }
    }
    sampler.0.abort();
    outside.checked = sampler.1.get();
    outside.violations = outside_found.borrow().clone();

    let srv = server.as_mut().unwrap();
    let (pid, addr) = (srv.pid, server_rx.borrow().as_ref().unwrap().addr);
    let mut invariants = vec![restart];

    // Each session answered its final message, and nothing else went wrong in a turn.
    let mut stuck = Invariant::new("no session stuck: each answered a final message");
    for log in &logs {
        stuck.check(log.final_answered && log.problems.is_empty(), || {
            format!("session {} ({:?}): {:?}", log.index, log.id, log.problems)
        });
    }

    // Histories.
    let mut stored = BTreeMap::new();
    for log in &logs {
        if let Some(id) = &log.id {
            stored.insert(id.clone(), history(addr, id).await);
        }
    }
    let (once, whole) = checks::histories(&logs, &stored);

    // CLI processes = live sessions + pool, once things settle (bounded).
    let mut count = Invariant::new("CLI processes = live sessions + pool");
    let deadline = Instant::now() + Duration::from_secs(30);
    let (mut clis, mut expected, mut live, mut pool);
    loop {
        let ready = ready(addr).await;
        live = ready["sessions"]["live"].as_u64().unwrap_or(0);
        pool = ready["pool"]["ready"].as_u64().unwrap_or(0);
        expected = live + pool;
        clis = procs::cli_pids(pid).len() as u64;
        if clis == expected || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    count.check(clis == expected, || {
        format!("{clis} CLI processes, {expected} live + pool")
    });
    let mut end = End {
        clis,
        live,
        pool,
        clis_rss_mib: procs::clis_rss_mib(pid),
        server_rss_mib: procs::rss_mib(pid).unwrap_or(0.0),
        load_start,
        ..End::default()
    };

    let gen2: Vec<Sample> = samples
        .borrow()
        .iter()
        .filter(|(g, _)| *g == 2)
        .map(|(_, s)| *s)
        .collect();
    let (fds, rss, flat_summary) = checks::flat(&gen2);

    // The final stop: exit 0, nothing of the run left, the database intact.
    let mut last = Invariant::new("final SIGTERM: exit 0 and no process of the run left");
    let mut srv = server.take().unwrap();
    if ctx.trace {
        println!("server log:\n{}", srv.stdout_text());
    }
    let (code, took) = tokio::task::spawn_blocking(move || {
        let stopped = server::stop(&mut srv);
        report::keep_log(2, &srv.stdout_text(), &srv.stderr.lock().unwrap());
        stopped
    })
    .await
    .unwrap();
    exits.push(took);
    end.exits = exits;
    last.check(code == Some(0), || {
        format!(
            "exit {code:?} after {took:?} (bound {:?})",
            server::EXIT_BOUND
        )
    });
    let left = wait_gone(&run_id).await;
    end.left = left.len();
    end.load_end = procs::load_average();
    last.check(left.is_empty(), || format!("left running: {left:?}"));
    let mut integrity = Invariant::new("PRAGMA integrity_check ok");
    let db = dir.path().join("data/test.db");
    match checks::integrity(&db) {
        Ok(r) => integrity.check(r == "ok", || r),
        Err(e) => integrity.check(false, || e),
    }
    stub.stop().await;

    invariants.extend([
        once, whole, stuck, count, outside, fds, rss, last, integrity,
    ]);
    let mut turns = BTreeMap::new();
    for s in logs.iter().flat_map(|l| &l.sent) {
        let k = match &s.outcome {
            session::Outcome::Complete(_) => "completed",
            session::Outcome::Failed(_) => "ended in an error frame",
            session::Outcome::Refused(_) => "refused before starting",
            session::Outcome::Lost => "cut by the connection or server going",
            session::Outcome::Stuck => "stuck",
        };
        *turns.entry(k.to_string()).or_default() += 1;
        if s.acked {
            *turns.entry("acknowledged".to_string()).or_default() += 1;
        }
    }
    let counts = ctx.counts.borrow().clone();
    Outcome {
        counts,
        invariants,
        turns,
        flat_summary,
        elapsed: started.elapsed(),
        end,
    }
}

/// Waits (bounded) until no process of the run is left; those still there.
async fn wait_gone(run: &str) -> Vec<i32> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left: Vec<i32> = procs::outside_tree(run, None);
        if left.is_empty() || Instant::now() > deadline {
            return left;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn history(addr: SocketAddr, id: &str) -> Vec<serde_json::Value> {
    let (_, body) = helpers::call(
        awc::Client::builder()
            .timeout(Duration::from_secs(60))
            .finish()
            .get(format!("http://{addr}/api/v1/sessions/{id}/messages"))
            .insert_header(("X-API-Key", helpers::TEST_KEY)),
        None,
    )
    .await;
    body["messages"].as_array().cloned().unwrap_or_default()
}

async fn ready(addr: SocketAddr) -> serde_json::Value {
    helpers::call(
        awc::Client::builder()
            .timeout(Duration::from_secs(30))
            .finish()
            .get(format!("http://{addr}/api/v1/health/ready")),
        None,
    )
    .await
    .1
}
