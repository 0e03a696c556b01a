//! claude-sdk-pattern: a self-hosted server that runs Claude Code sessions for a browser chat.
//!
//! The binary (`main.rs`) only reads the configuration, builds the logger and runs the
//! [`app::Application`]; tests build the same application on port 0.

pub mod actors;
pub mod app;
pub mod changes;
pub mod cidr;
pub mod claude;
pub mod cluster;
pub mod config;
pub mod db;
pub mod extensions;
pub mod http;
pub mod logging;
pub mod metrics;
pub mod model_backend;
pub mod model_stub;
pub mod process;
pub mod protocol;
pub mod secret;
pub mod session_id;
pub mod users;
pub mod workspace;

pub use session_id::SessionId;
