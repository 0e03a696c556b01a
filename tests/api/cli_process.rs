//! The protocol layer against the real CLI (start, resume errors, stop) and, for faults the
//! real one cannot show, the fake CLI.

use std::time::Duration;

use claude_sdk_pattern::claude::{ClaudeError, ClaudeProcess, CliEvent, SessionStart, StopMethod};
use claude_sdk_pattern::process::{descendants, is_alive};

use crate::cli::{is_exit, new_id, until, CliSandbox};

/// Nothing listens here: these tests never reach the model.
const NO_MODEL: &str = "http://127.0.0.1:9";

#[tokio::test]
async fn start_initializes_and_stop_leaves_nothing() {
    let sb = CliSandbox::new();
    let id = new_id();
    let started = ClaudeProcess::start(sb.options(SessionStart::New(id.clone()), NO_MODEL))
        .await
        .unwrap();
    let p = started.process;
    assert_eq!(p.session_id(), id);
    assert_eq!(started.init.version.as_deref(), Some("2.1.331"));
    assert_eq!(started.init.cli_pid, Some(p.pid() as u64));
    assert!(started.init.ready_in < Duration::from_secs(60));
    assert!(is_alive(p.pid()));
    p.set_permission_mode("acceptEdits").await.unwrap();
    p.set_permission_mode("default").await.unwrap();
    // The CLI's refusal comes back as an error, and the process stays usable.
    match p.set_permission_mode("no-such-mode").await {
        Err(ClaudeError::Rejected { what, message }) => {
            assert_eq!(what, "set_permission_mode");
            assert!(message.contains("acceptEdits"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // Interrupt while idle is acknowledged and changes nothing.
    p.interrupt().await.unwrap();

    let report = p.stop().await;
    assert_eq!(report.method, StopMethod::StdinClosed, "{report:?}");
    assert_eq!(report.exit.unwrap().code, Some(0));
    assert!(!is_alive(p.pid()));
    let mut events = started.events;
    let all = until(&mut events, is_exit).await;
    assert!(matches!(all.last(), Some(CliEvent::Exited(e)) if e.code == Some(0)));
    // Requests after the exit fail at once with the reason.
    assert!(matches!(
        p.interrupt().await,
        Err(ClaudeError::Exited { .. } | ClaudeError::Closed)
    ));
}

#[tokio::test]
async fn a_bad_resume_fails_with_the_clis_own_reason() {
    let sb = CliSandbox::new();
    let unknown = new_id();
    let err = ClaudeProcess::start(sb.options(SessionStart::Resume(unknown.clone()), NO_MODEL))
        .await
        .err()
        .expect("resume of an unknown id must fail");
    match err {
        ClaudeError::Exited { message } => {
            assert!(message.contains("No conversation found"), "{message}");
            assert!(message.contains(&unknown), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_invalid_session_id_fails_with_the_stderr_text() {
    let sb = CliSandbox::new();
    let err = ClaudeProcess::start(sb.options(SessionStart::New("not-a-uuid".into()), NO_MODEL))
        .await
        .err()
        .unwrap();
    assert!(
        matches!(&err, ClaudeError::Exited { message } if message.contains("Invalid session ID")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_missing_binary_is_a_spawn_error() {
    let sb = CliSandbox::new();
    let mut o = sb.options(SessionStart::New(new_id()), NO_MODEL);
    o.cli_path = sb.dir.path().join("no-such-claude");
    let err = ClaudeProcess::start(o).await.err().unwrap();
    assert!(matches!(err, ClaudeError::Spawn { .. }), "{err:?}");
}

#[tokio::test]
async fn stop_kills_a_cli_that_ignores_sigterm_and_its_whole_tree() {
    let sb = CliSandbox::new();
    let started = ClaudeProcess::start(sb.fake("ignore-term")).await.unwrap();
    let p = started.process;
    let tree = wait_for_descendants(p.pid(), 2).await;
    let report = p.stop().await;
    assert_eq!(report.method, StopMethod::Killed, "{report:?}");
    assert_eq!(report.exit.unwrap().signal, Some(9));
    assert!(!is_alive(p.pid()));
    for d in tree {
        assert!(!is_alive(d), "descendant {d} survived");
    }
}

#[tokio::test]
async fn an_oversized_line_is_skipped_and_the_session_goes_on() {
    let sb = CliSandbox::new();
    let mut o = sb.fake("flood");
    o.max_line_bytes = 1024 * 1024;
    let started = ClaudeProcess::start(o).await.unwrap();
    assert!(started.init.cli_pid.is_some());
    let report = started.process.stop().await;
    assert_eq!(report.method, StopMethod::StdinClosed);
}

#[tokio::test]
async fn a_cli_dying_mid_line_fails_initialize_with_its_stderr() {
    let sb = CliSandbox::new();
    let (p, mut events) = ClaudeProcess::spawn(sb.fake("die-mid-line")).await.unwrap();
    let err = p.initialize().await.unwrap_err();
    assert_eq!(
        err,
        ClaudeError::Exited {
            message: "Error: simulated startup failure".into()
        }
    );
    let all = until(&mut events, is_exit).await;
    match all.last() {
        Some(CliEvent::Exited(e)) => {
            assert_eq!(e.code, Some(3));
            assert_eq!(e.stderr_tail, vec!["Error: simulated startup failure"]);
        }
        other => panic!("{other:?}"),
    }
}

/// Waits (bounded) until `pid` has at least `n` descendants; returns their pids.
pub async fn wait_for_descendants(pid: i32, n: usize) -> Vec<i32> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let found: Vec<i32> = tokio::task::spawn_blocking(move || descendants(pid))
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.pid)
            .collect();
        if found.len() >= n {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "pid {pid} has {found:?}, wanted {n} descendants"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
