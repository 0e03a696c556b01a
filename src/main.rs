//! The `claude-sdk-pattern` binary: read the configuration, build the logger, run the server.
//! Subcommands: `healthcheck` (for a container `HEALTHCHECK`) and `model-stub`.

mod healthcheck;
mod keyfile;

use std::process::ExitCode;

use claude_sdk_pattern::app::Application;
use claude_sdk_pattern::config::{LogLevel, Settings};
use claude_sdk_pattern::logging;
use claude_sdk_pattern::model_stub::{ModelStub, StubMode};
use keyfile::KeySource;
use slog::{crit, info, warn, Logger};

/// Exit code for a configuration that cannot be used.
const EXIT_CONFIG: u8 = 2;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(first) = args.first() {
        return match first.as_str() {
            "--version" | "-V" => {
                println!("claude-sdk-pattern {}", env!("CARGO_PKG_VERSION"));
                ExitCode::SUCCESS
            }
            "--help" | "-h" => {
                println!("{}", HELP.trim());
                ExitCode::SUCCESS
            }
            "model-stub" => model_stub(&args[1..]),
            "users" | "keys" => claude_sdk_pattern::users::cli::run(first, &args[1..]),
            "healthcheck" => health_check(&args[1..]),
            other => {
                eprintln!("claude-sdk-pattern: unknown argument {other:?} (see --help)");
                ExitCode::from(EXIT_CONFIG)
            }
        };
    }

    let mut vars: Vec<(String, String)> = std::env::vars().collect();
    let key_source = match keyfile::resolve(&mut vars) {
        Ok(source) => source,
        Err(e) => {
            eprintln!("claude-sdk-pattern: configuration error: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let settings = match Settings::from_vars(vars) {
        Ok(settings) => settings,
        Err(e) => {
            match &key_source {
                KeySource::File { path, .. } if e.var == keyfile::KEY_VAR => eprintln!(
                    "claude-sdk-pattern: configuration error: {}: the key in {}: {}",
                    keyfile::FILE_VAR,
                    path.display(),
                    e.expected
                ),
                _ => eprintln!("claude-sdk-pattern: configuration error: {e}"),
            }
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let (log, guard) = logging::stdout(settings.log_level, &settings.secrets());
    log_key_source(&log, &key_source);
    let code = actix_web::rt::System::new().block_on(serve(settings, log.clone()));
    drop(log);
    // Flushes every queued log line before the process exits.
    drop(guard);
    code
}

async fn serve(settings: Settings, log: Logger) -> ExitCode {
    // Orphaned tool processes of a dead CLI come back to us, to be stopped and reaped.
    if let Err(e) = claude_sdk_pattern::process::become_subreaper() {
        slog::warn!(log, "cannot become a child subreaper"; "error" => %e);
    }
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

/// Says where the key came from: the file to read it from, never the key itself.
fn log_key_source(log: &Logger, source: &KeySource) {
    let KeySource::File {
        path,
        generated,
        loose_permissions,
    } = source
    else {
        return;
    };
    let key_file = path.display().to_string();
    let read_with = KeySource::read_with(path);
    if *generated {
        warn!(log, "no CLAUDE_SDK_PATTERN_API_KEY set: generated an API key into the key file (kept for later starts); clients need it";
            "key_file" => key_file, "read_with" => read_with);
    } else {
        info!(log, "API key read from the key file";
            "key_file" => key_file, "read_with" => read_with);
    }
    if *loose_permissions {
        warn!(log, "the key file is readable by other users: chmod 600 it"; "key_file" => path.display().to_string());
    }
}

/// `claude-sdk-pattern healthcheck`: exit 0 when the server at `HOST`:`PORT` answers its
/// liveness check, else 1 with the reason on stderr.
fn health_check(args: &[String]) -> ExitCode {
    if let Some(other) = args.first() {
        eprintln!("claude-sdk-pattern: healthcheck: unknown argument {other:?} (see --help)");
        return ExitCode::from(EXIT_CONFIG);
    }
    let var = |name: &str| std::env::var(name).ok();
    let result = healthcheck::target(var("HOST").as_deref(), var("PORT").as_deref())
        .and_then(|addr| healthcheck::check(addr, healthcheck::TIMEOUT));
    match result {
        Ok(()) => {
            println!("healthy");
            ExitCode::SUCCESS
        }
        Err(reason) => {
            eprintln!("unhealthy: {reason}");
            ExitCode::FAILURE
        }
    }
}

/// `claude-sdk-pattern model-stub [--port N] [--scripted]`: the scripted Anthropic-compatible
/// model server on 127.0.0.1, in demo mode unless `--scripted`, until SIGINT/SIGTERM.
fn model_stub(args: &[String]) -> ExitCode {
    let mut port: u16 = 8100;
    let mut mode = StubMode::Demo;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--port" => match rest.next().and_then(|p| p.parse().ok()) {
                Some(p) => port = p,
                None => {
                    eprintln!(
                        "claude-sdk-pattern: model-stub --port: expected a port number 0-65535"
                    );
                    return ExitCode::from(EXIT_CONFIG);
                }
            },
            "--scripted" => mode = StubMode::Scripted,
            other => {
                eprintln!(
                    "claude-sdk-pattern: model-stub: unknown argument {other:?} (see --help)"
                );
                return ExitCode::from(EXIT_CONFIG);
            }
        }
    }
    let (log, guard) = logging::stdout(LogLevel::Info, &[]);
    let code = actix_web::rt::System::new().block_on(async {
        let stub = match ModelStub::start(port, mode).await {
            Ok(stub) => stub,
            Err(e) => {
                crit!(log, "cannot start the model stub"; "port" => port, "error" => %e);
                return ExitCode::FAILURE;
            }
        };
        info!(log, "model stub listening"; "url" => stub.url(), "mode" => format!("{mode:?}"));
        wait_for_stop_signal().await;
        stub.stop().await;
        info!(log, "model stub stopped");
        ExitCode::SUCCESS
    });
    drop(log);
    drop(guard);
    code
}

async fn wait_for_stop_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

const HELP: &str = r#"
claude-sdk-pattern: a self-hosted server and browser chat for Claude Code sessions.

Usage: claude-sdk-pattern            run the server (configured by environment variables)
       claude-sdk-pattern model-stub [--port N] [--scripted]
                                     run only the Anthropic-compatible demo/scripted model
                                     on 127.0.0.1:N (default 8100)
       claude-sdk-pattern users add NAME [--admin]
                                     add a user; prints its API key (once)
       claude-sdk-pattern users list | users disable NAME
       claude-sdk-pattern keys create NAME | keys revoke PREFIX
                                     manage users and keys in the database
                                     (DATABASE_URL); no server needs to run
       claude-sdk-pattern healthcheck
                                     exit 0 if the server at HOST:PORT answers its liveness
                                     check (GET /api/v1/health/live) within 3 s, else 1
       claude-sdk-pattern --version

Required: CLAUDE_SDK_PATTERN_API_KEY (at least 16 characters), or
CLAUDE_SDK_PATTERN_API_KEY_FILE (a key file, generated with mode 600 when missing): the
bootstrap admin's key.
Every variable and its default: docs/operations.md.
"#;
