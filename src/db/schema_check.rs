//! `schema.rs` must describe exactly what the migrations of both backends create, both sets
//! must have the same versions, and every migration must go up, down and up again. (The
//! drift check needs no Diesel CLI: it compares the `table!` columns, their SQL types and
//! keys with SQLite's own description of the tables and with PostgreSQL's
//! `information_schema`.)

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel_migrations::MigrationHarness;

use super::backend::{PG_MIGRATIONS, SQLITE_MIGRATIONS};
use super::schema::{
    api_keys, daily_spend, message_search, messages, nodes, session_details, session_leases,
    session_rules, session_transcripts, sessions, users,
};
use super::test_support::PgTestDatabase;

/// `(name, sql type, nullable)` of each column, as `schema.rs` declares them.
type Columns = Vec<(&'static str, String)>;

/// Lists the columns of a `table!`, and fails to compile unless the list is exactly the
/// table's `all_columns`, in order (so a column added to schema.rs must be added here).
macro_rules! declared {
    ($table:ident: $($col:ident),+ $(,)?) => {{
        let _exact: ($($table::$col,)+) = $table::all_columns;
        vec![$((
            <$table::$col as diesel::Column>::NAME,
            type_name::<<$table::$col as diesel::Expression>::SqlType>(),
        )),+]
    }};
}

fn type_name<T>() -> String {
    std::any::type_name::<T>()
        .replace("diesel::sql_types::", "")
        .replace("diesel::sqlite::types::", "")
}

#[derive(QueryableByName, Debug)]
struct ColumnInfo {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    #[diesel(column_name = type_)]
    type_: String,
    #[diesel(sql_type = BigInt)]
    notnull: i64,
    #[diesel(sql_type = BigInt)]
    pk: i64,
}

#[derive(QueryableByName, Debug)]
struct TableName {
    #[diesel(sql_type = Text)]
    name: String,
}

/// The Diesel type `diesel print-schema` gives an SQLite declared type.
fn diesel_type(declared: &str) -> String {
    match declared.to_ascii_uppercase().as_str() {
        "TEXT" => "Text",
        "INTEGER" => "Integer",
        "BIGINT" => "BigInt",
        "DOUBLE" | "DOUBLE PRECISION" | "REAL" => "Double",
        "BOOLEAN" => "Bool",
        "TIMESTAMP" => "Timestamp",
        "BLOB" => "Binary",
        other => panic!("type {other} has no mapping here; add it"),
    }
    .to_string()
}

/// What the migrated database says: columns with their Diesel types, and the primary key.
fn actual(conn: &mut SqliteConnection, table: &str) -> (Columns, Vec<String>) {
    let mut infos: Vec<ColumnInfo> = diesel::sql_query(format!(
        "SELECT name, type AS type_, \"notnull\", pk FROM pragma_table_info('{table}') ORDER BY cid"
    ))
    .load(conn)
    .unwrap();
    let columns = infos
        .iter()
        .map(|c| {
            let base = diesel_type(&c.type_);
            let nullable = c.notnull == 0 && c.pk == 0;
            let ty = if nullable {
                format!("Nullable<{base}>")
            } else {
                base
            };
            (leak(c.name.clone()), ty)
        })
        .collect();
    infos.retain(|c| c.pk > 0);
    infos.sort_by_key(|c| c.pk);
    (columns, infos.into_iter().map(|c| c.name).collect())
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn migrated() -> (tempfile::TempDir, SqliteConnection) {
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("schema.db");
    let mut conn = SqliteConnection::establish(&url.to_string_lossy()).unwrap();
    conn.batch_execute("PRAGMA foreign_keys = ON").unwrap();
    conn.run_pending_migrations(SQLITE_MIGRATIONS).unwrap();
    (dir, conn)
}

/// Every table the migrations make: Diesel's, and the FTS5 index with its shadow tables
/// (queried with SQL in src/db/search.rs).
const ALL_TABLES: [&str; 17] = [
    "api_keys",
    "daily_spend",
    "message_search",
    "messages",
    "messages_fts",
    "messages_fts_config",
    "messages_fts_content",
    "messages_fts_data",
    "messages_fts_docsize",
    "messages_fts_idx",
    "nodes",
    "session_details",
    "session_leases",
    "session_rules",
    "session_transcripts",
    "sessions",
    "users",
];

fn tables(conn: &mut SqliteConnection) -> Vec<String> {
    let mut names: Vec<String> = diesel::sql_query(
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name != '__diesel_schema_migrations'",
    )
    .load::<TableName>(conn)
    .unwrap()
    .into_iter()
    .map(|t| t.name)
    .collect();
    names.sort();
    names
}

#[test]
fn schema_rs_matches_the_migrations() {
    let (_dir, mut conn) = migrated();
    assert_eq!(tables(&mut conn), ALL_TABLES);
    check_schema(true, |table| actual(&mut conn, table));
}

/// Compares every `table!` of schema.rs with what `actual` says of the migrated database
/// (`message_search`, FTS5's key, exists only on SQLite).
fn check_schema(sqlite: bool, mut actual: impl FnMut(&str) -> (Columns, Vec<String>)) {
    let sessions_declared: Columns = declared!(sessions:
        session_id, user_id, status, created_at, last_active_at, subprocess_pid,
        message_count, total_cost_usd, is_resumable, terminated_reason,
        model, effort, permission_mode,
        project, workdir, isolation, branch, base_commit);
    let (sessions_actual, sessions_pk) = actual("sessions");
    assert_eq!(sessions_declared, sessions_actual);
    assert_eq!(
        sessions_declared.len(),
        18,
        "exactly the columns of docs/architecture.md, \"The store\""
    );
    assert_eq!(sessions_pk, vec!["session_id"]);
    let _pk: sessions::session_id = diesel::Table::primary_key(&sessions::table);

    let messages_declared: Columns =
        declared!(messages: session_id, seq, kind, payload, created_at, cli_uuid);
    let (messages_actual, messages_pk) = actual("messages");
    assert_eq!(messages_declared, messages_actual);
    assert_eq!(messages_pk, vec!["session_id", "seq"]);
    let _pk: (messages::session_id, messages::seq) = diesel::Table::primary_key(&messages::table);

    let details_declared: Columns = declared!(session_details:
        session_id, title, preview, archived_at, forked_from, fork_point);
    let (details_actual, details_pk) = actual("session_details");
    assert_eq!(details_declared, details_actual);
    assert_eq!(details_pk, vec!["session_id"]);

    if sqlite {
        let search_declared: Columns = declared!(message_search: search_id, session_id, seq);
        let (search_actual, search_pk) = actual("message_search");
        assert_eq!(search_declared, search_actual);
        assert_eq!(search_pk, vec!["search_id"]);
    }
    let users_declared: Columns = declared!(users:
        user_id, name, role, created_at, disabled, max_sessions, daily_spend_limit_usd);
    let (users_actual, users_pk) = actual("users");
    assert_eq!(users_declared, users_actual);
    assert_eq!(users_pk, vec!["user_id"]);

    let keys_declared: Columns = declared!(api_keys:
        key_id, user_id, prefix, key_hash, created_at, last_used_at, revoked_at);
    let (keys_actual, keys_pk) = actual("api_keys");
    assert_eq!(keys_declared, keys_actual);
    assert_eq!(keys_pk, vec!["key_id"]);

    let spend_declared: Columns = declared!(daily_spend: user_id, day, cost_usd);
    let (spend_actual, spend_pk) = actual("daily_spend");
    assert_eq!(spend_declared, spend_actual);
    assert_eq!(spend_pk, vec!["user_id", "day"]);

    let rules_declared: Columns = declared!(session_rules: session_id, rule, created_at);
    let (rules_actual, rules_pk) = actual("session_rules");
    assert_eq!(rules_declared, rules_actual);
    assert_eq!(rules_pk, vec!["session_id", "rule"]);

    let nodes_declared: Columns = declared!(nodes:
        node_id, url, started_at, heartbeat_at, draining, live_sessions, max_sessions,
        pool_ready, workspace_nonce);
    let (nodes_actual, nodes_pk) = actual("nodes");
    assert_eq!(nodes_declared, nodes_actual);
    assert_eq!(nodes_pk, vec!["node_id"]);

    let leases_declared: Columns =
        declared!(session_leases: session_id, node_id, expires_at, epoch);
    let (leases_actual, leases_pk) = actual("session_leases");
    assert_eq!(leases_declared, leases_actual);
    assert_eq!(leases_pk, vec!["session_id"]);

    let transcripts_declared: Columns =
        declared!(session_transcripts: session_id, start_offset, data);
    let (transcripts_actual, transcripts_pk) = actual("session_transcripts");
    assert_eq!(transcripts_declared, transcripts_actual);
    assert_eq!(transcripts_pk, vec!["session_id", "start_offset"]);
}

#[test]
fn the_bootstrap_admin_exists_after_migrating() {
    let (_dir, mut conn) = migrated();
    let admin: (String, String, String, bool) = users::table
        .find(super::BOOTSTRAP_USER_ID)
        .select((users::user_id, users::name, users::role, users::disabled))
        .first(&mut conn)
        .unwrap();
    assert_eq!(
        admin,
        ("default".into(), "admin".into(), "admin".into(), false)
    );
}

#[test]
fn every_migration_goes_up_down_and_up_again() {
    let (_dir, mut conn) = migrated();
    let total = conn.applied_migrations().unwrap().len();
    assert_eq!(
        total,
        diesel::migration::MigrationSource::<diesel::sqlite::Sqlite>::migrations(
            &SQLITE_MIGRATIONS
        )
        .unwrap()
        .len()
    );

    // One step at a time down to nothing…
    for remaining in (0..total).rev() {
        conn.revert_last_migration(SQLITE_MIGRATIONS).unwrap();
        assert_eq!(conn.applied_migrations().unwrap().len(), remaining);
    }
    assert!(tables(&mut conn).is_empty(), "down.sql left tables behind");

    // …and back up, to the same schema as a fresh database.
    conn.run_pending_migrations(SQLITE_MIGRATIONS).unwrap();
    let (_fresh_dir, mut fresh) = migrated();
    for table in ["sessions", "messages", "session_details", "message_search"] {
        assert_eq!(actual(&mut conn, table), actual(&mut fresh, table));
    }
    // And once more down/up in one go.
    conn.revert_all_migrations(SQLITE_MIGRATIONS).unwrap();
    conn.run_pending_migrations(SQLITE_MIGRATIONS).unwrap();
    assert_eq!(tables(&mut conn), ALL_TABLES);
    assert_eq!(tables(&mut conn), ALL_TABLES);
}

/// The versions of a migration set, in order.
fn versions<DB: diesel::backend::Backend>(
    set: &diesel_migrations::EmbeddedMigrations,
) -> Vec<String> {
    diesel::migration::MigrationSource::<DB>::migrations(set)
        .unwrap()
        .iter()
        .map(|m| m.name().to_string())
        .collect()
}

#[test]
fn both_backends_have_the_same_migrations() {
    let sqlite = versions::<diesel::sqlite::Sqlite>(&SQLITE_MIGRATIONS);
    let pg = versions::<diesel::pg::Pg>(&PG_MIGRATIONS);
    assert_eq!(
        sqlite, pg,
        "migrations/sqlite and migrations/postgres differ"
    );
    assert_eq!(sqlite.len(), 9);
}

// ---- PostgreSQL (skipped without TEST_DATABASE_URL; src/db/test_support.rs) ----

#[derive(QueryableByName, Debug)]
struct PgColumn {
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Text)]
    is_nullable: String,
}

/// The Diesel type `diesel print-schema` gives a PostgreSQL `information_schema` type.
fn pg_diesel_type(data_type: &str) -> String {
    match data_type {
        "text" => "Text",
        "integer" => "Integer",
        "bigint" => "BigInt",
        "double precision" => "Double",
        "boolean" => "Bool",
        "timestamp without time zone" => "Timestamp",
        "bytea" => "Binary",
        other => panic!("type {other} has no mapping here; add it"),
    }
    .to_string()
}

fn pg_actual(conn: &mut PgConnection, table: &str) -> (Columns, Vec<String>) {
    let cols: Vec<PgColumn> = diesel::sql_query(
        "SELECT column_name::text AS column_name, data_type::text AS data_type, \
                is_nullable::text AS is_nullable \
         FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
    )
    .bind::<Text, _>(table)
    .load(conn)
    .unwrap();
    let columns = cols
        .iter()
        .map(|c| {
            let base = pg_diesel_type(&c.data_type);
            let ty = if c.is_nullable == "YES" {
                format!("Nullable<{base}>")
            } else {
                base
            };
            (leak(c.column_name.clone()), ty)
        })
        .collect();
    let pk: Vec<TableName> = diesel::sql_query(
        "SELECT k.column_name::text AS name \
         FROM information_schema.table_constraints c \
         JOIN information_schema.key_column_usage k \
           ON k.constraint_name = c.constraint_name AND k.table_schema = c.table_schema \
         WHERE c.table_schema = current_schema() AND c.table_name = $1 \
           AND c.constraint_type = 'PRIMARY KEY' ORDER BY k.ordinal_position",
    )
    .bind::<Text, _>(table)
    .load(conn)
    .unwrap();
    (columns, pk.into_iter().map(|t| t.name).collect())
}

fn pg_tables(conn: &mut PgConnection) -> Vec<String> {
    let mut names: Vec<String> = diesel::sql_query(
        "SELECT table_name::text AS name FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
           AND table_name != '__diesel_schema_migrations'",
    )
    .load::<TableName>(conn)
    .unwrap()
    .into_iter()
    .map(|t| t.name)
    .collect();
    names.sort();
    names
}

/// The tables of a migrated PostgreSQL database: SQLite's without FTS5's.
const PG_TABLES: [&str; 10] = [
    "api_keys",
    "daily_spend",
    "messages",
    "nodes",
    "session_details",
    "session_leases",
    "session_rules",
    "session_transcripts",
    "sessions",
    "users",
];

fn pg_migrated() -> Option<(PgTestDatabase, PgConnection)> {
    let pg = PgTestDatabase::create("the schema check")?;
    let mut conn = PgConnection::establish(pg.url()).unwrap();
    conn.run_pending_migrations(PG_MIGRATIONS).unwrap();
    Some((pg, conn))
}

#[test]
fn postgres_schema_rs_matches_the_migrations() {
    let Some((_pg, mut conn)) = pg_migrated() else {
        return;
    };
    assert_eq!(pg_tables(&mut conn), PG_TABLES);
    check_schema(false, |table| pg_actual(&mut conn, table));
    // The bootstrap admin, as on SQLite.
    let admin: (String, String, bool) = users::table
        .find(super::BOOTSTRAP_USER_ID)
        .select((users::name, users::role, users::disabled))
        .first(&mut conn)
        .unwrap();
    assert_eq!(admin, ("admin".into(), "admin".into(), false));
}

#[test]
fn postgres_migrations_go_up_down_and_up_again() {
    let Some((_pg, mut conn)) = pg_migrated() else {
        return;
    };
    let total = conn.applied_migrations().unwrap().len();
    for remaining in (0..total).rev() {
        conn.revert_last_migration(PG_MIGRATIONS).unwrap();
        assert_eq!(conn.applied_migrations().unwrap().len(), remaining);
    }
    assert!(
        pg_tables(&mut conn).is_empty(),
        "down.sql left tables behind"
    );
    conn.run_pending_migrations(PG_MIGRATIONS).unwrap();
    assert_eq!(pg_tables(&mut conn), PG_TABLES);
    check_schema(false, |table| pg_actual(&mut conn, table));
}
