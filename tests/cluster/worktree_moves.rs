//! A session in a worktree of its own whose replica dies resumes on another replica in
//! that worktree, uncommitted work included: replicas make worktrees on the shared
//! workspace (`WORKSPACE_DIR/.csp-worktrees/<NODE_ID>/`), not in their own `DATA_DIR`. Once
//! it ended, a third replica removes the kept worktree.

use std::path::PathBuf;

use serde_json::json;

use crate::chat::{assert_answered, say};
use crate::harness::{client, until, Cluster, Options, CLUSTER_WAIT};
use crate::helpers::{call, git, TEST_KEY};
use crate::ws_client::connect;

#[actix_web::test]
async fn a_worktree_session_resumes_on_another_replica_with_its_files() {
    let Some(mut c) = Cluster::start(Options::default()).await else {
        return;
    };
    let ws = std::fs::canonicalize(c.workspace()).unwrap();
    git(&ws, &["init", "-q", "-b", "main"]);
    std::fs::write(ws.join("README.md"), "hello\n").unwrap();
    git(&ws, &["add", "README.md"]);
    git(&ws, &["commit", "-qm", "one"]);

    let mut browser = connect(c.nodes[0].addr).await;
    browser
        .send(json!({"type": "create_session", "isolation": "worktree"}))
        .await;
    let id = loop {
        let f = browser.frame().await;
        match f["type"].as_str() {
            Some("session_ready") => break f["session_id"].as_str().unwrap().to_string(),
            Some("session_list" | "session_creating") => {}
            other => panic!("creating a session: unexpected {other:?}: {f}"),
        }
    };
    let first = "remember the file";
    assert_answered(&say(&mut browser, &id, first, 1).await, first);
    drop(browser);

    // Made by its replica in that replica's folder of the shared workspace.
    let owner = c
        .lease_holder(&id)
        .await
        .expect("a live session has a lease");
    let workdir = c
        .strings(
            "SELECT workdir AS v FROM sessions WHERE session_id = $1",
            Some(&id),
        )
        .await
        .pop()
        .map(PathBuf::from)
        .expect("the row names its directory");
    assert_eq!(
        workdir,
        ws.join(".csp-worktrees").join(&owner).join(&id),
        "the worktree is not on the shared workspace"
    );
    // The session's uncommitted work (as its tools would write it).
    std::fs::write(workdir.join("notes.txt"), "work in progress\n").unwrap();
    // Not the workspace checkout's own changes.
    let status = std::process::Command::new("git")
        .args(["-C", &ws.to_string_lossy(), "status", "--porcelain"])
        .output()
        .unwrap();
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(!status.contains(".csp-worktrees"), "{status}");

    let dead = c.nodes.iter().position(|n| n.id == owner).unwrap();
    c.kill9(dead);
    let suspended = until(
        CLUSTER_WAIT,
        || async {
            let state = (c.status(&id).await, c.lease_holder(&id).await);
            (state.0 == "suspended" && state.1.is_none())
                .then_some(())
                .ok_or(state)
        },
        |_| (),
    )
    .await;
    assert!(suspended.is_some(), "not suspended after its replica died");

    // The next message resumes it elsewhere, in its worktree, with the work still there.
    let live: Vec<usize> = (0..c.nodes.len()).filter(|&i| i != dead).collect();
    let mut browser = connect(c.nodes[live[0]].addr).await;
    let second = "carry on";
    assert_answered(&say(&mut browser, &id, second, 2).await, second);
    drop(browser);
    let resumed_on = c.lease_holder(&id).await.expect("resumed");
    assert_ne!(resumed_on, owner);
    let clis = c.clis_of(&id);
    assert_eq!(clis.len(), 1, "{clis:?}");
    let cwd = std::fs::read_link(format!("/proc/{}/cwd", clis[0].1)).unwrap();
    assert_eq!(cwd, workdir, "the resumed CLI runs elsewhere");
    let url = |i: usize, path: &str| format!("http://{}{path}", c.nodes[i].addr);
    let (status, diff) = call(
        client()
            .get(url(live[1], &format!("/api/v1/sessions/{id}/diff")))
            .insert_header(("X-API-Key", TEST_KEY)),
        None,
    )
    .await;
    assert_eq!(status, 200, "{diff}");
    assert!(diff.to_string().contains("notes.txt"), "{diff}");

    // Ended with uncommitted work: kept; then removed through a replica that did not make
    // it.
    let (status, body) = call(
        client()
            .delete(url(live[0], &format!("/api/v1/sessions/{id}")))
            .insert_header(("X-API-Key", TEST_KEY)),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        workdir.join("notes.txt").is_file(),
        "uncommitted work: kept"
    );
    let (status, body) = call(
        client()
            .delete(url(
                live[1],
                &format!("/api/v1/projects/workspace/worktrees/{id}?force=true"),
            ))
            .insert_header(("X-API-Key", TEST_KEY)),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["discarded_changes"].as_u64() >= Some(1), "{body}");
    assert!(!workdir.exists());
}
