//! The CLI processes this server spawned and has not reaped yet: the orphan sweep must
//! never touch them. Written by the spawner (`claude::spawn`) and the CLI's waiter task.

use std::collections::HashSet;
use std::sync::Mutex;

static LIVE_CLIS: Mutex<Option<HashSet<i32>>> = Mutex::new(None);

fn with<T>(f: impl FnOnce(&mut HashSet<i32>) -> T) -> T {
    let mut guard = LIVE_CLIS.lock().unwrap_or_else(|p| p.into_inner());
    f(guard.get_or_insert_with(HashSet::new))
}

/// Records a freshly spawned CLI.
pub fn register_cli(pid: i32) {
    with(|set| set.insert(pid));
}

/// Forgets a CLI once it has been reaped.
pub fn forget_cli(pid: i32) {
    with(|set| set.remove(&pid));
}

/// The CLI processes of this server that are still running (or not yet reaped).
pub fn live_cli_pids() -> HashSet<i32> {
    with(|set| set.clone())
}
