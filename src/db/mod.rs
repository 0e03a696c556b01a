//! Persistence: Diesel over SQLite (WAL, `busy_timeout`, foreign keys on every connection),
//! with the migrations embedded in the binary and run at start.

pub mod models;
mod repo;
pub mod schema;

#[cfg(test)]
mod repo_tests;
#[cfg(test)]
mod schema_check;

use diesel_migrations::{embed_migrations, EmbeddedMigrations};

pub use models::{Message, MessageKind, Session, SessionStatus, TerminationReason};
pub use repo::{Db, DbError, BUSY_TIMEOUT_MS};

/// The migrations of `migrations/`, compiled in.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");
