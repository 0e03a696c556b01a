//! Upgrading a single-key install (docs/operations.md, "Upgrading a single-key install"): a
//! database written before users existed, opened by this server with the same key, keeps
//! every session as the bootstrap admin's, and a member added afterwards sees none of them.

use diesel::connection::SimpleConnection;
use diesel::{Connection, RunQueryDsl, SqliteConnection};
use diesel_migrations::MigrationHarness;
use serde_json::json;

use claude_sdk_pattern::db::backend::SQLITE_MIGRATIONS as MIGRATIONS;

use crate::engine_harness::harness;
use crate::helpers::TEST_KEY;

const OLD_SESSION: &str = "0b7c6a52-3f7e-4a8e-9a51-2f1d7c3b9e01";

/// A database as the last single-key version left it: the sessions and messages tables
/// only (every migration before the users one), with one suspended session and its message.
fn single_key_database(path: &std::path::Path) {
    let mut conn = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    conn.run_pending_migrations(MIGRATIONS).unwrap();
    // Back to before the users migration (the ones after it go too).
    while has_users_table(&mut conn) {
        conn.revert_last_migration(MIGRATIONS).unwrap();
    }
    conn.batch_execute(&format!(
        "INSERT INTO sessions (session_id, user_id, status, created_at, last_active_at,
             message_count, total_cost_usd, is_resumable)
         VALUES ('{OLD_SESSION}', 'default', 'suspended', '2026-11-30 10:00:00',
             '2026-11-30 10:05:00', 1, 0.25, 1);
         INSERT INTO messages (session_id, seq, kind, payload, created_at)
         VALUES ('{OLD_SESSION}', 1, 'user', '{{\"text\":\"from before the upgrade\"}}',
             '2026-11-30 10:00:01');"
    ))
    .unwrap();
    assert!(
        !has_users_table(&mut conn),
        "the old schema has no users table"
    );
}

fn has_users_table(conn: &mut SqliteConnection) -> bool {
    !diesel::sql_query("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'users'")
        .load::<TableName>(conn)
        .unwrap()
        .into_iter()
        .any(|t| t.name == "users")
}

#[derive(diesel::QueryableByName)]
struct TableName {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

#[actix_web::test]
async fn a_single_key_install_keeps_its_sessions_as_the_bootstrap_admins() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("old.db");
    single_key_database(&db);

    let h = harness(&[("DATABASE_URL", db.to_str().unwrap())]).await;
    // The old key is the bootstrap admin, and the old session is theirs, whole.
    let (status, me) = h.call_as(TEST_KEY, "GET", "/api/v1/me", None).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(
        me,
        json!({"user_id": "default", "name": "admin", "role": "admin"})
    );
    assert_eq!(h.listed_as(TEST_KEY).await, vec![OLD_SESSION.to_string()]);
    let (status, body) = h
        .call_as(
            TEST_KEY,
            "GET",
            &format!("/api/v1/sessions/{OLD_SESSION}/messages"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["messages"][0]["payload"]["text"],
        "from before the upgrade"
    );

    // A member added after the upgrade sees none of it.
    let alice = h.add_user("alice", "member").await;
    assert!(h.listed_as(&alice.key).await.is_empty());
    let (status, _) = h
        .call_as(
            &alice.key,
            "GET",
            &format!("/api/v1/sessions/{OLD_SESSION}/messages"),
            None,
        )
        .await;
    assert_eq!(status, 404);
    h.stop().await;
}
