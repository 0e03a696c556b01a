//! A session's own git worktree (`isolation: "worktree"`): made at create in the server's
//! `worktrees/<session id>` (under the data directory, never inside the user's checkout) on
//! a new branch `claude/<first 8 characters of the id>`, reused by resume and restart, and
//! removed when the session ends only if nothing in it is uncommitted — the branch always
//! stays. A repository without commits gets an orphan branch (`git worktree add --orphan`),
//! whose diff base is the empty tree.

use std::io;
use std::path::{Path, PathBuf};

use super::git;

/// A worktree made for a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Made {
    pub dir: PathBuf,
    pub branch: String,
    /// The commit it branched from; None for a repository without commits.
    pub base_commit: Option<String>,
}

/// The branch of session `id`: `claude/<first 8 characters>`.
pub fn branch_name(id: &str) -> String {
    format!("claude/{}", id.chars().take(8).collect::<String>())
}

/// Makes the worktree of session `id` of the repository `project` under `root` (blocking).
pub fn create(project: &Path, root: &Path, id: &str) -> io::Result<Made> {
    std::fs::create_dir_all(root)?;
    let dir = root.join(id);
    let mut branch = branch_name(id);
    if git::run(
        project,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("refs/heads/{branch}"),
        ],
    )?
    .status
    .success()
    {
        branch = format!("claude/{id}");
    }
    let dir_arg = dir.to_string_lossy().into_owned();
    let base_commit = git::head_commit(project);
    let out = match &base_commit {
        Some(commit) => git::run(
            project,
            &[
                "worktree", "add", "--quiet", "-b", &branch, &dir_arg, commit,
            ],
        ),
        None => git::run(
            project,
            &[
                "worktree", "add", "--quiet", "--orphan", "-b", &branch, &dir_arg,
            ],
        ),
    };
    git::check(out, "git worktree add")?;
    Ok(Made {
        dir: std::fs::canonicalize(&dir)?,
        branch,
        base_commit,
    })
}

/// The uncommitted changes of a worktree, leaving out the `.claude/skills|commands` links
/// the server itself made (`crate::extensions::expose_to_cli`).
pub fn uncommitted(dir: &Path) -> io::Result<Vec<String>> {
    Ok(git::changes(dir)?
        .into_iter()
        .filter(|path| !is_exposure_link(dir, path))
        .collect())
}

fn is_exposure_link(dir: &Path, path: &str) -> bool {
    let mut parts = path.trim_end_matches('/').split('/');
    let (Some(".claude"), Some(kind @ ("skills" | "commands")), Some(name), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    std::fs::read_link(dir.join(path)).ok() == Some(Path::new("../..").join(kind).join(name))
}

/// What ending a session did with its worktree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// Nothing uncommitted: removed (the branch stays).
    Removed,
    /// Uncommitted changes: kept where it is.
    Kept,
    /// Already gone.
    Missing,
}

/// Removes the worktree `dir` of `project` if nothing in it is uncommitted (blocking).
pub fn finish(project: &Path, dir: &Path) -> io::Result<Ended> {
    if !dir.exists() {
        let _ = git::run(project, &["worktree", "prune"]);
        return Ok(Ended::Missing);
    }
    if !uncommitted(dir)?.is_empty() {
        return Ok(Ended::Kept);
    }
    let dir_arg = dir.to_string_lossy().into_owned();
    // --force: the server's own links to skills and commands are untracked files.
    git::check(
        git::run(project, &["worktree", "remove", "--force", &dir_arg]),
        "git worktree remove",
    )?;
    Ok(Ended::Removed)
}

/// Makes the worktree `dir` again on its existing `branch` (it was removed, or deleted by
/// hand, while its session could still be resumed; blocking).
pub fn restore(project: &Path, dir: &Path, branch: &str) -> io::Result<()> {
    let _ = git::run(project, &["worktree", "prune"]);
    let dir_arg = dir.to_string_lossy().into_owned();
    git::check(
        git::run(project, &["worktree", "add", "--quiet", &dir_arg, branch]),
        "git worktree add",
    )
}

/// Removes the worktree `dir` of `project` and deletes its `branch`, whatever is in it
/// (blocking): for a worktree the pool made ahead of a session that never came
/// (`crate::actors::pool_projects`), which holds no user work. A branch without a commit
/// of its own (an orphan branch) has no ref to delete.
pub fn discard(project: &Path, dir: &Path, branch: &str) -> io::Result<()> {
    let dir_arg = dir.to_string_lossy().into_owned();
    let removed = git::check(
        git::run(project, &["worktree", "remove", "--force", &dir_arg]),
        "git worktree remove",
    );
    if removed.is_err() && dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    let _ = git::run(project, &["worktree", "prune"]);
    let exists = git::run(
        project,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("refs/heads/{branch}"),
        ],
    )?
    .status
    .success();
    if exists {
        git::check(
            git::run(project, &["branch", "-D", "--quiet", branch]),
            "git branch -D",
        )?;
    }
    Ok(())
}
