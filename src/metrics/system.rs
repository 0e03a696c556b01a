//! The server process's own resident memory and open file descriptors (Linux `/proc`;
//! `None` elsewhere).

/// Resident memory of this process, in bytes.
pub fn server_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Open file descriptors of this process.
pub fn open_fds() -> Option<u64> {
    // The directory listing's own descriptor is counted too; it is closed right after.
    let n = std::fs::read_dir("/proc/self/fd").ok()?.count() as u64;
    Some(n.saturating_sub(1))
}
