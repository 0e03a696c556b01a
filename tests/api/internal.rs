//! `/internal/v1/*` (replica-to-replica, docs/protocol.md "Internal endpoints"): absent
//! outside replica mode; in replica mode, only a request signed with `CLUSTER_SECRET` for an
//! existing, enabled user gets past `cluster_auth_failed`.

use claude_sdk_pattern::app::{Application, Options};
use claude_sdk_pattern::cluster::auth;
use claude_sdk_pattern::config::Settings;
use claude_sdk_pattern::db::test_support::PgTestDatabase;
use claude_sdk_pattern::secret::Secret;

use crate::helpers::{base_env, call, spawn_app, TEST_KEY, WAIT};

const SECRET: &str = "a-test-cluster-secret-of-more-than-32-chars";

#[actix_web::test]
async fn internal_routes_do_not_exist_on_a_single_machine() {
    let app = spawn_app().await;
    let client = app.client();
    for (method, path) in [
        ("GET", "/internal/v1/ws"),
        ("POST", "/internal/v1/rest/sessions"),
        (
            "DELETE",
            "/internal/v1/rest/sessions/00000000-0000-4000-8000-000000000000",
        ),
        ("GET", "/internal/v1/anything"),
    ] {
        // Even signed, and with a key: there is nothing there.
        let mut req = client
            .request(method.parse().unwrap(), app.url(path))
            .insert_header(("X-API-Key", TEST_KEY));
        for (name, value) in auth::headers(
            &Secret::new(SECRET),
            method,
            path,
            "n1",
            "default",
            auth::now(),
        ) {
            req = req.insert_header((name, value));
        }
        let (status, body) = call(req, None).await;
        assert_eq!(status, 404, "{method} {path}: {body}");
        assert_eq!(body["error"], "not_found", "{method} {path}");
    }
    app.stop().await;
}

#[actix_web::test]
async fn internal_routes_need_a_replicas_signature() {
    let Some(db) = PgTestDatabase::create("the internal routes' test") else {
        return; // SKIPPED was printed (no TEST_DATABASE_URL)
    };
    let dir = tempfile::tempdir().unwrap();
    let mut env = base_env(dir.path());
    // base_env sets DATA_DIR too when the suite runs on PostgreSQL (TEST_BACKEND).
    env.retain(|(k, _)| k != "DATABASE_URL" && k != "DATA_DIR");
    env.extend(
        [
            ("DATABASE_URL", db.url().to_string()),
            (
                "DATA_DIR",
                dir.path().join("data").to_string_lossy().into_owned(),
            ),
            ("NODE_ID", "n1".to_string()),
            // Nobody calls it back in this test.
            ("NODE_URL", "http://127.0.0.1:9".to_string()),
            ("CLUSTER_SECRET", SECRET.to_string()),
        ]
        .map(|(k, v)| (k.to_string(), v)),
    );
    let settings = Settings::from_vars(env).unwrap();
    let options = Options {
        exclusive_children: false,
        ..Options::default()
    };
    let app = Application::build_with(settings, claude_sdk_pattern::logging::discard(), options)
        .await
        .unwrap();
    let addr = app.local_addr();
    let handle = app.handle();
    actix_web::rt::spawn(app.run_until_stopped());
    let client = awc::Client::builder().timeout(WAIT).finish();
    let missing = "/internal/v1/rest/sessions/00000000-0000-4000-8000-000000000000";
    let send = |path: &str, headers: Vec<(&'static str, String)>| {
        let mut req = client.delete(format!("http://{addr}{path}"));
        for h in headers {
            req = req.insert_header(h);
        }
        call(req, None)
    };
    let signed = |secret: &str, path: &str, user: &str, time: i64| {
        auth::headers(&Secret::new(secret), "DELETE", path, "n2", user, time).to_vec()
    };
    let now = auth::now();
    let refused = [
        ("no headers", Vec::new()),
        (
            "a key is not a signature",
            vec![("X-API-Key", TEST_KEY.to_string())],
        ),
        (
            "another secret",
            signed(
                "another-secret-that-is-also-32-chars-long",
                missing,
                "default",
                now,
            ),
        ),
        ("stale", signed(SECRET, missing, "default", now - 120)),
        (
            "signed for another path",
            signed(SECRET, "/internal/v1/rest/sessions", "default", now),
        ),
        (
            "a user that does not exist",
            signed(SECRET, missing, "nobody-here", now),
        ),
    ];
    for (why, headers) in refused {
        let (status, body) = send(missing, headers).await;
        assert_eq!(status, 401, "{why}: {body}");
        assert_eq!(body["error"], "cluster_auth_failed", "{why}");
    }
    // One header missing.
    let mut partial = signed(SECRET, missing, "default", now);
    partial.retain(|(name, _)| *name != auth::TIME_HEADER);
    let (status, body) = send(missing, partial).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("cluster_auth_failed"))
    );

    // Signed right: the handler runs as that user (no such session → 404 session_not_found).
    let (status, body) = send(missing, signed(SECRET, missing, "default", now)).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"], "session_not_found");
    // The public API is unchanged.
    let (status, _) = call(
        client
            .get(format!("http://{addr}/api/v1/sessions"))
            .insert_header(("X-API-Key", TEST_KEY)),
        None,
    )
    .await;
    assert_eq!(status, 200);
    handle.stop(true).await;
    drop(db);
}
