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

/// The settings of a server with `WORKSPACE_DIR=ws` and `DATA_DIR=data`; in replica mode
/// (`node` given) named `node`. Nothing is connected to.
pub(super) fn settings(ws: &Path, data: &Path, node: Option<&str>) -> Settings {
    let mut vars = vec![
        (
            "CLAUDE_SDK_PATTERN_API_KEY",
            "a-key-long-enough-123".to_string(),
        ),
        ("WORKSPACE_DIR", ws.to_string_lossy().into_owned()),
        ("DATA_DIR", data.to_string_lossy().into_owned()),
    ];
    if let Some(node) = node {
        vars.extend([
            ("NODE_ID", node.to_string()),
            ("NODE_URL", "http://127.0.0.1:9001".to_string()),
            (
                "CLUSTER_SECRET",
                "cluster-secret-0123456789abcdef-xyz".to_string(),
            ),
            (
                "DATABASE_URL",
                "postgres://csp:pw@127.0.0.1:5432/csp".to_string(),
            ),
        ]);
    }
    Settings::from_vars(vars.into_iter().map(|(k, v)| (k.to_string(), v))).unwrap()
}

#[test]
fn worktrees_live_in_the_data_dir_alone_and_on_the_shared_workspace_per_node_as_replicas() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    std::fs::create_dir_all(&ws).unwrap();
    let ws = std::fs::canonicalize(&ws).unwrap();
    let data = std::fs::canonicalize(tmp.path()).unwrap().join("data");
    let id = "aaaaaaaa-0000-4000-8000-000000000000";

    // One machine: the data directory's, as before; nothing made in the workspace.
    let single = settings(&ws, &data, None);
    assert_eq!(worktrees_dir(&single), data.join("worktrees"));
    prepare_shared_worktrees(&single).unwrap();
    assert!(!ws.join(SHARED_WORKTREES_DIR).exists());
    assert!(is_session_worktree(
        &single,
        &data.join("worktrees").join(id),
        id
    ));
    let shared = ws.join(SHARED_WORKTREES_DIR);
    assert!(!is_session_worktree(
        &single,
        &shared.join("n-1").join(id),
        id
    ));

    // Replicas: the shared workspace, one folder per node, which every replica accepts as
    // a server-made worktree (a session keeps its directory wherever it resumes).
    let a = settings(&ws, &data, Some("n-1"));
    let b = settings(&ws, &data, Some("n-2"));
    assert_eq!(worktrees_dir(&a), shared.join("n-1"));
    assert_eq!(worktrees_dir(&b), shared.join("n-2"));
    let made_on_a = shared.join("n-1").join(id);
    assert!(is_session_worktree(&a, &made_on_a, id));
    assert!(is_session_worktree(&b, &made_on_a, id));
    // Rows from before replica mode.
    assert!(is_session_worktree(
        &b,
        &data.join("worktrees").join(id),
        id
    ));
    // Anything else is not one.
    let other = "bbbbbbbb-0000-4000-8000-000000000000";
    assert!(!is_session_worktree(&b, &made_on_a, other));
    assert!(!is_session_worktree(&b, &shared.join(id), id));
    assert!(!is_session_worktree(&b, &shared.join("N_1").join(id), id));
    assert!(!is_session_worktree(&b, &ws.join("n-1").join(id), id));
    assert!(!is_session_worktree(
        &b,
        &shared.join("n-1").join("x").join(id),
        id
    ));
}

/// With `WORKSPACE_DIR` a git checkout, the replicas' worktrees inside it are neither its
/// untracked changes nor in its file list, while a worktree's own files are all listed.
#[test]
fn shared_worktrees_are_not_the_workspaces_changes_nor_hidden_from_their_sessions() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    std::fs::create_dir_all(&ws).unwrap();
    git(&ws, &["init", "-q"]);
    std::fs::write(ws.join("file"), "one\n").unwrap();
    git(&ws, &["add", "file"]);
    git(&ws, &["commit", "-qm", "one"]);
    let s = settings(&ws, &tmp.path().join("data"), Some("n-1"));
    prepare_shared_worktrees(&s).unwrap();
    let made = worktree::create(
        &ws,
        &worktrees_dir(&s),
        "aaaaaaaa-0000-4000-8000-000000000000",
    )
    .unwrap();
    std::fs::write(made.dir.join("new"), "x\n").unwrap();

    assert!(git::changes(&ws).unwrap().is_empty());
    assert_eq!(crate::changes::files::walk(&ws).files, ["file"]);
    assert_eq!(git::changes(&made.dir).unwrap(), ["new"]);
    let mut listed = crate::changes::files::walk(&made.dir).files;
    listed.sort();
    assert_eq!(listed, ["file", "new"]);
}
