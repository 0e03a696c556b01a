//! A configuration that cannot be used stops the binary with exit code 2 and one line
//! naming the variable and what is expected.

use crate::helpers::{base_env, command, TEST_KEY};

fn run_with(overrides: &[(&str, Option<&str>)]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut env = base_env(dir.path());
    for (name, value) in overrides {
        env.retain(|(k, _)| k != name);
        if let Some(v) = value {
            env.push((name.to_string(), v.to_string()));
        }
    }
    let out = command(&env).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_configuration_exits_2_with_one_clear_line() {
    let cases: &[(&str, Option<&str>)] = &[
        ("CLAUDE_SDK_PATTERN_API_KEY", None),
        ("CLAUDE_SDK_PATTERN_API_KEY", Some("too-short")),
        ("PORT", Some("eighty")),
        ("MAX_SESSIONS", Some("0")),
        ("PREWARM_POOL_SIZE", Some("-1")),
        ("LOG_LEVEL", Some("chatty")),
        ("PERMISSION_MODE", Some("anything-goes")),
        ("WORKSPACE_DIR", Some("/no/such/workspace/dir")),
    ];
    for (var, value) in cases {
        let (code, stdout, stderr) = run_with(&[(var, *value)]);
        assert_eq!(code, 2, "{var}={value:?}: stderr {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{var}: one line, got {stderr:?}");
        assert!(stderr.contains(var), "{var}: line should name it: {stderr}");
        assert!(
            stderr.contains("expected") || stderr.contains("required"),
            "{stderr}"
        );
        assert!(stdout.is_empty(), "nothing on stdout: {stdout}");
        if let Some(v) = value {
            if *var == "CLAUDE_SDK_PATTERN_API_KEY" {
                assert!(!stderr.contains(v), "the key itself is never echoed");
            }
        }
    }
    let (_, _, stderr) = run_with(&[
        ("CLAUDE_SDK_PATTERN_API_KEY", Some(TEST_KEY)),
        ("PORT", Some("x")),
    ]);
    assert!(!stderr.contains(TEST_KEY));
}

#[test]
fn unknown_argument_exits_2_and_version_works() {
    let out = command(&[]).arg("--bogus").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = command(&[]).arg("--version").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("claude-sdk-pattern "));
}
