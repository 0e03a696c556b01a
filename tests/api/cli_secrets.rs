//! What a CLI is started with: MCP server definitions (with their `env` secrets) through a
//! private file, never on a command line; the CLI's temporary files (and its messaging
//! socket) under the server's own directory.

use std::os::unix::fs::PermissionsExt;

use serde_json::json;

use crate::engine_harness::{admin, harness, wait_dead, wait_until};

const SECRET: &str = "mcp-env-secret-4d1f0c9a7b";

fn cmdline(pid: i32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .unwrap_or_default()
        .split(|b| *b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

fn environ(pid: i32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/environ"))
        .unwrap_or_default()
        .split(|b| *b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

#[actix_web::test]
async fn mcp_secrets_never_reach_a_command_line_and_their_file_goes_with_the_process() {
    let h = harness(&[]).await;
    let saw = h.dir.path().join("mcp-saw.txt");
    let mcp = json!({"mcpServers": {"probe": {
        "command": "sh",
        "args": ["-c", format!("printf %s \"$PROBE_TOKEN\" > '{}'", saw.display())],
        "env": {"PROBE_TOKEN": SECRET},
    }}});
    std::fs::write(h.dir.path().join("workspace/mcp.json"), mcp.to_string()).unwrap();

    let id = h
        .engine
        .create_session(&admin())
        .await
        .unwrap()
        .session
        .session_id;
    let pid = h.pid(&id).await;
    let args = cmdline(pid);
    assert!(!args.iter().any(|a| a.contains(SECRET)), "{args:?}");
    let at = args
        .iter()
        .position(|a| a == "--mcp-config")
        .expect("--mcp-config");
    let file = std::path::PathBuf::from(&args[at + 1]);
    let private = h.dir.path().join("data/run/mcp");
    assert_eq!(
        file.parent().unwrap(),
        private.canonicalize().unwrap().as_path()
    );
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(&private), 0o700);
    assert_eq!(mode(&h.dir.path().join("data/run")), 0o700);
    assert!(std::fs::read_to_string(&file).unwrap().contains(SECRET));

    // No process on this machine has it on its command line (the CLI's MCP server got it
    // through its environment, from the file).
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(other) = entry.file_name().to_string_lossy().parse::<i32>() {
            assert!(
                !cmdline(other).iter().any(|a| a.contains(SECRET)),
                "process {other} has the secret on its command line"
            );
        }
    }
    wait_until("the MCP server to start with its env", || {
        std::fs::read_to_string(&saw).is_ok_and(|s| s == SECRET)
    })
    .await;

    // Its temporary files and messaging socket go under the server's directory.
    let env = environ(pid);
    let tmp = h.dir.path().join("data/run/tmp");
    let tmp = std::path::absolute(&tmp).unwrap();
    assert!(
        env.contains(&format!("CLAUDE_CODE_TMPDIR={}", tmp.display())),
        "{env:?}"
    );
    assert!(!env.iter().any(|v| v.starts_with("XDG_RUNTIME_DIR=")));
    let socket = tmp.join(format!("cc-socks/{pid}.sock"));
    wait_until(
        "the CLI's messaging socket in the server's directory",
        || socket.exists(),
    )
    .await;

    h.engine.destroy_session(&admin(), &id).await.unwrap();
    wait_dead(pid).await;
    wait_until("the MCP file to go", || !file.exists()).await;
    h.stop().await;
}

#[actix_web::test]
async fn mcp_files_left_by_a_killed_server_are_removed_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let stale_dir = dir.path().join("run/mcp");
    std::fs::create_dir_all(&stale_dir).unwrap();
    let stale = stale_dir.join("mcp-0b5e6a53-5a7e-4b8e-9a39-111111111111.json");
    std::fs::write(&stale, "{\"mcpServers\":{}}").unwrap();
    let kept = stale_dir.join("notes.txt");
    std::fs::write(&kept, "not ours").unwrap();
    let db = dir.path().join("db.sqlite");
    let h = harness(&[("DATABASE_URL", db.to_str().unwrap())]).await;
    assert!(!stale.exists());
    assert!(kept.exists());
    h.stop().await;
}

/// The variables deploy/kubernetes sets: the server starts with them (in replica mode, on a
/// PostgreSQL database of its own), and none of its secrets reaches a CLI, where any tool
/// could print it. Without `TEST_DATABASE_URL` (no PostgreSQL, which replica mode needs)
/// only the single-machine variables are checked.
#[actix_web::test]
async fn the_kubernetes_variables_are_accepted_and_no_server_secret_reaches_a_cli() {
    use crate::helpers::{base_env, ServerProcess, TEST_KEY};
    use claude_sdk_pattern::db::test_support::PgTestDatabase;
    const CLUSTER: &str = "cluster-secret-5b0e7d2c41-0123456789abcdef";
    let dir = tempfile::tempdir().unwrap();
    let mut env = base_env(dir.path());
    env.retain(|(k, _)| k != "PREWARM_POOL_SIZE");
    let data = dir.path().join("data").to_string_lossy().into_owned();
    for (k, v) in [
        ("PREWARM_POOL_SIZE", "1"),
        ("POD_NAMESPACE", "team"),
        ("DATA_DIR", &data),
    ] {
        env.push((k.into(), v.into()));
    }
    let pg = PgTestDatabase::create("the Kubernetes variables test");
    if let Some(pg) = &pg {
        env.retain(|(k, _)| k != "DATABASE_URL");
        for (k, v) in [
            ("DATABASE_URL", pg.url()),
            ("NODE_ID", "claude-sdk-pattern-0"),
            (
                "NODE_URL",
                "http://claude-sdk-pattern-0.claude-sdk-pattern-internal.team.svc:8000",
            ),
            ("CLUSTER_SECRET", CLUSTER),
        ] {
            env.push((k.into(), v.into()));
        }
    }
    let mut server = ServerProcess::start(&env);
    // Listening means the pool's first CLI is ready, with the environment it was given.
    server.wait_listening();

    let children: Vec<i32> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
                // "pid (comm) state ppid ...": comm may hold spaces, so split after it.
                stat.rsplit_once(')')
                    .and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<i32>().ok())
                    == Some(server.pid)
            })
        })
        .collect();
    assert!(!children.is_empty(), "no CLI process under the server");
    for pid in children {
        let env = environ(pid);
        assert!(
            env.iter().any(|v| v.starts_with("CLAUDE_CODE_TMPDIR=")),
            "{env:?}"
        );
        for secret in [
            "CLAUDE_SDK_PATTERN_API_KEY=",
            "DATABASE_URL=",
            "CLUSTER_SECRET=",
        ] {
            assert!(
                !env.iter().any(|v| v.starts_with(secret)),
                "CLI {pid} got {secret}"
            );
        }
        assert!(!env
            .iter()
            .any(|v| v.contains(CLUSTER) || v.contains(TEST_KEY)));
        // What is no secret passes through as before.
        if pg.is_some() {
            assert!(env.iter().any(|v| v == "NODE_ID=claude-sdk-pattern-0"));
        }
    }

    server.signal(nix::sys::signal::Signal::SIGTERM);
    assert!(server.wait_exit().success());
}
