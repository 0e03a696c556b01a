//! Persistence: Diesel over SQLite (WAL, `busy_timeout`, foreign keys on every connection),
//! with the migrations embedded in the binary and run at start.

mod details;
mod listing;
pub mod models;
mod repo;
pub mod schema;
mod search;

#[cfg(test)]
mod find_tests;
#[cfg(test)]
mod repo_tests;
#[cfg(test)]
mod schema_check;

use diesel_migrations::{embed_migrations, EmbeddedMigrations};

pub use details::{
    payload_text, preview_from, title_from, Details, ForkOrigin, Listed, TITLE_MAX_CHARS,
};
pub use listing::{Cursor, ListQuery, Page, Scope, StatusFilter, DEFAULT_PAGE, MAX_PAGE};
pub use models::{Message, MessageKind, Session, SessionStatus, TerminationReason};
pub use repo::{Db, DbError, BUSY_TIMEOUT_MS};
pub use search::{fts_query, QueryError, SearchHit, DEFAULT_HITS, MAX_HITS};

/// The migrations of `migrations/`, compiled in.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");
