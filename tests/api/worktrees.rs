//! Worktree sessions beyond their basics (projects.rs): the pool keeps a worktree process
//! ready per project in use (its worktree made ahead, removed with its branch when never
//! taken), a fork of a worktree session gets a worktree of its own, and a kept worktree can
//! be removed over REST.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use claude_sdk_pattern::actors::pool::{ReadyIn, Shrink};
use claude_sdk_pattern::workspace::Isolation;
use serde_json::json;

use crate::engine_harness::{harness, Harness};
use crate::projects::{create, git, post, repo, run_bash};

/// The worktrees of the repository `repo` other than its own checkout.
pub(crate) fn worktrees(repo: &Path) -> Vec<PathBuf> {
    let top = std::fs::canonicalize(repo).unwrap();
    git(repo, &["worktree", "list", "--porcelain"])
        .lines()
        .filter_map(|l| l.strip_prefix("worktree "))
        .map(PathBuf::from)
        .filter(|p| *p != top)
        .collect()
}

/// The branches `claude/…` of `repo`.
pub(crate) fn session_branches(repo: &Path) -> Vec<String> {
    git(
        repo,
        &["branch", "--list", "claude/*", "--format=%(refname:short)"],
    )
    .lines()
    .map(str::to_string)
    .collect()
}

/// Waits (bounded) until the pool holds `n` ready worktree processes of `project`.
async fn wait_pooled(h: &Harness, project: &Path, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let ready = h
            .engine
            .pool
            .send(ReadyIn {
                dir: Some(std::fs::canonicalize(project).unwrap()),
                isolation: Isolation::Worktree,
            })
            .await
            .unwrap();
        if ready == n {
            return;
        }
        assert!(Instant::now() < deadline, "the pool did not reach {n}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits (bounded) until `cond` holds (a discard runs in the background).
async fn eventually(what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !cond() {
        assert!(Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The worktree the pool made ahead: the one no session row names.
async fn made_ahead(h: &Harness, project: &Path) -> PathBuf {
    let mut ahead = Vec::new();
    for dir in worktrees(project) {
        let id = dir.file_name().unwrap().to_str().unwrap().to_string();
        if h.db.get(&id).await.unwrap().is_none() {
            ahead.push(dir);
        }
    }
    assert_eq!(ahead.len(), 1, "{ahead:?}");
    ahead.pop().unwrap()
}

#[actix_web::test]
async fn a_worktree_session_from_a_warmed_pool_is_ready_without_a_spawn() {
    let projects = tempfile::tempdir().unwrap();
    let alpha = repo(projects.path(), "alpha");
    let root = projects.path().to_str().unwrap();
    let h = harness(&[
        ("WORKSPACES_ROOT", root),
        ("PREWARM_POOL_SIZE", "1"),
        ("PREWARM_POOL_MAX", "3"),
    ])
    .await;
    let body = json!({"project": "alpha", "isolation": "worktree"});

    // The project's first worktree session is a cold spawn; from then on the pool keeps a
    // process ready in a worktree of its own.
    let (status, first) = post(&h, "/api/v1/sessions", body.clone()).await;
    assert_eq!((status, first["source"].as_str()), (201, Some("cold")));
    wait_pooled(&h, &alpha, 1).await;
    let ahead = made_ahead(&h, &alpha).await;
    let ahead_id = ahead.file_name().unwrap().to_str().unwrap().to_string();

    // Taking it is instant: the session is the pooled process, in the worktree made for it.
    let (status, second) = post(&h, "/api/v1/sessions", body.clone()).await;
    assert_eq!(
        (status, second["source"].as_str()),
        (201, Some("pre-warmed"))
    );
    assert_eq!(second["session_id"], ahead_id.as_str());
    let row = h.db.get(&ahead_id).await.unwrap().unwrap();
    assert_eq!(Path::new(row.workdir.as_deref().unwrap()), ahead);
    assert_eq!(row.isolation.as_deref(), Some("worktree"));
    let branch = format!("claude/{}", &ahead_id[..8]);
    assert_eq!(row.branch.as_deref(), Some(branch.as_str()));
    let head = git(&alpha, &["rev-parse", "HEAD"]);
    assert_eq!(row.base_commit.as_deref(), Some(head.as_str()));
    // It works there, and only there.
    let id = claude_sdk_pattern::SessionId::parse(&ahead_id).unwrap();
    let mut ev = crate::engine_harness::collector();
    h.engine
        .subscribe(
            &crate::engine_harness::admin(),
            &id,
            ev.recipient.clone(),
            0,
        )
        .await
        .unwrap();
    run_bash(&h, &id, &mut ev, "echo pooled >> notes.txt", 1).await;
    assert_eq!(
        std::fs::read_to_string(ahead.join("notes.txt")).unwrap(),
        "one\npooled\n"
    );
    assert_eq!(
        std::fs::read_to_string(alpha.join("notes.txt")).unwrap(),
        "one\n"
    );

    // The pool made the next one ahead; a shrink (memory budget) removes it with its branch.
    wait_pooled(&h, &alpha, 1).await;
    let next = made_ahead(&h, &alpha).await;
    let next_branch = format!(
        "claude/{}",
        &next.file_name().unwrap().to_str().unwrap()[..8]
    );
    assert!(session_branches(&alpha).contains(&next_branch));
    let stopped = h
        .engine
        .pool
        .send(Shrink { bytes: 1, each: 1 })
        .await
        .unwrap();
    assert_eq!(stopped, 1);
    eventually("the shrunk pool's worktree is removed", || {
        !next.exists() && !session_branches(&alpha).contains(&next_branch)
    })
    .await;

    // The next create is cold again and refills; stopping the server removes that one too.
    let (status, third) = post(&h, "/api/v1/sessions", body).await;
    assert_eq!((status, third["source"].as_str()), (201, Some("cold")));
    wait_pooled(&h, &alpha, 1).await;
    let last = made_ahead(&h, &alpha).await;
    h.stop().await;
    assert!(!last.exists());
    // What is left: the three sessions' worktrees and branches, nothing of the pool's.
    let mut left: Vec<String> = worktrees(&alpha)
        .iter()
        .map(|d| d.file_name().unwrap().to_str().unwrap().to_string())
        .collect();
    left.sort();
    let mut sessions = vec![
        first["session_id"].as_str().unwrap().to_string(),
        ahead_id.clone(),
        third["session_id"].as_str().unwrap().to_string(),
    ];
    sessions.sort();
    assert_eq!(left, sessions);
    assert_eq!(session_branches(&alpha).len(), 3);
}

#[actix_web::test]
async fn a_fork_of_a_worktree_session_works_in_a_worktree_of_its_own_with_the_origins_files() {
    let projects = tempfile::tempdir().unwrap();
    let alpha = repo(projects.path(), "alpha");
    let root = projects.path().to_str().unwrap();
    let h = harness(&[("WORKSPACES_ROOT", root)]).await;
    let (id, mut ev) = create(&h, json!({"project": "alpha", "isolation": "worktree"})).await;
    let origin = h.db.get(id.as_str()).await.unwrap().unwrap();
    let origin_dir = PathBuf::from(origin.workdir.clone().unwrap());
    // The origin's work: one change committed on its branch, then uncommitted ones — a
    // modified file, a staged new file, an untracked file.
    run_bash(&h, &id, &mut ev, "echo committed >> notes.txt", 1).await;
    git(&origin_dir, &["commit", "-qam", "committed"]);
    run_bash(
        &h,
        &id,
        &mut ev,
        "echo uncommitted >> notes.txt && mkdir -p new && echo staged > new/file.txt && \
         git add new/file.txt && echo loose > scratch.txt",
        2,
    )
    .await;

    let (status, fork) = post(&h, &format!("/api/v1/sessions/{id}/fork"), json!({})).await;
    assert_eq!(status, 201, "{fork}");
    let fork_id =
        claude_sdk_pattern::SessionId::parse(fork["session_id"].as_str().unwrap()).unwrap();
    let fork_branch = format!("claude/{}", &fork_id.as_str()[..8]);
    assert_eq!(fork["isolation"], "worktree");
    assert_eq!(fork["branch"], fork_branch.as_str());
    assert_eq!(fork["project"], "alpha");
    let row = h.db.get(fork_id.as_str()).await.unwrap().unwrap();
    let fork_dir = PathBuf::from(row.workdir.clone().unwrap());
    assert_ne!(fork_dir, origin_dir);
    assert_eq!(
        fork_dir.file_name().unwrap().to_str(),
        Some(fork_id.as_str())
    );
    // Its diff counts from where the conversation began.
    assert_eq!(row.base_commit, origin.base_commit);
    // Its branch starts at the tip of the origin's, and it has the origin's files as they are.
    assert_eq!(
        git(&fork_dir, &["rev-parse", "HEAD"]),
        git(&origin_dir, &["rev-parse", "HEAD"])
    );
    assert_eq!(git(&fork_dir, &["branch", "--show-current"]), fork_branch);
    for (file, text) in [
        ("notes.txt", "one\ncommitted\nuncommitted\n"),
        ("new/file.txt", "staged\n"),
        ("scratch.txt", "loose\n"),
    ] {
        assert_eq!(
            std::fs::read_to_string(fork_dir.join(file)).unwrap(),
            text,
            "{file}"
        );
    }

    // The fork continues the conversation in its own checkout.
    let mut fork_ev = crate::engine_harness::collector();
    h.engine
        .subscribe(
            &crate::engine_harness::admin(),
            &fork_id,
            fork_ev.recipient.clone(),
            0,
        )
        .await
        .unwrap();
    let before = h.stub.requests().len();
    run_bash(&h, &fork_id, &mut fork_ev, "echo fork >> notes.txt", 1).await;
    let turn = h.stub.requests()[before..]
        .iter()
        .find(|r| !r.side)
        .cloned()
        .expect("the fork's turn reached the model");
    assert!(
        turn.messages.as_array().unwrap().len() >= 5,
        "the origin's turns came with the fork's first: {}",
        turn.messages
    );
    assert_eq!(
        std::fs::read_to_string(fork_dir.join("notes.txt")).unwrap(),
        "one\ncommitted\nuncommitted\nfork\n"
    );
    assert_eq!(
        std::fs::read_to_string(origin_dir.join("notes.txt")).unwrap(),
        "one\ncommitted\nuncommitted\n"
    );
    assert_eq!(
        std::fs::read_to_string(alpha.join("notes.txt")).unwrap(),
        "one\n"
    );

    // Ending the fork keeps its (uncommitted) worktree and leaves the origin's alone.
    h.engine
        .destroy_session(&crate::engine_harness::admin(), &fork_id)
        .await
        .unwrap();
    assert!(fork_dir.join("scratch.txt").exists());
    assert!(origin_dir.join("scratch.txt").exists());
    h.stop().await;
}

#[actix_web::test]
async fn a_kept_worktree_is_listed_and_removed_by_its_owner_or_an_admin() {
    use crate::helpers::TEST_KEY;
    let projects = tempfile::tempdir().unwrap();
    let alpha = repo(projects.path(), "alpha");
    let root = projects.path().to_str().unwrap();
    let h = harness(&[("WORKSPACES_ROOT", root)]).await;
    let bob = h.add_user("bob", "member").await;
    let body = json!({"project": "alpha", "isolation": "worktree"});
    let kept = |listing: &serde_json::Value| -> Vec<String> {
        listing["projects"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "alpha")
            .unwrap()["kept_worktrees"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["session_id"].as_str().unwrap().to_string())
            .collect()
    };

    // The admin's session, with uncommitted work in its worktree.
    let (status, created) = h
        .call_as(TEST_KEY, "POST", "/api/v1/sessions", Some(body.clone()))
        .await;
    assert_eq!(status, 201, "{created}");
    let a = created["session_id"].as_str().unwrap().to_string();
    let dir_a = PathBuf::from(h.db.get(&a).await.unwrap().unwrap().workdir.unwrap());
    std::fs::write(dir_a.join("notes.txt"), "one\nedited\n").unwrap();
    let remove_a = format!("/api/v1/projects/alpha/worktrees/{a}");
    let (status, refused) = h.call_as(TEST_KEY, "DELETE", &remove_a, None).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (409, Some("session_live")),
        "a live session's worktree is in use"
    );
    let (status, _) = h
        .call_as(TEST_KEY, "DELETE", &format!("/api/v1/sessions/{a}"), None)
        .await;
    assert_eq!(status, 200);
    assert!(dir_a.is_dir(), "uncommitted work: kept");
    let (_, listing) = h.call_as(TEST_KEY, "GET", "/api/v1/projects", None).await;
    assert_eq!(kept(&listing), vec![a.as_str()]);
    // Bob does not see it, and cannot remove it: to him it does not exist.
    let (_, his) = h.call_as(&bob.key, "GET", "/api/v1/projects", None).await;
    assert!(kept(&his).is_empty(), "{his}");
    let (status, body_bob) = h.call_as(&bob.key, "DELETE", &remove_a, None).await;
    assert_eq!(
        (status, body_bob["error"].as_str()),
        (404, Some("worktree_not_found"))
    );
    // Not in another project, not a project at all, not a bad flag.
    for (path, code, expected) in [
        (
            format!("/api/v1/projects/workspace/worktrees/{a}"),
            404,
            "worktree_not_found",
        ),
        (
            format!("/api/v1/projects/nope/worktrees/{a}"),
            404,
            "project_not_found",
        ),
        (format!("{remove_a}?force=maybe"), 400, "validation_error"),
        (
            "/api/v1/projects/alpha/worktrees/not-an-id".to_string(),
            400,
            "validation_error",
        ),
    ] {
        let (status, body) = h.call_as(TEST_KEY, "DELETE", &path, None).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (code, Some(expected)),
            "{path}"
        );
    }
    // Uncommitted changes: refused unless forced.
    let (status, dirty) = h.call_as(TEST_KEY, "DELETE", &remove_a, None).await;
    assert_eq!(
        (status, dirty["error"].as_str()),
        (409, Some("worktree_dirty"))
    );
    assert!(dirty["message"].as_str().unwrap().contains("1 uncommitted"));
    assert!(dir_a.is_dir());
    // Once the work is committed on its branch, a plain removal does it; the branch stays.
    git(&dir_a, &["commit", "-qam", "kept work"]);
    let (status, removed) = h.call_as(TEST_KEY, "DELETE", &remove_a, None).await;
    assert_eq!(status, 200, "{removed}");
    assert_eq!(removed["discarded_changes"], 0);
    let branch = removed["branch"].as_str().unwrap().to_string();
    assert!(!dir_a.exists());
    assert_eq!(
        git(&alpha, &["log", "-1", "--format=%s", &branch]),
        "kept work"
    );
    let (status, again) = h.call_as(TEST_KEY, "DELETE", &remove_a, None).await;
    assert_eq!(
        (status, again["error"].as_str()),
        (404, Some("worktree_not_found"))
    );

    // Bob's own session: he removes its kept worktree himself, throwing its work away.
    let (status, created) = h
        .call_as(&bob.key, "POST", "/api/v1/sessions", Some(body))
        .await;
    assert_eq!(status, 201, "{created}");
    let b = created["session_id"].as_str().unwrap().to_string();
    let dir_b = PathBuf::from(h.db.get(&b).await.unwrap().unwrap().workdir.unwrap());
    std::fs::write(dir_b.join("scratch.txt"), "loose\n").unwrap();
    h.call_as(&bob.key, "DELETE", &format!("/api/v1/sessions/{b}"), None)
        .await;
    let (_, his) = h.call_as(&bob.key, "GET", "/api/v1/projects", None).await;
    assert_eq!(kept(&his), vec![b.as_str()]);
    let (status, removed) = h
        .call_as(
            &bob.key,
            "DELETE",
            &format!("/api/v1/projects/alpha/worktrees/{b}?force=true"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{removed}");
    assert_eq!(removed["discarded_changes"], 1);
    assert!(!dir_b.exists());
    let (_, listing) = h.call_as(TEST_KEY, "GET", "/api/v1/projects", None).await;
    assert!(kept(&listing).is_empty(), "{listing}");
    h.stop().await;
}
