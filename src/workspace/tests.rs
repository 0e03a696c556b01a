use std::os::unix::fs::symlink;

use super::*;
use crate::protocol::ErrorCode;

fn config(root: &Path, default: &Path) -> ProjectsConfig {
    ProjectsConfig::from_vars(default, root.to_str(), None, None).unwrap()
}

#[test]
fn names_resolve_inside_the_root_only() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("projects");
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(root.join("alpha")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    symlink(&outside, root.join("escape")).unwrap();
    symlink(root.join("alpha"), root.join("alias")).unwrap();
    let c = config(&root, &root.join("alpha"));

    assert_eq!(c.default_name, "alpha");
    assert_eq!(c.resolve(None).unwrap().name, "alpha");
    assert_eq!(
        c.resolve(Some("alias")).unwrap().dir,
        c.resolve(Some("alpha")).unwrap().dir
    );
    for bad in ["..", "../outside", "/etc", "alpha/..", ".git", "", "a\\b"] {
        assert_eq!(
            c.resolve(Some(bad)).unwrap_err().0,
            ErrorCode::InvalidProject,
            "{bad}"
        );
    }
    assert_eq!(
        c.resolve(Some("escape")).unwrap_err().0,
        ErrorCode::InvalidProject
    );
    assert_eq!(
        c.resolve(Some("nope")).unwrap_err().0,
        ErrorCode::ProjectNotFound
    );
    let names: Vec<String> = c.all().into_iter().map(|(p, _)| p.name).collect();
    assert_eq!(names, ["alpha", "alias"]);
}

#[test]
fn listed_directories_and_isolation_are_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    std::fs::create_dir_all(&a).unwrap();
    let list = a.to_str().unwrap().to_string();
    let c = ProjectsConfig::from_vars(tmp.path(), None, Some(&list), Some("worktree")).unwrap();
    assert_eq!(c.default_isolation, Isolation::Worktree);
    assert_eq!(
        c.resolve(Some("a")).unwrap().dir,
        std::fs::canonicalize(&a).unwrap()
    );
    let twice = format!("{list},{list}");
    assert_eq!(
        ProjectsConfig::from_vars(tmp.path(), None, Some(&twice), None)
            .unwrap_err()
            .0,
        "WORKSPACES"
    );
    assert_eq!(
        ProjectsConfig::from_vars(tmp.path(), None, None, Some("sometimes"))
            .unwrap_err()
            .0,
        "DEFAULT_ISOLATION"
    );
}

/// Runs git in `dir` as a test author; fails the test on an error.
pub(super) fn git(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn worktrees_branch_from_head_or_start_orphan_and_are_kept_when_dirty() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let trees = tmp.path().join("trees");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q"]);

    // No commit yet: an orphan branch, the empty tree as base.
    let empty = worktree::create(&repo, &trees, "00000000-aaaa").unwrap();
    assert_eq!(empty.base_commit, None);
    assert_eq!(empty.branch, "claude/00000000");
    assert!(empty.dir.is_dir());
    assert_eq!(
        worktree::finish(&repo, &empty.dir).unwrap(),
        worktree::Ended::Removed
    );

    std::fs::write(repo.join("file"), "one\n").unwrap();
    git(&repo, &["add", "file"]);
    git(&repo, &["commit", "-qm", "one"]);
    let head = git::head_commit(&repo).unwrap();
    let made = worktree::create(&repo, &trees, "11111111-bbbb").unwrap();
    assert_eq!(made.base_commit.as_deref(), Some(head.as_str()));
    assert_eq!(
        std::fs::read_to_string(made.dir.join("file")).unwrap(),
        "one\n"
    );
    // The server's own links do not count as uncommitted work.
    std::fs::create_dir_all(made.dir.join("commands")).unwrap();
    std::fs::write(made.dir.join("commands/x.md"), "hi").unwrap();
    crate::extensions::expose_to_cli(&made.dir).unwrap();
    assert!(made.dir.join(".claude/commands/x.md").exists());
    assert_eq!(worktree::uncommitted(&made.dir).unwrap(), ["commands/x.md"]);
    git(&made.dir, &["add", "commands"]);
    git(&made.dir, &["commit", "-qm", "cmd"]);
    assert!(worktree::uncommitted(&made.dir).unwrap().is_empty());
    std::fs::write(made.dir.join("file"), "two\n").unwrap();
    assert_eq!(
        worktree::finish(&repo, &made.dir).unwrap(),
        worktree::Ended::Kept
    );
    git(&made.dir, &["commit", "-qam", "two"]);
    assert_eq!(
        worktree::finish(&repo, &made.dir).unwrap(),
        worktree::Ended::Removed
    );
    assert!(!made.dir.exists());
    git(
        &repo,
        &["rev-parse", "--verify", "refs/heads/claude/11111111"],
    );
    assert!(git::state(&repo).unwrap().branch.is_some());
    assert!(git::is_repo_top(&repo));
    assert!(!git::is_repo_top(tmp.path()));
}

/// Worktrees made and discarded at the same time in one repository (a create while the pool
/// makes or drops the next one) all succeed: git reads the others' half-written admin
/// directories unless the server takes them one at a time.
#[test]
fn worktrees_made_and_discarded_at_once_in_one_repository_all_succeed() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let trees = tmp.path().join("trees");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q"]);
    std::fs::write(repo.join("a.txt"), "a\n").unwrap();
    git(&repo, &["add", "a.txt"]);
    git(&repo, &["commit", "-q", "-m", "one"]);
    let ids: Vec<String> = (0..8).map(|i| format!("{i:08}-bbbb-cccc")).collect();
    let made: Vec<worktree::Made> = std::thread::scope(|s| {
        let handles: Vec<_> = ids
            .iter()
            .map(|id| s.spawn(|| worktree::create(&repo, &trees, id)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap().unwrap())
            .collect()
    });
    std::thread::scope(|s| {
        for m in &made {
            let repo = &repo;
            s.spawn(move || worktree::discard(repo, &m.dir, &m.branch).unwrap());
        }
        // Made while the others are being discarded.
        s.spawn(|| worktree::create(&repo, &trees, "99999999-bbbb-cccc").unwrap());
    });
    for m in &made {
        assert!(!m.dir.exists(), "{} was not discarded", m.dir.display());
    }
    assert!(trees.join("99999999-bbbb-cccc").join("a.txt").exists());
}
