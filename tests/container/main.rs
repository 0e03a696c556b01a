//! The container image, run as a user runs it: `make test-container` builds the image and
//! runs this test against it (`CONTAINER_ENGINE`, `CONTAINER_IMAGE`); a plain `cargo test`
//! skips it (ignored). Everything is published on 127.0.0.1 only, and every container and
//! volume the test makes is removed at the end, also when it fails.
//!
//! One story, in order: start with no key and no model credentials → healthy, a key
//! generated into /data (mode 600, never logged), the UI at `/`, a chat turn streamed over
//! the WebSocket from the demo model, Bash tool calls approved over the WebSocket run inside
//! the container as the non-root user, nothing stray or zombie left after them → `restart`
//! → the same key, the session resumed with its history and a new turn continuing the CLI's
//! transcript → `stop` exits 0 within the grace period → a new container on the same
//! volumes still resumes the session.

// A test crate: panicking on a failed step is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod engine;
mod session;

/// The WebSocket client of the API tests.
#[allow(dead_code)]
#[path = "../api/ws_client.rs"]
mod ws_client;

/// `ws_client.rs` defaults to the API tests' key; this test always passes the container's.
mod helpers {
    pub const TEST_KEY: &str = "unused-by-the-container-test";
}

use std::time::{Duration, Instant};

use engine::{Created, Engine};
use serde_json::Value;

/// The image's user (Dockerfile `useradd --uid`).
const APP_UID: &str = "10001";
/// The stop grace the docs ask for (`--stop-timeout`, compose `stop_grace_period`).
const STOP_GRACE_SECONDS: u64 = 35;
/// Upper bound for a container to answer readiness after start.
const READY_BOUND: Duration = Duration::from_secs(120);

/// One running container of the image under test.
struct Running {
    engine: Engine,
    name: String,
    port: u16,
}

impl Running {
    /// Starts a container on the test's volumes and waits until it is ready.
    fn start(engine: &Engine, created: &mut Created, name: &str, image: &str) -> Running {
        created.containers.push(name.to_string());
        let data = format!("{}:/data", created.volumes[0]);
        let workspace = format!("{}:/workspace", created.volumes[1]);
        let grace = STOP_GRACE_SECONDS.to_string();
        let started = Instant::now();
        engine.ok(&[
            "run",
            "-d",
            "--name",
            name,
            "-p",
            "127.0.0.1::8000",
            "--stop-timeout",
            &grace,
            "-v",
            &data,
            "-v",
            &workspace,
            // Orphans of tool processes are stopped and reaped every 2 × this (default 60 s).
            "-e",
            "MONITOR_INTERVAL_SECONDS=1",
            image,
        ]);
        let running = Running::wait_ready(engine, name);
        eprintln!(
            "container {name}: start → ready (health/ready 200) in {} ms",
            started.elapsed().as_millis()
        );
        running
    }

    /// Waits (bounded) until the server inside answers liveness through the image's own
    /// `healthcheck` command, then readiness through the published port.
    fn wait_ready(engine: &Engine, name: &str) -> Running {
        let deadline = Instant::now() + READY_BOUND;
        loop {
            if engine.inspect(name, "{{.State.Running}}") != "true" {
                panic!(
                    "container {name} is not running; its logs:\n{}",
                    engine.logs(name)
                );
            }
            if engine
                .run(&["exec", name, "claude-sdk-pattern", "healthcheck"])
                .ok()
            {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{name} not live within {READY_BOUND:?}; logs:\n{}",
                engine.logs(name)
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let published = engine.ok(&["port", name, "8000/tcp"]);
        let first = published.lines().next().unwrap_or("").trim().to_string();
        assert!(
            first.starts_with("127.0.0.1:"),
            "published on loopback only: {published}"
        );
        let port: u16 = first.rsplit(':').next().unwrap().parse().unwrap();
        let running = Running {
            engine: engine.clone(),
            name: name.to_string(),
            port,
        };
        loop {
            if running.http_status("/api/v1/health/ready") == 200 {
                return running;
            }
            assert!(
                Instant::now() < deadline,
                "{name} not ready within {READY_BOUND:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn addr(&self) -> std::net::SocketAddr {
        ([127, 0, 0, 1], self.port).into()
    }

    /// A blocking GET through the published port (status, body).
    fn get(&self, path: &str, key: Option<&str>) -> (u16, String) {
        let url = self.url(path);
        let key = key.map(str::to_string);
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let mut req = awc::Client::builder()
                    .timeout(Duration::from_secs(10))
                    .finish()
                    .get(url);
                if let Some(k) = key {
                    req = req.insert_header(("X-API-Key", k));
                }
                match req.send().await {
                    Ok(mut res) => {
                        let body = res.body().limit(4 << 20).await.unwrap_or_default();
                        (
                            res.status().as_u16(),
                            String::from_utf8_lossy(&body).into_owned(),
                        )
                    }
                    Err(_) => (0, String::new()),
                }
            })
        })
        .join()
        .unwrap()
    }

    fn http_status(&self, path: &str) -> u16 {
        self.get(path, None).0
    }

    fn exec(&self, cmd: &[&str]) -> String {
        self.engine.exec(&self.name, cmd)
    }

    /// `ps` inside: (uid, pid, ppid, state, command) of every process but the `ps` itself.
    fn processes(&self) -> Vec<(String, i32, i32, String, String)> {
        self.exec(&["ps", "-eo", "uid=,pid=,ppid=,stat=,args="])
            .lines()
            .filter_map(|l| {
                let mut f = l.split_whitespace();
                let uid = f.next()?.to_string();
                let pid = f.next()?.parse().ok()?;
                let ppid = f.next()?.parse().ok()?;
                let stat = f.next()?.to_string();
                let args = f.collect::<Vec<_>>().join(" ");
                Some((uid, pid, ppid, stat, args))
            })
            .filter(|p| !p.4.starts_with("ps -eo"))
            .collect()
    }

    /// Waits (bounded) until the container runs only tini (PID 1), the server (its child)
    /// and Claude CLIs (the server's children): no zombie, no stray tool process. Returns
    /// the process table.
    fn only_expected_processes(&self) -> Vec<(String, i32, i32, String, String)> {
        let started = Instant::now();
        let deadline = started + Duration::from_secs(20);
        let mut first_seen: Option<Vec<String>> = None;
        loop {
            let procs = self.processes();
            let server = procs
                .iter()
                .find(|p| p.2 == 1 && p.4.starts_with("claude-sdk-pattern"))
                .map(|p| p.1);
            let unexpected: Vec<_> = procs
                .iter()
                .filter(|(_, pid, ppid, stat, args)| {
                    let tini = *pid == 1 && args.starts_with("tini -- claude-sdk-pattern");
                    let is_server = Some(*pid) == server;
                    let cli = Some(*ppid) == server && args.starts_with("/usr/local/bin/claude ");
                    stat.starts_with('Z') || !(tini || is_server || cli)
                })
                .collect();
            if server.is_some() && unexpected.is_empty() {
                if let Some(seen) = first_seen {
                    eprintln!(
                        "container {}: stopped and reaped within {} ms: {seen:?}",
                        self.name,
                        started.elapsed().as_millis()
                    );
                }
                return procs;
            }
            first_seen.get_or_insert_with(|| {
                unexpected
                    .iter()
                    .map(|(_, pid, ppid, stat, args)| {
                        format!("{pid} (parent {ppid}, {stat}) {args}")
                    })
                    .collect()
            });
            assert!(
                Instant::now() < deadline,
                "stray or zombie processes: {unexpected:#?}\nall: {procs:#?}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

#[actix_web::test]
#[ignore = "needs a container engine and a built image: run by `make test-container`"]
async fn the_image_runs_as_a_user_runs_it() {
    let engine = Engine::from_env();
    let image = std::env::var("CONTAINER_IMAGE").expect("CONTAINER_IMAGE is set");
    // The Makefile's pin, which the image was built with.
    let cli_version = std::env::var("CLAUDE_CLI_VERSION").expect("CLAUDE_CLI_VERSION is set");
    let run_id = format!(
        "csp-test-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    let mut created = Created {
        engine: engine.clone(),
        containers: Vec::new(),
        volumes: Vec::new(),
    };
    for volume in ["data", "workspace"] {
        let name = format!("{run_id}-{volume}");
        created.volumes.push(name.clone());
        engine.ok(&["volume", "create", &name]);
    }

    // Start with no key and no model credentials.
    let first = format!("{run_id}-first");
    let c = Running::start(&engine, &mut created, &first, &image);
    if engine.is_podman() {
        let health = engine.run(&["healthcheck", "run", &first]);
        assert!(
            health.ok(),
            "podman healthcheck run: {}{}",
            health.stdout,
            health.stderr
        );
    } else {
        wait_docker_healthy(&engine, &first);
    }

    // The generated key: in /data, mode 600, owned by the app user, never in the logs.
    let key = c.exec(&["cat", "/data/api-key"]);
    assert_eq!(key.len(), 48, "a generated key of 48 hex characters");
    assert_eq!(
        c.exec(&["stat", "-c", "%a %u", "/data/api-key"]),
        format!("600 {APP_UID}")
    );
    let logs = engine.logs(&first);
    assert!(
        logs.contains("docker exec <container> cat /data/api-key"),
        "the log says where to read the key:\n{logs}"
    );
    assert!(!logs.contains(&key), "the key is in the logs");
    assert!(
        logs.contains("sessions use the built-in demo model"),
        "{logs}"
    );

    // Non-root: exec'd commands, and every process of the container.
    assert_eq!(c.exec(&["id", "-u"]), APP_UID);
    let procs = c.only_expected_processes();
    for (uid, pid, _, _, args) in &procs {
        assert_eq!(uid, APP_UID, "process {pid} ({args}) runs as {uid}");
    }

    // The web UI and the API through the published port.
    let (status, page) = c.get("/", None);
    assert_eq!(status, 200);
    assert!(page.contains("<div id=\"root\">"), "{page}");
    let (status, info) = c.get("/api/v1/info", Some(&key));
    assert_eq!(status, 200, "{info}");
    let info: Value = serde_json::from_str(&info).unwrap();
    assert_eq!(info["demo_model"], true);
    assert!(
        info["cli_version"]
            .as_str()
            .is_some_and(|v| v.starts_with(&cli_version)),
        "{info}"
    );

    // A chat turn and Bash tool calls over the WebSocket.
    let mut ws = session::connect(c.addr(), &key).await;
    let id = session::create(&mut ws).await;
    let reply = session::say(&mut ws, &id, "hello from the container test").await;
    assert!(reply.contains("Demo model"), "{reply}");
    assert!(reply.contains("hello from the container test"), "{reply}");
    let (output, _) = session::run_bash(&mut ws, &id, "id -u; id -un; pwd").await;
    assert_eq!(output.trim(), format!("{APP_UID}\napp\n/workspace"));
    // A tool that leaves a process behind (a daemonised sleep), and one whose child exits
    // after it (a zombie-to-be): the server (child subreaper) stops and reaps both. The CLI
    // asks before running it; the approval goes over the WebSocket.
    let (output, asked) = session::run_bash(
        &mut ws,
        &id,
        "sh -c 'sleep 600 >/dev/null 2>&1 &'; sh -c 'sleep 1 >/dev/null 2>&1 &'; echo left behind",
    )
    .await;
    assert_eq!(output.trim(), "left behind");
    assert!(asked, "the CLI asked to approve the Bash tool");
    // (Closed first: the wait below would leave the server's pings unanswered.)
    drop(ws);
    c.only_expected_processes();
    // An orphan from outside the server's tree (`docker exec … &`) goes to PID 1: tini
    // reaps it when it exits.
    c.exec(&["sh", "-c", "sleep 1 >/dev/null 2>&1 &"]);
    c.only_expected_processes();
    // For sizing (docs/operations.md): resident memory and CPU time so far of the server
    // and its CLIs (the session's after three turns; the pool's idle).
    eprintln!(
        "container {first}: after three turns:\n{}",
        c.exec(&[
            "sh",
            "-c",
            "for p in $(pgrep -f '^(tini|claude-sdk-pattern|/usr/local/bin/claude)( |$)'); do \
             set -- $(cut -d' ' -f14,15 /proc/$p/stat); \
             echo \"pid $p: $(( ($1 + $2) * 10 )) ms CPU, $(grep VmRSS /proc/$p/status | tr -s ' \t' ' ')\"; \
             done"
        ])
    );

    // Restart: same key, the session resumes with its history, a new turn continues it.
    let restarted = Instant::now();
    engine.run_within(
        &["restart", &first],
        Duration::from_secs(STOP_GRACE_SECONDS + 30),
    );
    eprintln!(
        "container {first}: restart in {} ms",
        restarted.elapsed().as_millis()
    );
    let c = Running::wait_ready(&engine, &first);
    assert_eq!(c.exec(&["cat", "/data/api-key"]), key, "the key is reused");
    session::resume_and_continue(
        &c,
        &key,
        &id,
        "hello from the container test",
        "after the restart",
    )
    .await;
    c.only_expected_processes();

    // Stop: exit 0 within the grace period.
    let stopping = Instant::now();
    engine.run_within(
        &["stop", &first],
        Duration::from_secs(STOP_GRACE_SECONDS + 30),
    );
    let took = stopping.elapsed();
    eprintln!("container {first}: stop in {} ms", took.as_millis());
    assert_eq!(engine.inspect(&first, "{{.State.Status}}"), "exited");
    assert_eq!(
        engine.inspect(&first, "{{.State.ExitCode}}"),
        "0",
        "logs:\n{}",
        engine.logs(&first)
    );
    assert!(
        took < Duration::from_secs(STOP_GRACE_SECONDS),
        "stopped within the grace period (took {took:?})"
    );
    // The server itself got the SIGTERM (tini forwarded it) and finished its shutdown, at
    // the restart and at the stop.
    let logs = engine.logs(&first);
    assert!(!logs.contains(&key), "the key is in the logs");
    let count = |needle: &str| logs.matches(needle).count();
    assert_eq!(count("\"signal\":\"SIGTERM\""), 2, "{logs}");
    assert_eq!(count("\"msg\":\"stopped\""), 2, "{logs}");
    assert!(
        !logs.contains("\"level\":\"CRIT\""),
        "no critical line:\n{logs}"
    );

    // A new container on the same volumes (an upgrade): the key and the session survive.
    let second = format!("{run_id}-second");
    let c = Running::start(&engine, &mut created, &second, &image);
    assert_eq!(c.exec(&["cat", "/data/api-key"]), key);
    session::resume_and_continue(&c, &key, &id, "after the restart", "in a new container").await;
    engine.run_within(
        &["stop", &second],
        Duration::from_secs(STOP_GRACE_SECONDS + 30),
    );
    assert_eq!(engine.inspect(&second, "{{.State.ExitCode}}"), "0");
    let logs = engine.logs(&second);
    assert!(!logs.contains(&key), "the key is in the logs");
    drop(created);
}

/// Docker runs the image's HEALTHCHECK on its own schedule: wait for "healthy".
fn wait_docker_healthy(engine: &Engine, name: &str) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let status = engine.inspect(name, "{{.State.Health.Status}}");
        if status == "healthy" {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "docker health is {status:?} after 90 s"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}
