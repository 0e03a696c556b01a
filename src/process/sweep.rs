//! The two clean-ups that find processes rather than being handed them: the orphan sweep
//! (the tools of a CLI that died, re-parented to the server) and the start-up recovery of
//! CLIs a previous run left behind. Both stop what they find through [`ProcessTree`].

use std::collections::HashSet;
use std::ffi::OsString;
use std::path::Path;
use std::sync::Mutex;

use super::registry::live_cli_pids;
use super::scan::{self, ProcInfo};
use super::tree::{Exit, Ladder, ProcessTree};

/// Set in every CLI's environment to the server's pid; tool processes inherit it, so an
/// orphan re-parented to the server can be told apart from the server's other children.
pub const OWNER_ENV: &str = "CLAUDE_SDK_PATTERN_OWNER";

/// The non-zombie suspects of the previous sweep (see [`confirmed`]).
static SUSPECTS: Mutex<Option<HashSet<i32>>> = Mutex::new(None);

/// Our children that came from one of our CLIs but are not a live CLI, stopped with
/// [`Ladder::ORPHAN`] and reaped; with `zombies`, unknown zombie children are reaped too
/// (only when every child of this process is ours). Returns how many.
pub async fn sweep_orphans(zombies: bool) -> usize {
    let found = tokio::task::spawn_blocking(move || {
        let found = find_orphans(zombies);
        let mut previous = SUSPECTS.lock().unwrap_or_else(|p| p.into_inner());
        confirmed(
            found,
            previous.get_or_insert_with(HashSet::new),
            &live_cli_pids(),
        )
    })
    .await
    .unwrap_or_default();
    let count = found.len();
    let stops = found.into_iter().map(|p| async move {
        let mut tree = ProcessTree::in_group(p.pid, p.pgid);
        let mut exit = Exit::<()>::Reap;
        if p.zombie {
            let _ = tokio::task::spawn_blocking(move || super::reap_if_exited(p.pid)).await;
        } else {
            tree.stop(Ladder::ORPHAN, &mut exit, None::<std::future::Ready<()>>)
                .await;
        }
    });
    futures_util::future::join_all(stops).await;
    count
}

/// Of the processes `found` now, those to stop: zombies at once; a running one only when
/// the previous sweep found it too and it is still no live CLI. A CLI being spawned is
/// our child, carries [`OWNER_ENV`] and is not in the registry for the moment between
/// its exec and `register_cli`: a single look SIGTERMed such CLIs mid-start (a create
/// refused with `internal`, a wake or crash restart failed, the session left `failed`).
/// `previous` becomes this sweep's suspects.
fn confirmed(
    found: Vec<ProcInfo>,
    previous: &mut HashSet<i32>,
    live: &HashSet<i32>,
) -> Vec<ProcInfo> {
    let (zombies, running): (Vec<_>, Vec<_>) = found.into_iter().partition(|p| p.zombie);
    let (stop, wait): (Vec<_>, Vec<_>) = running
        .into_iter()
        .filter(|p| !live.contains(&p.pid))
        .partition(|p| previous.contains(&p.pid));
    *previous = wait.iter().map(|p| p.pid).collect();
    zombies.into_iter().chain(stop).collect()
}

fn find_orphans(zombies: bool) -> Vec<ProcInfo> {
    let me = std::process::id() as i32;
    let live = live_cli_pids();
    let candidates: Vec<i32> = scan::children_of(me)
        .into_iter()
        .filter(|pid| !live.contains(pid))
        .collect();
    let mark: OsString = format!("{OWNER_ENV}={me}").into();
    let envs = scan::environments(&candidates);
    scan::infos(&candidates)
        .into_iter()
        .filter(|p| {
            if p.zombie {
                zombies
            } else {
                envs.get(&p.pid).is_some_and(|env| env.contains(&mark))
            }
        })
        .collect()
}

/// Kills (with their groups) the processes among `pids` that still run `cli` in
/// stream-json mode — the CLIs of sessions a previous run left live. A recycled pid that
/// now runs something else is left alone. Returns how many were killed.
pub async fn recover_stale_clis(pids: Vec<i32>, cli: &Path) -> usize {
    let cli = cli.to_path_buf();
    let ours = tokio::task::spawn_blocking(move || {
        let lines = scan::command_lines(&pids);
        pids.into_iter()
            .filter(|pid| lines.get(pid).is_some_and(|args| runs_cli(args, &cli)))
            .collect::<Vec<_>>()
    })
    .await
    .unwrap_or_default();
    for &pid in &ours {
        let mut tree = ProcessTree::group_leader(pid);
        tree.stop(
            Ladder::STALE,
            &mut Exit::<()>::Poll,
            None::<std::future::Ready<()>>,
        )
        .await;
    }
    ours.len()
}

/// The command line runs our CLI (`cli`'s file name, or the native `claude.exe`) with
/// `--input-format stream-json`.
fn runs_cli(args: &[OsString], cli: &Path) -> bool {
    let name = cli
        .file_name()
        .map(|n| n.as_encoded_bytes())
        .unwrap_or(b"claude");
    let runs_cli = args.iter().take(2).any(|a| {
        let a = a.as_encoded_bytes();
        a.ends_with(name) || a.ends_with(b"claude.exe")
    });
    runs_cli
        && args.iter().any(|a| a == "--input-format")
        && args.iter().any(|a| a == "stream-json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_running_suspect_is_stopped_only_when_the_next_sweep_finds_it_again_and_not_live() {
        let p = |pid, zombie| ProcInfo {
            pid,
            ppid: 1,
            pgid: pid,
            zombie,
        };
        let pids = |v: Vec<ProcInfo>| v.into_iter().map(|p| p.pid).collect::<Vec<_>>();
        let mut previous = HashSet::new();
        let none = HashSet::new();
        // First look: zombies go at once; 10 (a CLI mid-spawn?) and 11 only become suspects.
        let first = confirmed(
            vec![p(9, true), p(10, false), p(11, false)],
            &mut previous,
            &none,
        );
        assert_eq!(pids(first), vec![9]);
        // 10 was a CLI: registered since. 11 is still there and no CLI: stopped. 12 is new.
        let live = HashSet::from([10]);
        let second = confirmed(
            vec![p(10, false), p(11, false), p(12, false)],
            &mut previous,
            &live,
        );
        assert_eq!(pids(second), vec![11]);
        assert_eq!(previous, HashSet::from([12]));
    }

    #[test]
    fn only_our_cli_in_stream_json_mode_counts() {
        let cli = Path::new("/opt/x/node_modules/.bin/claude");
        let args = |a: &[&str]| a.iter().map(OsString::from).collect::<Vec<_>>();
        assert!(runs_cli(
            &args(&[
                "node",
                "/opt/x/node_modules/.bin/claude",
                "--input-format",
                "stream-json"
            ]),
            cli
        ));
        assert!(runs_cli(
            &args(&[
                "/y/claude.exe",
                "--output-format",
                "stream-json",
                "--input-format",
                "stream-json"
            ]),
            cli
        ));
        assert!(!runs_cli(&args(&["sleep", "60"]), cli));
        assert!(!runs_cli(&args(&["node", "claude"]), cli));
    }
}
