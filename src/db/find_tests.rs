//! Titles, previews, archive, delete, the paged list and full-text search against a real
//! SQLite file and a PostgreSQL database (the same rules the API tests check through the
//! server).

use chrono::Duration;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel_migrations::MigrationHarness;
use serde_json::json;
use std::collections::HashSet;

use super::models::now;
use super::test_backends::backend_tests;
use super::*;

fn id(n: usize) -> String {
    format!("00000000-0000-4000-8000-{n:012x}")
}

async fn session(db: &Db, n: usize, owner: &str) -> String {
    let s = Session::new(id(n), owner);
    db.save(&s).await.unwrap();
    s.session_id
}

fn query(limit: usize, cursor: Option<Cursor>) -> ListQuery {
    ListQuery {
        limit,
        cursor,
        ..ListQuery::default()
    }
}

backend_tests! {
    async fn the_first_user_message_titles_a_session_and_the_last_message_is_its_preview(db: Db) {
        let s = session(&db, 1, "default").await;
        let all = Scope::all();
        assert_eq!(
            db.listed(&all, &s).await.unwrap().unwrap().details,
            Details::default()
        );

        db.append_message(
            &s,
            MessageKind::User,
            &json!({"text": "Fix the login bug\nmore"}),
        )
        .await
        .unwrap();
        db.append_message(
            &s,
            MessageKind::ToolUse,
            &json!({"name": "Bash", "input": {}}),
        )
        .await
        .unwrap();
        db.append_message(
            &s,
            MessageKind::Assistant,
            &json!({"text": "Done:\nit works"}),
        )
        .await
        .unwrap();
        let d = db.listed(&all, &s).await.unwrap().unwrap().details;
        assert_eq!(d.title.as_deref(), Some("Fix the login bug"));
        assert_eq!(d.preview.as_deref(), Some("Done: it works"));

        // A second message keeps the title; a rename replaces it and survives more messages.
        db.append_message(
            &s,
            MessageKind::User,
            &json!({"text": "And the logout one"}),
        )
        .await
        .unwrap();
        let d = db.listed(&all, &s).await.unwrap().unwrap().details;
        assert_eq!(d.title.as_deref(), Some("Fix the login bug"));
        assert_eq!(d.preview.as_deref(), Some("And the logout one"));
        db.rename(&all, &s, "Auth bugs").await.unwrap().unwrap();
        db.append_message(&s, MessageKind::User, &json!({"text": "third"}))
            .await
            .unwrap();
        let d = db.listed(&all, &s).await.unwrap().unwrap().details;
        assert_eq!(d.title.as_deref(), Some("Auth bugs"));

        // Another owner's scope sees nothing and renames nothing.
        let other = Scope::owner_is("mallory");
        assert!(db.listed(&other, &s).await.unwrap().is_none());
        assert!(db.rename(&other, &s, "mine").await.unwrap().is_none());
    }
}

backend_tests! {
    async fn archive_hides_from_the_default_list_and_a_new_message_brings_it_back(db: Db) {
        let a = session(&db, 1, "default").await;
        let b = session(&db, 2, "default").await;
        let all = Scope::all();
        db.set_archived(&all, &a, true).await.unwrap().unwrap();
        let ids = |p: Page| -> Vec<String> {
            p.sessions
                .into_iter()
                .map(|l| l.session.session_id)
                .collect()
        };
        assert_eq!(
            ids(db.list_sessions(&all, query(50, None)).await.unwrap()),
            vec![b.clone()]
        );
        let archived = ListQuery {
            status: StatusFilter::Archived,
            ..query(50, None)
        };
        assert_eq!(
            ids(db.list_sessions(&all, archived.clone()).await.unwrap()),
            vec![a.clone()]
        );
        db.append_message(&a, MessageKind::User, &json!({"text": "back"}))
            .await
            .unwrap();
        assert!(db
            .list_sessions(&all, archived)
            .await
            .unwrap()
            .sessions
            .is_empty());
        db.set_archived(&all, &b, true).await.unwrap().unwrap();
        db.set_archived(&all, &b, false).await.unwrap().unwrap();
        assert_eq!(
            db.list_sessions(&all, query(50, None))
                .await
                .unwrap()
                .sessions
                .len(),
            2
        );
    }
}

backend_tests! {
    async fn delete_removes_the_row_its_messages_details_and_search_entries(db: Db) {
        let s = session(&db, 1, "default").await;
        let keep = session(&db, 2, "default").await;
        for (sid, word) in [(&s, "zebra"), (&keep, "zebra")] {
            db.append_message(
                sid,
                MessageKind::User,
                &json!({"text": format!("a {word}")}),
            )
            .await
            .unwrap();
        }
        let all = Scope::all();
        assert!(!db
            .delete_session(&Scope::owner_is("mallory"), &s)
            .await
            .unwrap());
        assert!(db.delete_session(&all, &s).await.unwrap());
        assert!(db.get(&s).await.unwrap().is_none());
        assert!(db.messages(&s, 0).await.unwrap().is_empty());
        let hits = db.search(&all, "zebra", 20).await.unwrap().unwrap();
        assert_eq!(
            hits.iter()
                .map(|h| h.session_id.as_str())
                .collect::<Vec<_>>(),
            vec![keep.as_str()]
        );
        assert!(!db.delete_session(&all, &s).await.unwrap());
    }
}

backend_tests! {
    async fn paging_walks_every_session_once_while_others_become_active(db: Db) {
        let all = Scope::all();
        // 120 sessions, some sharing one last_active_at (the id breaks the tie).
        let base = now() - Duration::hours(1);
        for n in 0..120 {
            let mut s = Session::new(id(n), crate::db::BOOTSTRAP_USER_ID);
            s.last_active_at = base + Duration::milliseconds((n / 3) as i64);
            db.save(&s).await.unwrap();
        }
        let mut seen = HashSet::new();
        let mut cursor = None;
        let mut pages = 0;
        loop {
            let page = db
                .list_sessions(&all, query(7, cursor.clone()))
                .await
                .unwrap();
            pages += 1;
            for l in &page.sessions {
                assert!(
                    seen.insert(l.session.session_id.clone()),
                    "twice: {}",
                    l.session.session_id
                );
            }
            // Meanwhile a session already returned becomes active and a new one is created:
            // neither may appear again in this walk, nor push a row out of it.
            let returned = page.sessions[0].session.session_id.clone();
            db.update_activity(&returned, now() + Duration::seconds(pages), None)
                .await
                .unwrap();
            session(&db, 10_000 + pages as usize, "default").await;
            match page.next_cursor {
                Some(c) => cursor = Some(Cursor::parse(&c.encode()).unwrap()),
                None => break,
            }
        }
        assert_eq!(seen.len(), 120);
        assert_eq!(pages, 18);
    }
}

backend_tests! {
    async fn activity_never_moves_a_session_back(db: Db) {
        let s = session(&db, 1, "default").await;
        let later = now() + Duration::seconds(60);
        db.update_activity(&s, later, None).await.unwrap();
        db.update_activity(&s, later - Duration::seconds(30), Some(0.5))
            .await
            .unwrap();
        let mut row = db.get(&s).await.unwrap().unwrap();
        assert_eq!(row.last_active_at, later);
        assert_eq!(row.total_cost_usd, 0.5);
        row.last_active_at = later - Duration::seconds(10);
        db.save(&row).await.unwrap();
        assert_eq!(db.get(&s).await.unwrap().unwrap().last_active_at, later);
    }
}

backend_tests! {
    async fn filters_by_status_text_and_owner(db: Db) {
        let a = session(&db, 1, "alice").await;
        let b = session(&db, 2, "bob").await;
        db.set_status(&b, SessionStatus::Idle, None).await.unwrap();
        db.rename(&Scope::all(), &a, "Deploy 100% of staging_x")
            .await
            .unwrap();
        let ids = |p: Page| -> Vec<String> {
            p.sessions
                .into_iter()
                .map(|l| l.session.session_id)
                .collect()
        };
        let q = |status, text: Option<&str>| ListQuery {
            limit: 50,
            cursor: None,
            status,
            text: text.map(str::to_string),
            project: None,
        };
        let all = Scope::all();
        assert_eq!(
            ids(db
                .list_sessions(&all, q(StatusFilter::Status(SessionStatus::Idle), None))
                .await
                .unwrap()),
            vec![b.clone()]
        );
        assert_eq!(
            ids(db
                .list_sessions(&all, q(StatusFilter::Current, Some("100%")))
                .await
                .unwrap()),
            vec![a.clone()]
        );
        assert_eq!(
            ids(db
                .list_sessions(&all, q(StatusFilter::Current, Some("deploy")))
                .await
                .unwrap()),
            vec![a.clone()]
        );
        assert!(ids(db
            .list_sessions(&all, q(StatusFilter::Current, Some("1_0")))
            .await
            .unwrap())
        .is_empty());
        assert_eq!(
            ids(db
                .list_sessions(&all, q(StatusFilter::Current, Some(b.as_str())))
                .await
                .unwrap()),
            vec![b.clone()]
        );
        assert_eq!(
            ids(db
                .list_sessions(&Scope::owner_is("bob"), q(StatusFilter::All, None))
                .await
                .unwrap()),
            vec![b.clone()]
        );
    }
}

backend_tests! {
    async fn filters_by_project_the_defaults_sessions_stored_with_or_without_its_name(db: Db) {
        let mut ids_in = Vec::new();
        for (n, project) in [(1, None), (2, Some("home")), (3, Some("alpha")), (4, Some("beta"))] {
            let mut s = Session::new(id(n), "alice");
            s.project = project.map(str::to_string);
            db.save(&s).await.unwrap();
            ids_in.push(s.session_id);
        }
        let of = |name: &str, is_default: bool| ListQuery {
            limit: 50,
            project: Some(ProjectFilter {
                name: name.to_string(),
                is_default,
            }),
            ..ListQuery::default()
        };
        let listed = |p: Page| -> HashSet<String> {
            p.sessions
                .into_iter()
                .map(|l| l.session.session_id)
                .collect()
        };
        let all = Scope::all();
        assert_eq!(
            listed(db.list_sessions(&all, of("home", true)).await.unwrap()),
            HashSet::from([ids_in[0].clone(), ids_in[1].clone()])
        );
        assert_eq!(
            listed(db.list_sessions(&all, of("alpha", false)).await.unwrap()),
            HashSet::from([ids_in[2].clone()])
        );
        assert!(listed(db.list_sessions(&all, of("gamma", false)).await.unwrap()).is_empty());
    }
}

backend_tests! {
    async fn search_finds_user_text_replies_and_tool_io_ranked_and_marked(db: Db) {
        let s = session(&db, 1, "alice").await;
        let t = session(&db, 2, "bob").await;
        db.append_message(
            &s,
            MessageKind::User,
            &json!({"text": "Where is the <config> for kestrel?"}),
        )
        .await
        .unwrap();
        db.append_message(
            &s,
            MessageKind::ToolUse,
            &json!({"tool_use_id": "t1", "name": "Bash", "input": {"command": "grep -r ospreyflag ."}}),
        )
        .await
        .unwrap();
        db.append_message(&s, MessageKind::ToolResult, &json!({"tool_use_id": "t1", "is_error": false, "content": "conf/app.toml: pelican = true"}))
            .await
            .unwrap();
        db.append_message(
            &s,
            MessageKind::Assistant,
            &json!({"text": "The café setting is in conf/app.toml 🎉"}),
        )
        .await
        .unwrap();
        db.append_message(&t, MessageKind::User, &json!({"text": "kestrel elsewhere"}))
            .await
            .unwrap();
        let all = Scope::all();
        let hits = |q: &str| {
            let db = db.clone();
            let all = all.clone();
            let q = q.to_string();
            async move { db.search(&all, &q, 20).await.unwrap().unwrap() }
        };
        let h = hits("kestrel").await;
        assert_eq!(h.len(), 2);
        let mine = h.iter().find(|h| h.session_id == s).unwrap();
        assert_eq!((mine.seq, mine.kind), (1, MessageKind::User));
        assert_eq!(
            mine.title.as_deref(),
            Some("Where is the <config> for kestrel?")
        );
        assert!(
            mine.snippet
                .contains("&lt;config&gt; for <mark>kestrel</mark>"),
            "{}",
            mine.snippet
        );
        assert_eq!(hits("ospreyflag").await[0].kind, MessageKind::ToolUse);
        assert_eq!(hits("pelican").await[0].seq, 3);
        assert_eq!(hits("cafe").await[0].seq, 4);
        // SQLite indexes symbols such as emoji as words; PostgreSQL's parser drops them
        // (docs/operations.md, "What differs").
        if db.backend() == "sqlite" {
            assert_eq!(hits("🎉").await[0].seq, 4);
        }
        assert_eq!(hits("pel*").await[0].seq, 3);
        // Odd input is text, never syntax and never an error.
        for odd in [
            "\"",
            "kestrel\"",
            "NEAR(kestrel",
            "kestrel AND",
            "* OR -",
            "col:kestrel",
            "(",
            "^",
        ] {
            db.search(&all, odd, 20).await.unwrap().unwrap();
        }
        assert!(hits("NEAR").await.is_empty());
        assert_eq!(
            db.search(&all, "  ", 20).await.unwrap(),
            Err(QueryError::Empty)
        );
        // Scoped: bob sees only his own.
        let bobs = db
            .search(&Scope::owner_is("bob"), "kestrel", 20)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(bobs.len(), 1);
        assert_eq!(bobs[0].session_id, t);
    }
}

/// The migration gives sessions that existed before it the same titles and previews the
/// code would, and indexes their messages.
#[test]
fn the_migration_indexes_and_titles_existing_databases() {
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("old.db");
    let mut conn = SqliteConnection::establish(&url.to_string_lossy()).unwrap();
    conn.batch_execute("PRAGMA foreign_keys = ON").unwrap();
    conn.run_pending_migrations(backend::SQLITE_MIGRATIONS)
        .unwrap();
    // Back to before this migration (the later ones go too, and come back with it).
    while conn
        .revert_last_migration(backend::SQLITE_MIGRATIONS)
        .unwrap()
        .to_string()
        != "20261202000001"
    {}
    let texts = [
        "Please look at the deployment script and tell me why the staging servers never restart",
        "short one\nsecond line",
        &"x".repeat(100),
        "\tTabbed  title with ünïcödé characters that goes on and on and on past sixty",
    ];
    for (n, text) in texts.iter().enumerate() {
        let sid = id(n);
        let user = serde_json::to_string(&json!({"text": text})).unwrap();
        let reply = serde_json::to_string(&json!({"text": format!("reply\n{n} heron")})).unwrap();
        conn.batch_execute(&format!(
            "INSERT INTO sessions (session_id, user_id, status, created_at, last_active_at, message_count, total_cost_usd, is_resumable) \
             VALUES ('{sid}', 'default', 'idle', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 2, 0, 1);
             INSERT INTO messages VALUES ('{sid}', 1, 'user', '{}', '2026-01-01 00:00:00');
             INSERT INTO messages VALUES ('{sid}', 2, 'assistant', '{}', '2026-01-01 00:00:00');",
            user.replace('\'', "''"),
            reply.replace('\'', "''"),
        ))
        .unwrap();
    }
    conn.run_pending_migrations(backend::SQLITE_MIGRATIONS)
        .unwrap();
    drop(conn);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let db = Db::open(&url).await.unwrap();
        for (n, text) in texts.iter().enumerate() {
            let d = db
                .listed(&Scope::all(), &id(n))
                .await
                .unwrap()
                .unwrap()
                .details;
            assert_eq!(d.title, title_from(text), "title of {text:?}");
            assert_eq!(d.preview, preview_from(&format!("reply\n{n} heron")));
        }
        let hits = db
            .search(&Scope::all(), "heron", 20)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(hits.len(), texts.len());
    });
}
