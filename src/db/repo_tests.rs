//! The repository against a real SQLite file in a temp directory and (with
//! `TEST_DATABASE_URL`) a real PostgreSQL database of its own.

use chrono::Duration;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde_json::json;

use super::models::now;
use super::test_backends::backend_tests;
use super::*;

async fn fresh() -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("nested/dir/test.db"))
        .await
        .unwrap();
    (dir, db)
}

fn session(id: &str, status: SessionStatus) -> Session {
    let mut s = Session::new(id, BOOTSTRAP_USER_ID);
    s.status = status;
    s
}

backend_tests! {
    async fn every_field_round_trips(db: Db) {
        let at = now();
        let original = Session {
            session_id: "6c1a1f8e-8a39-4b4e-9d6c-0a1b2c3d4e5f".into(),
            user_id: "someone".into(),
            status: SessionStatus::Idle,
            created_at: at - Duration::seconds(90),
            last_active_at: at,
            subprocess_pid: Some(4242),
            message_count: 7,
            total_cost_usd: 0.012345,
            is_resumable: false,
            terminated_reason: Some("duration_limit".into()),
            model: "sonnet".into(),
            effort: Some("high".into()),
            permission_mode: "plan".into(),
            project: Some("alpha".into()),
            workdir: Some("/srv/work/alpha".into()),
            isolation: Some("worktree".into()),
            branch: Some("claude/6c1a1f8e".into()),
            base_commit: None,
        };
        db.save(&original).await.unwrap();
        assert_eq!(
            db.get(&original.session_id).await.unwrap(),
            Some(original.clone())
        );

        // Saving again replaces every column, including back to NULL.
        let mut changed = original.clone();
        changed.status = SessionStatus::Active;
        changed.subprocess_pid = None;
        changed.terminated_reason = None;
        changed.is_resumable = true;
        changed.message_count = 8;
        changed.effort = None;
        db.save(&changed).await.unwrap();
        assert_eq!(db.get(&changed.session_id).await.unwrap(), Some(changed));
        assert_eq!(db.get("missing").await.unwrap(), None);

        // The conversation controls alone.
        let o = claude_sdk_pattern_options();
        assert!(db.set_options(&changed_id(), &o).await.unwrap());
        assert_eq!(db.get(&changed_id()).await.unwrap().unwrap().options(), o);
        assert!(!db.set_options("missing", &o).await.unwrap());
    }
}

fn changed_id() -> String {
    "6c1a1f8e-8a39-4b4e-9d6c-0a1b2c3d4e5f".to_string()
}

fn claude_sdk_pattern_options() -> crate::protocol::SessionOptions {
    crate::protocol::SessionOptions {
        model: "haiku".into(),
        effort: Some("max".into()),
        permission_mode: "acceptEdits".into(),
    }
}

backend_tests! {
    async fn list_active_returns_only_live_sessions_newest_first(db: Db) {
        for (i, status) in SessionStatus::ALL.iter().enumerate() {
            let mut s = session(&format!("s-{}", status.as_str()), *status);
            s.last_active_at = now() + Duration::seconds(i as i64);
            db.save(&s).await.unwrap();
        }
        let active: Vec<String> = db
            .list_active()
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.session_id)
            .collect();
        assert_eq!(active, vec!["s-idle", "s-active", "s-creating"]);
        assert_eq!(db.list_all().await.unwrap().len(), SessionStatus::ALL.len());
    }
}

backend_tests! {
    async fn activity_status_and_termination(db: Db) {
        db.save(&session("a", SessionStatus::Creating))
            .await
            .unwrap();

        assert!(db
            .set_status("a", SessionStatus::Active, Some(99))
            .await
            .unwrap());
        let later = now() + Duration::seconds(5);
        assert!(db.update_activity("a", later, Some(0.5)).await.unwrap());
        assert!(db.update_activity("a", later, None).await.unwrap());
        let s = db.get("a").await.unwrap().unwrap();
        assert_eq!(
            (s.status, s.subprocess_pid),
            (SessionStatus::Active, Some(99))
        );
        assert_eq!((s.last_active_at, s.total_cost_usd), (later, 0.5));

        assert!(db
            .mark_terminated("a", TerminationReason::Destroyed)
            .await
            .unwrap());
        let s = db.get("a").await.unwrap().unwrap();
        assert_eq!(s.status, SessionStatus::Terminated);
        assert_eq!(s.terminated_reason.as_deref(), Some("destroyed"));
        assert_eq!(s.subprocess_pid, None);
        assert!(!s.is_resumable);

        assert!(!db.update_activity("nope", later, None).await.unwrap());
        assert!(!db
            .set_status("nope", SessionStatus::Idle, None)
            .await
            .unwrap());
        assert!(!db
            .mark_terminated("nope", TerminationReason::DurationLimit)
            .await
            .unwrap());
    }
}

backend_tests! {
    async fn stale_live_sessions_are_suspended_at_start(db: Db) {
        let mut live = session("live", SessionStatus::Active);
        live.subprocess_pid = Some(123);
        db.save(&live).await.unwrap();
        db.save(&session("done", SessionStatus::Terminated))
            .await
            .unwrap();
        let stale = db.suspend_stale().await.unwrap();
        assert_eq!(stale.len(), 1);
        assert_eq!(stale[0].subprocess_pid, Some(123));
        let s = db.get("live").await.unwrap().unwrap();
        assert_eq!(
            (s.status, s.subprocess_pid),
            (SessionStatus::Suspended, None)
        );
        assert_eq!(
            db.get("done").await.unwrap().unwrap().status,
            SessionStatus::Terminated
        );
    }
}

backend_tests! {
    async fn messages_are_sequenced_counted_and_paged(db: Db) {
        db.save(&session("m", SessionStatus::Active)).await.unwrap();
        db.save(&session("other", SessionStatus::Active))
            .await
            .unwrap();
        let kinds = [
            MessageKind::User,
            MessageKind::ToolUse,
            MessageKind::ToolResult,
            MessageKind::Assistant,
            MessageKind::Notice,
            MessageKind::Error,
        ];
        for (i, kind) in kinds.iter().enumerate() {
            let m = db
                .append_message("m", *kind, &json!({"text": format!("#{i}")}))
                .await
                .unwrap();
            assert_eq!(m.seq, i as i64 + 1);
        }
        db.append_message("other", MessageKind::User, &json!({"text": "x"}))
            .await
            .unwrap();

        let all = db.messages("m", 0).await.unwrap();
        assert_eq!(all.len(), kinds.len());
        assert_eq!(all.iter().map(|m| m.kind).collect::<Vec<_>>(), kinds);
        assert_eq!(all[3].payload, json!({"text": "#3"}));
        let tail = db.messages("m", 4).await.unwrap();
        assert_eq!(tail.iter().map(|m| m.seq).collect::<Vec<_>>(), vec![5, 6]);
        assert!(db.messages("m", 6).await.unwrap().is_empty());

        let s = db.get("m").await.unwrap().unwrap();
        assert_eq!(s.message_count, 2, "user + assistant only");
        assert_eq!(s.last_active_at, all.last().unwrap().created_at);

        let e = db
            .append_message("ghost", MessageKind::User, &json!({}))
            .await
            .unwrap_err();
        assert!(matches!(e, DbError::UnknownSession(_)), "{e}");
    }
}

backend_tests! {
    async fn concurrent_appends_get_distinct_seqs(db: Db) {
        db.save(&session("c", SessionStatus::Active)).await.unwrap();
        let mut tasks = Vec::new();
        for i in 0..40 {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                db.append_message("c", MessageKind::User, &json!({"i": i}))
                    .await
                    .unwrap()
                    .seq
            }));
        }
        let mut seqs = Vec::new();
        for t in tasks {
            seqs.push(t.await.unwrap());
        }
        seqs.sort();
        assert_eq!(seqs, (1..=40).collect::<Vec<i64>>());
        assert_eq!(db.get("c").await.unwrap().unwrap().message_count, 40);
    }
}

#[derive(QueryableByName)]
struct Pragma {
    #[diesel(sql_type = Text)]
    journal_mode: String,
}

#[derive(QueryableByName)]
struct Number {
    #[diesel(sql_type = BigInt)]
    value: i64,
}

#[tokio::test]
async fn every_connection_has_the_pragmas() {
    let (dir, db) = fresh().await;
    // Several connections at once, so more than one pooled connection is checked.
    let mut conns: Vec<_> = (0..3).map(|_| db_pool_conn(&db)).collect();
    for conn in &mut conns {
        let fk: Number = diesel::sql_query("SELECT foreign_keys AS value FROM pragma_foreign_keys")
            .get_result(conn)
            .unwrap();
        assert_eq!(fk.value, 1);
        let bt: Number = diesel::sql_query("SELECT timeout AS value FROM pragma_busy_timeout")
            .get_result(conn)
            .unwrap();
        assert_eq!(bt.value, i64::from(BUSY_TIMEOUT_MS));
        let jm: Pragma = diesel::sql_query("PRAGMA journal_mode")
            .get_result(conn)
            .unwrap();
        assert_eq!(jm.journal_mode, "wal");
    }
    drop(conns);
    assert!(dir.path().join("nested/dir/test.db-wal").exists());
    db.ping().await.unwrap();
}

fn db_pool_conn(
    db: &Db,
) -> diesel::r2d2::PooledConnection<diesel::r2d2::ConnectionManager<SqliteConnection>> {
    db.sqlite_pool_for_tests().unwrap().get().unwrap()
}
