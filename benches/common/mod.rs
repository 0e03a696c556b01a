//! The engine the engine benches drive: the server's application in `dir` (database,
//! workspace, CLI state), the pinned real CLI talking to `stub`, logs discarded. Shared by
//! `engine`, `first_message` and `pool_burst`, which differ only in their settings.

use std::path::Path;

use claude_sdk_pattern::actors::Engine;
use claude_sdk_pattern::app::{Application, Options};
use claude_sdk_pattern::config::Settings;
use claude_sdk_pattern::model_stub::ModelStub;

/// Starts the application with `settings` (environment variable, value) added to the
/// common ones, and returns its engine.
#[allow(dead_code)] // not every bench uses both
pub async fn engine(dir: &Path, stub: &ModelStub, settings: &[(&str, String)]) -> Engine {
    engine_at(dir, stub, settings).await.0
}

/// As [`engine`], with the HTTP server's address (for WebSocket clients).
pub async fn engine_at(
    dir: &Path,
    stub: &ModelStub,
    settings: &[(&str, String)],
) -> (Engine, std::net::SocketAddr) {
    let workspace = dir.join("workspace");
    std::fs::create_dir_all(&workspace).unwrap();
    let cli =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(claude_sdk_pattern::config::LOCAL_CLI_RELATIVE);
    let mut vars = vec![
        (
            "CLAUDE_SDK_PATTERN_API_KEY",
            "bench-key-0123456789abcdef".to_string(),
        ),
        ("PORT", "0".to_string()),
        (
            "DATABASE_URL",
            dir.join("bench.db").to_string_lossy().into_owned(),
        ),
        ("WORKSPACE_DIR", workspace.to_string_lossy().into_owned()),
        ("CLAUDE_CLI_PATH", cli.to_string_lossy().into_owned()),
        // Up to 50 live CLIs (~9 GB): measured here, not bounded by the default budget.
        ("MEMORY_BUDGET_MB", "65536".to_string()),
        ("ANTHROPIC_BASE_URL", stub.url()),
        ("ANTHROPIC_API_KEY", "sk-ant-bench".to_string()),
        ("LOG_LEVEL", "error".to_string()),
    ];
    // A bench's own value of a common setting replaces it.
    vars.retain(|(k, _)| !settings.iter().any(|(s, _)| s == k));
    vars.extend(settings.iter().cloned());
    let settings =
        Settings::from_vars(vars.iter().map(|(k, v)| (k.to_string(), v.clone()))).unwrap();
    let options = Options {
        cli_env: vec![
            (
                "CLAUDE_CONFIG_DIR".into(),
                dir.join("cli").to_string_lossy().into_owned(),
            ),
            ("ANTHROPIC_BASE_URL".into(), stub.url()),
            ("ANTHROPIC_API_KEY".into(), "sk-ant-bench".into()),
        ],
        cli_args: vec!["--setting-sources=".into()],
        exclusive_children: false,
        ..Options::default()
    };
    let app = Application::build_with(settings, claude_sdk_pattern::logging::discard(), options)
        .await
        .unwrap();
    let (engine, addr) = (app.engine(), app.local_addr());
    actix_web::rt::spawn(app.run_until_stopped());
    (engine, addr)
}

/// The 1-minute load average (`/proc/loadavg`), to state beside figures on a shared machine.
#[allow(dead_code)] // not every bench states it
pub fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN)
}
