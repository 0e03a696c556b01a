//! Black-box tests: the real server (in-process on port 0, or the real binary as a child
//! process), a real SQLite file in a temp directory, real HTTP.

// A test crate: panicking on a failed setup step is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli;
mod engine_harness;
mod helpers;
mod ws_client;

mod cli_process;
mod cli_turns;
mod config_errors;
mod drain;
mod engine;
mod engine_lifecycle;
mod engine_limits;
mod extensions_cli;
mod find;
mod health;
mod key_file;
mod model_stub;
mod pool;
mod process_logs;
mod rest;
mod stall;
mod static_ui;
mod ws;
mod ws_reconnect;
