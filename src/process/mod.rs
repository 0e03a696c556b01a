//! Operating-system process helpers (Linux): the descendants of a process from `/proc`,
//! signals to process groups, the child-subreaper flag, reaping.
//!
//! These are blocking `/proc` reads: call them from a blocking thread, not from an actor or
//! an async worker.

mod tree;

pub use tree::{children_of, descendants, is_alive, rss_bytes_of_tree, ProcInfo};

use nix::sys::signal::{kill, killpg, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag};
use nix::unistd::{getpgrp, Pid};

/// Sends `signal` to process group `pgid`, but never to the caller's own group.
/// Returns false when the group no longer exists (or was ours).
pub fn signal_group(pgid: i32, signal: Signal) -> bool {
    if pgid <= 1 || Pid::from_raw(pgid) == getpgrp() {
        return false;
    }
    killpg(Pid::from_raw(pgid), signal).is_ok()
}

/// Sends `signal` to one process. Returns false when it no longer exists.
pub fn signal_pid(pid: i32, signal: Signal) -> bool {
    if pid <= 1 || pid == std::process::id() as i32 {
        return false;
    }
    kill(Pid::from_raw(pid), signal).is_ok()
}

/// Makes this process a child subreaper: orphaned descendants (e.g. the tool processes of
/// a CLI that died) are re-parented to us instead of to init, so we can stop and reap them.
pub fn become_subreaper() -> std::io::Result<()> {
    nix::sys::prctl::set_child_subreaper(true).map_err(std::io::Error::from)
}

/// Reaps `pid` if it is our child and has exited (never blocks).
/// Returns true when it was reaped or is not our child.
pub fn reap_if_exited(pid: i32) -> bool {
    match waitpid(Pid::from_raw(pid), Some(WaitPidFlag::WNOHANG)) {
        Ok(nix::sys::wait::WaitStatus::StillAlive) => false,
        Ok(_) => true,
        Err(_) => true, // ECHILD: not ours (someone else reaps it) or already reaped
    }
}
