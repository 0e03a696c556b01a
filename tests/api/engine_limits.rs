//! Monitor and limits with the real CLI: memory restart with the conversation kept, age
//! limit, idle suspension and transparent resume, crash restart and its budget, orphans.

use std::time::Duration;

use claude_sdk_pattern::db::SessionStatus;
use claude_sdk_pattern::model_stub::Reply;
use claude_sdk_pattern::process::{is_alive, signal_pid};
use claude_sdk_pattern::protocol::{EventBody, Source};
use claude_sdk_pattern::SessionId;
use nix::sys::signal::Signal;
use serde_json::json;

use crate::engine_harness::admin;
use crate::engine_harness::{
    collector, ends_turn, harness, next_permission, text_of, wait_dead, Events, Harness,
};

async fn turn(h: &Harness, ev: &mut Events, id: &SessionId, text: &str, reply: &str) -> String {
    h.stub.push(Reply::text(reply));
    h.engine.query(&admin(), id, text, 1).await.unwrap();
    text_of(&ev.until(ends_turn).await)
}

/// The last conversation request the model received.
fn last_history(h: &Harness) -> String {
    h.stub
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.path == "/v1/messages" && !r.side)
        .unwrap()
        .messages
        .to_string()
}

#[actix_web::test]
async fn over_the_memory_limit_a_session_restarts_and_keeps_its_conversation() {
    // An idle CLI already uses ~160 MB.
    let h = harness(&[
        ("MAX_SESSION_RSS_MB", "100"),
        ("MONITOR_INTERVAL_SECONDS", "1"),
    ])
    .await;
    let (id, mut ev) = h.open().await;
    let old_pid = h.pid(&id).await;
    assert_eq!(
        turn(&h, &mut ev, &id, "The password is marmalade.", "Noted.").await,
        "Noted."
    );
    let restart = ev
        .until(|b| matches!(b, EventBody::SessionRestarting { .. }))
        .await;
    match &restart.last().unwrap().body {
        EventBody::SessionRestarting { reason, message } => {
            assert_eq!(reason, "memory_limit");
            assert_eq!(
                message,
                "Session restarted for performance. Conversation preserved."
            );
        }
        _ => unreachable!(),
    }
    let ready = ev
        .until(|b| matches!(b, EventBody::SessionReady { .. }))
        .await;
    assert!(matches!(
        ready.last().unwrap().body,
        EventBody::SessionReady {
            source: Source::Resumed,
            ..
        }
    ));
    let new_pid = h.pid(&id).await;
    assert_ne!(new_pid, old_pid);
    wait_dead(old_pid).await;
    assert_eq!(
        turn(&h, &mut ev, &id, "What is the password?", "Marmalade.").await,
        "Marmalade."
    );
    assert!(last_history(&h).contains("The password is marmalade."));
    h.stop().await;
}

#[actix_web::test]
async fn a_session_is_warned_then_closed_at_its_age_limit() {
    let h = harness(&[
        ("MAX_SESSION_DURATION_SECONDS", "4"),
        ("MONITOR_INTERVAL_SECONDS", "1"),
    ])
    .await;
    let (id, mut ev) = h.open().await;
    let pid = h.pid(&id).await;
    let warned = ev
        .until(|b| matches!(b, EventBody::SessionWarning { .. }))
        .await;
    match &warned.last().unwrap().body {
        EventBody::SessionWarning {
            kind,
            remaining_seconds,
        } => {
            assert_eq!(kind, "duration");
            assert!(*remaining_seconds <= 1, "{remaining_seconds}");
        }
        _ => unreachable!(),
    }
    let end = ev
        .until(|b| matches!(b, EventBody::SessionTerminated { .. }))
        .await;
    assert!(matches!(
        &end.last().unwrap().body,
        EventBody::SessionTerminated { reason, resumable: true, .. } if reason == "duration_limit"
    ));
    wait_dead(pid).await;
    let row = h.db.get(id.as_str()).await.unwrap().unwrap();
    assert_eq!(row.status, SessionStatus::Terminated);
    assert_eq!(row.terminated_reason.as_deref(), Some("duration_limit"));
    assert!(row.is_resumable);
    // Resumable by hand.
    let resumed = h.engine.resume_session(&admin(), &id).await.unwrap();
    assert_eq!(resumed.source, Source::Resumed);
    h.stop().await;
}

#[actix_web::test]
async fn an_idle_session_is_suspended_and_a_message_resumes_it() {
    let h = harness(&[
        ("SESSION_IDLE_TIMEOUT_SECONDS", "1"),
        ("IDLE_GRACE_SECONDS", "1"),
        ("MONITOR_INTERVAL_SECONDS", "1"),
    ])
    .await;
    let (id, mut ev) = h.open().await;
    turn(&h, &mut ev, &id, "Remember: the boat is blue.", "OK.").await;
    let pid = h.pid(&id).await;
    let end = ev
        .until(|b| matches!(b, EventBody::SessionTerminated { .. }))
        .await;
    assert!(matches!(
        &end.last().unwrap().body,
        EventBody::SessionTerminated { reason, resumable: true, .. } if reason == "idle"
    ));
    wait_dead(pid).await;
    h.wait_status(&id, SessionStatus::Suspended).await;

    // A new message wakes it transparently, with the conversation.
    let mut ev = collector();
    h.stub.push(Reply::text("Blue."));
    h.engine
        .query(&admin(), &id, "What colour is the boat?", 2)
        .await
        .unwrap();
    h.engine
        .subscribe(&admin(), &id, ev.recipient.clone(), 0)
        .await
        .unwrap();
    let turn = ev.until(ends_turn).await;
    assert_eq!(text_of(&turn), "Blue.");
    assert!(last_history(&h).contains("the boat is blue"));
    assert_eq!(
        h.db.get(id.as_str()).await.unwrap().unwrap().status,
        SessionStatus::Active
    );
    h.stop().await;
}

#[actix_web::test]
async fn a_crashed_cli_is_resumed_and_too_many_crashes_fail_the_session() {
    let h = harness(&[]).await;
    let (id, mut ev) = h.open().await;
    turn(&h, &mut ev, &id, "Keep this: 42.", "Kept.").await;

    // Killed mid-turn: the turn ends with stream_error, text kept, then a resume.
    h.stub.push(Reply::tokens(400, Duration::from_millis(25)));
    h.engine.query(&admin(), &id, "talk", 2).await.unwrap();
    ev.until(|b| matches!(b, EventBody::StreamDelta { .. }))
        .await;
    signal_pid(h.pid(&id).await, Signal::SIGKILL);
    let crash = ev
        .until(|b| matches!(b, EventBody::SessionReady { .. }))
        .await;
    assert!(crash.iter().any(|e| matches!(
        e.body,
        EventBody::StreamError {
            partial_preserved: true,
            ..
        }
    )));
    assert!(crash.iter().any(|e| matches!(
        &e.body,
        EventBody::SessionRestarting { reason, .. } if reason == "crashed"
    )));
    assert_eq!(
        turn(&h, &mut ev, &id, "What did I ask you to keep?", "42.").await,
        "42."
    );
    assert!(last_history(&h).contains("Keep this: 42."));

    // Three more crashes within a minute exhaust the budget (3 restarts in 60 s).
    for _ in 0..2 {
        signal_pid(h.pid(&id).await, Signal::SIGKILL);
        ev.until(|b| matches!(b, EventBody::SessionReady { .. }))
            .await;
    }
    let pid = h.pid(&id).await;
    signal_pid(pid, Signal::SIGKILL);
    let end = ev
        .until(|b| matches!(b, EventBody::SessionTerminated { .. }))
        .await;
    assert!(matches!(
        &end.last().unwrap().body,
        EventBody::SessionTerminated { reason, resumable: true, .. } if reason == "failed"
    ));
    h.wait_status(&id, SessionStatus::Failed).await;
    // Failed sessions are resumable by hand.
    h.engine.resume_session(&admin(), &id).await.unwrap();
    h.stop().await;
}

#[actix_web::test]
async fn orphans_of_a_killed_cli_are_stopped_and_reaped() {
    let h = harness(&[("MONITOR_INTERVAL_SECONDS", "1")]).await;
    let (id, mut ev) = h.open().await;
    h.stub.push(Reply::tool(
        "Bash",
        json!({"command": "python3 -c 'import time; time.sleep(300)'", "description": "Wait"}),
        "Done.",
    ));
    h.engine.query(&admin(), &id, "wait", 1).await.unwrap();
    let request_id = next_permission(&mut ev).await;
    h.engine
        .answer_permission(&admin(), &id, &request_id, true, None)
        .await
        .unwrap();
    let cli = h.pid(&id).await;
    let tool = wait_for_python(cli).await;
    signal_pid(cli, Signal::SIGKILL);
    // The tool survives its CLI's death as an orphan of ours, until the monitor acts.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while is_alive(tool) || std::path::Path::new(&format!("/proc/{tool}")).exists() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "orphan {tool} was not reaped"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    h.stop().await;
}

/// Waits (bounded) for the python started by the Bash tool under `cli`.
async fn wait_for_python(cli: i32) -> i32 {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let found =
            tokio::task::spawn_blocking(move || claude_sdk_pattern::process::descendants(cli))
                .await
                .unwrap();
        for p in found {
            let argv0 =
                std::fs::read_to_string(format!("/proc/{}/cmdline", p.pid)).unwrap_or_default();
            if argv0.split('\0').next().unwrap_or("").ends_with("/python3") {
                return p.pid;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the tool never started"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
