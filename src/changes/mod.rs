//! Where a session works, and what it changed there (issue 17): the git diff of a session's
//! directory (`diff.rs`), its files for @-mentions (`files.rs`), and the check that keeps a
//! message's @-mentions inside it (`mentions.rs`). Everything here is a function over a
//! directory and an optional base commit; which directory a session has is decided once,
//! in [`workspace_of`].

pub mod diff;
pub mod files;
pub mod git;
pub mod mentions;

use std::path::PathBuf;

use crate::config::Settings;
use crate::db::Session;

/// The git tree with nothing in it: the base of a repository without commits.
pub const EMPTY_TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

/// A session's directory and the commit its changes are counted from (`None`: the
/// working tree against `HEAD`, or against the empty tree before the first commit).
///
/// The one place the diff, `changes_updated` and the @-mention check ask: the session's
/// workspace ([`crate::workspace::session_workspace`]) — its project's directory, or its
/// worktree counted from the commit it branched from.
pub fn workspace_of(settings: &Settings, session: &Session) -> (PathBuf, Option<String>) {
    use crate::workspace::DiffBase;
    let ws = crate::workspace::session_workspace(settings, session);
    let base = match ws.base {
        DiffBase::Head => None,
        DiffBase::Commit(c) => Some(c),
        DiffBase::EmptyTree => Some(EMPTY_TREE.to_string()),
    };
    (ws.dir, base)
}

/// The tools after which a session's directory may have changed (the `changes_updated`
/// frame follows a turn that ran one).
pub const EDITING_TOOLS: &[&str] = &["Edit", "Write", "MultiEdit", "NotebookEdit", "Bash"];

/// True for a tool that may change files.
pub fn edits_files(tool: &str) -> bool {
    EDITING_TOOLS.contains(&tool)
}
