//! Resume paths and the server's start and stop: nothing is left running.

use std::process::{Command, Stdio};

use claude_sdk_pattern::db::{MessageKind, Session, SessionStatus};
use claude_sdk_pattern::model_stub::Reply;
use claude_sdk_pattern::process::{children_of, is_alive};
use claude_sdk_pattern::protocol::{EventBody, Source};
use nix::sys::signal::Signal;

use crate::cli::cli_path;
use crate::engine_harness::admin;
use crate::engine_harness::{collector, ends_turn, harness, text_of, wait_until};
use crate::helpers::{base_env, open_test_db, ServerProcess};

#[actix_web::test]
async fn an_unrestorable_transcript_gives_a_fresh_session_with_a_notice() {
    let h = harness(&[
        ("SESSION_IDLE_TIMEOUT_SECONDS", "1"),
        ("IDLE_GRACE_SECONDS", "0"),
        ("MONITOR_INTERVAL_SECONDS", "1"),
    ])
    .await;
    let (id, mut ev) = h.open().await;
    h.stub.push(Reply::text("Hi."));
    h.engine.query(&admin(), &id, "hello", 1).await.unwrap();
    ev.until(ends_turn).await;
    ev.until(|b| matches!(b, EventBody::SessionTerminated { .. }))
        .await;

    // Corrupt the transcript while the session is suspended.
    let projects = h.dir.path().join("cli-config/projects");
    let transcript = walk(&projects)
        .into_iter()
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n == format!("{id}.jsonl").as_str())
        })
        .expect("the CLI wrote a transcript");
    std::fs::write(&transcript, "garbage\nmore garbage\n").unwrap();
    h.wait_status(&id, SessionStatus::Suspended).await;

    let resumed = h.engine.resume_session(&admin(), &id).await.unwrap();
    assert_eq!(resumed.source, Source::Resumed);
    let notices: Vec<_> =
        h.db.messages(id.as_str(), 0)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.kind == MessageKind::Notice)
            .collect();
    assert!(
        notices.iter().any(|m| m.payload["text"]
            .as_str()
            .unwrap()
            .starts_with("Previous session could not be restored")),
        "{notices:?}"
    );
    let kept_aside = walk(&projects).into_iter().any(|p| {
        p.to_string_lossy()
            .contains(&format!("{id}.jsonl.unrestorable-"))
    });
    assert!(kept_aside, "the unreadable transcript is kept, not deleted");
    // The fresh conversation works.
    let mut ev = collector();
    h.engine
        .subscribe(&admin(), &id, ev.recipient.clone(), 0)
        .await
        .unwrap();
    h.stub.push(Reply::text("Fresh start."));
    h.engine
        .query(&admin(), &id, "hello again", 2)
        .await
        .unwrap();
    assert_eq!(text_of(&ev.until(ends_turn).await), "Fresh start.");
    h.stop().await;
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[actix_web::test]
async fn at_start_stale_sessions_are_suspended_and_their_clis_killed() {
    let dir = tempfile::tempdir().unwrap();
    let env = base_env(dir.path());
    let db = open_test_db(dir.path()).await;
    // A CLI left running by a "crashed" server, and one recorded pid that is now
    // something else (it must not be killed).
    let mut leftover = Command::new(cli_path())
        .args([
            "--output-format",
            "stream-json",
            "--verbose",
            "--input-format",
            "stream-json",
        ])
        .env("CLAUDE_CONFIG_DIR", dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut bystander = Command::new("sleep").arg("60").spawn().unwrap();
    for (id, pid) in [
        ("stale-cli", leftover.id()),
        ("stale-other", bystander.id()),
    ] {
        let mut row = Session::new(id, claude_sdk_pattern::db::BOOTSTRAP_USER_ID);
        row.status = SessionStatus::Active;
        row.subprocess_pid = Some(pid as i32);
        db.save(&row).await.unwrap();
    }

    let mut server = ServerProcess::start(&env);
    server.wait_listening();
    let status = leftover.wait().unwrap();
    assert_eq!(status.code(), None, "killed by a signal");
    assert!(
        is_alive(bystander.id() as i32),
        "an unrelated process is left alone"
    );
    for id in ["stale-cli", "stale-other"] {
        let row = db.get(id).await.unwrap().unwrap();
        assert_eq!(row.status, SessionStatus::Suspended);
        assert!(row.is_resumable);
    }
    server.signal(Signal::SIGTERM);
    assert_eq!(server.wait_exit().code(), Some(0));
    let _ = bystander.kill();
    let _ = bystander.wait();
}

/// The CLI processes (the pool's) under a running server.
async fn server_clis(server_pid: i32, n: usize) -> Vec<i32> {
    let mut found = Vec::new();
    wait_until("the pool's CLI processes", || {
        found = children_of(server_pid);
        found.len() >= n
    })
    .await;
    found
}

#[actix_web::test]
async fn sigterm_stops_every_cli_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let mut env = base_env(dir.path());
    env.retain(|(k, _)| k != "PREWARM_POOL_SIZE");
    env.push(("PREWARM_POOL_SIZE".into(), "2".into()));
    let mut server = ServerProcess::start(&env);
    server.wait_listening();
    let clis = server_clis(server.pid, 2).await;
    server.signal(Signal::SIGTERM);
    assert_eq!(server.wait_exit().code(), Some(0));
    // Stopped by the server before it exited (a zombie awaiting its new parent counts as
    // gone: it no longer runs).
    for pid in clis {
        assert!(!is_alive(pid), "CLI {pid} outlived the server");
    }
    assert!(
        server.stdout_text().contains("\"msg\":\"stopped\""),
        "a clean stop is logged"
    );
}

#[actix_web::test]
async fn a_killed_server_takes_its_clis_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut env = base_env(dir.path());
    env.retain(|(k, _)| k != "PREWARM_POOL_SIZE");
    env.push(("PREWARM_POOL_SIZE".into(), "1".into()));
    let mut server = ServerProcess::start(&env);
    server.wait_listening();
    let clis = server_clis(server.pid, 1).await;
    server.signal(Signal::SIGKILL);
    server.wait_exit();
    // PR_SET_PDEATHSIG: the kernel kills each CLI when the server dies.
    wait_until("the CLIs to die with the server", || {
        clis.iter().all(|p| !is_alive(*p))
    })
    .await;
}
