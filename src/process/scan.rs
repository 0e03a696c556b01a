//! What the server reads about processes, through `sysinfo`, refreshing only the pids it
//! asks about. Finding a process's children needs the whole table elsewhere; on Linux the
//! kernel's per-task `children` lists answer directly, so only that read is `/proc`.
//!
//! Every function here blocks (it reads the process table): call them from a blocking
//! thread, never from an actor or an async worker.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;

use sysinfo::{Pid, ProcessRefreshKind, ProcessStatus, ProcessesToUpdate, System, UpdateKind};

/// A process as the kill ladder needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProcInfo {
    pub pid: i32,
    pub ppid: i32,
    pub pgid: i32,
    /// Exited, not yet reaped (or on its way out).
    pub zombie: bool,
}

fn to_pid(pid: i32) -> Pid {
    Pid::from_u32(pid.max(0) as u32)
}

/// A fresh table with `pids` refreshed for `kind` (nothing else is read).
fn table(pids: &[i32], kind: ProcessRefreshKind) -> System {
    // Each pid once: sysinfo flips a process's "updated" mark per occurrence, so a pid
    // listed twice would count as gone.
    let unique: HashSet<i32> = pids.iter().copied().collect();
    let list: Vec<Pid> = unique.into_iter().map(to_pid).collect();
    let mut sys = System::new();
    if !list.is_empty() {
        sys.refresh_processes_specifics(ProcessesToUpdate::Some(&list), true, kind);
    }
    sys
}

/// The processes among `pids` that exist (zombies included).
pub fn infos(pids: &[i32]) -> Vec<ProcInfo> {
    let sys = table(pids, ProcessRefreshKind::nothing());
    pids.iter()
        .filter_map(|&pid| {
            let p = sys.process(to_pid(pid))?;
            Some(ProcInfo {
                pid,
                ppid: p.parent().map_or(0, |pp| pp.as_u32() as i32),
                pgid: super::signal::group_of(pid).unwrap_or(pid),
                zombie: matches!(p.status(), ProcessStatus::Zombie | ProcessStatus::Dead),
            })
        })
        .collect()
}

/// True while `pid` exists and has not exited (a zombie counts as exited).
pub fn is_alive(pid: i32) -> bool {
    infos(&[pid]).first().is_some_and(|p| !p.zombie)
}

/// Direct children of `pid` (Linux: `/proc/<pid>/task/*/children`).
#[cfg(target_os = "linux")]
pub fn children_of(pid: i32) -> Vec<i32> {
    let mut out = Vec::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for task in tasks.flatten() {
        if let Ok(text) = std::fs::read_to_string(task.path().join("children")) {
            out.extend(
                text.split_ascii_whitespace()
                    .filter_map(|p| p.parse::<i32>().ok()),
            );
        }
    }
    out
}

/// Direct children of `pid` (elsewhere: the parent links of the whole table).
#[cfg(not(target_os = "linux"))]
pub fn children_of(pid: i32) -> Vec<i32> {
    parent_links().remove(&pid).unwrap_or_default()
}

/// parent → children, from one read of the whole table (off Linux only).
#[cfg(not(target_os = "linux"))]
fn parent_links() -> HashMap<i32, Vec<i32>> {
    let mut sys = System::new();
    sys.refresh_processes_specifics(ProcessesToUpdate::All, true, ProcessRefreshKind::nothing());
    let mut links: HashMap<i32, Vec<i32>> = HashMap::new();
    for (pid, p) in sys.processes() {
        if let Some(parent) = p.parent() {
            links
                .entry(parent.as_u32() as i32)
                .or_default()
                .push(pid.as_u32() as i32);
        }
    }
    links
}

/// The pids of every descendant of `pid` (not `pid` itself).
fn descendant_pids(pid: i32) -> Vec<i32> {
    #[cfg(not(target_os = "linux"))]
    let links = parent_links();
    #[cfg(not(target_os = "linux"))]
    let children = |p: i32| links.get(&p).cloned().unwrap_or_default();
    #[cfg(target_os = "linux")]
    let children = children_of;
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut stack = children(pid);
    while let Some(child) = stack.pop() {
        if seen.insert(child) {
            out.push(child);
            stack.extend(children(child));
        }
    }
    out
}

/// Every descendant of `pid` (not `pid` itself) that still exists.
pub fn descendants(pid: i32) -> Vec<ProcInfo> {
    infos(&descendant_pids(pid))
}

/// Resident memory of each root's whole tree (the root and its descendants), in bytes,
/// from one refresh of exactly those processes.
pub fn rss_of_trees(roots: &[i32]) -> Vec<u64> {
    let trees: Vec<Vec<i32>> = roots
        .iter()
        .map(|&root| {
            let mut tree = descendant_pids(root);
            tree.push(root);
            tree
        })
        .collect();
    let all: Vec<i32> = trees.iter().flatten().copied().collect();
    let sys = table(&all, ProcessRefreshKind::nothing().with_memory());
    trees
        .iter()
        .map(|tree| {
            tree.iter()
                .filter_map(|&p| sys.process(to_pid(p)))
                .map(|p| p.memory())
                .sum()
        })
        .collect()
}

/// Resident memory of `pid` and all its descendants, in bytes.
pub fn rss_bytes_of_tree(pid: i32) -> u64 {
    rss_of_trees(&[pid]).first().copied().unwrap_or(0)
}

/// The environment of each of `pids` that can be read (`KEY=value` entries).
pub fn environments(pids: &[i32]) -> HashMap<i32, Vec<OsString>> {
    let sys = table(
        pids,
        ProcessRefreshKind::nothing().with_environ(UpdateKind::Always),
    );
    pids.iter()
        .filter_map(|&pid| Some((pid, sys.process(to_pid(pid))?.environ().to_vec())))
        .collect()
}

/// The command line of each of `pids` that can be read.
pub fn command_lines(pids: &[i32]) -> HashMap<i32, Vec<OsString>> {
    let sys = table(
        pids,
        ProcessRefreshKind::nothing().with_cmd(UpdateKind::Always),
    );
    pids.iter()
        .filter_map(|&pid| Some((pid, sys.process(to_pid(pid))?.cmd().to_vec())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn finds_children_and_grandchildren_and_their_memory() {
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
        assert!(found.iter().all(|p| p.ppid == pid && !p.zombie));
        assert!(is_alive(pid));
        assert!(rss_bytes_of_tree(pid) > rss_of_trees(&[found[0].pid])[0]);
        assert_eq!(children_of(pid).len(), 2);
        for p in &found {
            super::super::signal_pid(p.pid, nix::sys::signal::Signal::SIGKILL);
        }
        child.wait().unwrap();
        assert!(!is_alive(pid));
    }

    #[test]
    fn reads_our_own_details_and_nothing_for_a_missing_pid() {
        let me = std::process::id() as i32;
        let info = infos(&[me])[0];
        assert_eq!(info.pid, me);
        assert!(!info.zombie);
        assert!(infos(&[i32::MAX]).is_empty());
        assert_eq!(
            infos(&[me, me]).len(),
            2,
            "a pid listed twice is still found"
        );
        assert!(!command_lines(&[me])[&me].is_empty());
        assert!(environments(&[me]).contains_key(&me));
    }
}
