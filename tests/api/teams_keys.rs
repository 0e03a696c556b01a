//! Users and keys: the admin routes, `GET /me`, revocation and disabling taking effect at
//! once (WebSockets closed within a second, tickets and REST refused), keys never stored or
//! logged in clear, and the operator's command line working on the database.

use std::time::Duration;

use awc::ws::CloseCode;
use claude_sdk_pattern::http::{Access, ROUTES};
use serde_json::{json, Value};

use crate::engine_harness::{harness, harness_logged};
use crate::helpers::{call, command, TEST_KEY};
use crate::rest::concrete;
use crate::users_helpers::with_key;
use crate::ws_client::connect_with;

const FORBIDDEN: &str =
    r#"{"error": "forbidden", "message": "This endpoint is for administrators."}"#;

/// The most a revocation may take to close a connection.
const WITHIN: Duration = Duration::from_secs(1);

#[actix_web::test]
async fn admins_add_users_and_keys_and_members_are_forbidden() {
    let h = harness(&[]).await;
    let (status, made) = h
        .call_as(
            TEST_KEY,
            "POST",
            "/api/v1/users",
            Some(json!({"name": "alice", "role": "member"})),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    let user = &made["user"];
    assert_eq!(
        user.as_object().unwrap().keys().collect::<Vec<_>>(),
        vec!["created_at", "disabled", "name", "role", "user_id"]
    );
    assert_eq!(
        (user["name"].as_str(), user["role"].as_str()),
        (Some("alice"), Some("member"))
    );
    assert_eq!(user["disabled"], false);
    let key = made["api_key"].as_str().unwrap().to_string();
    assert!(key.starts_with("csp_") && key.len() == 68, "{key}");
    let user_id = user["user_id"].as_str().unwrap().to_string();

    let (status, me) = h.call_as(&key, "GET", "/api/v1/me", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        me,
        json!({"user_id": user_id, "name": "alice", "role": "member"})
    );
    let (_, me) = h.call_as(TEST_KEY, "GET", "/api/v1/me", None).await;
    assert_eq!(
        me,
        json!({"user_id": "default", "name": "admin", "role": "admin"})
    );

    // A member on every admin route: the exact 403, before anything is looked at.
    let forbidden: Value = serde_json::from_str(FORBIDDEN).unwrap();
    let mut checked = 0;
    for route in ROUTES.iter().filter(|r| r.access == Access::Admin) {
        let req = with_key(route.method, &h.url(&concrete(route.path)), &key);
        let (status, body) = call(req, None).await;
        assert_eq!((status, &body), (403, &forbidden), "{route:?}");
        checked += 1;
    }
    assert!(checked >= 6, "{checked}");

    // Bad requests.
    for (body, code) in [
        (json!({"name": "alice"}), "validation_error"),
        (json!({"name": "has space"}), "validation_error"),
        (json!({"name": ""}), "validation_error"),
        (json!({"role": "member"}), "validation_error"),
        (json!({"name": "carol", "role": "root"}), "validation_error"),
    ] {
        let (status, answer) = h
            .call_as(TEST_KEY, "POST", "/api/v1/users", Some(body.clone()))
            .await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (400, Some(code)),
            "{body}: {answer}"
        );
    }
    let (_, taken) = h
        .call_as(
            TEST_KEY,
            "POST",
            "/api/v1/users",
            Some(json!({"name": "alice"})),
        )
        .await;
    assert_eq!(taken["message"], "A user called \"alice\" already exists.");

    // Another key; the list shows prefixes only.
    let (status, second) = h
        .call_as(
            TEST_KEY,
            "POST",
            &format!("/api/v1/users/{user_id}/keys"),
            None,
        )
        .await;
    assert_eq!(status, 201, "{second}");
    let second_key = second["api_key"].as_str().unwrap();
    assert_eq!(second["prefix"].as_str().unwrap(), &second_key[..12]);
    assert_ne!(second_key, key);
    let (status, list) = h.call_as(TEST_KEY, "GET", "/api/v1/users", None).await;
    assert_eq!(status, 200);
    let text = list.to_string();
    assert!(
        !text.contains(&key[4..]) && !text.contains(&second_key[4..]),
        "{text}"
    );
    let users = list["users"].as_array().unwrap();
    assert_eq!(users.len(), 2);
    assert_eq!(users[0]["name"], "admin");
    assert_eq!(users[0]["bootstrap"], true);
    let alice = &users[1];
    assert_eq!(alice["bootstrap"], false);
    assert_eq!(alice["live_sessions"], 0);
    assert_eq!(alice["spend_today_usd"], 0.0);
    assert_eq!(alice["keys"].as_array().unwrap().len(), 2);
    assert_eq!(alice["keys"][0]["prefix"].as_str().unwrap(), &key[..12]);
    assert!(alice["keys"][0]["last_used_at"].is_string(), "{alice}");
    assert!(alice["keys"][1]["last_used_at"].is_null(), "{alice}");
    assert!(alice["keys"][0].get("key_hash").is_none());

    // Quota overrides.
    let path = format!("/api/v1/users/{user_id}");
    let (status, changed) = h
        .call_as(TEST_KEY, "PATCH", &path, Some(json!({"max_sessions": 3})))
        .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(
        (
            changed["max_sessions"].clone(),
            changed["daily_spend_limit_usd"].clone()
        ),
        (json!(3), Value::Null)
    );
    let (_, changed) = h
        .call_as(
            TEST_KEY,
            "PATCH",
            &path,
            Some(json!({"daily_spend_limit_usd": 1.5})),
        )
        .await;
    assert_eq!(
        (
            changed["max_sessions"].clone(),
            changed["daily_spend_limit_usd"].clone()
        ),
        (json!(3), json!(1.5))
    );
    let (_, changed) = h
        .call_as(
            TEST_KEY,
            "PATCH",
            &path,
            Some(json!({"max_sessions": null})),
        )
        .await;
    assert_eq!(changed["max_sessions"], Value::Null);
    for (body, code) in [
        (json!({"max_sessions": 0}), "validation_error"),
        (json!({"daily_spend_limit_usd": -1}), "validation_error"),
        (json!({"colour": "red"}), "invalid_json"),
    ] {
        let (status, answer) = h
            .call_as(TEST_KEY, "PATCH", &path, Some(body.clone()))
            .await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (400, Some(code)),
            "{body}"
        );
    }

    // Unknown ids; the bootstrap admin stays.
    let nobody = uuid::Uuid::new_v4();
    for (method, path, code) in [
        ("PATCH", format!("/api/v1/users/{nobody}"), "user_not_found"),
        (
            "DELETE",
            format!("/api/v1/users/{nobody}"),
            "user_not_found",
        ),
        (
            "POST",
            format!("/api/v1/users/{nobody}/keys"),
            "user_not_found",
        ),
        ("DELETE", format!("/api/v1/keys/{nobody}"), "key_not_found"),
    ] {
        let body = (method == "PATCH").then(|| json!({}));
        let (status, answer) = h.call_as(TEST_KEY, method, &path, body).await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (404, Some(code)),
            "{method} {path}"
        );
    }
    let (status, answer) = h
        .call_as(TEST_KEY, "DELETE", "/api/v1/users/default", None)
        .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("validation_error"))
    );
    h.stop().await;
}

#[actix_web::test]
async fn a_revoked_key_closes_its_websocket_within_a_second_and_its_ticket_fails() {
    let h = harness(&[]).await;
    let alice = h.add_user("alice", "member").await;
    let (_, second) = h
        .call_as(
            TEST_KEY,
            "POST",
            &format!("/api/v1/users/{}/keys", alice.user_id),
            None,
        )
        .await;
    let other_key = second["api_key"].as_str().unwrap().to_string();

    let mut revoked_ws = connect_with(h.addr, Some(&alice.key), None, None)
        .await
        .unwrap();
    assert_eq!(revoked_ws.frame().await["type"], "session_list");
    let mut kept_ws = connect_with(h.addr, Some(&other_key), None, None)
        .await
        .unwrap();
    assert_eq!(kept_ws.frame().await["type"], "session_list");
    let (status, ticket) = h
        .call_as(&alice.key, "POST", "/api/v1/ws-ticket", None)
        .await;
    assert_eq!(status, 200);
    let ticket = ticket["ticket"].as_str().unwrap().to_string();

    let (_, list) = h.call_as(TEST_KEY, "GET", "/api/v1/users", None).await;
    let key_id = list["users"][1]["keys"][0]["key_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, revoked) = h
        .call_as(TEST_KEY, "DELETE", &format!("/api/v1/keys/{key_id}"), None)
        .await;
    assert_eq!(status, 200, "{revoked}");
    assert!(revoked["revoked_at"].is_string());
    assert_eq!(revoked["prefix"].as_str().unwrap(), &alice.key[..12]);

    let closed = revoked_ws.closed_within(WITHIN).await;
    assert_eq!(
        closed,
        Some((
            Some(CloseCode::Policy),
            Some("revoked: this API key was revoked".to_string())
        ))
    );
    assert_eq!(
        connect_with(h.addr, None, Some(&ticket), None).await.err(),
        Some(401)
    );
    assert_eq!(
        connect_with(h.addr, Some(&alice.key), None, None)
            .await
            .err(),
        Some(401)
    );
    let (status, _) = h.call_as(&alice.key, "GET", "/api/v1/me", None).await;
    assert_eq!(status, 401);
    // Revoking again changes nothing.
    let (status, again) = h
        .call_as(TEST_KEY, "DELETE", &format!("/api/v1/keys/{key_id}"), None)
        .await;
    assert_eq!(
        (status, &again["revoked_at"]),
        (200, &revoked["revoked_at"])
    );

    // The user's other key and its connection go on.
    assert_eq!(
        kept_ws.closed_within(Duration::from_millis(200)).await,
        None
    );
    kept_ws.send(json!({"type": "nonsense"})).await;
    assert_eq!(kept_ws.frame().await["code"], "unknown_type");
    let (status, _) = h.call_as(&other_key, "GET", "/api/v1/me", None).await;
    assert_eq!(status, 200);
    h.stop().await;
}

#[actix_web::test]
async fn a_disabled_user_is_closed_out_everywhere_and_cannot_log_in() {
    let h = harness(&[]).await;
    let alice = h.add_user("alice", "member").await;
    let bob = h.add_user("bob", "member").await;
    let mut alice_ws = connect_with(h.addr, Some(&alice.key), None, None)
        .await
        .unwrap();
    assert_eq!(alice_ws.frame().await["type"], "session_list");
    let mut bob_ws = connect_with(h.addr, Some(&bob.key), None, None)
        .await
        .unwrap();
    assert_eq!(bob_ws.frame().await["type"], "session_list");
    let session = h.create_as(&alice.key).await;

    let (status, disabled) = h
        .call_as(
            TEST_KEY,
            "DELETE",
            &format!("/api/v1/users/{}", alice.user_id),
            None,
        )
        .await;
    assert_eq!(status, 200, "{disabled}");
    assert_eq!(disabled["disabled"], true);
    assert_eq!(
        alice_ws.closed_within(WITHIN).await,
        Some((
            Some(CloseCode::Policy),
            Some("revoked: this user was disabled".to_string())
        ))
    );
    let (status, _) = h.call_as(&alice.key, "GET", "/api/v1/sessions", None).await;
    assert_eq!(status, 401);
    assert_eq!(
        connect_with(h.addr, Some(&alice.key), None, None)
            .await
            .err(),
        Some(401)
    );
    let (status, body) = h
        .call_as(
            TEST_KEY,
            "POST",
            &format!("/api/v1/users/{}/keys", alice.user_id),
            None,
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("user_not_found"))
    );
    // Their sessions keep their owner; an admin can still end them.
    let (_, all) = h.call_as(TEST_KEY, "GET", "/api/v1/sessions", None).await;
    assert_eq!(all["sessions"][0]["user_name"], "alice");
    let (status, _) = h
        .call_as(
            TEST_KEY,
            "DELETE",
            &format!("/api/v1/sessions/{session}"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    // Others are untouched.
    assert_eq!(bob_ws.closed_within(Duration::from_millis(200)).await, None);
    let (status, _) = h.call_as(&bob.key, "GET", "/api/v1/me", None).await;
    assert_eq!(status, 200);
    h.stop().await;
}

#[actix_web::test]
async fn keys_are_neither_stored_nor_logged_in_clear() {
    let h = harness_logged(&[]).await;
    let alice = h.add_user("alice", "member").await;
    let (_, second) = h
        .call_as(
            TEST_KEY,
            "POST",
            &format!("/api/v1/users/{}/keys", alice.user_id),
            None,
        )
        .await;
    let second = second["api_key"].as_str().unwrap().to_string();
    // Use them every way there is.
    h.create_as(&alice.key).await;
    let (_, ticket) = h.call_as(&second, "POST", "/api/v1/ws-ticket", None).await;
    let mut ws = connect_with(h.addr, None, ticket["ticket"].as_str(), None)
        .await
        .unwrap();
    assert_eq!(ws.frame().await["type"], "session_list");
    // The same prefix, another last digit: found by its prefix, refused by its hash.
    let last = if alice.key.ends_with('0') { '1' } else { '0' };
    let bad = format!("{}{last}", &alice.key[..alice.key.len() - 1]);
    let (status, _) = h.call_as(&bad, "GET", "/api/v1/me", None).await;
    assert_eq!(status, 401);
    h.stop().await;

    let logs = h.logs();
    assert!(logs.contains("\"msg\":\"user added\""), "{logs}");
    let stored = if crate::helpers::on_postgres() {
        // PostgreSQL's files are the server's; every row it holds, as text.
        crate::helpers::stored_rows_text(h.dir.path()).await
    } else {
        let data = h.dir.path().join("data");
        let mut stored = Vec::new();
        for entry in std::fs::read_dir(&data).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                stored.extend(std::fs::read(path).unwrap());
            }
        }
        assert!(stored.len() > 10_000);
        String::from_utf8_lossy(&stored).into_owned()
    };
    for key in [alice.key.as_str(), second.as_str(), bad.as_str(), TEST_KEY] {
        let secret_part = key.strip_prefix("csp_").unwrap_or(key);
        assert!(
            !stored.contains(secret_part),
            "a key is in the database files"
        );
        assert!(!logs.contains(secret_part), "a key is in the logs");
    }
    // What is stored instead: the prefix and the hash.
    assert!(stored.contains(&alice.key[..12]));
    assert!(stored.contains(&claude_sdk_pattern::users::keys::hash(&alice.key)));
}

/// Runs the server binary's operator command line against the database `db`.
fn ops(db: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let env = vec![(
        "DATABASE_URL".to_string(),
        db.to_string_lossy().into_owned(),
    )];
    let out = command(&env).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[actix_web::test]
async fn the_operator_command_line_works_on_the_database_and_a_running_server_notices() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ops/ops.db");

    let (code, key, err) = ops(&db, &["users", "add", "alice"]);
    assert_eq!(code, 0, "{err}");
    let key = key.trim().to_string();
    assert!(key.starts_with("csp_") && key.len() == 68, "{key}");
    assert!(err.contains("store it now"), "{err}");
    let (code, _, err) = ops(&db, &["users", "add", "alice"]);
    assert_eq!(code, 1);
    assert!(err.contains("already exists"), "{err}");
    let (code, root_key, _) = ops(&db, &["users", "add", "root", "--admin"]);
    assert_eq!(code, 0);
    let (code, second, _) = ops(&db, &["keys", "create", "alice"]);
    assert_eq!(code, 0);
    let second = second.trim().to_string();
    let (code, list, _) = ops(&db, &["users", "list"]);
    assert_eq!(code, 0);
    let alice_line = list.lines().find(|l| l.starts_with("alice ")).unwrap();
    assert!(
        alice_line.contains("member") && alice_line.contains("enabled"),
        "{list}"
    );
    assert!(
        alice_line.contains(&key[..12]) && alice_line.contains(&second[..12]),
        "{list}"
    );
    assert!(
        list.lines()
            .any(|l| l.starts_with("root ") && l.contains("admin")),
        "{list}"
    );
    assert!(!list.contains(&key[12..]), "{list}");
    assert_eq!(ops(&db, &["users", "frobnicate"]).0, 2);
    assert_eq!(ops(&db, &["keys", "revoke", "csp_00000000"]).0, 1);
    let (code, _, err) = ops(&db, &["users", "disable", "admin"]);
    assert_eq!(code, 1, "the bootstrap admin stays: {err}");

    // A server on that database accepts the keys…
    let h = harness(&[("DATABASE_URL", db.to_str().unwrap())]).await;
    let (status, me) = h.call_as(&key, "GET", "/api/v1/me", None).await;
    assert_eq!((status, me["name"].as_str()), (200, Some("alice")));
    let (_, me) = h.call_as(root_key.trim(), "GET", "/api/v1/me", None).await;
    assert_eq!(me["role"], "admin");

    // …and notices a revocation made by the command line while it runs.
    let mut ws = connect_with(h.addr, Some(&second), None, None)
        .await
        .unwrap();
    assert_eq!(ws.frame().await["type"], "session_list");
    let (code, _, err) = ops(&db, &["keys", "revoke", &second[..12]]);
    assert_eq!(code, 0, "{err}");
    let closed = ws.closed_within(Duration::from_secs(3)).await;
    assert_eq!(
        closed,
        Some((
            Some(CloseCode::Policy),
            Some("revoked: this API key was revoked".to_string())
        ))
    );
    let (status, _) = h.call_as(&second, "GET", "/api/v1/me", None).await;
    assert_eq!(status, 401);
    let (status, _) = h.call_as(&key, "GET", "/api/v1/me", None).await;
    assert_eq!(status, 200);
    assert_eq!(ops(&db, &["users", "disable", "alice"]).0, 0);
    let (status, _) = h.call_as(&key, "GET", "/api/v1/me", None).await;
    assert_eq!(status, 401);
    let (_, list, _) = ops(&db, &["users", "list"]);
    assert!(
        list.lines()
            .any(|l| l.starts_with("alice ") && l.contains("disabled")),
        "{list}"
    );
    h.stop().await;
}
