//! A server killed with the pool's worktree made ahead (SIGKILL: no clean stop discards it)
//! sweeps it, with its branch, at the next start; a kept worktree of a real session stays.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use claude_sdk_pattern::model_stub::{ModelStub, StubMode};
use nix::sys::signal::Signal;
use serde_json::{json, Value};

use crate::drain::env_for;
use crate::helpers::{call, ServerProcess, TEST_KEY, WAIT};
use crate::projects::repo;
use crate::worktrees::{session_branches as branches, worktrees};

fn client() -> awc::Client {
    awc::Client::builder().timeout(WAIT).finish()
}

async fn ready_processes(addr: std::net::SocketAddr) -> u64 {
    let (_, body) = call(
        client().get(format!("http://{addr}/api/v1/health/ready")),
        None,
    )
    .await;
    body["pool"]["ready"].as_u64().unwrap_or(0)
}

#[actix_web::test]
async fn the_pools_worktree_left_by_a_killed_server_is_removed_at_the_next_start() {
    let stub = ModelStub::start(0, StubMode::Scripted).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let projects = tempfile::tempdir().unwrap();
    let alpha = repo(projects.path(), "alpha");
    let root = projects.path().to_str().unwrap().to_string();
    let env = env_for(
        dir.path(),
        &stub,
        &[
            ("WORKSPACES_ROOT", &root),
            ("PREWARM_POOL_SIZE", "1"),
            ("PREWARM_POOL_MAX", "3"),
        ],
    );
    let mut server = ServerProcess::start(&env);
    let addr = server.wait_listening();
    let key = ("X-API-Key", TEST_KEY);

    // A real session in a worktree, ended with uncommitted work: its worktree is kept.
    let (status, created) = call(
        client()
            .post(format!("http://{addr}/api/v1/sessions"))
            .insert_header(key)
            .content_type("application/json"),
        Some(&json!({"project": "alpha", "isolation": "worktree"}).to_string()),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let kept_id = created["session_id"].as_str().unwrap().to_string();
    let kept = worktrees(&alpha)
        .into_iter()
        .find(|d| d.file_name().unwrap().to_str() == Some(kept_id.as_str()))
        .expect("the session's worktree");
    std::fs::write(kept.join("notes.txt"), "one\nmine\n").unwrap();
    let (status, _) = call(
        client()
            .delete(format!("http://{addr}/api/v1/sessions/{kept_id}"))
            .insert_header(key),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert!(kept.is_dir(), "uncommitted work: kept");

    // The pool makes the project's next worktree ahead (default pool 1 + alpha's 1).
    let deadline = Instant::now() + Duration::from_secs(90);
    while ready_processes(addr).await < 2 || worktrees(&alpha).len() < 2 {
        assert!(Instant::now() < deadline, "the pool made no worktree ahead");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let ahead: Vec<PathBuf> = worktrees(&alpha)
        .into_iter()
        .filter(|d| *d != kept)
        .collect();
    assert_eq!(ahead.len(), 1, "{ahead:?}");
    let ahead = ahead[0].clone();
    let ahead_id = ahead.file_name().unwrap().to_str().unwrap().to_string();
    let ahead_branch = format!("claude/{}", &ahead_id[..8]);
    let kept_branch = format!("claude/{}", &kept_id[..8]);
    let mut before = branches(&alpha);
    before.sort();
    let mut expected = vec![ahead_branch.clone(), kept_branch.clone()];
    expected.sort();
    assert_eq!(before, expected);

    // Killed: nothing discards the pool's worktree.
    server.signal(Signal::SIGKILL);
    server.wait_exit();
    assert!(ahead.is_dir());

    // The next start removes it and its branch before it listens; the kept one stays.
    let server = ServerProcess::start(&env);
    let removed: Value =
        server.wait_for_log("removed a worktree the pool made for a session that never came");
    assert_eq!(removed["session_id"], ahead_id.as_str());
    let _addr = server.wait_listening();
    assert!(!ahead.exists(), "the pool's worktree is gone");
    assert!(!branches(&alpha).contains(&ahead_branch), "and its branch");
    assert!(!worktrees(&alpha).contains(&ahead));
    assert_eq!(
        std::fs::read_to_string(kept.join("notes.txt")).unwrap(),
        "one\nmine\n",
        "the kept worktree is untouched"
    );
    assert!(worktrees(&alpha).contains(&kept));
    assert!(branches(&alpha).contains(&kept_branch));
}
