//! Helpers for running the real Claude CLI (and, for faults, the fake one) in tests.

use std::path::{Path, PathBuf};
use std::sync::Once;
use std::time::Duration;

use claude_sdk_pattern::claude::{CliEvent, SessionStart, SpawnOptions};
use tokio::sync::mpsc;

/// The pinned CLI that `make setup` installs (or `CLAUDE_CLI_PATH`).
pub fn cli_path() -> PathBuf {
    if let Ok(p) = std::env::var("CLAUDE_CLI_PATH") {
        return PathBuf::from(p);
    }
    let local =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(claude_sdk_pattern::config::LOCAL_CLI_RELATIVE);
    assert!(
        local.exists(),
        "the Claude CLI is not installed: run `make setup` (looked at {})",
        local.display()
    );
    local
}

/// The server's environment for running the real CLI against the model at `model_url`:
/// the CLI's `HOME` is `home`, its configuration (and so its transcripts) `home/cli-config`,
/// created here.
pub fn cli_env(home: &Path, model_url: &str) -> Vec<(String, String)> {
    let config = home.join("cli-config");
    std::fs::create_dir_all(&config).unwrap();
    [
        ("CLAUDE_CLI_PATH", cli_path().to_string_lossy().into_owned()),
        ("ANTHROPIC_BASE_URL", model_url.to_string()),
        ("ANTHROPIC_API_KEY", "sk-ant-test-not-real".to_string()),
        ("CLAUDE_CODE_MAX_RETRIES", "0".to_string()),
        ("HOME", home.to_string_lossy().into_owned()),
        ("CLAUDE_CONFIG_DIR", config.to_string_lossy().into_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

pub fn fake_cli() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fake-cli.sh")
}

/// The test process adopts orphans (as the server does), so stop() can reap them.
pub fn init_process() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| claude_sdk_pattern::process::become_subreaper().unwrap());
}

/// A CLI sandbox: its own config dir and workspace, talking to `base_url`.
pub struct CliSandbox {
    pub dir: tempfile::TempDir,
}

impl CliSandbox {
    pub fn new() -> CliSandbox {
        init_process();
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("config")).unwrap();
        std::fs::create_dir_all(dir.path().join("workspace")).unwrap();
        CliSandbox { dir }
    }

    pub fn workspace(&self) -> PathBuf {
        self.dir.path().join("workspace")
    }

    /// Options for the real CLI against the model at `base_url`.
    pub fn options(&self, session: SessionStart, base_url: &str) -> SpawnOptions {
        let mut o = SpawnOptions::new(cli_path(), self.workspace(), session);
        o.env = vec![
            (
                "CLAUDE_CONFIG_DIR".into(),
                self.dir
                    .path()
                    .join("config")
                    .to_string_lossy()
                    .into_owned(),
            ),
            ("ANTHROPIC_BASE_URL".into(), base_url.into()),
            (
                "ANTHROPIC_API_KEY".into(),
                "sk-ant-test-not-a-real-key".into(),
            ),
            ("CLAUDE_CODE_MAX_RETRIES".into(), "0".into()),
        ];
        o.extra_args = vec!["--setting-sources=".into()];
        o
    }

    pub fn fake(&self, mode: &str) -> SpawnOptions {
        let mut o = SpawnOptions::new(fake_cli(), self.workspace(), SessionStart::New(new_id()));
        o.env = vec![("FAKE_CLI_MODE".into(), mode.into())];
        o
    }
}

pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Receives the next event, bounded.
pub async fn next(events: &mut mpsc::Receiver<CliEvent>) -> CliEvent {
    tokio::time::timeout(Duration::from_secs(60), events.recv())
        .await
        .expect("no CLI event within 60 s")
        .expect("event stream ended")
}

/// Collects events until (and including) the first that matches.
pub async fn until(
    events: &mut mpsc::Receiver<CliEvent>,
    done: impl Fn(&CliEvent) -> bool,
) -> Vec<CliEvent> {
    let mut out = Vec::new();
    loop {
        let e = next(events).await;
        let stop = done(&e);
        out.push(e);
        if stop {
            return out;
        }
    }
}

pub fn is_result(e: &CliEvent) -> bool {
    matches!(e, CliEvent::TurnResult(_))
}

pub fn is_exit(e: &CliEvent) -> bool {
    matches!(e, CliEvent::Exited(_))
}

/// The concatenated text deltas.
pub fn streamed_text(events: &[CliEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            CliEvent::TextDelta { text } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}
