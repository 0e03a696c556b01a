//! Stopping the real binary lets running replies finish: on SIGTERM readiness answers 503,
//! nothing new starts, clients hear `server_shutting_down` and keep receiving their running
//! turn until its end (or the grace period, which cuts it, keeping what was written), then
//! the close 1001, every CLI stopped and exit 0. A cut session resumes after the restart.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use awc::ws::CloseCode;
use claude_sdk_pattern::model_stub::{ModelStub, Reply, StubMode};
use claude_sdk_pattern::process::{children_of, is_alive};
use nix::sys::signal::Signal;
use serde_json::{json, Value};

use crate::cli::{cli_env, fake_cli};
use crate::engine_harness::wait_until;
use crate::helpers::{base_env, call, open_test_db, ServerProcess, TEST_KEY, WAIT};
use crate::ws::with_session;
use crate::ws_client::{connect, deltas, Next, Ws};

/// The binary's environment: the real CLI against `stub`, its state under `dir`.
pub(crate) fn env_for(
    dir: &Path,
    stub: &ModelStub,
    extra: &[(&str, &str)],
) -> Vec<(String, String)> {
    let mut env = base_env(dir);
    for (k, v) in cli_env(&dir.join("home"), &stub.url())
        .into_iter()
        .chain(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    {
        env.retain(|(name, _)| *name != k);
        env.push((k, v));
    }
    env
}

fn client() -> awc::Client {
    awc::Client::builder().timeout(WAIT).finish()
}

async fn ready(addr: SocketAddr) -> (u16, Value) {
    call(
        client().get(format!("http://{addr}/api/v1/health/ready")),
        None,
    )
    .await
}

/// Waits (bounded) for the `server_shutting_down` frame, collecting what comes before it.
async fn until_shutdown_notice(ws: &mut Ws, before: &mut Vec<Value>) -> Value {
    loop {
        let f = ws.frame().await;
        if f["type"] == "server_shutting_down" {
            return f;
        }
        before.push(f);
    }
}

/// The frames up to the end of the running turn, then how the connection ended.
async fn rest_of_turn(ws: &mut Ws) -> (Vec<Value>, Next) {
    let turn = ws.turn().await;
    let after = ws.next().await;
    (turn, after)
}

/// The stored session is suspended and resumable (kept for the next server).
async fn assert_kept_resumable(dir: &Path, id: &str) {
    let row = open_test_db(dir).await.get(id).await.unwrap().unwrap();
    assert_eq!(row.status, claude_sdk_pattern::db::SessionStatus::Suspended);
    assert!(row.is_resumable);
}

fn user_message(id: &str, text: &str, seq: u64) -> Value {
    json!({"type": "user_message", "session_id": id, "text": text, "seq": seq})
}

#[actix_web::test]
async fn a_reply_in_flight_at_sigterm_arrives_whole_before_the_close() {
    let stub = ModelStub::start(0, StubMode::Scripted).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let env = env_for(dir.path(), &stub, &[("PREWARM_POOL_SIZE", "1")]);
    let mut server = ServerProcess::start(&env);
    let addr = server.wait_listening();
    let mut ws = connect(addr).await;
    let id = with_session(&mut ws).await;
    // About three seconds of reply.
    stub.push(Reply::tokens(30, Duration::from_millis(100)));
    ws.send(user_message(&id, "tell me a story", 1)).await;
    let mut seen = ws.until("stream_delta").await;
    let clis = children_of(server.pid);
    assert!(!clis.is_empty());

    let signalled = Instant::now();
    server.signal(Signal::SIGTERM);
    // Readiness turns 503 at once (bounded wait for the signal to be handled).
    let mut not_ready = Value::Null;
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        let (status, body) = ready(addr).await;
        if status == 503 {
            not_ready = body;
            break;
        }
        assert_eq!(status, 200, "{body}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(not_ready["reason"], "shutting_down", "{not_ready}");
    assert_eq!(not_ready["status"], "not_ready");

    let notice = until_shutdown_notice(&mut ws, &mut seen).await;
    let grace = notice["grace_seconds"].as_u64().unwrap();
    assert!((1..=25).contains(&grace), "{notice}");
    assert!(notice["message"]
        .as_str()
        .unwrap()
        .contains(&grace.to_string()));

    // Nothing new starts while the server drains: not a message, not a session.
    ws.send(user_message(&id, "and another one", 2)).await;
    let (status, body) = call(
        client()
            .post(format!("http://{addr}/api/v1/sessions"))
            .insert_header(("X-API-Key", TEST_KEY)),
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (503, Some("server_shutting_down"))
    );

    let (turn, end) = rest_of_turn(&mut ws).await;
    seen.extend(turn);
    let refused: Vec<&Value> = seen.iter().filter(|f| f["type"] == "error").collect();
    assert_eq!(refused.len(), 1, "{seen:?}");
    assert_eq!(refused[0]["code"], "server_shutting_down");
    assert_eq!(refused[0]["session_id"], id.as_str());
    // The whole reply, then its end, then the close.
    let Reply::Text { text, .. } = Reply::tokens(30, Duration::ZERO) else {
        unreachable!()
    };
    assert_eq!(deltas(&seen), text);
    assert_eq!(seen.last().unwrap()["type"], "response_complete");
    assert_eq!(end, Next::Closed(Some(CloseCode::Away)));

    assert_eq!(server.wait_exit().code(), Some(0));
    let stopped_after = signalled.elapsed();
    for pid in clis {
        assert!(!is_alive(pid), "CLI {pid} outlived the server");
    }
    let log = server.stdout_text();
    let drained = log
        .lines()
        .find(|l| l.contains("\"msg\":\"sessions stopped\""))
        .unwrap_or_else(|| panic!("{log}"));
    eprintln!("stop with a 3 s reply running: exit after {stopped_after:?}; {drained}");
    // Stored: the whole reply, and the session suspended (resumable).
    assert_kept_resumable(dir.path(), &id).await;
    stub.stop().await;
}

#[actix_web::test]
async fn a_reply_longer_than_the_grace_is_cut_kept_and_resumable_after_a_restart() {
    let stub = ModelStub::start(0, StubMode::Scripted).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let env = env_for(dir.path(), &stub, &[("SHUTDOWN_GRACE_SECONDS", "2")]);
    let mut server = ServerProcess::start(&env);
    let addr = server.wait_listening();
    let mut ws = connect(addr).await;
    let id = with_session(&mut ws).await;
    // About twenty seconds of reply: far longer than the grace period.
    stub.push(Reply::tokens(200, Duration::from_millis(100)));
    ws.send(user_message(&id, "write a long essay", 1)).await;
    let mut seen = ws.until("stream_delta").await;
    let clis = children_of(server.pid);

    let signalled = Instant::now();
    server.signal(Signal::SIGTERM);
    let notice = until_shutdown_notice(&mut ws, &mut seen).await;
    assert!(notice["grace_seconds"].as_u64().unwrap() <= 2, "{notice}");
    let (turn, end) = rest_of_turn(&mut ws).await;
    seen.extend(turn);
    let cut = seen.last().unwrap();
    assert_eq!(cut["type"], "stream_error", "{seen:?}");
    assert_eq!(cut["code"], "server_shutting_down");
    assert_eq!(cut["partial_preserved"], true);
    assert_eq!(cut["suggested_action"], "retry");
    assert_eq!(
        seen.iter().filter(|f| f["type"] == "stream_error").count(),
        1,
        "one end per turn"
    );
    let partial = deltas(&seen);
    assert!(
        partial.starts_with("tok1 ") && !partial.contains("tok200"),
        "{partial}"
    );
    assert_eq!(end, Next::Closed(Some(CloseCode::Away)));
    assert_eq!(server.wait_exit().code(), Some(0));
    eprintln!(
        "stop with a reply longer than a 2 s grace: exit after {:?}",
        signalled.elapsed()
    );
    for pid in clis {
        assert!(!is_alive(pid), "CLI {pid} outlived the server");
    }

    // Started again on the same data: the cut reply is in the history, with the notice.
    let mut server = ServerProcess::start(&env);
    let addr = server.wait_listening();
    let key = ("X-API-Key", TEST_KEY);
    let (status, body) = call(
        client()
            .get(format!("http://{addr}/api/v1/sessions/{id}/messages"))
            .insert_header(key),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let messages = body["messages"].as_array().unwrap();
    let kinds: Vec<&str> = messages
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["user", "assistant", "notice"], "{body}");
    assert_eq!(messages[1]["payload"]["text"], partial.as_str());
    assert_eq!(
        messages[2]["payload"]["text"],
        "The server restarted while this reply was being written; it was cut here."
    );
    let (_, list) = call(
        client()
            .get(format!("http://{addr}/api/v1/sessions"))
            .insert_header(key),
        None,
    )
    .await;
    let summary = &list["sessions"][0];
    assert_eq!(summary["status"], "suspended", "{list}");
    assert_eq!(summary["is_resumable"], true);

    // Resumed, it knows what it wrote before the cut, and a new turn works.
    let (status, body) = call(
        client()
            .post(format!("http://{addr}/api/v1/sessions/{id}/resume"))
            .insert_header(key),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let mut ws = connect(addr).await;
    assert_eq!(ws.frame().await["type"], "session_list");
    ws.send(json!({"type": "switch_session", "session_id": id, "after_seq": 0}))
        .await;
    let history = ws.until("session_history").await;
    assert_eq!(
        history.last().unwrap()["messages"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    stub.push(Reply::text("Picking up where I left off."));
    ws.send(user_message(&id, "please go on", 2)).await;
    let turn = ws.turn().await;
    assert_eq!(deltas(&turn), "Picking up where I left off.");
    assert_eq!(turn.last().unwrap()["type"], "response_complete");
    let asked = stub.requests();
    let last = asked
        .iter()
        .rev()
        .find(|r| r.path == "/v1/messages" && !r.side)
        .unwrap();
    let context = last.messages.to_string();
    assert!(
        context.contains(partial.trim_end()),
        "the resumed conversation holds the cut reply: {context}"
    );
    server.signal(Signal::SIGTERM);
    assert_eq!(server.wait_exit().code(), Some(0));
    stub.stop().await;
}

#[actix_web::test]
async fn a_stop_with_nothing_running_is_prompt_and_leaves_no_cli() {
    let stub = ModelStub::start(0, StubMode::Scripted).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let env = env_for(dir.path(), &stub, &[("PREWARM_POOL_SIZE", "1")]);
    let mut server = ServerProcess::start(&env);
    let addr = server.wait_listening();
    let mut ws = connect(addr).await;
    let id = with_session(&mut ws).await;
    stub.push(Reply::text("Done."));
    ws.send(user_message(&id, "hi", 1)).await;
    ws.turn().await;
    let mut clis = Vec::new();
    wait_until("the session's CLI and the refilled pool", || {
        clis = children_of(server.pid);
        clis.len() >= 2
    })
    .await;
    let signalled = Instant::now();
    server.signal(Signal::SIGTERM);
    let notice = ws.frame().await;
    assert_eq!(notice["type"], "server_shutting_down");
    assert_eq!(ws.next().await, Next::Closed(Some(CloseCode::Away)));
    assert_eq!(server.wait_exit().code(), Some(0));
    eprintln!(
        "stop with nothing running: exit after {:?}",
        signalled.elapsed()
    );
    for pid in clis {
        assert!(!is_alive(pid), "CLI {pid} outlived the server");
    }
    stub.stop().await;
}

#[actix_web::test]
async fn a_session_launch_in_flight_at_sigterm_is_awaited_then_stopped_and_kept() {
    // A create whose CLI was still starting when SIGTERM came: the server used to stop
    // waiting at once (only live and stopping sessions counted), so it exited under the
    // launch — the create was never answered. Now the drain waits for it: the session is
    // answered, stopped as the shutdown says, and kept (resumable) for the next server.
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("cli");
    let mut env = base_env(dir.path());
    for (k, v) in [
        ("CLAUDE_CLI_PATH", fake_cli().to_string_lossy().into_owned()),
        ("FAKE_CLI_MODE", "init-held".into()),
        ("FAKE_CLI_MARKER", marker.to_string_lossy().into_owned()),
    ] {
        env.push((k.to_string(), v));
    }
    let mut server = ServerProcess::start(&env);
    let addr = server.wait_listening();
    let create = actix_web::rt::spawn(async move {
        call(
            client()
                .post(format!("http://{addr}/api/v1/sessions"))
                .insert_header(("X-API-Key", TEST_KEY))
                .insert_header(("Content-Type", "application/json")),
            Some("{}"),
        )
        .await
    });
    let started = marker.with_extension("started");
    wait_until("the session's CLI to start", || started.exists()).await;
    let clis = children_of(server.pid);
    assert_eq!(clis.len(), 1, "one CLI (no pool): {clis:?}");
    server.signal(Signal::SIGTERM);
    let deadline = Instant::now() + WAIT;
    while ready(addr).await.0 != 503 {
        assert!(
            Instant::now() < deadline,
            "readiness never said shutting down"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(is_alive(server.pid), "the server left under the launch");
    std::fs::write(marker.with_extension("go"), "").unwrap();
    let (status, body) = create.await.unwrap();
    assert_eq!(status, 201, "{body}");
    let id = body["session_id"].as_str().unwrap().to_string();
    assert_eq!(server.wait_exit().code(), Some(0));
    for pid in clis {
        assert!(!is_alive(pid), "CLI {pid} outlived the server");
    }
    assert_kept_resumable(dir.path(), &id).await;
}
