//! The REST API of docs/protocol.md against the real server, the real CLI and the model stub: every
//! endpoint, every status the contract names.

use std::collections::BTreeSet;
use std::time::Duration;

use claude_sdk_pattern::db::SessionStatus;
use claude_sdk_pattern::http::{Access, API_PREFIX, ROUTES};
use claude_sdk_pattern::model_stub::Reply;
use claude_sdk_pattern::SessionId;
use serde_json::{json, Value};

use crate::engine_harness::admin;
use crate::engine_harness::{collector, ends_turn, harness, Harness};
use crate::helpers::{call, spawn_app, TEST_KEY, WAIT};

const UNAUTHORIZED: &str = r#"{"error": "unauthorized", "message": "Invalid API key"}"#;

fn client() -> awc::Client {
    awc::Client::builder().timeout(WAIT).finish()
}

/// A request to `url` with the server's key.
fn keyed(method: &str, url: &str) -> awc::ClientRequest {
    client()
        .request(method.parse().unwrap(), url)
        .insert_header(("X-API-Key", TEST_KEY))
}

/// The route's path with each `{…}` parameter replaced by a fresh UUID.
pub fn concrete(path: &str) -> String {
    let mut out = String::from(API_PREFIX);
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}').unwrap() + start;
        out.push_str(&rest[..start]);
        out.push_str(&uuid::Uuid::new_v4().to_string());
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

impl Harness {
    async fn api(&self, method: &str, path: &str) -> (u16, Value) {
        call(keyed(method, &self.url(path)), None).await
    }
}

#[actix_web::test]
async fn protected_routes_answer_the_exact_401_without_the_right_key() {
    let app = spawn_app().await;
    let expected: Value = serde_json::from_str(UNAUTHORIZED).unwrap();
    let almost = format!("{}X", &TEST_KEY[..TEST_KEY.len() - 1]);
    for route in ROUTES {
        let url = app.url(&concrete(route.path));
        let method: awc::http::Method = route.method.parse().unwrap();
        let bare = client().request(method.clone(), &url);
        let (status, body) = call(bare, None).await;
        match route.access {
            Access::Key | Access::Admin => {
                assert_eq!(status, 401, "{route:?} without a key");
                if route.method != "HEAD" {
                    assert_eq!(body, expected, "{route:?} without a key");
                }
                for wrong in ["wrong-key-0123456789abcdef", almost.as_str(), ""] {
                    let req = client()
                        .request(method.clone(), &url)
                        .insert_header(("X-API-Key", wrong));
                    let (status, body) = call(req, None).await;
                    assert_eq!(status, 401, "{route:?} with key {wrong:?}");
                    assert_eq!(body, expected, "{route:?} with key {wrong:?}");
                }
            }
            Access::Public => assert_ne!(status, 401, "{route:?} needs no key"),
        }
    }
    app.stop().await;
}

#[actix_web::test]
async fn the_openapi_document_lists_exactly_the_registered_routes() {
    let app = spawn_app().await;
    let (status, doc) = call(keyed("GET", &app.url("/api/v1/openapi.json")), None).await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{doc}");

    let registered: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|r| (format!("{API_PREFIX}{}", r.path), r.method.to_lowercase()))
        .collect();
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .filter(|k| ["get", "head", "post", "put", "delete", "patch"].contains(&k.as_str()))
                .map(move |m| (path.clone(), m.clone()))
        })
        .collect();
    assert_eq!(documented, registered);

    // Protected operations declare the key header; health checks do not.
    assert_eq!(
        doc["components"]["securitySchemes"]["api_key"],
        json!({"type": "apiKey", "in": "header", "name": "X-API-Key"})
    );
    for route in ROUTES {
        let op = &doc["paths"][format!("{API_PREFIX}{}", route.path)][route.method.to_lowercase()];
        assert_eq!(
            op["security"].is_array(),
            route.access != Access::Public,
            "{route:?}: {op}"
        );
    }
    app.stop().await;
}

#[actix_web::test]
async fn other_methods_get_a_json_405_and_unknown_paths_a_json_404() {
    let app = spawn_app().await;
    let paths: BTreeSet<&str> = ROUTES.iter().map(|r| r.path).collect();
    let mut checked = 0;
    for path in paths {
        let allowed: Vec<&str> = ROUTES
            .iter()
            .filter(|r| r.path == path)
            .map(|r| r.method)
            .collect();
        for method in ["GET", "POST", "PUT", "DELETE", "PATCH"] {
            if allowed.contains(&method) {
                continue;
            }
            let (status, body) = call(keyed(method, &app.url(&concrete(path))), None).await;
            assert_eq!(status, 405, "{method} {path}");
            assert_eq!(body["error"], "method_not_allowed", "{method} {path}");
            checked += 1;
        }
    }
    assert!(checked >= 30, "{checked}");
    let (status, body) = call(keyed("PUT", &app.url("/api/v1/sessions")), None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (405, Some("method_not_allowed"))
    );

    for path in [
        "/api/v1/nope",
        "/api/v1/sessions/x/y/z",
        "/api/nope",
        "/ws/nope",
    ] {
        let (status, body) = call(keyed("GET", &app.url(path)), None).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(body["error"], "not_found", "{path}");
    }
    app.stop().await;
}

#[actix_web::test]
async fn sessions_are_created_listed_and_destroyed_within_capacity() {
    let h = harness(&[("PREWARM_POOL_SIZE", "1"), ("MAX_SESSIONS", "2")]).await;

    let (status, ready) = h.api("GET", "/api/v1/health/ready").await;
    assert_eq!(status, 200, "{ready}");
    assert_eq!(
        ready,
        json!({"status": "ready", "pool": {"ready": 1, "size": 1}, "sessions": {"live": 0, "max": 2}})
    );

    let (status, first) = h.api("POST", "/api/v1/sessions").await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["source"], "pre-warmed");
    let first_id = first["session_id"].as_str().unwrap().to_string();
    assert!(uuid::Uuid::parse_str(&first_id).is_ok());
    assert!(first["status"].is_string());
    assert_eq!(first.as_object().unwrap().len(), 3, "{first}");

    // A body, if sent, must be a JSON object.
    let bad = keyed("POST", &h.url("/api/v1/sessions"))
        .insert_header(("Content-Type", "application/json"));
    let (status, body) = call(bad, Some("{not json")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_json"))
    );

    let with_body = keyed("POST", &h.url("/api/v1/sessions"))
        .insert_header(("Content-Type", "application/json"));
    let (status, second) = call(with_body, Some("{}")).await;
    assert_eq!(status, 201, "{second}");
    let second_id = second["session_id"].as_str().unwrap().to_string();

    let (status, full) = h.api("POST", "/api/v1/sessions").await;
    assert_eq!(status, 503);
    assert_eq!(full["error"], "capacity_exceeded");
    let (status, ready) = h.api("GET", "/api/v1/health/ready").await;
    assert_eq!(status, 503, "{ready}");
    assert_eq!(ready["status"], "not_ready");
    assert_eq!(ready["reason"], "at_capacity");
    assert_eq!(ready["sessions"], json!({"live": 2, "max": 2}));

    let (status, list) = h.api("GET", "/api/v1/sessions").await;
    assert_eq!(status, 200);
    let ids: BTreeSet<&str> = list["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["session_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, BTreeSet::from([first_id.as_str(), second_id.as_str()]));
    let summary = &list["sessions"][0];
    for field in [
        "session_id",
        "status",
        "created_at",
        "last_active_at",
        "message_count",
        "total_cost_usd",
        "is_resumable",
    ] {
        assert!(!summary[field].is_null(), "{field} missing: {summary}");
    }

    let (status, gone) = h
        .api("DELETE", &format!("/api/v1/sessions/{first_id}"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        gone,
        json!({"session_id": first_id, "status": "terminated", "purged": false})
    );
    let row = h.db.get(&first_id).await.unwrap().unwrap();
    assert_eq!(row.status, SessionStatus::Terminated);

    let unknown = uuid::Uuid::new_v4();
    let (status, body) = h
        .api("DELETE", &format!("/api/v1/sessions/{unknown}"))
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("session_not_found"))
    );
    let (status, body) = h.api("DELETE", "/api/v1/sessions/not-a-uuid").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("validation_error"))
    );

    // A slot is free again; ready once the pool has refilled.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (status, ready) = h.api("GET", "/api/v1/health/ready").await;
        if status == 200 {
            assert_eq!(ready["sessions"], json!({"live": 1, "max": 2}));
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never ready: {ready}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    h.stop().await;
}

#[actix_web::test]
async fn history_after_a_turn_and_resume_rules() {
    let h = harness(&[
        ("SESSION_IDLE_TIMEOUT_SECONDS", "1"),
        ("IDLE_GRACE_SECONDS", "0"),
        ("MONITOR_INTERVAL_SECONDS", "1"),
    ])
    .await;
    let (status, created) = h.api("POST", "/api/v1/sessions").await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["source"], "cold");
    let id = SessionId::parse(created["session_id"].as_str().unwrap()).unwrap();

    let mut ev = collector();
    h.engine
        .subscribe(&admin(), &id, ev.recipient.clone(), 0)
        .await
        .unwrap();
    h.stub.push(Reply::text("Hello from the stub."));
    h.engine.query(&admin(), &id, "hello", 1).await.unwrap();
    ev.until(ends_turn).await;

    // The reply is stored just after its events reach the client: poll (bounded) for it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let history = loop {
        let (status, history) = h
            .api("GET", &format!("/api/v1/sessions/{id}/messages"))
            .await;
        assert_eq!(status, 200, "{history}");
        if history["messages"].as_array().unwrap().len() >= 2 {
            break history;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no reply stored: {history}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(history["session_id"], id.as_str());
    let messages = history["messages"].as_array().unwrap();
    assert!(messages.len() >= 2, "{history}");
    assert_eq!(messages[0]["seq"], 1);
    assert_eq!(messages[0]["kind"], "user");
    assert!(messages[0]["created_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(messages[0].as_object().unwrap().len(), 4, "{}", messages[0]);
    assert!(
        messages.iter().any(|m| m["kind"] == "assistant"
            && m["payload"].to_string().contains("Hello from the stub.")),
        "{history}"
    );

    let (status, later) = h
        .api(
            "GET",
            &format!("/api/v1/sessions/{id}/messages?after_seq=1"),
        )
        .await;
    assert_eq!(status, 200);
    let later = later["messages"].as_array().unwrap();
    assert_eq!(later.len(), messages.len() - 1);
    assert!(later.iter().all(|m| m["seq"].as_i64().unwrap() > 1));

    for query in [
        "after_seq=-1",
        "after_seq=abc",
        // Past int64 (schemathesis found it accepted): refused, not clamped.
        "after_seq=17363689141758154752",
    ] {
        let (status, body) = h
            .api("GET", &format!("/api/v1/sessions/{id}/messages?{query}"))
            .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("validation_error")),
            "{query}"
        );
    }
    let unknown = uuid::Uuid::new_v4();
    let (status, body) = h
        .api("GET", &format!("/api/v1/sessions/{unknown}/messages"))
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("session_not_found"))
    );
    let (status, body) = h.api("GET", "/api/v1/sessions/12345/messages").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("validation_error"))
    );

    // Idle past the grace period → suspended; resume brings it back with its conversation.
    h.wait_status(&id, SessionStatus::Suspended).await;
    let (status, resumed) = h
        .api("POST", &format!("/api/v1/sessions/{id}/resume"))
        .await;
    assert_eq!(status, 200, "{resumed}");
    assert_eq!(resumed["session_id"], id.as_str());
    assert_eq!(resumed["source"], "resumed");

    // A destroyed session, or one that never existed, cannot be resumed.
    let (status, _) = h.api("DELETE", &format!("/api/v1/sessions/{id}")).await;
    assert_eq!(status, 200);
    let not_resumable =
        json!({"error": "not_resumable", "message": "Session not found or not resumable"});
    let (status, body) = h
        .api("POST", &format!("/api/v1/sessions/{id}/resume"))
        .await;
    assert_eq!((status, &body), (409, &not_resumable));
    let (status, body) = h
        .api("POST", &format!("/api/v1/sessions/{unknown}/resume"))
        .await;
    assert_eq!((status, &body), (409, &not_resumable));
    let (status, body) = h.api("POST", "/api/v1/sessions/nope/resume").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("validation_error"))
    );
    h.stop().await;
}

#[actix_web::test]
async fn info_reports_versions_model_and_limits() {
    let h = harness(&[
        ("MAX_SESSIONS", "3"),
        ("PERMISSION_MODE", "acceptEdits"),
        ("MAX_SESSION_RSS_MB", "512"),
        ("MAX_SESSION_DURATION_SECONDS", "600"),
        ("SESSION_IDLE_TIMEOUT_SECONDS", "120"),
        ("DAILY_SPEND_LIMIT_USD", "2.5"),
    ])
    .await;
    let (status, info) = h.api("GET", "/api/v1/info").await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
    let cli = info["cli_version"]
        .as_str()
        .expect("the CLI answered --version");
    assert!(cli.chars().next().unwrap().is_ascii_digit(), "{cli}");
    assert_eq!(info["demo_model"], false, "the harness configures a model");
    assert_eq!(info["permission_mode"], "acceptEdits");
    assert_eq!(
        info["limits"],
        json!({
            "max_sessions": 3,
            "max_session_rss_mb": 512,
            "max_session_duration_seconds": 600,
            "session_idle_timeout_seconds": 120,
            "prewarm_pool_size": 0,
            "max_sessions_per_user": null,
            "daily_spend_limit_usd": 2.5,
        })
    );
    // Asked once, then cached: the same answer.
    let (_, again) = h.api("GET", "/api/v1/info").await;
    assert_eq!(again, info);
    h.stop().await;

    // With no credentials the demo model answers, and says so.
    let app = spawn_app().await;
    let (status, info) = call(keyed("GET", &app.url("/api/v1/info")), None).await;
    assert_eq!(status, 200);
    assert_eq!(info["demo_model"], true);
    app.stop().await;
}

#[actix_web::test]
async fn extensions_are_listed_without_env_or_header_values() {
    const ENV_SECRET: &str = "env-secret-value-5f1e2d";
    const HEADER_SECRET: &str = "Bearer header-secret-9a8b7c";
    let app = spawn_app().await;
    let workspace = app.dir.path().join("workspace");
    let mcp = json!({"mcpServers": {
        "files": {"command": "npx", "args": ["-y", "server-filesystem"], "env": {"API_TOKEN": ENV_SECRET}},
        "remote": {"type": "http", "url": "https://mcp.example.com/mcp", "headers": {"Authorization": HEADER_SECRET}},
    }});
    std::fs::write(workspace.join("mcp.json"), mcp.to_string()).unwrap();
    std::fs::create_dir_all(workspace.join("skills/review")).unwrap();
    std::fs::write(
        workspace.join("skills/review/SKILL.md"),
        "---\nname: review\ndescription: Reviews a diff\n---\nBody.\n",
    )
    .unwrap();

    let req = keyed("GET", &app.url("/api/v1/extensions"));
    let mut res = req.send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let text = String::from_utf8(res.body().await.unwrap().to_vec()).unwrap();
    assert!(!text.contains(ENV_SECRET), "env value leaked: {text}");
    assert!(
        !text.contains("header-secret"),
        "header value leaked: {text}"
    );
    let body: Value = serde_json::from_str(&text).unwrap();
    let files = &body["mcp_servers"][0];
    assert_eq!(files["name"], "files");
    assert_eq!(files["command"], "npx");
    assert_eq!(files["args"], json!(["-y", "server-filesystem"]));
    assert_eq!(files["env_keys"], json!(["API_TOKEN"]));
    assert_eq!(
        body["mcp_servers"][1]["header_keys"],
        json!(["Authorization"])
    );
    assert_eq!(body["skills"][0]["name"], "review");
    assert_eq!(body["skills"][0]["description"], "Reviews a diff");
    assert!(body["config_hash"].is_string());
    app.stop().await;
}

#[actix_web::test]
async fn a_ws_ticket_is_redeemable_exactly_once() {
    let app = spawn_app().await;
    let (status, first) = call(keyed("POST", &app.url("/api/v1/ws-ticket")), None).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["expires_in_seconds"], 30);
    let ticket = first["ticket"].as_str().unwrap();
    assert_eq!(ticket.len(), 64);
    let (_, second) = call(keyed("POST", &app.url("/api/v1/ws-ticket")), None).await;
    assert_ne!(second["ticket"], first["ticket"]);

    assert!(app.tickets.redeem(ticket).is_some());
    assert!(app.tickets.redeem(ticket).is_none(), "single use");
    assert!(app
        .tickets
        .redeem(second["ticket"].as_str().unwrap())
        .is_some());
    app.stop().await;
}

#[actix_web::test]
async fn health_needs_no_key_and_live_answers_head() {
    let app = spawn_app().await;
    let (status, body) = call(client().get(app.url("/api/v1/health/live")), None).await;
    assert_eq!((status, body), (200, json!({"status": "ok"})));
    let res = client()
        .head(app.url("/api/v1/health/live"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    // No pool configured: ready as long as a session slot is free.
    let (status, body) = call(client().get(app.url("/api/v1/health/ready")), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ready");
    assert_eq!(body["pool"], json!({"ready": 0, "size": 0}));
    app.stop().await;
}
