//! The real binary with `CLAUDE_SDK_PATTERN_API_KEY_FILE` (how the container runs it): a key
//! generated once with mode 600 and reused, never logged; and the `healthcheck` subcommand.

use std::os::unix::fs::PermissionsExt;

use nix::sys::signal::Signal;

use crate::helpers::{base_env, call, command, ServerProcess, TEST_KEY, WAIT};

/// The test environment without a key, with a key file in the data directory.
fn env_with_key_file(dir: &std::path::Path) -> (Vec<(String, String)>, std::path::PathBuf) {
    let mut env = base_env(dir);
    env.retain(|(k, _)| k != "CLAUDE_SDK_PATTERN_API_KEY");
    let file = dir.join("data/api-key");
    env.push((
        "CLAUDE_SDK_PATTERN_API_KEY_FILE".into(),
        file.to_string_lossy().into_owned(),
    ));
    (env, file)
}

#[actix_web::test]
async fn a_key_is_generated_once_into_the_key_file_and_never_logged() {
    let dir = tempfile::tempdir().unwrap();
    let (env, file) = env_with_key_file(dir.path());
    let client = awc::Client::builder().timeout(WAIT).finish();

    let mut server = ServerProcess::start(&env);
    let generated = server
        .wait_for_log("no CLAUDE_SDK_PATTERN_API_KEY set: generated an API key into the key file (kept for later starts); clients need it");
    let addr = server.wait_listening();
    assert_eq!(generated["level"], "WARN");
    assert_eq!(generated["key_file"], file.to_string_lossy().as_ref());
    assert!(generated["read_with"].as_str().unwrap().contains("cat "));
    let key = std::fs::read_to_string(&file).unwrap().trim().to_string();
    assert_eq!(key.len(), 48);
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let info = |k: &str| {
        client
            .get(format!("http://{addr}/api/v1/info"))
            .insert_header(("X-API-Key", k.to_string()))
    };
    assert_eq!(call(info(&key), None).await.0, 200);
    assert_eq!(call(info(TEST_KEY), None).await.0, 401);

    // `healthcheck` finds the server through the same HOST and PORT variables.
    let health = command(&[
        ("HOST".into(), "0.0.0.0".into()),
        ("PORT".into(), addr.port().to_string()),
    ])
    .arg("healthcheck")
    .output()
    .unwrap();
    assert_eq!(
        health.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&health.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&health.stdout).trim(), "healthy");

    server.signal(Signal::SIGTERM);
    assert_eq!(server.wait_exit().code(), Some(0));
    let out = server.stdout_text();
    assert!(!out.contains(&key), "the key is in the log:\n{out}");

    // The next start reads the same key.
    let mut again = ServerProcess::start(&env);
    let read = again.wait_for_log("API key read from the key file");
    assert_eq!(read["level"], "INFO");
    let addr = again.wait_listening();
    assert_eq!(std::fs::read_to_string(&file).unwrap().trim(), key);
    let res = call(
        client
            .get(format!("http://{addr}/api/v1/info"))
            .insert_header(("X-API-Key", key.clone())),
        None,
    )
    .await;
    assert_eq!(res.0, 200);
    again.signal(Signal::SIGTERM);
    assert_eq!(again.wait_exit().code(), Some(0));
    assert!(!again.stdout_text().contains(&key));
}

#[test]
fn a_key_file_that_cannot_be_written_exits_2_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let (mut env, _) = env_with_key_file(dir.path());
    let not_a_dir = dir.path().join("a-file");
    std::fs::write(&not_a_dir, "").unwrap();
    env.retain(|(k, _)| k != "CLAUDE_SDK_PATTERN_API_KEY_FILE");
    env.push((
        "CLAUDE_SDK_PATTERN_API_KEY_FILE".into(),
        not_a_dir.join("api-key").to_string_lossy().into_owned(),
    ));
    let out = command(&env).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("CLAUDE_SDK_PATTERN_API_KEY_FILE: expected"),
        "{stderr}"
    );
}

#[test]
fn healthcheck_fails_when_nothing_answers() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = command(&[("PORT".into(), port.to_string())])
        .arg("healthcheck")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("unhealthy: cannot connect to 127.0.0.1:"),
        "{stderr}"
    );
}
