//! The `claude-sdk-pattern` binary: read the configuration, build the logger, run the server.

use std::process::ExitCode;

use claude_sdk_pattern::app::Application;
use claude_sdk_pattern::config::Settings;
use claude_sdk_pattern::logging;
use slog::{crit, Logger};

/// Exit code for a configuration that cannot be used.
const EXIT_CONFIG: u8 = 2;

fn main() -> ExitCode {
    if let Some(arg) = std::env::args().nth(1) {
        match arg.as_str() {
            "--version" | "-V" => {
                println!("claude-sdk-pattern {}", env!("CARGO_PKG_VERSION"));
                return ExitCode::SUCCESS;
            }
            "--help" | "-h" => {
                println!("{}", HELP.trim());
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("claude-sdk-pattern: unknown argument {other:?} (see --help)");
                return ExitCode::from(EXIT_CONFIG);
            }
        }
    }

    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("claude-sdk-pattern: configuration error: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let (log, guard) = logging::stdout(settings.log_level, &settings.secrets());
    let code = actix_web::rt::System::new().block_on(serve(settings, log.clone()));
    drop(log);
    // Flushes every queued log line before the process exits.
    drop(guard);
    code
}

async fn serve(settings: Settings, log: Logger) -> ExitCode {
    let app = match Application::build(settings, log.clone()).await {
        Ok(app) => app,
        Err(e) => {
            crit!(log, "cannot start"; "error" => %e);
            return ExitCode::FAILURE;
        }
    };
    match app.run_until_stopped().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            crit!(log, "server failed"; "error" => %e);
            ExitCode::FAILURE
        }
    }
}

const HELP: &str = r#"
claude-sdk-pattern: a self-hosted server and browser chat for Claude Code sessions.

Usage: claude-sdk-pattern            run the server (configured by environment variables)
       claude-sdk-pattern --version

Required: CLAUDE_SDK_PATTERN_API_KEY (at least 16 characters).
Every variable and its default: docs/operations.md.
"#;
