//! Whole turns through the real CLI against the scripted model server: streaming, tools
//! with permission allowed and denied, interrupts, resume, API errors, crashes, stop.

use std::time::Duration;

use claude_sdk_pattern::claude::{
    ClaudeError, ClaudeProcess, CliEvent, ContentBlock, PermissionDecision, SessionStart, Started,
    StopMethod,
};
use claude_sdk_pattern::model_stub::{ModelStub, Reply, StubMode};
use claude_sdk_pattern::process::is_alive;
use serde_json::json;

use crate::cli::{is_exit, is_result, new_id, next, streamed_text, until, CliSandbox};

async fn setup() -> (CliSandbox, ModelStub) {
    let sb = CliSandbox::new();
    let stub = ModelStub::start(0, StubMode::Scripted).await.unwrap();
    (sb, stub)
}

async fn start(sb: &CliSandbox, stub: &ModelStub, session: SessionStart) -> Started {
    ClaudeProcess::start(sb.options(session, &stub.url()))
        .await
        .unwrap()
}

fn result_of(events: &[CliEvent]) -> &claude_sdk_pattern::claude::TurnResult {
    match events.last() {
        Some(CliEvent::TurnResult(r)) => r,
        other => panic!("turn did not end with a result: {other:?}"),
    }
}

#[tokio::test]
async fn a_streamed_text_turn_delivers_every_token() {
    let (sb, stub) = setup().await;
    let text = "Streaming works: every token arrives, in order, exactly once.";
    stub.push(Reply::Text {
        text: text.into(),
        delay: Duration::from_millis(5),
    });
    let Started {
        process,
        mut events,
        ..
    } = start(&sb, &stub, SessionStart::New(new_id())).await;
    process.send_user_message("hello").await.unwrap();
    let turn = until(&mut events, is_result).await;
    assert_eq!(streamed_text(&turn), text);
    assert!(turn.iter().any(|e| matches!(
        e,
        CliEvent::Assistant { block: ContentBlock::Text { text: t }, streamed: true, .. } if t == text
    )));
    assert!(matches!(turn[0], CliEvent::TurnStarted { .. }));
    let r = result_of(&turn);
    assert!(!r.is_error, "{r:?}");
    assert_eq!(r.result.as_deref(), Some(text));
    assert!(r.total_cost_usd >= r.cost_usd);
    assert_eq!(
        stub.requests().last().unwrap().last_user_text.as_deref(),
        Some("hello")
    );
    process.stop().await;
}

/// Runs a tool turn, answering the permission request with `decision`.
async fn tool_turn(decision: PermissionDecision) -> (CliSandbox, Vec<CliEvent>) {
    let (sb, stub) = setup().await;
    stub.push(Reply::tool(
        "Bash",
        json!({"command": "echo made > proof.txt", "description": "Write a proof file"}),
        "All done.",
    ));
    let Started {
        process,
        mut events,
        ..
    } = start(&sb, &stub, SessionStart::New(new_id())).await;
    process
        .send_user_message("please write the file")
        .await
        .unwrap();
    let mut turn = until(&mut events, |e| matches!(e, CliEvent::PermissionRequest(_))).await;
    let CliEvent::PermissionRequest(req) = turn.last().unwrap().clone() else {
        unreachable!()
    };
    assert_eq!(req.tool_name, "Bash");
    assert_eq!(req.input["command"], "echo made > proof.txt");
    assert!(req.reason.contains("Bash"), "{}", req.reason);
    assert_eq!(req.description.as_deref(), Some("Write a proof file"));
    process
        .answer_permission(&req.request_id, decision)
        .await
        .unwrap();
    // A second answer to the same request is refused, not written to the CLI.
    assert!(matches!(
        process
            .answer_permission(&req.request_id, PermissionDecision::Allow)
            .await,
        Err(ClaudeError::NotPending { .. })
    ));
    turn.extend(until(&mut events, is_result).await);
    assert_eq!(streamed_text(&turn).trim_end(), "All done.");
    process.stop().await;
    (sb, turn)
}

#[tokio::test]
async fn a_bash_tool_runs_when_permission_is_allowed() {
    let (sb, turn) = tool_turn(PermissionDecision::Allow).await;
    let (is_error, duration) = turn
        .iter()
        .find_map(|e| match e {
            CliEvent::ToolResult {
                is_error,
                duration_ms,
                ..
            } => Some((*is_error, *duration_ms)),
            _ => None,
        })
        .unwrap();
    assert!(!is_error);
    assert!(duration.is_some());
    let proof = std::fs::read_to_string(sb.workspace().join("proof.txt")).unwrap();
    assert_eq!(proof.trim(), "made");
    assert!(!result_of(&turn).is_error);
}

#[tokio::test]
async fn a_bash_tool_is_refused_when_permission_is_denied() {
    let (sb, turn) = tool_turn(PermissionDecision::Deny {
        message: "Refused by the test".into(),
    })
    .await;
    let content = turn
        .iter()
        .find_map(|e| match e {
            CliEvent::ToolResult {
                is_error: true,
                content,
                ..
            } => Some(content.clone()),
            _ => None,
        })
        .expect("an error tool result");
    assert!(content.contains("Refused by the test"), "{content}");
    assert!(!sb.workspace().join("proof.txt").exists());
}

#[tokio::test]
async fn interrupt_mid_stream_ends_the_turn_and_the_next_turn_works() {
    let (sb, stub) = setup().await;
    stub.push(Reply::tokens(400, Duration::from_millis(25)));
    stub.push(Reply::text("Still here."));
    let Started {
        process,
        mut events,
        ..
    } = start(&sb, &stub, SessionStart::New(new_id())).await;
    process.send_user_message("talk slowly").await.unwrap();
    until(&mut events, |e| matches!(e, CliEvent::TextDelta { .. })).await;
    process.interrupt().await.unwrap();
    let turn = until(&mut events, is_result).await;
    let r = result_of(&turn);
    assert!(r.was_interrupted(), "{r:?}");
    assert_eq!(r.terminal_reason.as_deref(), Some("aborted_streaming"));

    process.send_user_message("are you there?").await.unwrap();
    let turn = until(&mut events, is_result).await;
    assert!(!result_of(&turn).is_error);
    assert_eq!(streamed_text(&turn), "Still here.");
    process.stop().await;
}

#[tokio::test]
async fn interrupt_while_a_permission_is_pending_withdraws_it() {
    let (sb, stub) = setup().await;
    stub.push(Reply::tool(
        "Bash",
        json!({"command": "echo never > never.txt", "description": "Never runs"}),
        "unused",
    ));
    let Started {
        process,
        mut events,
        ..
    } = start(&sb, &stub, SessionStart::New(new_id())).await;
    process.send_user_message("go").await.unwrap();
    let turn = until(&mut events, |e| matches!(e, CliEvent::PermissionRequest(_))).await;
    let CliEvent::PermissionRequest(req) = turn.last().unwrap().clone() else {
        unreachable!()
    };
    process.interrupt().await.unwrap();
    let rest = until(&mut events, is_result).await;
    assert!(rest.iter().any(
        |e| matches!(e, CliEvent::PermissionCancelled { request_id } if *request_id == req.request_id)
    ));
    assert_eq!(
        result_of(&rest).terminal_reason.as_deref(),
        Some("aborted_tools")
    );
    assert!(matches!(
        process
            .answer_permission(&req.request_id, PermissionDecision::Allow)
            .await,
        Err(ClaudeError::NotPending { .. })
    ));
    assert!(!sb.workspace().join("never.txt").exists());
    process.stop().await;
}

/// Starts a long-running command through the Bash tool (allowing it if asked) and returns
/// the CLI's descendants once it runs. (The CLI refuses a standalone `sleep N`.)
async fn running_sleep(
    process: &ClaudeProcess,
    events: &mut tokio::sync::mpsc::Receiver<CliEvent>,
    stub: &ModelStub,
    seconds: u32,
) -> Vec<i32> {
    stub.push(Reply::tool(
        "Bash",
        json!({
            "command": format!("python3 -c 'import time; time.sleep({seconds})'"),
            "description": "Wait"
        }),
        "Slept.",
    ));
    process.send_user_message("wait a bit").await.unwrap();
    // Answer a permission request if one comes, until the sleep runs under the CLI.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        tokio::select! {
            ev = next(events) => {
                if let CliEvent::PermissionRequest(req) = ev {
                    process
                        .answer_permission(&req.request_id, PermissionDecision::Allow)
                        .await
                        .unwrap();
                }
            }
            _ = tokio::time::sleep(Duration::from_millis(50)) => {
                let pid = process.pid();
                let tree = tokio::task::spawn_blocking(move || {
                    claude_sdk_pattern::process::descendants(pid)
                })
                .await
                .unwrap();
                let sleeping = tree.iter().any(|p| {
                    std::fs::read_to_string(format!("/proc/{}/cmdline", p.pid))
                        .is_ok_and(|c| {
                            let argv0 = c.split('\0').next().unwrap_or("");
                            argv0.rsplit('/').next() == Some("python3")
                        })
                });
                if sleeping {
                    return tree.iter().map(|p| p.pid).collect();
                }
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the command never started"
        );
    }
}

#[tokio::test]
async fn interrupt_during_a_tool_kills_the_tool() {
    let (sb, stub) = setup().await;
    let Started {
        process,
        mut events,
        ..
    } = start(&sb, &stub, SessionStart::New(new_id())).await;
    let tool_tree = running_sleep(&process, &mut events, &stub, 30).await;
    process.interrupt().await.unwrap();
    let turn = until(&mut events, is_result).await;
    assert_eq!(
        result_of(&turn).terminal_reason.as_deref(),
        Some("aborted_tools")
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while tool_tree.iter().any(|p| is_alive(*p)) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "tool survived the interrupt"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    process.stop().await;
}

#[tokio::test]
async fn stop_during_a_running_tool_leaves_no_process() {
    let (sb, stub) = setup().await;
    let Started {
        process,
        mut events,
        ..
    } = start(&sb, &stub, SessionStart::New(new_id())).await;
    let tool_tree = running_sleep(&process, &mut events, &stub, 600).await;
    let report = process.stop().await;
    assert_ne!(report.method, StopMethod::AlreadyExited);
    assert!(!is_alive(process.pid()));
    for pid in tool_tree {
        assert!(!is_alive(pid), "pid {pid} survived stop ({report:?})");
    }
    until(&mut events, is_exit).await;
}

#[tokio::test]
async fn a_resumed_session_sends_the_earlier_turns_to_the_model() {
    let (sb, stub) = setup().await;
    let id = new_id();
    stub.push(Reply::text("I will remember apricot."));
    let first = start(&sb, &stub, SessionStart::New(id.clone())).await;
    let mut events = first.events;
    first
        .process
        .send_user_message("The secret word is apricot.")
        .await
        .unwrap();
    until(&mut events, is_result).await;
    first.process.stop().await;

    stub.push(Reply::text("It was apricot."));
    let second = start(&sb, &stub, SessionStart::Resume(id.clone())).await;
    assert_eq!(second.process.session_id(), id);
    let mut events = second.events;
    second
        .process
        .send_user_message("What was the word?")
        .await
        .unwrap();
    let turn = until(&mut events, is_result).await;
    assert!(!result_of(&turn).is_error);
    let last = stub
        .requests()
        .into_iter()
        .rev()
        .find(|r| {
            r.path == "/v1/messages" && r.last_user_text.as_deref() == Some("What was the word?")
        })
        .unwrap();
    let history = last.messages.to_string();
    assert!(history.contains("The secret word is apricot."), "{history}");
    assert!(history.contains("I will remember apricot."), "{history}");
    second.process.stop().await;
}

#[tokio::test]
async fn a_429_without_retries_fails_the_turn_and_the_process_stays_usable() {
    let (sb, stub) = setup().await;
    stub.push(Reply::HttpError { status: 429 });
    stub.push(Reply::text("Recovered."));
    let Started {
        process,
        mut events,
        ..
    } = start(&sb, &stub, SessionStart::New(new_id())).await;
    process.send_user_message("hi").await.unwrap();
    let turn = until(&mut events, is_result).await;
    let r = result_of(&turn);
    assert!(r.is_error);
    assert_eq!(r.api_error_status, Some(429));
    process.send_user_message("again").await.unwrap();
    let turn = until(&mut events, is_result).await;
    assert!(!result_of(&turn).is_error);
    assert_eq!(streamed_text(&turn), "Recovered.");
    process.stop().await;
}

#[tokio::test]
async fn a_cli_killed_mid_turn_reports_the_signal() {
    let (sb, stub) = setup().await;
    stub.push(Reply::tokens(400, Duration::from_millis(25)));
    let Started {
        process,
        mut events,
        ..
    } = start(&sb, &stub, SessionStart::New(new_id())).await;
    process.send_user_message("talk").await.unwrap();
    until(&mut events, |e| matches!(e, CliEvent::TextDelta { .. })).await;
    claude_sdk_pattern::process::signal_pid(process.pid(), nix::sys::signal::Signal::SIGKILL);
    let rest = until(&mut events, is_exit).await;
    assert!(!rest.iter().any(is_result), "a killed turn has no result");
    match rest.last() {
        Some(CliEvent::Exited(e)) => assert_eq!(e.signal, Some(9)),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        process.send_user_message("hello?").await,
        Err(ClaudeError::Closed) | Ok(_)
    ));
    let report = process.stop().await;
    assert_eq!(report.method, StopMethod::AlreadyExited);
}
