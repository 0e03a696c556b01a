//! The start-up sweep of worktrees the pool made ahead for sessions that never came
//! (`crate::actors::pool_projects`): a server killed without a clean stop (SIGKILL, a
//! crash, a power cut) cannot discard them, so the next start does.
//!
//! Only what the server itself made is touched, and only when nothing in it can be a
//! user's work: a directory of `worktrees/` named by a session id (a lowercase hyphenated
//! UUID) that no session row names, which is a git worktree on the branch the server names
//! after that id (`claude/<8 characters>` or `claude/<id>`), listed by its repository, with
//! nothing uncommitted and no commit of its own (none that no other ref reaches). Anything
//! else is left where it is.

use std::path::{Path, PathBuf};

use slog::{info, warn, Logger};

use super::{git, worktree};
use crate::db::Db;
use crate::session_id::SessionId;

/// Discards the pool's leftover worktrees under `root` (see the module doc); returns how
/// many were removed. Runs before the pool starts, so no worktree is being made meanwhile.
pub async fn sweep(db: &Db, root: &Path, log: &Logger) -> usize {
    let Ok(entries) = std::fs::read_dir(root) else {
        return 0;
    };
    let mut orphans = Vec::new();
    for entry in entries.flatten() {
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
        let is_id = SessionId::parse(&name).is_ok_and(|id| id.as_str() == name);
        if !is_dir || !is_id {
            continue;
        }
        match db.get(&name).await {
            Ok(None) => orphans.push((name, entry.path())),
            Ok(Some(_)) => {}
            Err(e) => {
                warn!(log, "could not check a worktree's session; left alone"; "session_id" => &name, "error" => %e);
            }
        }
    }
    let log = log.clone();
    tokio::task::spawn_blocking(move || {
        let mut removed = 0;
        for (id, dir) in orphans {
            match discard_if_pooled(&id, &dir) {
                Ok(Some(branch)) => {
                    info!(log, "removed a worktree the pool made for a session that never came"; "session_id" => &id, "branch" => branch);
                    removed += 1;
                }
                Ok(None) => {
                    warn!(log, "a worktree without a session is not one the pool left; left alone"; "session_id" => &id);
                }
                Err(e) => {
                    warn!(log, "could not remove a worktree the pool left"; "session_id" => &id, "error" => %e);
                }
            }
        }
        removed
    })
    .await
    .unwrap_or(0)
}

/// Discards the worktree `dir` of session `id` and its branch if it is, strictly, one the
/// pool made and never handed out (blocking); Some(branch) when it did.
fn discard_if_pooled(id: &str, dir: &Path) -> std::io::Result<Option<String>> {
    let Some(branch) = stdout(dir, &["symbolic-ref", "--quiet", "--short", "HEAD"]) else {
        return Ok(None);
    };
    if branch != worktree::branch_name(id) && branch != format!("claude/{id}") {
        return Ok(None);
    }
    let Some(project) = repository_of(dir) else {
        return Ok(None);
    };
    let dir = std::fs::canonicalize(dir)?;
    if !listed_on(&project, &dir, &branch) || !worktree::uncommitted(&dir)?.is_empty() {
        return Ok(None);
    }
    if has_own_commits(&project, &branch) {
        return Ok(None);
    }
    worktree::discard(&project, &dir, &branch)?;
    Ok(Some(branch))
}

/// The checkout whose `.git` the worktree `dir` belongs to.
fn repository_of(dir: &Path) -> Option<PathBuf> {
    let common = stdout(
        dir,
        &["rev-parse", "--path-format=absolute", "--git-common-dir"],
    )?;
    let common = PathBuf::from(common);
    if common.file_name()? != ".git" {
        return None;
    }
    std::fs::canonicalize(common.parent()?).ok()
}

/// Whether `project` lists `dir` as one of its worktrees, on `branch`.
fn listed_on(project: &Path, dir: &Path, branch: &str) -> bool {
    let Some(list) = stdout(project, &["worktree", "list", "--porcelain"]) else {
        return false;
    };
    let want_branch = format!("branch refs/heads/{branch}");
    list.split("\n\n").any(|block| {
        let mut lines = block.lines();
        let listed = lines
            .next()
            .and_then(|l| l.strip_prefix("worktree "))
            .and_then(|p| std::fs::canonicalize(p).ok());
        listed.as_deref() == Some(dir) && lines.any(|l| l == want_branch)
    })
}

/// Whether `branch` of `project` has a commit no other ref (nor the checkout's HEAD)
/// reaches. A branch without a commit (an orphan branch not yet born) has none.
fn has_own_commits(project: &Path, branch: &str) -> bool {
    let own = format!("refs/heads/{branch}");
    let exists = git::run(project, &["rev-parse", "--verify", "--quiet", &own])
        .is_ok_and(|o| o.status.success());
    if !exists {
        return false;
    }
    let exclude = format!("--exclude={own}");
    match stdout(
        project,
        &[
            "rev-list",
            "--count",
            "--single-worktree",
            &own,
            "--not",
            &exclude,
            "--all",
        ],
    ) {
        Some(count) => count != "0",
        // Cannot tell: keep it.
        None => true,
    }
}

/// The trimmed standard output of a git command that succeeded.
fn stdout(dir: &Path, args: &[&str]) -> Option<String> {
    let out = git::run(dir, args).ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::tests::git as git_ok;

    fn branch_exists(repo: &Path, branch: &str) -> bool {
        git::run(
            repo,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("refs/heads/{branch}"),
            ],
        )
        .unwrap()
        .status
        .success()
    }

    /// Replicas share the workspace: each one's start-up sweep discards what its own pool
    /// left, in its own node's folder, and never another replica's.
    #[tokio::test]
    async fn a_replicas_sweep_leaves_another_nodes_folder_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let ws = tmp.path().join("ws");
        std::fs::create_dir_all(&ws).unwrap();
        git_ok(&ws, &["init", "-q", "-b", "main"]);
        std::fs::write(ws.join("file"), "one\n").unwrap();
        git_ok(&ws, &["add", "file"]);
        git_ok(&ws, &["commit", "-qm", "one"]);
        let data = tmp.path().join("data");
        let a = crate::workspace::tests::settings(&ws, &data, Some("n-1"));
        let b = crate::workspace::tests::settings(&ws, &data, Some("n-2"));
        let (root_a, root_b) = (
            crate::workspace::worktrees_dir(&a),
            crate::workspace::worktrees_dir(&b),
        );
        // Both as a pool makes them ahead: no session row names either.
        let on_a = worktree::create(&ws, &root_a, "aaaaaaaa-0000-4000-8000-000000000000").unwrap();
        let on_b = worktree::create(&ws, &root_b, "bbbbbbbb-0000-4000-8000-000000000000").unwrap();
        let db = Db::open(&tmp.path().join("test.db")).await.unwrap();
        let log = Logger::root(slog::Discard, slog::o!());

        assert_eq!(sweep(&db, &root_a, &log).await, 1);
        assert!(!on_a.dir.exists());
        assert!(!branch_exists(&ws, &on_a.branch));
        assert!(on_b.dir.join("file").is_file());
        assert!(branch_exists(&ws, &on_b.branch));
        assert!(listed_on(&ws, &on_b.dir, &on_b.branch));
    }

    #[test]
    fn only_a_clean_worktree_on_its_own_untouched_branch_is_discarded() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path().join("repo");
        let trees = tmp.path().join("trees");
        std::fs::create_dir_all(&repo).unwrap();
        git_ok(&repo, &["init", "-q", "-b", "main"]);
        std::fs::write(repo.join("file"), "one\n").unwrap();
        git_ok(&repo, &["add", "file"]);
        git_ok(&repo, &["commit", "-qm", "one"]);
        let id = |n: char| format!("{}-0000-4000-8000-000000000000", n.to_string().repeat(8));

        // As the pool made it: removed, with its branch.
        let clean = worktree::create(&repo, &trees, &id('a')).unwrap();
        assert_eq!(
            discard_if_pooled(&id('a'), &clean.dir).unwrap(),
            Some(clean.branch.clone())
        );
        assert!(!clean.dir.exists());
        assert!(!branch_exists(&repo, &clean.branch));

        // Uncommitted work: left alone.
        let dirty = worktree::create(&repo, &trees, &id('b')).unwrap();
        std::fs::write(dirty.dir.join("file"), "two\n").unwrap();
        assert_eq!(discard_if_pooled(&id('b'), &dirty.dir).unwrap(), None);
        assert!(dirty.dir.is_dir());

        // A commit of its own: left alone.
        let committed = worktree::create(&repo, &trees, &id('c')).unwrap();
        std::fs::write(committed.dir.join("new"), "x\n").unwrap();
        git_ok(&committed.dir, &["add", "new"]);
        git_ok(&committed.dir, &["commit", "-qm", "mine"]);
        assert_eq!(discard_if_pooled(&id('c'), &committed.dir).unwrap(), None);
        assert!(branch_exists(&repo, &committed.branch));

        // Switched to a branch the server did not name after it: left alone.
        let other = worktree::create(&repo, &trees, &id('d')).unwrap();
        git_ok(&other.dir, &["switch", "-q", "-c", "feature"]);
        assert_eq!(discard_if_pooled(&id('d'), &other.dir).unwrap(), None);
        assert!(other.dir.is_dir());

        // Another session's directory name: left alone.
        let named = worktree::create(&repo, &trees, &id('e')).unwrap();
        assert_eq!(discard_if_pooled(&id('f'), &named.dir).unwrap(), None);
        assert!(named.dir.is_dir());
        assert!(branch_exists(&repo, &named.branch));
    }
}
