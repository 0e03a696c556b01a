//! The two backends of the store: SQLite (the default, one file) and PostgreSQL
//! (`DATABASE_URL=postgres://…`), each with its own r2d2 pool and embedded migrations.
//!
//! One code path serves both: a repository method takes an [`AnyConn`] and [`on_conn!`]
//! expands its Diesel code once per concrete connection type, so each backend gets its full
//! query builder (upserts included — Diesel's `MultiConnection` backend has no `ON
//! CONFLICT`, which the store uses for every upsert). What differs is here or branches on
//! the variant: pragmas, the write lock of a transaction, migrations, full-text search.

use std::path::Path;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use super::location::Location;
use super::repo::DbError;

/// How long a connection waits for SQLite's write lock before giving up.
pub const BUSY_TIMEOUT_MS: u32 = 5_000;

/// Connections kept by the SQLite pool (one writer; a few readers beside it).
const SQLITE_POOL_SIZE: u32 = 4;
/// Connections kept by the PostgreSQL pool.
const PG_POOL_SIZE: u32 = 8;

/// The migrations of `migrations/sqlite/`, compiled in.
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
/// The migrations of `migrations/postgres/` (the same versions; a test keeps them
/// equivalent, src/db/schema_check.rs).
pub const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// The key of the PostgreSQL advisory lock every write transaction takes first: writes are
/// serialized as SQLite's `BEGIN IMMEDIATE` serializes them, so a read-then-write (the next
/// `seq` of a session, a read-modify-write of a user's limits) sees no concurrent writer.
/// Single-statement writes (conditional updates, upserts) need no lock on either backend.
const PG_WRITE_LOCK: i64 = 0x6373_705f_7772_6974; // "csp_writ"
/// The advisory lock held while migrating (two servers starting at once migrate once).
const PG_MIGRATE_LOCK: i64 = 0x6373_705f_6d69_6772; // "csp_migr"

pub(super) type SqlitePool = Pool<ConnectionManager<SqliteConnection>>;
pub(super) type PgPool = Pool<ConnectionManager<PgConnection>>;

/// The pool of whichever backend the store uses.
#[derive(Clone)]
pub(super) enum Pools {
    Sqlite(SqlitePool),
    Pg(PgPool),
}

/// A pooled connection of either backend, lent to one repository call.
pub enum AnyConn<'a> {
    Sqlite(&'a mut SqliteConnection),
    Pg(&'a mut PgConnection),
}

/// Runs `$body` with `$c` bound to the concrete connection inside `$any` (an [`AnyConn`]):
/// the body is compiled once for SQLite and once for PostgreSQL.
macro_rules! on_conn {
    ($any:expr, |$c:ident| $body:expr) => {
        match $any {
            $crate::db::backend::AnyConn::Sqlite($c) => $body,
            $crate::db::backend::AnyConn::Pg($c) => $body,
        }
    };
}
pub(crate) use on_conn;

/// What the repository needs of a concrete connection beyond Diesel's `Connection`.
pub(super) trait StoreConn: Connection + Sized {
    /// This connection as an [`AnyConn`] (to call a helper that takes one).
    fn any(&mut self) -> AnyConn<'_>;

    /// Runs `f` in a write transaction: SQLite `BEGIN IMMEDIATE`; PostgreSQL `BEGIN` and the
    /// store's advisory write lock (see [`PG_WRITE_LOCK`]). Committed when `f` succeeds.
    fn write_transaction<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Self) -> Result<T, E>,
        E: From<diesel::result::Error>;
}

impl StoreConn for SqliteConnection {
    fn any(&mut self) -> AnyConn<'_> {
        AnyConn::Sqlite(self)
    }

    fn write_transaction<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Self) -> Result<T, E>,
        E: From<diesel::result::Error>,
    {
        self.immediate_transaction(f)
    }
}

impl StoreConn for PgConnection {
    fn any(&mut self) -> AnyConn<'_> {
        AnyConn::Pg(self)
    }

    fn write_transaction<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Self) -> Result<T, E>,
        E: From<diesel::result::Error>,
    {
        self.transaction(|conn| {
            diesel::sql_query(format!("SELECT pg_advisory_xact_lock({PG_WRITE_LOCK})"))
                .execute(conn)?;
            f(conn)
        })
    }
}

/// Sets the per-connection pragmas on every SQLite connection the pool hands out.
#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute(&format!(
            "PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}; \
             PRAGMA foreign_keys = ON; \
             PRAGMA synchronous = NORMAL;"
        ))
        .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// Every PostgreSQL connection works in UTC (timestamps are stored without a zone, as UTC).
#[derive(Debug)]
struct PgSession;

impl CustomizeConnection<PgConnection, diesel::r2d2::Error> for PgSession {
    fn on_acquire(&self, conn: &mut PgConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute("SET TIME ZONE 'UTC'")
            .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// Opens the store at `location`, migrated. Blocking.
pub(super) fn open_pools(location: &Location) -> Result<Pools, DbError> {
    match location {
        Location::Sqlite(path) => open_sqlite(path).map(Pools::Sqlite),
        Location::Postgres(url) => open_pg(url.expose()).map(Pools::Pg),
    }
}

fn open_sqlite(path: &Path) -> Result<SqlitePool, DbError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| DbError::DataDir {
            path: dir.display().to_string(),
            source,
        })?;
    }
    let manager = ConnectionManager::<SqliteConnection>::new(path.to_string_lossy());
    let pool = Pool::builder()
        .max_size(SQLITE_POOL_SIZE)
        .connection_timeout(Duration::from_secs(10))
        .connection_customizer(Box::new(SqlitePragmas))
        .build(manager)?;
    let mut conn = pool.get()?;
    // WAL is a property of the file: set once, it stays.
    conn.batch_execute("PRAGMA journal_mode = WAL;")?;
    conn.run_pending_migrations(SQLITE_MIGRATIONS)
        .map_err(|e| DbError::Migration(e.to_string()))?;
    drop(conn);
    Ok(pool)
}

fn open_pg(url: &str) -> Result<PgPool, DbError> {
    let manager = ConnectionManager::<PgConnection>::new(url);
    let pool = Pool::builder()
        .max_size(PG_POOL_SIZE)
        .min_idle(Some(1))
        .connection_timeout(Duration::from_secs(10))
        .connection_customizer(Box::new(PgSession))
        .build(manager)?;
    let mut conn = pool.get()?;
    conn.batch_execute(&format!("SELECT pg_advisory_lock({PG_MIGRATE_LOCK})"))?;
    let migrated = conn
        .run_pending_migrations(PG_MIGRATIONS)
        .map(|_| ())
        .map_err(|e| DbError::Migration(e.to_string()));
    conn.batch_execute(&format!("SELECT pg_advisory_unlock({PG_MIGRATE_LOCK})"))?;
    migrated?;
    drop(conn);
    Ok(pool)
}
