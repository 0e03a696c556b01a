//! The soak's report: printed, and written as the "Soak and chaos" section of
//! docs/benchmarks.md (to `target/soak/soak.md`; `make soak` puts it into the document).

use std::fmt::Write;

use crate::checks::{FDS_PER_CLI, FD_SLACK, RSS_GROWTH, RSS_SLACK_MIB};
use crate::{Config, Outcome};

pub fn render(cfg: &Config, r: &Outcome) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "## Soak and chaos\n");
    let _ = writeln!(
        s,
        "`SOAK_MINUTES={} SOAK_SESSIONS={} SOAK_SEED={} make soak`, on {} ({} cores, {:.0} s in all with \
         set-up and checks): {} sessions, each a WebSocket client of the real server binary with the real \
         CLI against the model stub, sending a message, reading the reply and pausing 0.3–2.5 s, with a \
         fault drawn for each message; one SIGTERM and restart of the server a third of the way in; at \
         the end each session sends a final message that must be answered. `MEMORY_BUDGET_MB={}` (about \
         60 % of the sessions fit, so idle ones are suspended and woken all along), \
         `MAX_SESSION_RSS_MB={}`, `PREWARM_POOL_SIZE=2`, `TURN_STALL_SECONDS=6`, \
         `SHUTDOWN_GRACE_SECONDS=5`, `CLAUDE_CODE_MAX_RETRIES=1`. `make test-soak` runs 2 minutes with 10 \
         sessions.\n",
        cfg.minutes,
        cfg.sessions,
        cfg.seed,
        chrono::Utc::now().format("%Y-%m-%d"),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        r.elapsed.as_secs_f64(),
        cfg.sessions,
        cfg.budget_mb,
        cfg.session_rss_mb,
    );
    let _ = writeln!(s, "| fault injected | count |\n|---|---|");
    for ((group, name), n) in &r.counts {
        if group == "fault" {
            let _ = writeln!(s, "| {} | {n} |", describe(name));
        }
    }
    let _ = writeln!(s, "\n| observed | count |\n|---|---|");
    for ((group, name), n) in &r.counts {
        if group != "fault" {
            let _ = writeln!(s, "| {group}: {name} | {n} |");
        }
    }
    for (k, n) in &r.turns {
        let _ = writeln!(s, "| messages {k} | {n} |");
    }
    let _ = writeln!(s, "\n| invariant | checked | violations |\n|---|---|---|");
    for i in &r.invariants {
        let _ = writeln!(s, "| {} | {} | {} |", i.name, i.checked, i.violations.len());
    }
    let _ = writeln!(
        s,
        "\nFlatness is judged on the restarted server (it runs to the end): its first third of \
         samples (every 3 s) is warm-up, the middle third the reference, and every sample of the last \
         third must stay within the reference peak — file descriptors, less {FDS_PER_CLI} per live \
         CLI (its pipes and pidfd; the budget keeps changing how many are live), plus {FD_SLACK}; \
         RSS within {:.0} % plus {RSS_SLACK_MIB:.0} MiB (allocator and cache settling; a leak of a \
         few KB per turn over hundreds of turns passes neither). {}.",
        RSS_GROWTH * 100.0,
        r.flat_summary
    );
    let e = &r.end;
    let _ = writeln!(
        s,
        "\nAt the end, before the final SIGTERM: {} CLI processes ({} live sessions + {} pooled), \
         their process trees {:.0} MiB resident in all, the server {:.0} MiB; after it, {} \
         processes of the run left. Each SIGTERM ended its server in {} (bound {} s). Load \
         average (1, 5, 15 min) at the start {}, at the end {}.",
        e.clis,
        e.live,
        e.pool,
        e.clis_rss_mib,
        e.server_rss_mib,
        e.left,
        e.exits
            .iter()
            .map(|d| format!("{:.1} s", d.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(" and "),
        crate::server::EXIT_BOUND.as_secs(),
        e.load_start,
        e.load_end
    );
    let problems: Vec<&String> = r.invariants.iter().flat_map(|i| &i.violations).collect();
    if !problems.is_empty() {
        let _ = writeln!(s, "\nViolations:\n");
        for p in problems.iter().take(40) {
            let _ = writeln!(s, "- {p}");
        }
    }
    s
}

fn describe(name: &str) -> String {
    match name {
        "429" | "529" | "500" => {
            format!("model answers HTTP {name} once (the CLI's retry succeeds)")
        }
        "429-twice" => "model answers 429 to the request and its retry (the turn fails)".into(),
        "hang" => "model request hangs (no byte)".into(),
        "stall" => "model stream stalls after some text".into(),
        "sse-error" => "SSE error event mid-stream (the CLI retries)".into(),
        "sigkill" => "CLI killed with SIGKILL mid-turn (pid from the server's tree)".into(),
        "ws-drop" => "WebSocket dropped mid-reply, reconnected with after_seq".into(),
        "memory-hog" => "a Bash tool holding more than the session's memory limit".into(),
        other => other.to_string(),
    }
}

/// `target/soak/` (or under `CARGO_TARGET_DIR`): the section and the servers' logs.
pub fn dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
        .join("soak")
}

/// Writes the section to `target/soak/soak.md`.
pub fn write(text: &str) {
    let dir = dir();
    if std::fs::create_dir_all(&dir).is_ok() {
        let _ = std::fs::write(dir.join("soak.md"), text);
    }
}

/// Keeps a server's JSON log (stdout) and stderr as `target/soak/server-<gen>.log`, to
/// find the cause of what the run counted; prints where.
pub fn keep_log(gen: u64, stdout: &str, stderr: &str) {
    let dir = dir();
    let path = dir.join(format!("server-{gen}.log"));
    let text = format!("{stdout}\n--- stderr ---\n{stderr}");
    if std::fs::create_dir_all(&dir).is_ok() && std::fs::write(&path, text).is_ok() {
        println!("soak: server {gen}'s log is in {}", path.display());
    }
}
