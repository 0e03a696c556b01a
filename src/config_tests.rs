//! The settings: defaults, every accepted and refused value, and the messages.
use super::*;
use std::net::Ipv4Addr;

const KEY: &str = "test-key-0123456789abcdef";

fn vars(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v = vec![("CLAUDE_SDK_PATTERN_API_KEY".to_string(), KEY.to_string())];
    v.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    v
}

fn build(extra: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    let raw: RawSettings = envy::from_iter(vars(extra)).map_err(|e| ConfigError {
        var: "environment",
        expected: e.to_string(),
    })?;
    raw.validate(&CliSearch::default())
}

fn rejected(extra: &[(&str, &str)]) -> ConfigError {
    match build(extra) {
        Ok(_) => panic!("expected {extra:?} to be rejected"),
        Err(e) => e,
    }
}

#[test]
fn defaults_match_the_design() {
    let s = build(&[]).unwrap();
    assert_eq!(s.api_key.expose(), KEY);
    assert_eq!(s.host, IpAddr::V4(Ipv4Addr::LOCALHOST));
    assert_eq!(s.port, 8000);
    assert_eq!(
        s.database,
        crate::db::Location::Sqlite(PathBuf::from("./data/claude-sdk-pattern.db"))
    );
    assert_eq!(s.workspace_dir, std::env::current_dir().unwrap());
    assert_eq!(s.claude_cli_path, PathBuf::from("claude"));
    assert_eq!(s.prewarm_pool_size, 2);
    assert_eq!(s.max_sessions, 10);
    assert_eq!(s.max_session_rss_mb, 2048);
    assert_eq!(s.max_session_duration_seconds, 14_400);
    assert_eq!(s.session_idle_timeout_seconds, 1800);
    assert_eq!(s.idle_grace_seconds, 300);
    assert_eq!(s.monitor_interval_seconds, 30);
    assert_eq!(s.permission_mode, "default");
    assert_eq!(s.models, ["opus", "sonnet", "haiku"]);
    assert_eq!(s.default_model(), "opus");
    assert_eq!(s.permission_timeout_seconds, 300);
    assert_eq!(s.shutdown_grace_seconds, 25);
    assert_eq!(s.turn_stall_seconds, 90);
    assert_eq!(s.prewarm_pool_max, 6);
    assert_eq!(
        s.memory_budget_mb,
        crate::config::default_memory_budget_mb()
    );
    assert!(s.memory_budget_mb >= 64);
    assert_eq!(s.log_level, LogLevel::Info);
    assert!(s.allowed_origins.is_empty());
    assert!(s.anthropic_api_key.is_none());
    assert!(s.anthropic_base_url.is_none());
    assert!(s.other_model_credentials.is_empty());
    assert!(s.demo_model());
    assert_eq!(s.data_dir(), PathBuf::from("./data"));
}

#[test]
fn every_variable_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().to_str().unwrap();
    let s = build(&[
        ("HOST", "0.0.0.0"),
        ("PORT", "0"),
        ("DATABASE_URL", "sqlite:///var/lib/x/db.sqlite"),
        ("WORKSPACE_DIR", ws),
        ("CLAUDE_CLI_PATH", "/opt/claude"),
        ("PREWARM_POOL_SIZE", "0"),
        ("MAX_SESSIONS", "3"),
        ("MAX_SESSION_RSS_MB", "100"),
        ("MAX_SESSION_DURATION_SECONDS", "60"),
        ("SESSION_IDLE_TIMEOUT_SECONDS", "5"),
        ("IDLE_GRACE_SECONDS", "0"),
        ("MONITOR_INTERVAL_SECONDS", "1"),
        ("PERMISSION_MODE", "acceptEdits"),
        ("MODELS", " sonnet , claude-haiku-4-5,sonnet,opus[1m]"),
        ("PERMISSION_TIMEOUT_SECONDS", "2"),
        ("SHUTDOWN_GRACE_SECONDS", "0"),
        ("TURN_STALL_SECONDS", "3"),
        ("PREWARM_POOL_MAX", "4"),
        ("MEMORY_BUDGET_MB", "900"),
        ("LOG_LEVEL", "DEBUG"),
        (
            "ALLOWED_ORIGINS",
            "https://a.example.com, http://localhost:5173/",
        ),
        ("ANTHROPIC_API_KEY", "sk-ant-abc"),
        ("ANTHROPIC_BASE_URL", "http://127.0.0.1:9999"),
    ])
    .unwrap();
    assert_eq!(s.host.to_string(), "0.0.0.0");
    assert_eq!(s.port, 0);
    assert_eq!(
        s.database,
        crate::db::Location::Sqlite(PathBuf::from("/var/lib/x/db.sqlite"))
    );
    assert_eq!(s.data_dir(), PathBuf::from("/var/lib/x"));
    assert_eq!(s.workspace_dir, dir.path());
    assert_eq!(s.claude_cli_path, PathBuf::from("/opt/claude"));
    assert_eq!(s.prewarm_pool_size, 0);
    assert_eq!(s.max_sessions, 3);
    assert_eq!(s.max_session_rss_mb, 100);
    assert_eq!(s.max_session_duration_seconds, 60);
    assert_eq!(s.session_idle_timeout_seconds, 5);
    assert_eq!(s.idle_grace_seconds, 0);
    assert_eq!(s.monitor_interval_seconds, 1);
    assert_eq!(s.permission_mode, "acceptEdits");
    assert_eq!(s.models, ["sonnet", "claude-haiku-4-5", "opus[1m]"]);
    assert_eq!(s.default_model(), "sonnet");
    assert_eq!(s.permission_timeout_seconds, 2);
    assert_eq!(s.shutdown_grace_seconds, 0);
    assert_eq!(s.turn_stall_seconds, 3);
    assert_eq!(s.prewarm_pool_max, 4);
    assert_eq!(s.prewarm_warm_up.as_deref(), Some("summary"), "the default");
    assert_eq!(s.memory_budget_mb, 900);
    assert_eq!(s.log_level, LogLevel::Debug);
    assert_eq!(
        s.allowed_origins,
        vec!["https://a.example.com", "http://localhost:5173"]
    );
    assert_eq!(s.anthropic_api_key.as_ref().unwrap().expose(), "sk-ant-abc");
    assert!(!s.demo_model());
    assert_eq!(s.secrets().len(), 2);
    let oauth = build(&[("CLAUDE_CODE_OAUTH_TOKEN", "oauth-token-value-123")]).unwrap();
    assert!(!oauth.demo_model(), "a logged-in CLI is not the demo");
    assert_eq!(oauth.secrets().len(), 2);
}

#[test]
fn missing_key_is_rejected() {
    let raw: RawSettings = envy::from_iter(Vec::<(String, String)>::new()).unwrap();
    let e = raw.validate(&CliSearch::default()).unwrap_err();
    assert_eq!(e.var, "CLAUDE_SDK_PATTERN_API_KEY");
    assert!(e.expected.contains("required"), "{e}");
}

#[test]
fn short_key_is_rejected_without_echoing_it() {
    let raw: RawSettings = envy::from_iter(vec![(
        "CLAUDE_SDK_PATTERN_API_KEY".to_string(),
        "short-secret".to_string(),
    )])
    .unwrap();
    let e = raw.validate(&CliSearch::default()).unwrap_err();
    assert_eq!(e.var, "CLAUDE_SDK_PATTERN_API_KEY");
    assert!(e.to_string().contains("at least 16"), "{e}");
    assert!(!e.to_string().contains("short-secret"));
}

#[test]
fn key_with_spaces_is_rejected() {
    let raw: RawSettings = envy::from_iter(vec![(
        "CLAUDE_SDK_PATTERN_API_KEY".to_string(),
        "a key with spaces in it".to_string(),
    )])
    .unwrap();
    let e = raw.validate(&CliSearch::default()).unwrap_err();
    assert_eq!(e.var, "CLAUDE_SDK_PATTERN_API_KEY");
}

#[test]
fn each_bad_value_names_its_variable() {
    let cases: &[(&str, &str)] = &[
        ("PORT", "eighty"),
        ("PORT", "70000"),
        ("PORT", "-1"),
        ("HOST", "not-an-ip"),
        ("DATABASE_URL", ":memory:"),
        ("DATABASE_URL", "sqlite://"),
        ("WORKSPACE_DIR", "/definitely/not/a/dir/here"),
        ("PREWARM_POOL_SIZE", "many"),
        ("PREWARM_POOL_SIZE", "33"),
        ("PREWARM_POOL_MAX", "1"),
        ("MEMORY_BUDGET_MB", "10"),
        ("MAX_SESSIONS", "0"),
        ("MAX_SESSIONS", "1.5"),
        ("MAX_SESSION_RSS_MB", "0"),
        ("MAX_SESSION_DURATION_SECONDS", "0"),
        ("SESSION_IDLE_TIMEOUT_SECONDS", "0"),
        ("IDLE_GRACE_SECONDS", "-5"),
        ("MONITOR_INTERVAL_SECONDS", "0"),
        ("PERMISSION_MODE", "yolo"),
        ("MODELS", "opus,gpt 4"),
        ("MODELS", ",,"),
        ("PERMISSION_TIMEOUT_SECONDS", "0"),
        ("LOG_LEVEL", "loud"),
        ("ALLOWED_ORIGINS", "example.com"),
        ("ALLOWED_ORIGINS", "https://example.com/path"),
        ("ANTHROPIC_BASE_URL", "ftp://x"),
        ("MAX_SESSIONS_PER_USER", "0"),
        ("MAX_SESSIONS_PER_USER", "lots"),
        ("DAILY_SPEND_LIMIT_USD", "-1"),
        ("DAILY_SPEND_LIMIT_USD", "five"),
        ("DAILY_SPEND_LIMIT_USD", "NaN"),
        ("PREWARM_WARM_UP", "yes"),
    ];
    for (var, value) in cases {
        let e = rejected(&[(var, value)]);
        assert_eq!(e.var, *var, "{var}={value} gave {e}");
        assert!(e.expected.starts_with("expected"), "{e}");
        assert!(!e.to_string().contains('\n'), "one line: {e}");
    }
}

#[test]
fn quotas_and_the_trusted_header_are_read() {
    let s = build(&[]).unwrap();
    assert_eq!(s.quotas, Quotas::default());
    assert_eq!(s.trusted_header, None);
    let s = build(&[
        ("MAX_SESSIONS_PER_USER", "3"),
        ("DAILY_SPEND_LIMIT_USD", "2.50"),
        ("AUTH_TRUSTED_HEADER", "X-Forwarded-User"),
        ("AUTH_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8 ,fd00::/8"),
    ])
    .unwrap();
    assert_eq!(s.quotas.max_sessions_per_user, Some(3));
    assert_eq!(s.quotas.daily_spend_limit_usd, Some(2.5));
    let trusted = s.trusted_header.unwrap();
    assert_eq!(trusted.header, "X-Forwarded-User");
    assert_eq!(trusted.proxies.len(), 3);
    assert!(trusted.trusts("10.1.2.3".parse().unwrap()));
    assert!(trusted.trusts("127.0.0.1".parse().unwrap()));
    assert!(!trusted.trusts("127.0.0.2".parse().unwrap()));
}

#[test]
fn the_trusted_header_needs_its_proxies_and_a_header_name() {
    for (extra, var) in [
        (
            &[("AUTH_TRUSTED_HEADER", "X-User")][..],
            "AUTH_TRUSTED_PROXIES",
        ),
        (
            &[("AUTH_TRUSTED_PROXIES", "127.0.0.1")][..],
            "AUTH_TRUSTED_HEADER",
        ),
        (
            &[
                ("AUTH_TRUSTED_HEADER", "X User"),
                ("AUTH_TRUSTED_PROXIES", "127.0.0.1"),
            ][..],
            "AUTH_TRUSTED_HEADER",
        ),
        (
            &[
                ("AUTH_TRUSTED_HEADER", "x-api-key"),
                ("AUTH_TRUSTED_PROXIES", "127.0.0.1"),
            ][..],
            "AUTH_TRUSTED_HEADER",
        ),
        (
            &[
                ("AUTH_TRUSTED_HEADER", "X-User"),
                ("AUTH_TRUSTED_PROXIES", "10.0.0.0/40"),
            ][..],
            "AUTH_TRUSTED_PROXIES",
        ),
    ] {
        let e = rejected(extra);
        assert_eq!(e.var, var, "{extra:?} gave {e}");
    }
}

#[test]
fn blank_values_mean_default() {
    let s = build(&[("PORT", ""), ("LOG_LEVEL", "  ")]).unwrap();
    assert_eq!(s.port, 8000);
    assert_eq!(s.log_level, LogLevel::Info);
}

#[test]
fn local_cli_install_is_found_before_path() {
    let root = tempfile::tempdir().unwrap();
    let on_path = tempfile::tempdir().unwrap();
    std::fs::write(on_path.path().join("claude"), "").unwrap();
    let search = CliSearch {
        roots: vec![root.path().to_path_buf()],
        path_var: Some(on_path.path().to_string_lossy().into_owned()),
    };
    assert_eq!(search.resolve(), on_path.path().join("claude"));

    let local = root.path().join(LOCAL_CLI_RELATIVE);
    std::fs::create_dir_all(local.parent().unwrap()).unwrap();
    std::fs::write(&local, "").unwrap();
    assert_eq!(search.resolve(), local);
}

#[test]
fn debug_output_hides_secrets() {
    let s = build(&[("ANTHROPIC_API_KEY", "sk-ant-secret-value")]).unwrap();
    let text = format!("{s:?}");
    assert!(!text.contains(KEY));
    assert!(!text.contains("sk-ant-secret-value"));
}

#[test]
fn a_postgres_url_selects_postgres_with_its_own_data_dir_and_stays_secret() {
    let url = "postgres://csp:pg-pass-5150@db.internal:5432/csp";
    let s = build(&[("DATABASE_URL", url)]).unwrap();
    assert_eq!(s.database.backend(), "postgres");
    assert_eq!(s.data_dir(), PathBuf::from("./data"));
    assert!(!format!("{s:?}").contains("pg-pass-5150"));
    assert!(s.secrets().iter().any(|x| x.expose() == "pg-pass-5150"));
    let s = build(&[("DATABASE_URL", url), ("DATA_DIR", "/srv/csp")]).unwrap();
    assert_eq!(s.data_dir(), PathBuf::from("/srv/csp"));
    // DATA_DIR also moves the server's files away from an SQLite file's directory.
    let s = build(&[("DATABASE_URL", "/var/x/db.sqlite"), ("DATA_DIR", "/srv/d")]).unwrap();
    assert_eq!(s.data_dir(), PathBuf::from("/srv/d"));
    let e = rejected(&[("DATABASE_URL", "mysql://u:pg-pass-5150@h/db")]);
    assert_eq!(e.var, "DATABASE_URL");
    assert!(!e.to_string().contains("pg-pass-5150"), "{e}");
}

const PG: &str = "postgres://csp:pw@127.0.0.1:5432/csp";
const CLUSTER_SECRET: &str = "cluster-secret-0123456789abcdef-xyz";

fn build_replica(extra: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    let mut v: Vec<(&str, &str)> = vec![
        ("DATABASE_URL", PG),
        ("NODE_ID", "n1"),
        ("NODE_URL", "http://127.0.0.1:9001"),
        ("CLUSTER_SECRET", CLUSTER_SECRET),
    ];
    for (k, val) in extra {
        v.retain(|(name, _)| name != k);
        v.push((k, val));
    }
    build(&v)
}

#[test]
fn without_node_id_there_is_no_replica_mode() {
    let s = build(&[]).unwrap();
    assert!(s.cluster.is_none());
    // LEASE_SECONDS alone is checked but changes nothing.
    assert!(build(&[("LEASE_SECONDS", "30")]).unwrap().cluster.is_none());
    assert_eq!(rejected(&[("LEASE_SECONDS", "1")]).var, "LEASE_SECONDS");
}

#[test]
fn replica_mode_reads_its_settings_and_keeps_the_secret_out_of_debug() {
    let s = build_replica(&[]).unwrap();
    let c = s.cluster.as_ref().unwrap();
    assert_eq!(c.node_id, "n1");
    assert_eq!(c.node_url, "http://127.0.0.1:9001");
    assert_eq!(c.secret.expose(), CLUSTER_SECRET);
    assert_eq!(c.lease_seconds, DEFAULT_LEASE_SECONDS);
    assert!(!format!("{s:?}").contains(CLUSTER_SECRET));
    assert!(s.secrets().iter().any(|x| x.expose() == CLUSTER_SECRET));
    let s = build_replica(&[
        ("LEASE_SECONDS", "6"),
        ("NODE_URL", "https://csp-1.csp:8000/"),
    ])
    .unwrap();
    let c = s.cluster.unwrap();
    assert_eq!(c.lease_seconds, 6);
    assert_eq!(c.node_url, "https://csp-1.csp:8000");
}

#[test]
fn replica_mode_refuses_what_cannot_work() {
    for (extra, var) in [
        (vec![("NODE_ID", "N1")], "NODE_ID"),
        (vec![("NODE_ID", "n_1")], "NODE_ID"),
        (vec![("NODE_ID", &*"a".repeat(64))], "NODE_ID"),
        (vec![("NODE_URL", "")], "NODE_URL"),
        (vec![("NODE_URL", "127.0.0.1:9001")], "NODE_URL"),
        (vec![("NODE_URL", "http://h:1/path")], "NODE_URL"),
        (vec![("CLUSTER_SECRET", "")], "CLUSTER_SECRET"),
        (vec![("CLUSTER_SECRET", "too-short")], "CLUSTER_SECRET"),
        (vec![("DATABASE_URL", "")], "DATABASE_URL"),
        (vec![("DATABASE_URL", "sqlite://x.db")], "DATABASE_URL"),
        (vec![("LEASE_SECONDS", "0")], "LEASE_SECONDS"),
    ] {
        let e = match build_replica(&extra) {
            Ok(_) => panic!("expected {extra:?} to be rejected"),
            Err(e) => e,
        };
        assert_eq!(e.var, var, "{extra:?}: {e}");
        assert!(!e.to_string().contains(CLUSTER_SECRET), "{e}");
    }
    let e = build_replica(&[("DATABASE_URL", "")]).unwrap_err();
    assert!(e.expected.contains("PostgreSQL"), "{e}");
    // NODE_URL or CLUSTER_SECRET without NODE_ID is a mistake, not single mode.
    let e = rejected(&[("CLUSTER_SECRET", CLUSTER_SECRET)]);
    assert_eq!(e.var, "NODE_ID");
    assert!(!e.to_string().contains(CLUSTER_SECRET), "{e}");
}
