//! The Claude Code CLI protocol layer (docs/claude-cli-protocol.md): one long-lived
//! CLI process driven over stream-json. Plain tokio, no actix types, so it can be tested and
//! benchmarked on its own.
//!
//! - [`spawn`]: command line, environment, process group, parent-death signal.
//! - [`lines`]: stdout line framing with a per-line cap.
//! - [`frames`]: one line → one typed frame.
//! - [`events`]: frames → the events the server streams (text deltas, blocks, tool results,
//!   permission requests, retries, turn results, exit).
//! - [`process`]: the process handle: initialize, messages, interrupt, permissions, stop.

pub mod events;
pub mod frames;
pub mod lines;
pub mod process;
mod reader;
pub mod spawn;

pub use events::{CliEvent, ContentBlock, ExitInfo, PermissionRequest, TurnResult};
pub use process::{
    ClaudeError, ClaudeProcess, ExitStatusInfo, InitInfo, PermissionDecision, Started, StopMethod,
    StopReport,
};
pub use spawn::{remove_stale_mcp_files, McpConfigFile, SessionStart, SpawnOptions};

#[cfg(test)]
mod transcript_tests;
