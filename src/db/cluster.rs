//! Replica mode's store (issue 18): the replicas (`nodes`), who runs each session
//! (`session_leases`) and each session's CLI transcript (`session_transcripts`).
//!
//! Taking a session is ONE conditional statement ([`Db::take_lease`]): insert the lease, or
//! update it only where its holder is the taker or it has expired. The database decides the
//! race: exactly one of several takers sees one row affected. Lease times are this server's
//! clock (UTC): a lease of seconds is far above the skew of NTP-synchronised hosts.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamp};

use super::backend::{AnyConn, StoreConn};
use super::models::SessionStatus;
use super::repo::{db_run, Db, DbError};
use super::schema::{nodes, session_leases, session_transcripts, sessions};

/// A replica's row.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = nodes)]
pub struct NodeRow {
    pub node_id: String,
    pub url: String,
    pub started_at: NaiveDateTime,
    pub heartbeat_at: NaiveDateTime,
    pub draining: bool,
    pub live_sessions: i32,
    pub max_sessions: i32,
    pub pool_ready: i32,
    pub workspace_nonce: String,
}

impl NodeRow {
    /// Sessions it can still take (`max_sessions - live_sessions`, at least 0).
    pub fn free(&self) -> i32 {
        (self.max_sessions - self.live_sessions).max(0)
    }
}

/// A session's lease.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = session_leases)]
pub struct Lease {
    pub session_id: String,
    pub node_id: String,
    pub expires_at: NaiveDateTime,
    pub epoch: i64,
}

/// What a heartbeat reports of its replica.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NodeLoad {
    pub live_sessions: i32,
    pub max_sessions: i32,
    pub pool_ready: i32,
}

/// The take-over statement: the holder is the taker, or the lease has expired.
/// `$1` session, `$2` taker, `$3` new expiry, `$4` now.
const TAKE_SQL: &str = "INSERT INTO session_leases (session_id, node_id, expires_at, epoch) \
     VALUES ($1, $2, $3, 1) \
     ON CONFLICT (session_id) DO UPDATE SET node_id = excluded.node_id, \
       expires_at = excluded.expires_at, epoch = session_leases.epoch + 1 \
     WHERE session_leases.node_id = excluded.node_id OR session_leases.expires_at <= $4";

/// `$n` placeholders as SQLite spells numbered parameters (`?n`).
fn sqlite_sql(sql: &str) -> String {
    sql.replace('$', "?")
}

impl Db {
    /// Takes (or renews) the lease of `session_id` for `node_id` until `expires_at`, if it
    /// is free, already `node_id`'s, or expired at `now`. True when taken. Fails when the
    /// session does not exist (the lease references it).
    pub async fn take_lease(
        &self,
        session_id: &str,
        node_id: &str,
        expires_at: NaiveDateTime,
        now: NaiveDateTime,
    ) -> Result<bool, DbError> {
        let (id, node) = (session_id.to_string(), node_id.to_string());
        self.run(move |any| {
            let n = match any {
                AnyConn::Sqlite(c) => diesel::sql_query(sqlite_sql(TAKE_SQL))
                    .bind::<Text, _>(&id)
                    .bind::<Text, _>(&node)
                    .bind::<Timestamp, _>(expires_at)
                    .bind::<Timestamp, _>(now)
                    .execute(c)?,
                AnyConn::Pg(c) => diesel::sql_query(TAKE_SQL)
                    .bind::<Text, _>(&id)
                    .bind::<Text, _>(&node)
                    .bind::<Timestamp, _>(expires_at)
                    .bind::<Timestamp, _>(now)
                    .execute(c)?,
            };
            Ok(n == 1)
        })
        .await
    }

    /// The lease of `session_id`, expired or not.
    pub async fn lease(&self, session_id: &str) -> Result<Option<Lease>, DbError> {
        let id = session_id.to_string();
        db_run!(self, move |conn| {
            Ok(session_leases::table
                .find(id)
                .select(Lease::as_select())
                .first(conn)
                .optional()?)
        })
        .await
    }

    /// Gives up `node_id`'s lease of `session_id` (nothing if another node holds it).
    pub async fn release_lease(&self, session_id: &str, node_id: &str) -> Result<bool, DbError> {
        let (id, node) = (session_id.to_string(), node_id.to_string());
        db_run!(self, move |conn| {
            let n = diesel::delete(
                session_leases::table
                    .filter(session_leases::session_id.eq(&id))
                    .filter(session_leases::node_id.eq(&node)),
            )
            .execute(conn)?;
            Ok(n == 1)
        })
        .await
    }

    /// Every lease `node_id` holds is renewed to `expires_at`, in one statement. Returns
    /// the session ids it still holds.
    pub async fn renew_leases(
        &self,
        node_id: &str,
        expires_at: NaiveDateTime,
    ) -> Result<Vec<String>, DbError> {
        let node = node_id.to_string();
        db_run!(self, move |conn| {
            diesel::update(session_leases::table.filter(session_leases::node_id.eq(&node)))
                .set(session_leases::expires_at.eq(expires_at))
                .execute(conn)?;
            Ok(session_leases::table
                .filter(session_leases::node_id.eq(&node))
                .select(session_leases::session_id)
                .load(conn)?)
        })
        .await
    }

    /// Deletes every lease of `node_id` (a clean stop).
    pub async fn release_all_leases(&self, node_id: &str) -> Result<usize, DbError> {
        let node = node_id.to_string();
        db_run!(self, move |conn| {
            Ok(
                diesel::delete(session_leases::table.filter(session_leases::node_id.eq(&node)))
                    .execute(conn)?,
            )
        })
        .await
    }

    /// Records (or replaces) a replica's row.
    pub async fn upsert_node(&self, row: &NodeRow) -> Result<(), DbError> {
        let row = row.clone();
        db_run!(self, move |conn| {
            diesel::insert_into(nodes::table)
                .values(&row)
                .on_conflict(nodes::node_id)
                .do_update()
                .set((
                    nodes::url.eq(&row.url),
                    nodes::started_at.eq(row.started_at),
                    nodes::heartbeat_at.eq(row.heartbeat_at),
                    nodes::draining.eq(row.draining),
                    nodes::live_sessions.eq(row.live_sessions),
                    nodes::max_sessions.eq(row.max_sessions),
                    nodes::pool_ready.eq(row.pool_ready),
                    nodes::workspace_nonce.eq(&row.workspace_nonce),
                ))
                .execute(conn)?;
            Ok(())
        })
        .await
    }

    /// A heartbeat of `node_id`. False when its row is gone (it was swept as dead).
    pub async fn heartbeat(
        &self,
        node_id: &str,
        at: NaiveDateTime,
        load: NodeLoad,
    ) -> Result<bool, DbError> {
        let node = node_id.to_string();
        db_run!(self, move |conn| {
            let n = diesel::update(nodes::table.find(&node))
                .set((
                    nodes::heartbeat_at.eq(at),
                    nodes::live_sessions.eq(load.live_sessions),
                    nodes::max_sessions.eq(load.max_sessions),
                    nodes::pool_ready.eq(load.pool_ready),
                ))
                .execute(conn)?;
            Ok(n == 1)
        })
        .await
    }

    /// Marks `node_id` draining: placement skips it, forwarders re-route.
    pub async fn set_node_draining(&self, node_id: &str) -> Result<(), DbError> {
        let node = node_id.to_string();
        db_run!(self, move |conn| {
            diesel::update(nodes::table.find(&node))
                .set(nodes::draining.eq(true))
                .execute(conn)?;
            Ok(())
        })
        .await
    }

    /// Deletes `node_id`'s row (a clean stop; its leases go first).
    pub async fn remove_node(&self, node_id: &str) -> Result<(), DbError> {
        let node = node_id.to_string();
        db_run!(self, move |conn| {
            diesel::delete(nodes::table.find(&node)).execute(conn)?;
            Ok(())
        })
        .await
    }

    /// One replica's row.
    pub async fn node(&self, node_id: &str) -> Result<Option<NodeRow>, DbError> {
        let node = node_id.to_string();
        db_run!(self, move |conn| {
            Ok(nodes::table
                .find(node)
                .select(NodeRow::as_select())
                .first(conn)
                .optional()?)
        })
        .await
    }

    /// The replicas whose heartbeat is at or after `since`.
    pub async fn live_nodes(&self, since: NaiveDateTime) -> Result<Vec<NodeRow>, DbError> {
        db_run!(self, move |conn| {
            Ok(nodes::table
                .filter(nodes::heartbeat_at.ge(since))
                .order(nodes::node_id)
                .select(NodeRow::as_select())
                .load(conn)?)
        })
        .await
    }

    /// The sessions of replicas that died: every live session whose lease expired before
    /// `now` while its holder's heartbeat is older than `dead_before` (or its row is gone)
    /// becomes `suspended` (resumable), its lease is deleted, and the dead replicas' rows
    /// too. Returns the sessions suspended. One write transaction: a replica that comes
    /// back renews nothing (its leases are gone) and fences its processes.
    pub async fn sweep_dead_nodes(
        &self,
        now: NaiveDateTime,
        dead_before: NaiveDateTime,
    ) -> Result<Vec<String>, DbError> {
        db_run!(self, move |conn| {
            conn.write_transaction(|conn| {
                let alive: Vec<String> = nodes::table
                    .filter(nodes::heartbeat_at.ge(dead_before))
                    .select(nodes::node_id)
                    .load(conn)?;
                let expired: Vec<String> = session_leases::table
                    .filter(session_leases::expires_at.lt(now))
                    .filter(session_leases::node_id.ne_all(&alive))
                    .select(session_leases::session_id)
                    .load(conn)?;
                let suspended: Vec<String> = sessions::table
                    .filter(sessions::session_id.eq_any(&expired))
                    .filter(sessions::status.eq_any(SessionStatus::LIVE))
                    .select(sessions::session_id)
                    .load(conn)?;
                diesel::update(
                    sessions::table
                        .filter(sessions::session_id.eq_any(&suspended))
                        .filter(sessions::status.eq_any(SessionStatus::LIVE)),
                )
                .set((
                    sessions::status.eq(SessionStatus::Suspended),
                    sessions::subprocess_pid.eq(None::<i32>),
                    sessions::is_resumable.eq(true),
                ))
                .execute(conn)?;
                diesel::delete(
                    session_leases::table
                        .filter(session_leases::session_id.eq_any(&expired))
                        .filter(session_leases::expires_at.lt(now)),
                )
                .execute(conn)?;
                diesel::delete(nodes::table.filter(nodes::heartbeat_at.lt(dead_before)))
                    .execute(conn)?;
                Ok(suspended)
            })
        })
        .await
    }

    /// Start-up recovery of one replica: the live sessions whose lease is `node_id`'s or
    /// has expired at `now` become `suspended`, their leases deleted. Other replicas'
    /// sessions (held by a live lease) are left alone. Returns the sessions as they were,
    /// each with whether its lease was `node_id`'s (its recorded process ran here).
    pub async fn suspend_stale_of(
        &self,
        node_id: &str,
        now: NaiveDateTime,
    ) -> Result<Vec<(super::Session, bool)>, DbError> {
        let node = node_id.to_string();
        db_run!(self, move |conn| {
            conn.write_transaction(|conn| {
                let held: Vec<(String, String)> = session_leases::table
                    .filter(
                        session_leases::node_id
                            .eq(&node)
                            .or(session_leases::expires_at.lt(now)),
                    )
                    .select((session_leases::session_id, session_leases::node_id))
                    .load(conn)?;
                let leases: Vec<&String> = held.iter().map(|(id, _)| id).collect();
                let stale: Vec<super::Session> = sessions::table
                    .filter(sessions::session_id.eq_any(&leases))
                    .filter(sessions::status.eq_any(SessionStatus::LIVE))
                    .select(super::Session::as_select())
                    .load(conn)?;
                diesel::update(
                    sessions::table
                        .filter(sessions::session_id.eq_any(&leases))
                        .filter(sessions::status.eq_any(SessionStatus::LIVE)),
                )
                .set((
                    sessions::status.eq(SessionStatus::Suspended),
                    sessions::subprocess_pid.eq(None::<i32>),
                    sessions::is_resumable.eq(true),
                ))
                .execute(conn)?;
                diesel::delete(
                    session_leases::table.filter(session_leases::session_id.eq_any(&leases)),
                )
                .execute(conn)?;
                Ok(stale
                    .into_iter()
                    .map(|s| {
                        let mine = held.iter().any(|(id, n)| *id == s.session_id && *n == node);
                        (s, mine)
                    })
                    .collect())
            })
        })
        .await
    }

    /// The stored length of `session_id`'s transcript (the end of its last chunk).
    pub async fn transcript_len(&self, session_id: &str) -> Result<u64, DbError> {
        let id = session_id.to_string();
        db_run!(self, move |conn| {
            let last: Option<(i64, Vec<u8>)> = session_transcripts::table
                .filter(session_transcripts::session_id.eq(&id))
                .order(session_transcripts::start_offset.desc())
                .select((session_transcripts::start_offset, session_transcripts::data))
                .first(conn)
                .optional()?;
            Ok(last.map_or(0, |(start, data)| start as u64 + data.len() as u64))
        })
        .await
    }

    /// Appends `data` to `session_id`'s transcript at `offset` (its stored length); with
    /// `offset` 0 every earlier chunk is replaced (the file was rewritten).
    pub async fn append_transcript(
        &self,
        session_id: &str,
        offset: u64,
        data: Vec<u8>,
    ) -> Result<(), DbError> {
        let id = session_id.to_string();
        db_run!(self, move |conn| {
            conn.write_transaction(|conn| {
                if offset == 0 {
                    diesel::delete(
                        session_transcripts::table.filter(session_transcripts::session_id.eq(&id)),
                    )
                    .execute(conn)?;
                }
                if !data.is_empty() {
                    diesel::insert_into(session_transcripts::table)
                        .values((
                            session_transcripts::session_id.eq(&id),
                            session_transcripts::start_offset.eq(offset as i64),
                            session_transcripts::data.eq(&data),
                        ))
                        .execute(conn)?;
                }
                Ok(())
            })
        })
        .await
    }

    /// `session_id`'s whole stored transcript (empty when none).
    pub async fn transcript(&self, session_id: &str) -> Result<Vec<u8>, DbError> {
        let id = session_id.to_string();
        db_run!(self, move |conn| {
            let chunks: Vec<Vec<u8>> = session_transcripts::table
                .filter(session_transcripts::session_id.eq(&id))
                .order(session_transcripts::start_offset.asc())
                .select(session_transcripts::data)
                .load(conn)?;
            Ok(chunks.concat())
        })
        .await
    }
}

#[cfg(test)]
#[path = "cluster_tests.rs"]
mod tests;
