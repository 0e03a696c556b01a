//! The real binary: JSON logs with no secret in them, clean stop on SIGTERM, exit 1 when it
//! cannot start.

use nix::sys::signal::Signal;

use crate::helpers::{base_env, ServerProcess, TEST_KEY, WAIT};

const ANTHROPIC_KEY: &str = "sk-ant-api03-TESTKEY_do_not_log-0123456789";

#[actix_web::test]
async fn logs_are_json_and_never_contain_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let mut env = base_env(dir.path());
    env.push(("LOG_LEVEL".into(), "trace".into()));
    env.push(("ANTHROPIC_API_KEY".into(), ANTHROPIC_KEY.into()));
    let mut server = ServerProcess::start(&env);
    let addr = server.wait_listening();
    let client = awc::Client::builder().timeout(WAIT).finish();

    // The key in a query string, a header, a path and a body: none of it may be logged.
    let res = client
        .get(format!(
            "http://{addr}/api/v1/health/live?api_key={TEST_KEY}&ticket=t-123"
        ))
        .insert_header(("X-API-Key", TEST_KEY))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let res = client
        .get(format!("http://{addr}/api/v1/{TEST_KEY}/{ANTHROPIC_KEY}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 404);
    let _ = client
        .post(format!("http://{addr}/api/v1/health/live"))
        .send_body(format!("{{\"key\":\"{ANTHROPIC_KEY}\"}}"))
        .await
        .unwrap();

    server.signal(Signal::SIGTERM);
    let status = server.wait_exit();
    assert_eq!(status.code(), Some(0), "SIGTERM is a clean stop");

    let out = server.stdout_text();
    assert!(!out.contains(TEST_KEY), "server key leaked:\n{out}");
    assert!(!out.contains(ANTHROPIC_KEY), "Anthropic key leaked:\n{out}");
    assert!(!out.contains("TESTKEY_do_not_log"), "{out}");
    assert!(
        !out.contains("ticket=t-123"),
        "query strings are not logged:\n{out}"
    );
    let mut requests = 0;
    for line in out.lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        for field in ["ts", "level", "msg"] {
            assert!(v[field].is_string(), "{field} missing: {line}");
        }
        if v["msg"] == "request" {
            requests += 1;
            assert!(v["request_id"].is_string(), "{line}");
            assert!(v["path"].is_string() && v["status"].is_number(), "{line}");
        }
    }
    assert_eq!(requests, 3, "one access line per request:\n{out}");
    let stderr = server.stderr.lock().unwrap().clone();
    assert!(!stderr.contains(TEST_KEY) && !stderr.contains(ANTHROPIC_KEY));
}

#[test]
fn a_database_that_cannot_be_opened_exits_1_with_a_critical_line() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, "a file where the data directory should be").unwrap();
    let mut env = base_env(dir.path());
    env.retain(|(k, _)| k != "DATABASE_URL");
    env.push((
        "DATABASE_URL".into(),
        blocker.join("db.sqlite").to_string_lossy().into_owned(),
    ));
    let mut server = ServerProcess::start(&env);
    let line = server.wait_for_log("cannot start");
    assert_eq!(line["level"], "CRIT");
    assert!(
        line["error"].as_str().unwrap().contains("data directory"),
        "{line}"
    );
    assert_eq!(server.wait_exit().code(), Some(1));
}

#[test]
fn a_port_in_use_exits_1_naming_the_address() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let mut env = base_env(dir.path());
    env.retain(|(k, _)| k != "PORT");
    env.push(("PORT".into(), port.to_string()));
    let mut server = ServerProcess::start(&env);
    let line = server.wait_for_log("cannot start");
    assert!(
        line["error"].as_str().unwrap().contains(&port.to_string()),
        "{line}"
    );
    assert_eq!(server.wait_exit().code(), Some(1));
}

const DEMO_LINE: &str = "no Anthropic credentials configured: sessions use the built-in demo model (set ANTHROPIC_API_KEY to talk to Claude)";

#[actix_web::test]
async fn without_credentials_the_server_starts_the_demo_model() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = ServerProcess::start(&base_env(dir.path()));
    let line = server.wait_for_log(DEMO_LINE);
    assert_eq!(line["level"], "WARN");
    let url = line["demo_model_url"].as_str().unwrap().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    server.wait_listening();
    // The demo model answers like the Messages API, and says it is a demo.
    let client = awc::Client::builder().timeout(WAIT).finish();
    let mut res = client
        .post(format!("{url}/v1/messages"))
        .send_json(&serde_json::json!({
            "model": "any", "max_tokens": 100, "stream": false,
            "tools": [{"name": "Bash"}],
            "messages": [{"role": "user", "content": "hello"}]
        }))
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(body["content"][0]["text"]
        .as_str()
        .unwrap()
        .starts_with("*Demo model"));
    server.signal(Signal::SIGTERM);
    assert_eq!(server.wait_exit().code(), Some(0));
    // The demo model stopped with the server.
    assert!(client
        .post(format!("{url}/v1/messages"))
        .send()
        .await
        .is_err());
}

#[test]
fn with_a_key_there_is_no_demo_model() {
    let dir = tempfile::tempdir().unwrap();
    let mut env = base_env(dir.path());
    env.push(("ANTHROPIC_API_KEY".into(), ANTHROPIC_KEY.into()));
    let mut server = ServerProcess::start(&env);
    server.wait_for_log("sessions use the configured Anthropic API");
    server.wait_listening();
    server.signal(Signal::SIGTERM);
    assert_eq!(server.wait_exit().code(), Some(0));
    assert!(!server.stdout_text().contains("demo_model_url"));
}

#[actix_web::test]
async fn the_model_stub_subcommand_serves_until_sigterm() {
    let mut stub = ServerProcess::start_with_args(&[], &["model-stub", "--port", "0"]);
    let line = stub.wait_for_log("model stub listening");
    let url = line["url"].as_str().unwrap().to_string();
    let client = awc::Client::builder().timeout(WAIT).finish();
    let res = client.head(format!("{url}/")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    stub.signal(Signal::SIGTERM);
    assert_eq!(stub.wait_exit().code(), Some(0));

    let out = crate::helpers::command(&[])
        .args(["model-stub", "--port", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
