//! Signals to processes and process groups, reaping, and the two Linux-only containment
//! calls (child subreaper, parent-death signal).
//!
//! Off Linux (development on macOS) the containment calls are no-ops: a server killed
//! outright leaves its CLIs running (the next start kills them, see
//! [`super::recover_stale_clis`]), and the tools of a CLI that died are re-parented to
//! `launchd`, out of the orphan sweep's reach. The stop ladder still kills every tool group
//! it saw while the CLI lived.

use nix::sys::signal::{kill, killpg, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
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

/// The process group of `pid`, if it still exists.
pub fn group_of(pid: i32) -> Option<i32> {
    nix::unistd::getpgid(Some(Pid::from_raw(pid)))
        .ok()
        .map(Pid::as_raw)
}

/// Reaps `pid` if it is our child and has exited (never blocks).
/// Returns true when it was reaped or is not our child.
pub fn reap_if_exited(pid: i32) -> bool {
    match waitpid(Pid::from_raw(pid), Some(WaitPidFlag::WNOHANG)) {
        Ok(WaitStatus::StillAlive) => false,
        Ok(_) => true,
        Err(_) => true, // ECHILD: not ours (someone else reaps it) or already reaped
    }
}

/// Makes this process a child subreaper: orphaned descendants (e.g. the tool processes of
/// a CLI that died) are re-parented to us instead of to init, so we can stop and reap them.
/// Linux only; elsewhere it fails with `Unsupported` (see the module's fallback note).
pub fn become_subreaper() -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        nix::sys::prctl::set_child_subreaper(true).map_err(std::io::Error::from)
    }
    #[cfg(not(target_os = "linux"))]
    {
        Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            "child subreapers exist only on Linux",
        ))
    }
}

/// Arranges for the child `cmd` starts to get SIGKILL when this process dies (Linux
/// `PR_SET_PDEATHSIG`; a no-op elsewhere, see the module's fallback note).
///
/// The signal fires when the *thread* that forked the child exits, so `cmd` must be spawned
/// from a thread that lives as long as the server (`claude::spawn` has one).
pub fn kill_with_parent(cmd: &mut tokio::process::Command) {
    #[cfg(target_os = "linux")]
    {
        let parent = std::process::id();
        // SAFETY: runs in the forked child before exec; it only makes async-signal-safe
        // system calls (prctl, getppid) and allocates nothing.
        unsafe {
            cmd.pre_exec(move || {
                nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).map_err(std::io::Error::from)?;
                // The server died between fork and prctl: don't become an orphan.
                if nix::unistd::getppid().as_raw() as u32 != parent {
                    return Err(std::io::Error::other("parent exited during spawn"));
                }
                Ok(())
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = cmd;
    }
}
