//! The replica tests (issue 18; docs/testing.md, "Replicas"): three real server binaries in
//! replica mode on one fresh PostgreSQL database, one shared workspace, behind HAProxy, the
//! real Claude CLI against the scripted model stub. Skipped (one SKIPPED line) without
//! `TEST_DATABASE_URL` or haproxy, unless `REQUIRE_POSTGRES=1`.
//!
//! `make test-cluster` runs them alone (inside scripts/with-postgres.sh); `make test` runs
//! them with the other Rust tests. One test at a time (each starts three servers).

// A test crate: panicking on a failed setup step is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

// The API suite's helpers, shared rather than copied (each file compiled here as well; what
// this suite does not use of them is allowed to be unused).
#[allow(dead_code)]
#[path = "../api/cli.rs"]
mod cli;
#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;
#[allow(dead_code)]
#[path = "../api/ws_client.rs"]
mod ws_client;

mod chat;
mod haproxy;
mod harness;

mod balancer;
mod owner_killed;
mod placement;
mod reconnect;
mod rolling_restart;
mod take_race;
mod worktree_moves;
