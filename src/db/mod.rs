//! Persistence: Diesel over SQLite (the default: WAL, `busy_timeout`, foreign keys on every
//! connection) or PostgreSQL (`backend.rs`), with the migrations of each embedded in the
//! binary and run at start: sessions and their messages (`repo.rs`), users and their keys
//! (`users.rs`), what users spend (`spend.rs`).

pub mod backend;
pub mod cluster;
mod details;
mod listing;
pub mod location;
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
#[cfg(test)]
pub(crate) mod test_backends;
#[doc(hidden)]
pub mod test_support;

pub use backend::BUSY_TIMEOUT_MS;
pub use details::{
    payload_text, preview_from, title_from, Details, ForkOrigin, Listed, TITLE_MAX_CHARS,
};
pub use listing::{
    Cursor, ListQuery, Page, ProjectFilter, Scope, StatusFilter, DEFAULT_PAGE, MAX_PAGE,
};
pub use location::Location;
pub use models::{
    Message, MessageKind, Role, Session, SessionStatus, TerminationReason, BOOTSTRAP_USER_ID,
};
pub use repo::{Db, DbError};
pub use search::{fts_query, QueryError, SearchHit, DEFAULT_HITS, MAX_HITS};
pub use users::{ApiKey, LimitsChange, User};
