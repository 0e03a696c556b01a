//! A session's own git worktree (`isolation: "worktree"`): made at create in the server's
//! `worktrees/<session id>` (under the data directory, never inside the user's checkout) on
//! a new branch `claude/<first 8 characters of the id>`, reused by resume and restart, and
//! removed when the session ends only if nothing in it is uncommitted — the branch always
//! stays. A repository without commits gets an orphan branch (`git worktree add --orphan`),
//! whose diff base is the empty tree.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use super::git;

/// Held by every change to a repository's worktrees. git does not make concurrent
/// `worktree add` / `remove` / `prune` safe: one reads the others' half-written admin
/// directories (`fatal: failed to read .git/worktrees/<id>/commondir`), which happened when
/// a create made its worktree while the pool made the next one. They take tens of
/// milliseconds, so one lock for every repository is enough.
static CHANGING: Mutex<()> = Mutex::new(());

fn changing() -> MutexGuard<'static, ()> {
    // A panic while holding it leaves nothing to repair: git's own state is on disk.
    CHANGING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

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

/// Makes the worktree of session `id` of the repository `project` under `root`, from the
/// project's `HEAD` (blocking).
pub fn create(project: &Path, root: &Path, id: &str) -> io::Result<Made> {
    add(project, root, id, git::head_commit(project))
}

/// Makes the worktree of session `id` under `root` on a new branch started at `start` (None:
/// an orphan branch, for a repository without commits).
fn add(project: &Path, root: &Path, id: &str, start: Option<String>) -> io::Result<Made> {
    let _changing = changing();
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
    let base_commit = start;
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
    let _changing = changing();
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

/// Removes the worktree `dir` of `project` whatever is in it; its branch stays (blocking).
pub fn remove(project: &Path, dir: &Path) -> io::Result<()> {
    let _changing = changing();
    let dir_arg = dir.to_string_lossy().into_owned();
    git::check(
        git::run(project, &["worktree", "remove", "--force", &dir_arg]),
        "git worktree remove",
    )
}

/// Makes the worktree `dir` again on its existing `branch` (it was removed, or deleted by
/// hand, while its session could still be resumed; blocking).
pub fn restore(project: &Path, dir: &Path, branch: &str) -> io::Result<()> {
    let _changing = changing();
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
    let _changing = changing();
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

/// Makes the worktree of the fork `id` of a worktree session (blocking): a new branch
/// started at the tip of the origin's branch `origin_branch` (an orphan branch when it has
/// no commit yet), with the origin's uncommitted work copied in from `origin_dir` when it
/// still exists — the changes to tracked files as a binary patch against the origin's
/// `HEAD`, untracked files (not ignored ones) copied. Staged or not in the origin, they
/// arrive unstaged. The server's own `.claude/skills|commands` links are not copied.
pub fn fork(
    project: &Path,
    root: &Path,
    id: &str,
    origin_dir: &Path,
    origin_branch: &str,
) -> io::Result<Made> {
    let tip = git::run(
        project,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("refs/heads/{origin_branch}^{{commit}}"),
        ],
    )?;
    let start = tip
        .status
        .success()
        .then(|| String::from_utf8_lossy(&tip.stdout).trim().to_string())
        .filter(|s| !s.is_empty());
    let made = add(project, root, id, start)?;
    if origin_dir.is_dir() {
        if let Err(e) = copy_uncommitted(origin_dir, &made.dir) {
            let _ = discard(project, &made.dir, &made.branch);
            return Err(e);
        }
    }
    Ok(made)
}

/// Copies the uncommitted work of the worktree `from` into the clean worktree `to`.
fn copy_uncommitted(from: &Path, to: &Path) -> io::Result<()> {
    let base = git::head_commit(from).unwrap_or_else(|| crate::changes::EMPTY_TREE.to_string());
    let patch = git::run(
        from,
        &["diff", "--binary", "--no-color", "--no-ext-diff", &base],
    )?;
    if !patch.status.success() {
        return Err(io::Error::other(format!(
            "git diff: {}",
            String::from_utf8_lossy(&patch.stderr).trim()
        )));
    }
    if !patch.stdout.is_empty() {
        git::check(
            git::run_with_input(
                to,
                &["apply", "--binary", "--whitespace=nowarn", "-"],
                &patch.stdout,
            ),
            "git apply",
        )?;
    }
    let untracked = git::run(from, &["ls-files", "--others", "--exclude-standard", "-z"])?;
    for path in untracked
        .stdout
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
    {
        let rel = String::from_utf8_lossy(path).into_owned();
        if is_exposure_link(from, &rel) {
            continue;
        }
        let (src, dst) = (from.join(&rel), to.join(&rel));
        if let Some(parent) = dst.parent() {
            std::fs::create_dir_all(parent)?;
        }
        match std::fs::read_link(&src) {
            Ok(target) => std::os::unix::fs::symlink(target, &dst)?,
            Err(_) => {
                std::fs::copy(&src, &dst)?;
            }
        }
    }
    Ok(())
}
