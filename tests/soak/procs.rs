//! What the harness reads from the process table: the server's CLIs, a session's CLI, the
//! processes of this run (marked in their environment) and where they are, and the
//! server's file descriptors and RSS.

use std::collections::HashSet;

use claude_sdk_pattern::process::{command_lines, descendants, environments};

/// Set in the server's environment (so in every CLI's and tool's) to this run's id.
pub const RUN_ENV: &str = "CSP_SOAK_RUN";

/// The server's direct children that are Claude CLIs (tools run under the CLIs).
pub fn cli_pids(server: i32) -> Vec<i32> {
    let kids = claude_sdk_pattern::process::children_of(server);
    command_lines(&kids)
        .into_iter()
        .filter(|(_, cmd)| {
            cmd.iter()
                .any(|a| a.to_string_lossy().starts_with("--output-format"))
        })
        .map(|(pid, _)| pid)
        .collect()
}

/// The CLI of session `id` (started with `--session-id=<id>` or `--resume=<id>`).
pub fn cli_of(server: i32, id: &str) -> Option<i32> {
    let pids = cli_pids(server);
    command_lines(&pids).into_iter().find_map(|(pid, cmd)| {
        cmd.iter()
            .any(|a| {
                let a = a.to_string_lossy();
                a == format!("--session-id={id}") || a == format!("--resume={id}")
            })
            .then_some(pid)
    })
}

/// Every process on the machine carrying this run's mark.
pub fn marked(run: &str) -> Vec<i32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let pids: Vec<i32> = dir
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .filter(|p| *p != std::process::id() as i32)
        .collect();
    let mark = format!("{RUN_ENV}={run}");
    environments(&pids)
        .into_iter()
        .filter(|(_, env)| env.iter().any(|v| v.to_string_lossy() == mark))
        .map(|(pid, _)| pid)
        .collect()
}

/// This run's processes that are neither the server nor in its tree (zombies excluded:
/// they hold nothing and are reaped by their parent).
pub fn outside_tree(run: &str, server: Option<i32>) -> Vec<i32> {
    let tree: HashSet<i32> = match server {
        Some(s) => descendants(s)
            .into_iter()
            .map(|p| p.pid)
            .chain([s])
            .collect(),
        None => HashSet::new(),
    };
    marked(run)
        .into_iter()
        .filter(|p| !tree.contains(p) && !is_zombie(*p))
        .collect()
}

fn is_zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .map(|(_, rest)| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(true)
}

/// Open file descriptors of `pid`.
pub fn fds(pid: i32) -> Option<usize> {
    Some(std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count())
}

/// Resident memory of `pid` in MiB.
pub fn rss_mib(pid: i32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// The CLIs' process trees' resident memory in all (each tree: a CLI and its tools), MiB.
pub fn clis_rss_mib(server: i32) -> f64 {
    let trees = claude_sdk_pattern::process::rss_of_trees(&cli_pids(server));
    trees.iter().sum::<u64>() as f64 / 1024.0 / 1024.0
}

/// The machine's load averages over 1, 5 and 15 minutes (`/proc/loadavg`).
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "?".into())
}
