//! The repository: every read and write of the store, on either backend.
//!
//! Each method runs its Diesel work on a blocking thread (`spawn_blocking`), including
//! taking a connection from the pool, so no async worker or actor thread ever waits on the
//! database. Writes that read before they write run in write transactions
//! ([`StoreConn::write_transaction`]): SQLite's `IMMEDIATE` takes the write lock up front,
//! so two writers never deadlock upgrading from a read lock (they queue on `busy_timeout`
//! instead); PostgreSQL takes the store's advisory write lock first, the same guarantee.

use std::path::Path;

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::backend::{AnyConn, Pools, StoreConn};
use super::location::Location;
use super::models::{Message, MessageKind, MessageRow, Session, SessionStatus, TerminationReason};
use super::schema::{messages, sessions};

/// A failure of the store.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot open the database: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("database query failed: {0}")]
    Query(#[from] DieselError),
    #[error("database migration failed: {0}")]
    Migration(String),
    #[error("unknown session {0}")]
    UnknownSession(String),
    /// A unique column already has the value (a user name, a key prefix).
    #[error("already exists: {0}")]
    Duplicate(String),
    #[error("database task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// `$db.run(…)` with the closure's body compiled for each backend (see
/// [`super::backend::on_conn`]): `db_run!(self, move |conn| { … })`.
macro_rules! db_run {
    ($db:expr, move |$c:ident| $body:expr) => {
        $db.run(move |any| $crate::db::backend::on_conn!(any, |$c| $body))
    };
    ($db:expr, |$c:ident| $body:expr) => {
        $db.run(|any| $crate::db::backend::on_conn!(any, |$c| $body))
    };
}
pub(super) use db_run;

/// As [`db_run!`] for a write, timed as `$op` (see [`Db::write`]).
macro_rules! db_write {
    ($db:expr, $op:expr, move |$c:ident| $body:expr) => {
        $db.write($op, move |any| {
            $crate::db::backend::on_conn!(any, |$c| $body)
        })
    };
    ($db:expr, $op:expr, |$c:ident| $body:expr) => {
        $db.write($op, |any| $crate::db::backend::on_conn!(any, |$c| $body))
    };
}

/// The later of a timestamp column and a value (`CASE WHEN col > v THEN col ELSE v END`,
/// the same SQL on both backends): activity never moves a session back in the list (a
/// queued write can carry an earlier time than one already applied), which is what makes
/// the paged list's cursor safe (src/db/listing.rs).
macro_rules! later_of {
    ($col:expr, $at:expr) => {
        diesel::dsl::case_when($col.gt($at), $col).otherwise($at)
    };
}

/// The store. Cheap to clone (a pool handle).
#[derive(Clone)]
pub struct Db {
    pools: Pools,
}

impl Db {
    /// Opens (creating it and its directory if needed) the SQLite file, turns on WAL and
    /// runs the embedded migrations.
    pub async fn open(path: &Path) -> Result<Db, DbError> {
        Db::connect(&Location::Sqlite(path.to_path_buf())).await
    }

    /// Opens the store at `location` (SQLite or PostgreSQL) and runs its embedded
    /// migrations.
    pub async fn connect(location: &Location) -> Result<Db, DbError> {
        let location = location.clone();
        let pools =
            tokio::task::spawn_blocking(move || super::backend::open_pools(&location)).await??;
        Ok(Db { pools })
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self.pools {
            Pools::Sqlite(_) => "sqlite",
            Pools::Pg(_) => "postgres",
        }
    }

    /// Runs `f` with a pooled connection on a blocking thread.
    pub(super) async fn run<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(AnyConn<'_>) -> Result<T, DbError> + Send + 'static,
    {
        let pools = self.pools.clone();
        tokio::task::spawn_blocking(move || match &pools {
            Pools::Sqlite(pool) => f(AnyConn::Sqlite(&mut *pool.get()?)),
            Pools::Pg(pool) => f(AnyConn::Pg(&mut *pool.get()?)),
        })
        .await?
    }

    /// As [`Db::run`] for a write: its latency (with the wait for a connection) goes into
    /// the `csp_db_write_seconds` histogram.
    async fn write<T, F>(&self, op: &'static str, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(AnyConn<'_>) -> Result<T, DbError> + Send + 'static,
    {
        let started = std::time::Instant::now();
        let result = self.run(f).await;
        crate::metrics::metrics().db_write(op, started.elapsed());
        result
    }

    /// Inserts the session, or replaces every column of an existing one — except that
    /// `last_active_at` never moves back (see [`later_of`]).
    pub async fn save(&self, session: &Session) -> Result<(), DbError> {
        let session = session.clone();
        db_write!(self, "save", move |conn| {
            diesel::insert_into(sessions::table)
                .values(&session)
                .on_conflict(sessions::session_id)
                .do_update()
                .set((
                    &session,
                    sessions::last_active_at
                        .eq(later_of!(sessions::last_active_at, session.last_active_at)),
                ))
                .execute(conn)?;
            Ok(())
        })
        .await
    }

    pub async fn get(&self, session_id: &str) -> Result<Option<Session>, DbError> {
        let id = session_id.to_string();
        db_run!(self, move |conn| {
            Ok(sessions::table
                .find(id)
                .select(Session::as_select())
                .first(conn)
                .optional()?)
        })
        .await
    }

    /// Sessions with a live process (`creating`, `active`, `idle`), most recent first.
    pub async fn list_active(&self) -> Result<Vec<Session>, DbError> {
        db_run!(self, |conn| {
            Ok(sessions::table
                .filter(sessions::status.eq_any(SessionStatus::LIVE))
                .order(sessions::last_active_at.desc())
                .select(Session::as_select())
                .load(conn)?)
        })
        .await
    }

    /// Every session, most recent first.
    pub async fn list_all(&self) -> Result<Vec<Session>, DbError> {
        db_run!(self, |conn| {
            Ok(sessions::table
                .order(sessions::last_active_at.desc())
                .select(Session::as_select())
                .load(conn)?)
        })
        .await
    }

    /// The sessions of `user_id`, most recent first.
    pub async fn sessions_of(&self, user_id: &str) -> Result<Vec<Session>, DbError> {
        let user = user_id.to_string();
        db_run!(self, move |conn| {
            Ok(sessions::table
                .filter(sessions::user_id.eq(user))
                .order(sessions::last_active_at.desc())
                .select(Session::as_select())
                .load(conn)?)
        })
        .await
    }

    /// Records activity at `at`, and the cumulative cost when it is known.
    /// Returns false when the session does not exist.
    pub async fn update_activity(
        &self,
        session_id: &str,
        at: NaiveDateTime,
        total_cost_usd: Option<f64>,
    ) -> Result<bool, DbError> {
        let id = session_id.to_string();
        db_write!(self, "update_activity", move |conn| {
            let target = sessions::table.find(id);
            let n = match total_cost_usd {
                Some(cost) => diesel::update(target)
                    .set((
                        sessions::last_active_at.eq(later_of!(sessions::last_active_at, at)),
                        sessions::total_cost_usd.eq(cost),
                    ))
                    .execute(conn)?,
                None => diesel::update(target)
                    .set(sessions::last_active_at.eq(later_of!(sessions::last_active_at, at)))
                    .execute(conn)?,
            };
            Ok(n == 1)
        })
        .await
    }

    /// Moves the session to `status` and records its process id (None when it has none).
    /// Returns false when the session does not exist.
    pub async fn set_status(
        &self,
        session_id: &str,
        status: SessionStatus,
        subprocess_pid: Option<i32>,
    ) -> Result<bool, DbError> {
        let id = session_id.to_string();
        db_write!(self, "set_status", move |conn| {
            let n = diesel::update(sessions::table.find(id))
                .set((
                    sessions::status.eq(status),
                    sessions::subprocess_pid.eq(subprocess_pid),
                ))
                .execute(conn)?;
            Ok(n == 1)
        })
        .await
    }

    /// Records the session's conversation controls. Returns false when it does not exist.
    pub async fn set_options(
        &self,
        session_id: &str,
        options: &crate::protocol::SessionOptions,
    ) -> Result<bool, DbError> {
        let id = session_id.to_string();
        let o = options.clone();
        db_run!(self, move |conn| {
            let n = diesel::update(sessions::table.find(id))
                .set((
                    sessions::model.eq(o.model),
                    sessions::effort.eq(o.effort),
                    sessions::permission_mode.eq(o.permission_mode),
                ))
                .execute(conn)?;
            Ok(n == 1)
        })
        .await
    }

    /// Marks the session `terminated` with its reason; it has no process any more.
    /// Returns false when the session does not exist.
    pub async fn mark_terminated(
        &self,
        session_id: &str,
        reason: TerminationReason,
    ) -> Result<bool, DbError> {
        let id = session_id.to_string();
        db_write!(self, "mark_terminated", move |conn| {
            let n = diesel::update(sessions::table.find(id))
                .set((
                    sessions::status.eq(SessionStatus::Terminated),
                    sessions::terminated_reason.eq(Some(reason.as_str())),
                    sessions::is_resumable.eq(reason.is_resumable()),
                    sessions::subprocess_pid.eq(None::<i32>),
                ))
                .execute(conn)?;
            Ok(n == 1)
        })
        .await
    }

    /// At start: every session a previous server left `creating/active/idle` becomes
    /// `suspended` (resumable). Returns those sessions as they were (with their recorded
    /// PIDs, so leftover processes can be checked and stopped).
    pub async fn suspend_stale(&self) -> Result<Vec<Session>, DbError> {
        db_write!(self, "suspend_stale", |conn| {
            conn.write_transaction(|conn| {
                let stale: Vec<Session> = sessions::table
                    .filter(sessions::status.eq_any(SessionStatus::LIVE))
                    .select(Session::as_select())
                    .load(conn)?;
                diesel::update(
                    sessions::table.filter(sessions::status.eq_any(SessionStatus::LIVE)),
                )
                .set((
                    sessions::status.eq(SessionStatus::Suspended),
                    sessions::subprocess_pid.eq(None::<i32>),
                    sessions::is_resumable.eq(true),
                ))
                .execute(conn)?;
                Ok(stale)
            })
        })
        .await
    }

    /// Appends a message with the next `seq` of its session, and in the same transaction
    /// bumps `last_active_at` and (for user/assistant text) `message_count`.
    pub async fn append_message(
        &self,
        session_id: &str,
        kind: MessageKind,
        payload: &serde_json::Value,
    ) -> Result<Message, DbError> {
        self.append_message_at(session_id, kind, payload, super::models::now())
            .await
    }

    /// As [`Db::append_message`], stamped `created_at` (when the message happened, which
    /// can be earlier than when a queued write lands).
    pub async fn append_message_at(
        &self,
        session_id: &str,
        kind: MessageKind,
        payload: &serde_json::Value,
        created_at: NaiveDateTime,
    ) -> Result<Message, DbError> {
        self.append_message_with(session_id, kind, payload, created_at, None)
            .await
    }

    /// As [`Db::append_message_at`], recording `cli_uuid`: the uuid the user message was
    /// sent to the CLI with (a fork from that message needs it, src/actors/fork.rs).
    pub async fn append_message_with(
        &self,
        session_id: &str,
        kind: MessageKind,
        payload: &serde_json::Value,
        created_at: NaiveDateTime,
        cli_uuid: Option<String>,
    ) -> Result<Message, DbError> {
        let id = session_id.to_string();
        let payload_text = payload.to_string();
        let payload = payload.clone();
        db_write!(self, "append_message", move |conn| {
            conn.write_transaction(|conn| {
                let last: Option<i64> = messages::table
                    .filter(messages::session_id.eq(&id))
                    .select(diesel::dsl::max(messages::seq))
                    .first(conn)?;
                let row = MessageRow {
                    session_id: id.clone(),
                    seq: last.unwrap_or(0) + 1,
                    kind,
                    payload: payload_text,
                    created_at,
                };
                diesel::insert_into(messages::table)
                    .values((&row, messages::cli_uuid.eq(&cli_uuid)))
                    .execute(conn)
                    .map_err(|e| match e {
                        DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
                            DbError::UnknownSession(id.clone())
                        }
                        other => DbError::Query(other),
                    })?;
                let bump = i32::from(kind.counts_as_message());
                diesel::update(sessions::table.find(&id))
                    .set((
                        sessions::last_active_at
                            .eq(later_of!(sessions::last_active_at, row.created_at)),
                        sessions::message_count.eq(sessions::message_count + bump),
                    ))
                    .execute(conn)?;
                super::details::on_message(conn.any(), &id, kind, &payload)?;
                Ok(Message::from(row))
            })
        })
        .await
    }

    /// The session's messages with `seq > after_seq`, in order.
    pub async fn messages(
        &self,
        session_id: &str,
        after_seq: i64,
    ) -> Result<Vec<Message>, DbError> {
        let id = session_id.to_string();
        db_run!(self, move |conn| {
            let rows: Vec<MessageRow> = messages::table
                .filter(messages::session_id.eq(id))
                .filter(messages::seq.gt(after_seq))
                .order(messages::seq.asc())
                .select(MessageRow::as_select())
                .load(conn)?;
            Ok(rows.into_iter().map(Message::from).collect())
        })
        .await
    }

    /// The kind and CLI uuid of message `seq` of `session_id`, if it exists.
    pub async fn message_cli_uuid(
        &self,
        session_id: &str,
        seq: i64,
    ) -> Result<Option<(MessageKind, Option<String>)>, DbError> {
        let id = session_id.to_string();
        db_run!(self, move |conn| {
            Ok(messages::table
                .find((id, seq))
                .select((messages::kind, messages::cli_uuid))
                .first(conn)
                .optional()?)
        })
        .await
    }

    /// How many sessions are stored in each status (every status, zeros included).
    pub async fn count_by_status(&self) -> Result<Vec<(SessionStatus, i64)>, DbError> {
        db_run!(self, |conn| {
            let counted: Vec<(SessionStatus, i64)> = sessions::table
                .group_by(sessions::status)
                .select((sessions::status, diesel::dsl::count_star()))
                .load(conn)?;
            Ok(SessionStatus::ALL
                .iter()
                .map(|s| {
                    let n = counted.iter().find(|(c, _)| c == s).map_or(0, |(_, n)| *n);
                    (*s, n)
                })
                .collect())
        })
        .await
    }

    /// Runs a quick query: the store answers.
    pub async fn ping(&self) -> Result<(), DbError> {
        db_run!(self, |conn| {
            conn.batch_execute("SELECT 1")?;
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
impl Db {
    /// The SQLite pool (None on PostgreSQL).
    pub(super) fn sqlite_pool_for_tests(&self) -> Option<&super::backend::SqlitePool> {
        match &self.pools {
            Pools::Sqlite(pool) => Some(pool),
            Pools::Pg(_) => None,
        }
    }
}
