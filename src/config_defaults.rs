//! What a setting is when unset and the machine decides: the memory budget (a share of its
//! memory or container limit), the pool's ceiling, and the Claude Code CLI (the project-local
//! install, else `claude` on `PATH`).

use std::path::{Path, PathBuf};

/// Where `make setup` installs the pinned Claude Code CLI, relative to the project root.
pub const LOCAL_CLI_RELATIVE: &str = ".tools/claude-cli/node_modules/.bin/claude";

/// `PREWARM_POOL_MAX` unless set (or `PREWARM_POOL_SIZE`, when that is larger).
pub const DEFAULT_PREWARM_POOL_MAX: usize = 6;

/// The share of the machine's memory `MEMORY_BUDGET_MB` defaults to.
pub const MEMORY_BUDGET_SHARE: f64 = 0.6;

/// `MEMORY_BUDGET_MB` unless set: [`MEMORY_BUDGET_SHARE`] of the machine's memory (of the
/// container's limit, when one is set and lower), or 4096 where neither can be read.
pub fn default_memory_budget_mb() -> u64 {
    let machine = std::fs::read_to_string("/proc/meminfo").ok().and_then(|m| {
        let line = m.lines().find(|l| l.starts_with("MemTotal:"))?;
        line.split_whitespace()
            .nth(1)?
            .parse::<u64>()
            .ok()
            .map(|kb| kb / 1024)
    });
    let cgroup = std::fs::read_to_string("/sys/fs/cgroup/memory.max")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|b| b / 1024 / 1024);
    let total = match (machine, cgroup) {
        (Some(m), Some(c)) => m.min(c),
        (m, c) => m.or(c).unwrap_or(4096 * 10 / 6),
    };
    ((total as f64 * MEMORY_BUDGET_SHARE) as u64).max(64)
}

/// Where to look for the CLI when `CLAUDE_CLI_PATH` is not set.
#[derive(Debug, Clone, Default)]
pub struct CliSearch {
    /// Directories whose `.tools/claude-cli` install is tried, in order.
    pub roots: Vec<PathBuf>,
    /// `PATH`, searched for `claude` when no project-local install is found.
    pub path_var: Option<String>,
}

impl CliSearch {
    /// The current directory and the ancestors of the running executable (so
    /// `target/release/claude-sdk-pattern` finds the install of its own project).
    pub fn from_process() -> CliSearch {
        let mut roots = Vec::new();
        if let Ok(cwd) = std::env::current_dir() {
            roots.push(cwd);
        }
        if let Ok(exe) = std::env::current_exe() {
            roots.extend(exe.ancestors().skip(1).take(4).map(Path::to_path_buf));
        }
        CliSearch {
            roots,
            path_var: std::env::var("PATH").ok(),
        }
    }

    pub(super) fn resolve(&self) -> PathBuf {
        for root in &self.roots {
            let candidate = root.join(LOCAL_CLI_RELATIVE);
            if candidate.is_file() {
                return candidate;
            }
        }
        if let Some(path) = &self.path_var {
            for dir in std::env::split_paths(path) {
                let candidate = dir.join("claude");
                if candidate.is_file() {
                    return candidate;
                }
            }
        }
        // Not found anywhere: keep the bare name; spawning reports the failure clearly.
        PathBuf::from("claude")
    }
}
