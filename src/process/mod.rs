//! Operating-system processes, in one place: reading them ([`scan`], through `sysinfo`),
//! signalling and reaping them ([`signal`]), stopping a whole tree with one kill ladder
//! ([`ProcessTree`]), the registry of live CLI processes, and the two sweeps that use the
//! ladder on processes they find ([`sweep_orphans`], [`recover_stale_clis`]).
//!
//! Linux-only calls (child subreaper, parent-death signal, the kernel's children lists) are
//! behind `cfg(target_os = "linux")`; [`signal`] documents the fallback elsewhere.

mod registry;
mod scan;
mod signal;
mod sweep;
mod tree;

pub use registry::{forget_cli, live_cli_pids, register_cli};
pub use scan::{
    children_of, command_lines, descendants, environments, infos, is_alive, rss_bytes_of_tree,
    rss_of_trees, ProcInfo,
};
pub use signal::{
    become_subreaper, group_of, kill_with_parent, reap_if_exited, signal_group, signal_pid,
};
pub use sweep::{recover_stale_clis, sweep_orphans, OWNER_ENV};
pub use tree::{Exit, Ladder, ProcessTree, StopMethod, Stopped};
