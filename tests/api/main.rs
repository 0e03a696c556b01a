//! Black-box tests: the real server (in-process on port 0, or the real binary as a child
//! process), a real SQLite file in a temp directory, real HTTP.

// A test crate: panicking on a failed setup step is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli;
mod engine_harness;
mod helpers;
mod users_helpers;
mod ws_client;

mod agents;
mod attachments;
mod budget;
mod changes;
mod cli_process;
mod cli_secrets;
mod cli_turns;
mod commands;
mod config_errors;
mod contract;
mod controls;
mod drain;
mod engine;
mod engine_lifecycle;
mod engine_limits;
mod extensions_cli;
mod find;
mod fork;
mod health;
mod internal;
mod key_file;
mod metrics;
mod metrics_addr;
mod model_stub;
mod plan;
mod pool;
mod pool_adapt;
mod pool_refill;
mod process_logs;
mod projects;
mod rest;
mod security_headers;
mod session_rules;
mod session_state;
mod stall;
mod static_ui;
mod teams_keys;
mod teams_quotas;
mod teams_scoping;
mod teams_sso;
mod teams_upgrade;
mod worktrees;
mod worktrees_sweep;
mod ws;
mod ws_reconnect;
