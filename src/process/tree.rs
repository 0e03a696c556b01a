//! Process trees from `/proc`.

use std::collections::HashSet;
use std::fs;

/// A process as seen in `/proc/<pid>/stat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProcInfo {
    pub pid: i32,
    pub ppid: i32,
    pub pgid: i32,
    /// `Z` for a zombie (exited, not yet reaped).
    pub state: char,
}

impl ProcInfo {
    /// Reads `/proc/<pid>/stat`; None when the process is gone.
    pub fn read(pid: i32) -> Option<ProcInfo> {
        let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // The command name (field 2) is in parentheses and may contain spaces or ')'.
        let rest = &stat[stat.rfind(')')? + 2..];
        let mut fields = rest.split_ascii_whitespace();
        let state = fields.next()?.chars().next()?;
        let ppid = fields.next()?.parse().ok()?;
        let pgid = fields.next()?.parse().ok()?;
        Some(ProcInfo {
            pid,
            ppid,
            pgid,
            state,
        })
    }

    pub fn is_zombie(&self) -> bool {
        self.state == 'Z'
    }
}

/// True while `pid` exists and has not exited (a zombie counts as exited).
pub fn is_alive(pid: i32) -> bool {
    ProcInfo::read(pid).is_some_and(|p| !p.is_zombie())
}

/// Direct children of `pid`, from `/proc/<pid>/task/*/children`.
pub fn children_of(pid: i32) -> Vec<i32> {
    let mut out = Vec::new();
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for task in tasks.flatten() {
        if let Ok(text) = fs::read_to_string(task.path().join("children")) {
            out.extend(
                text.split_ascii_whitespace()
                    .filter_map(|p| p.parse::<i32>().ok()),
            );
        }
    }
    out
}

/// Every descendant of `pid` (not `pid` itself), depth first.
pub fn descendants(pid: i32) -> Vec<ProcInfo> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut stack = children_of(pid);
    while let Some(child) = stack.pop() {
        if !seen.insert(child) {
            continue;
        }
        if let Some(info) = ProcInfo::read(child) {
            out.push(info);
            stack.extend(children_of(child));
        }
    }
    out
}

/// Resident memory of `pid` and all its descendants, in bytes (from `/proc/*/statm`).
pub fn rss_bytes_of_tree(pid: i32) -> u64 {
    let page = page_size();
    std::iter::once(pid)
        .chain(descendants(pid).into_iter().map(|p| p.pid))
        .filter_map(|p| fs::read_to_string(format!("/proc/{p}/statm")).ok())
        .filter_map(|statm| statm.split_ascii_whitespace().nth(1)?.parse::<u64>().ok())
        .map(|pages| pages * page)
        .sum()
}

fn page_size() -> u64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE)
        .ok()
        .flatten()
        .and_then(|v| u64::try_from(v).ok())
        .unwrap_or(4096)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn finds_children_and_grandchildren() {
        let mut child = Command::new("sh")
            .args(["-c", "sleep 30 & sleep 30 & wait"])
            .spawn()
            .unwrap();
        let pid = child.id() as i32;
        // Bounded wait for the shell to start both sleeps.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let mut found = Vec::new();
        while std::time::Instant::now() < deadline {
            found = descendants(pid);
            if found.len() >= 2 {
                break;
            }
            std::thread::yield_now();
        }
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found.iter().all(|p| p.ppid == pid));
        assert!(is_alive(pid));
        assert!(rss_bytes_of_tree(pid) > 0);
        for p in &found {
            nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(p.pid),
                nix::sys::signal::Signal::SIGKILL,
            )
            .unwrap();
        }
        child.wait().unwrap();
        assert!(!is_alive(pid));
    }

    #[test]
    fn parses_names_with_spaces_and_parens() {
        let me = ProcInfo::read(std::process::id() as i32).unwrap();
        assert_eq!(me.pid, std::process::id() as i32);
        assert!(ProcInfo::read(i32::MAX).is_none());
    }
}
