//! What the contract test (schemathesis, `make test-contract`) found, kept as regression
//! tests: 405s name the allowed methods, `POST /sessions` takes a `null` body, and the
//! OpenAPI document declares session ids as UUIDs and the export's two content types.

use std::collections::BTreeSet;

use claude_sdk_pattern::http::{API_PREFIX, ROUTES};
use serde_json::Value;

use crate::engine_harness::harness;
use crate::helpers::{call, spawn_app, TEST_KEY, WAIT};
use crate::rest::concrete;

/// The status and `Allow` header of `method path` with the server's key.
async fn allow_of(url: &str, method: &str) -> (u16, Option<String>) {
    let res = awc::Client::builder()
        .timeout(WAIT)
        .finish()
        .request(method.parse().unwrap(), url)
        .insert_header(("X-API-Key", TEST_KEY))
        .send()
        .await
        .unwrap();
    let allow = res
        .headers()
        .get("allow")
        .map(|v| v.to_str().unwrap().to_string());
    (res.status().as_u16(), allow)
}

fn methods(allow: &str) -> BTreeSet<String> {
    allow.split(',').map(|m| m.trim().to_string()).collect()
}

#[actix_web::test]
async fn every_405_carries_an_allow_header_with_the_methods_the_resource_takes() {
    let app = spawn_app().await;
    let paths: BTreeSet<&str> = ROUTES.iter().map(|r| r.path).collect();
    for path in paths {
        let allowed: BTreeSet<String> = ROUTES
            .iter()
            .filter(|r| r.path == path)
            .map(|r| r.method.to_string())
            .collect();
        for method in ["GET", "POST", "PUT", "DELETE", "PATCH", "TRACE"] {
            if allowed.contains(method) {
                continue;
            }
            let (status, allow) = allow_of(&app.url(&concrete(path)), method).await;
            assert_eq!(status, 405, "{method} {path}");
            let allow = allow.unwrap_or_else(|| panic!("{method} {path}: no Allow header"));
            assert_eq!(methods(&allow), allowed, "{method} {path}");
        }
    }
    for path in ["/metrics", "/ws/v1/chat"] {
        let (status, allow) = allow_of(&app.url(path), "POST").await;
        assert_eq!((status, allow.as_deref()), (405, Some("GET")), "{path}");
    }
    app.stop().await;
}

#[actix_web::test]
async fn a_null_body_creates_a_session_as_no_body_does() {
    let h = harness(&[("PREWARM_POOL_SIZE", "1"), ("MAX_SESSIONS", "2")]).await;
    let post = |body: &'static str| {
        let req = awc::Client::builder()
            .timeout(WAIT)
            .finish()
            .post(h.url("/api/v1/sessions"))
            .insert_header(("X-API-Key", TEST_KEY))
            .insert_header(("Content-Type", "application/json"));
        call(req, Some(body))
    };
    let (status, created) = post("null").await;
    assert_eq!(status, 201, "{created}");
    assert!(uuid::Uuid::parse_str(created["session_id"].as_str().unwrap()).is_ok());
    // Anything but nothing, null or an object is still refused.
    for bad in [
        "[]",
        "[\"sonnet\", null, null]",
        "\"sonnet\"",
        "1",
        "{\"model\": 1}",
    ] {
        let (status, body) = post(bad).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_json")),
            "{bad}"
        );
    }
    h.stop().await;
}

/// A derived `Deserialize` takes a struct's fields as an array too: `[null, null]` reset a
/// user's quotas, `["title", true]` renamed and archived a session. Bodies are objects only.
#[actix_web::test]
async fn json_bodies_must_be_objects_not_arrays_of_fields() {
    let app = spawn_app().await;
    let send = |method: &str, path: &str, body: &'static str| {
        let req = awc::Client::builder()
            .timeout(WAIT)
            .finish()
            .request(method.parse().unwrap(), app.url(path))
            .insert_header(("X-API-Key", TEST_KEY))
            .insert_header(("Content-Type", "application/json"));
        call(req, Some(body))
    };
    let (status, created) = send("POST", "/api/v1/users", r#"{"name": "quota-kept"}"#).await;
    assert_eq!(status, 201, "{created}");
    let user = created["user"]["user_id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/users/{user}");
    let (status, body) = send("PATCH", &path, r#"{"max_sessions": 3}"#).await;
    assert_eq!(
        (status, body["max_sessions"].as_i64()),
        (200, Some(3)),
        "{body}"
    );

    let (status, body) = send("PATCH", &path, "[null, null]").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_json"))
    );
    let (status, body) = send("POST", "/api/v1/users", r#"["array-user"]"#).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_json"))
    );
    let session = uuid::Uuid::new_v4();
    let (status, body) = send(
        "PATCH",
        &format!("/api/v1/sessions/{session}"),
        r#"["title", true]"#,
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_json"))
    );

    // Nothing changed.
    let (status, list) = send("GET", "/api/v1/users", "").await;
    assert_eq!(status, 200);
    let users = list["users"].as_array().unwrap();
    let kept = users
        .iter()
        .find(|u| u["user_id"] == user.as_str())
        .unwrap();
    assert_eq!(kept["max_sessions"], 3, "{kept}");
    assert!(!users.iter().any(|u| u["name"] == "array-user"));
    app.stop().await;
}

#[actix_web::test]
async fn the_openapi_document_declares_session_ids_as_uuids_and_what_the_export_sends() {
    let app = spawn_app().await;
    let req = awc::Client::default()
        .get(app.url(&format!("{API_PREFIX}/openapi.json")))
        .insert_header(("X-API-Key", TEST_KEY));
    let (status, doc) = call(req, None).await;
    assert_eq!(status, 200);
    let mut id_params = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(params) = op["parameters"].as_array() else {
                continue;
            };
            for p in params
                .iter()
                .filter(|p| p["in"] == "path" && p["name"] == "id")
            {
                assert_eq!(p["schema"]["format"], "uuid", "{method} {path}");
                id_params += 1;
            }
        }
    }
    assert!(id_params >= 5, "{id_params}");

    let export = &doc["paths"]["/api/v1/sessions/{id}/export"]["get"]["responses"]["200"];
    let types: BTreeSet<&str> = export["content"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(types, BTreeSet::from(["application/json", "text/markdown"]));

    let create = &doc["paths"]["/api/v1/sessions"]["post"]["requestBody"];
    assert_ne!(create["required"], Value::Bool(true), "{create}");
    app.stop().await;
}
