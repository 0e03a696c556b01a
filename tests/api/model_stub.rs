//! The model stub against the real Claude Code CLI: the CLI is spawned with
//! `ANTHROPIC_BASE_URL` pointing at the stub, driven over stream-json, and both sides'
//! records are checked.

use std::process::Stdio;
use std::time::Duration;

use claude_sdk_pattern::model_stub::{ModelStub, RecordedRequest, Reply, StubMode};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// Upper bound for one CLI turn.
const TURN: Duration = Duration::from_secs(30);

/// One real CLI process talking to a stub.
struct Cli {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: tokio::io::Lines<BufReader<ChildStdout>>,
    _config: tempfile::TempDir,
    _cwd: tempfile::TempDir,
}

impl Cli {
    async fn spawn(stub: &ModelStub) -> Cli {
        Cli::spawn_with(stub, |_| {}).await
    }

    /// Spawns with a last chance to adjust the command (environment, flags).
    async fn spawn_with(stub: &ModelStub, adjust: impl FnOnce(&mut Command)) -> Cli {
        let config = tempfile::tempdir().unwrap();
        let cwd = tempfile::tempdir().unwrap();
        let session = uuid::Uuid::new_v4();
        let mut command = Command::new(crate::cli::cli_path());
        command
            .args([
                "--output-format",
                "stream-json",
                "--verbose",
                "--input-format",
                "stream-json",
                "--include-partial-messages",
                "--permission-mode",
                "default",
                "--permission-prompt-tool",
                "stdio",
                "--setting-sources=",
            ])
            .arg(format!("--session-id={session}"))
            .current_dir(cwd.path())
            .env_remove("CLAUDECODE")
            .env("ANTHROPIC_BASE_URL", stub.url())
            .env("ANTHROPIC_API_KEY", "sk-ant-test-dummy")
            .env("CLAUDE_CONFIG_DIR", config.path())
            .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
            .env("CLAUDE_CODE_MAX_RETRIES", "0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        adjust(&mut command);
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run the CLI at {:?}: {e}", crate::cli::cli_path()));
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut cli = Cli {
            child,
            stdin: Some(stdin),
            stdout,
            _config: config,
            _cwd: cwd,
        };
        cli.send(json!({"type":"control_request","request_id":"req_1",
            "request":{"subtype":"initialize","hooks":null}}))
            .await;
        cli
    }

    async fn send(&mut self, line: Value) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .await
            .unwrap();
        stdin.flush().await.unwrap();
    }

    /// Sends a user message and collects the frames up to and including its `result`.
    async fn turn(&mut self, text: &str) -> Vec<Value> {
        self.send(
            json!({"type":"user","message":{"role":"user","content":text},
            "parent_tool_use_id":null,"session_id":"default"}),
        )
        .await;
        let mut frames = Vec::new();
        let collect = async {
            while let Some(line) = self.stdout.next_line().await.unwrap() {
                let frame: Value = match serde_json::from_str(&line) {
                    Ok(v) => v,
                    Err(_) => continue,
                };
                let done = frame["type"] == "result";
                if frame["type"] == "control_request"
                    && frame["request"]["subtype"] == "can_use_tool"
                {
                    // Allow every tool the CLI asks about.
                    let answer = json!({"type":"control_response","response":{
                        "subtype":"success","request_id":frame["request_id"],
                        "response":{"behavior":"allow","updatedInput":frame["request"]["input"]}}});
                    let stdin = self.stdin.as_mut().unwrap();
                    stdin
                        .write_all(format!("{answer}\n").as_bytes())
                        .await
                        .unwrap();
                    stdin.flush().await.unwrap();
                }
                frames.push(frame);
                if done {
                    return true;
                }
            }
            false
        };
        let finished = tokio::time::timeout(TURN, collect).await;
        assert!(
            matches!(finished, Ok(true)),
            "no result frame; frames so far: {frames:#?}"
        );
        frames
    }

    /// Closes stdin and waits (bounded) for the process to exit.
    async fn close(mut self) {
        drop(self.stdin.take());
        let exited = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
        if exited.is_err() {
            let _ = self.child.kill().await;
            panic!("the CLI did not exit after stdin closed");
        }
    }
}

fn result(frames: &[Value]) -> &Value {
    frames.last().filter(|f| f["type"] == "result").unwrap()
}

/// The concatenated `text_delta`s of the `stream_event` frames.
fn streamed_text(frames: &[Value]) -> String {
    frames
        .iter()
        .filter(|f| f["type"] == "stream_event")
        .filter(|f| f["event"]["delta"]["type"] == "text_delta")
        .map(|f| f["event"]["delta"]["text"].as_str().unwrap().to_string())
        .collect()
}

/// The text blocks of the last `assistant` frame.
fn last_assistant_text(frames: &[Value]) -> String {
    let frame = frames
        .iter()
        .rev()
        .find(|f| f["type"] == "assistant")
        .unwrap();
    frame["message"]["content"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["text"].as_str())
        .collect()
}

fn conversation(requests: &[RecordedRequest]) -> Vec<&RecordedRequest> {
    requests
        .iter()
        .filter(|r| r.path == "/v1/messages" && !r.side)
        .collect()
}

fn success_text(frames: &[Value]) -> &str {
    let result = result(frames);
    assert_eq!(result["subtype"], "success", "{result}");
    assert_eq!(result["is_error"], false, "{result}");
    result["result"].as_str().unwrap()
}

#[tokio::test]
async fn text_reply_streams_the_exact_text() {
    let stub = ModelStub::start(0, StubMode::Scripted).await.unwrap();
    let text = "Hello from the **stub**.\nSecond  line, with spaces ";
    stub.push(Reply::Text {
        text: text.to_string(),
        delay: Duration::from_millis(5),
    });
    let mut cli = Cli::spawn(&stub).await;
    let frames = cli.turn("hello").await;
    assert_eq!(streamed_text(&frames), text);
    assert_eq!(success_text(&frames), text);
    cli.close().await;
    stub.stop().await;
}

#[tokio::test]
async fn tool_use_round_trip_runs_bash_then_answers() {
    let stub = ModelStub::start(0, StubMode::Scripted).await.unwrap();
    stub.push(Reply::tool(
        "Bash",
        json!({"command": "echo hi", "description": "say hi"}),
        "done",
    ));
    // Still queued afterwards: the follow-up must not take it.
    stub.push(Reply::text("next turn"));
    let mut cli = Cli::spawn(&stub).await;
    let frames = cli.turn("say hi").await;
    assert_eq!(success_text(&frames), "done");
    assert_eq!(result(&frames)["num_turns"], 2);
    let tool_result = frames
        .iter()
        .filter(|f| f["type"] == "user")
        .flat_map(|f| f["message"]["content"].as_array().unwrap())
        .find(|b| b["type"] == "tool_result")
        .unwrap();
    assert_eq!(tool_result["content"], "hi");

    let requests = stub.requests();
    let turns = conversation(&requests);
    assert_eq!(turns.len(), 2, "{requests:#?}");
    let tool_use_id = tool_result["tool_use_id"].as_str().unwrap();
    assert!(tool_use_id.starts_with("toolu_stub_"));
    assert_eq!(turns[1].last_user_text, None);
    assert_eq!(turns[1].tool_result_ids(), [tool_use_id]);
    assert_eq!(turns[1].tool_result_texts(), ["hi"]);

    let frames = cli.turn("and now?").await;
    assert_eq!(success_text(&frames), "next turn");
    cli.close().await;
    stub.stop().await;
}

#[tokio::test]
async fn permission_prompt_adds_no_side_request() {
    let stub = ModelStub::start(0, StubMode::Scripted).await.unwrap();
    stub.push(Reply::tool(
        "Bash",
        json!({"command": "touch made-by-test && ls", "description": "make a file"}),
        "made",
    ));
    let mut cli = Cli::spawn(&stub).await;
    let frames = cli.turn("make a file").await;
    assert_eq!(success_text(&frames), "made");
    assert!(
        frames
            .iter()
            .any(|f| f["type"] == "control_request" && f["request"]["subtype"] == "can_use_tool"),
        "expected a permission prompt"
    );
    cli.close().await;
    let requests = stub.requests();
    assert_eq!(requests.len(), 2, "{requests:#?}");
    assert!(requests.iter().all(|r| !r.side && r.stream));
    stub.stop().await;
}

#[tokio::test]
async fn http_429_fails_the_turn_without_retries() {
    let stub = ModelStub::start(0, StubMode::Scripted).await.unwrap();
    stub.push(Reply::HttpError { status: 429 });
    let mut cli = Cli::spawn(&stub).await;
    let frames = cli.turn("hello").await;
    let result = result(&frames);
    assert_eq!(result["is_error"], true, "{result}");
    assert_eq!(result["api_error_status"], 429, "{result}");
    // The process stays usable: the next turn gets the default answer.
    let frames = cli.turn("again").await;
    assert_eq!(success_text(&frames), "OK");
    cli.close().await;
    stub.stop().await;
}

#[tokio::test]
async fn stream_error_is_recovered_by_the_non_streaming_retry() {
    let stub = ModelStub::start(0, StubMode::Scripted).await.unwrap();
    stub.push(Reply::StreamError {
        partial: "this text is abandoned".to_string(),
        recovery: Box::new(Reply::text("recovered answer")),
    });
    let mut cli = Cli::spawn(&stub).await;
    let frames = cli.turn("hello").await;
    assert_eq!(streamed_text(&frames), "this text is abandoned");
    assert_eq!(last_assistant_text(&frames), "recovered answer");
    assert_eq!(success_text(&frames), "recovered answer");
    let requests = stub.requests();
    let turns = conversation(&requests);
    assert_eq!(turns.len(), 2, "{requests:#?}");
    assert!(turns[0].stream);
    assert!(!turns[1].stream, "the retry is non-streaming");
    assert!(turns[1].tool_names.contains(&"Bash".to_string()));
    cli.close().await;
    stub.stop().await;
}

#[tokio::test]
async fn recorded_request_has_model_messages_and_tools() {
    let stub = ModelStub::start(0, StubMode::Scripted).await.unwrap();
    let mut cli = Cli::spawn(&stub).await;
    let frames = cli.turn("hello there").await;
    assert_eq!(success_text(&frames), "OK");
    let requests = stub.wait_for_requests(1, TURN).await;
    cli.close().await;
    // With non-essential traffic disabled the CLI sends nothing but the turn.
    assert_eq!(requests.len(), 1, "{requests:#?}");
    let r = &requests[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/v1/messages")
    );
    assert!(r.stream && !r.side);
    let model = r.model.clone().unwrap();
    assert!(model.starts_with("claude-"), "{model}");
    assert_eq!(r.last_user_text.as_deref(), Some("hello there"));
    assert!(r.messages.to_string().contains("hello there"));
    assert!(
        r.tool_names.contains(&"Bash".to_string()),
        "{:?}",
        r.tool_names
    );
    assert!(r.system.is_array());
    assert_eq!(r.body["model"], model.as_str());
    stub.stop().await;
}

#[tokio::test]
async fn demo_mode_echoes_and_runs_a_command() {
    let stub = ModelStub::start(0, StubMode::Demo).await.unwrap();
    let mut cli = Cli::spawn(&stub).await;
    let frames = cli.turn("hello demo").await;
    let text = success_text(&frames);
    assert!(
        text.starts_with("*Demo model — no Anthropic API key"),
        "{text}"
    );
    assert!(
        text.contains("> hello demo") && text.contains("```"),
        "{text}"
    );
    assert_eq!(streamed_text(&frames), text);

    let frames = cli.turn("please run `echo demo-output`").await;
    let text = success_text(&frames);
    assert!(text.contains("```text\ndemo-output\n```"), "{text}");
    assert_eq!(result(&frames)["num_turns"], 2);
    cli.close().await;
    stub.stop().await;
}

/// Plain HTTP against the stub, from an actix runtime.
mod http {
    use super::*;

    fn client() -> awc::Client {
        awc::Client::builder().timeout(TURN).finish()
    }

    async fn post(stub: &ModelStub, path: &str, body: Value) -> (u16, String, Value) {
        let mut res = client()
            .post(format!("{}{path}?beta=true", stub.url()))
            .send_json(&body)
            .await
            .unwrap();
        let raw = res.body().limit(1 << 20).await.unwrap();
        let content_type = res
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        assert!(res.headers().contains_key("request-id") || path != "/v1/messages");
        let body = serde_json::from_slice(&raw)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&raw).into_owned()));
        (res.status().as_u16(), content_type, body)
    }

    fn turn(text: &str, stream: bool) -> Value {
        json!({"model": "claude-test", "max_tokens": 100, "stream": stream,
            "tools": [{"name": "Bash"}],
            "messages": [{"role": "user", "content": text}]})
    }

    #[actix_web::test]
    async fn side_requests_do_not_consume_the_queue_and_rules_win() {
        let stub = ModelStub::start(0, StubMode::Scripted).await.unwrap();
        stub.push(Reply::Text {
            text: "queued text".to_string(),
            delay: Duration::from_millis(40),
        });
        stub.rule("weather", Reply::text("sunny"));
        let side = json!({"model": "claude-haiku", "max_tokens": 20,
            "messages": [{"role": "user", "content": "Write a title"}]});
        let (status, _, body) = post(&stub, "/v1/messages", side).await;
        assert_eq!(status, 200);
        assert_eq!(body["content"][0]["text"], "OK");
        assert_eq!(body["model"], "claude-haiku");

        let (_, _, body) = post(&stub, "/v1/messages", turn("the weather?", false)).await;
        assert_eq!(body["content"][0]["text"], "sunny");
        let started = std::time::Instant::now();
        let (_, content_type, body) = post(&stub, "/v1/messages", turn("hi", true)).await;
        assert_eq!(content_type, "text/event-stream");
        let body = body.as_str().unwrap();
        assert!(body.starts_with("event: message_start\ndata: {"), "{body}");
        assert!(body.contains(r#""text":"queued ""#), "{body}");
        assert!(body.contains(r#""text":"text""#), "{body}");
        assert!(
            started.elapsed() >= Duration::from_millis(40),
            "the delay is real"
        );
        assert!(body.ends_with("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"));

        stub.clear();
        let (_, _, body) = post(&stub, "/v1/messages", turn("the weather?", false)).await;
        assert_eq!(body["content"][0]["text"], "OK");

        let (status, _, body) =
            post(&stub, "/v1/messages/count_tokens", turn("count me", false)).await;
        assert_eq!(status, 200);
        assert!(body["input_tokens"].as_u64().unwrap() > 0);
        let head = client().head(stub.url()).send().await.unwrap();
        assert_eq!(head.status().as_u16(), 200);

        let requests = stub.requests();
        let sides: Vec<bool> = requests.iter().map(|r| r.side).collect();
        assert_eq!(sides, [true, false, false, false, false]);
        assert_eq!(stub.count_tokens_calls(), 1, "counted, not recorded");
        assert_eq!(requests[4].method, "HEAD");
        stub.stop().await;
    }

    #[actix_web::test]
    async fn stream_error_from_a_rule_owes_the_retry_its_recovery() {
        let stub = ModelStub::start(0, StubMode::Scripted).await.unwrap();
        stub.rule(
            "flaky",
            Reply::StreamError {
                partial: "half".to_string(),
                recovery: Box::new(Reply::text("whole")),
            },
        );
        stub.push(Reply::text("queued"));
        let (status, _, body) = post(&stub, "/v1/messages", turn("flaky?", true)).await;
        assert_eq!(status, 200);
        let body = body.as_str().unwrap();
        assert!(body.contains(r#""text":"half""#), "{body}");
        assert!(
            body.ends_with(
                "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n"
            ),
            "{body}"
        );
        let (_, _, body) = post(&stub, "/v1/messages", turn("flaky?", false)).await;
        assert_eq!(body["content"][0]["text"], "whole");
        let (_, _, body) = post(&stub, "/v1/messages", turn("next", false)).await;
        assert_eq!(body["content"][0]["text"], "queued");
        stub.stop().await;
    }

    #[actix_web::test]
    async fn http_errors_have_the_anthropic_body() {
        let stub = ModelStub::start(0, StubMode::Scripted).await.unwrap();
        for (status, kind) in [
            (401, "authentication_error"),
            (429, "rate_limit_error"),
            (500, "api_error"),
            (529, "overloaded_error"),
            (503, "api_error"),
        ] {
            stub.push(Reply::HttpError { status });
            let (got, _, body) = post(&stub, "/v1/messages", turn("x", true)).await;
            assert_eq!(got, status);
            assert_eq!(body["type"], "error");
            assert_eq!(body["error"]["type"], kind);
        }
        stub.stop().await;
    }

    #[tokio::test]
    async fn hang_never_answers_and_stop_ends_it() {
        use std::io::{Read, Write};
        let stub = ModelStub::start(0, StubMode::Scripted).await.unwrap();
        stub.push(Reply::Hang);
        let addr = stub.addr();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let body = turn("hang", true).to_string();
            let mut conn = std::net::TcpStream::connect(addr).unwrap();
            conn.set_read_timeout(Some(TURN)).unwrap();
            write!(
                conn,
                "POST /v1/messages HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n\
                 content-length: {}\r\n\r\n{body}",
                body.len()
            )
            .unwrap();
            let mut answer = Vec::new();
            let _ = conn.read_to_end(&mut answer);
            let _ = tx.send(answer);
        });
        let requests = stub.wait_for_requests(1, TURN).await;
        assert_eq!(requests.len(), 1);
        assert!(rx.try_recv().is_err(), "a hanging request got an answer");
        tokio::time::timeout(TURN, stub.stop()).await.unwrap();
        // Stopping the stub ends the hanging connection.
        let ended = tokio::task::spawn_blocking(move || rx.recv_timeout(TURN)).await;
        assert!(ended.unwrap().is_ok());
    }
}
