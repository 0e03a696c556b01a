//! Persistence: Diesel over SQLite (WAL, `busy_timeout`, foreign keys on every connection),
//! with the migrations embedded in the binary and run at start: sessions and their messages
//! (`repo.rs`), users and their keys (`users.rs`), what users spend (`spend.rs`).

mod details;
mod listing;
pub mod models;
mod projects;
mod repo;
mod rules;
pub mod schema;
mod search;
pub mod spend;
pub mod users;

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
pub use models::{
    Message, MessageKind, Role, Session, SessionStatus, TerminationReason, BOOTSTRAP_USER_ID,
};
pub use repo::{Db, DbError, BUSY_TIMEOUT_MS};
pub use search::{fts_query, QueryError, SearchHit, DEFAULT_HITS, MAX_HITS};
pub use users::{ApiKey, LimitsChange, User};

/// The migrations of `migrations/`, compiled in.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");
