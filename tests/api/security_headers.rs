//! Browser hardening headers on every response: the UI's pages get a Content-Security-Policy
//! without inline script and with `connect-src 'self'`, and may not be framed; API responses
//! get a policy that allows nothing.

use claude_sdk_pattern::app::Options;

use crate::helpers::{spawn_app_with, TestApp, TEST_KEY, WAIT};

async fn headers(app: &TestApp, path: &str, key: bool) -> awc::http::header::HeaderMap {
    let client = awc::Client::builder().timeout(WAIT).finish();
    let mut req = client.get(app.url(path));
    if key {
        req = req.insert_header(("X-API-Key", TEST_KEY));
    }
    req.send().await.unwrap().headers().clone()
}

fn get<'a>(h: &'a awc::http::header::HeaderMap, name: &str) -> &'a str {
    h.get(name).map_or("", |v| v.to_str().unwrap())
}

/// The directives of a policy, by name.
fn directive<'a>(policy: &'a str, name: &str) -> Option<&'a str> {
    policy
        .split(';')
        .map(str::trim)
        .find_map(|d| d.strip_prefix(name).map(str::trim))
}

#[actix_web::test]
async fn ui_pages_and_api_responses_carry_the_hardening_headers() {
    let root = tempfile::tempdir().unwrap();
    let dist = root.path().join("dist");
    std::fs::create_dir_all(dist.join("assets")).unwrap();
    std::fs::write(dist.join("index.html"), "<!doctype html><title>x</title>").unwrap();
    std::fs::write(dist.join("assets/app-1.js"), "1").unwrap();
    let app = spawn_app_with(Options {
        web_dist: Some(dist),
        ..Options::default()
    })
    .await;
    for path in ["/", "/some/client/route", "/assets/app-1.js"] {
        let h = headers(&app, path, false).await;
        let policy = get(&h, "content-security-policy");
        assert_eq!(
            directive(policy, "script-src"),
            Some("'self'"),
            "{path}: {policy}"
        );
        assert_eq!(
            directive(policy, "connect-src"),
            Some("'self'"),
            "{path}: {policy}"
        );
        assert_eq!(
            directive(policy, "frame-ancestors"),
            Some("'none'"),
            "{path}: {policy}"
        );
        assert_eq!(
            directive(policy, "object-src"),
            Some("'none'"),
            "{path}: {policy}"
        );
        assert!(!policy.contains("unsafe-eval"), "{policy}");
        assert!(
            !directive(policy, "script-src")
                .unwrap()
                .contains("unsafe-inline"),
            "{policy}"
        );
        assert_eq!(get(&h, "x-frame-options"), "DENY", "{path}");
        assert_eq!(get(&h, "x-content-type-options"), "nosniff", "{path}");
        assert_eq!(get(&h, "referrer-policy"), "no-referrer", "{path}");
    }
    for (path, key) in [
        ("/api/v1/health/live", false),
        ("/api/v1/sessions", true),
        ("/api/v1/sessions", false),
        ("/api/v1/nope", false),
    ] {
        let h = headers(&app, path, key).await;
        assert_eq!(
            get(&h, "content-security-policy"),
            "default-src 'none'; frame-ancestors 'none'",
            "{path}"
        );
        assert_eq!(get(&h, "x-frame-options"), "DENY", "{path}");
        assert_eq!(get(&h, "x-content-type-options"), "nosniff", "{path}");
        assert_eq!(get(&h, "referrer-policy"), "no-referrer", "{path}");
    }
    app.stop().await;

    // The page shown without a build has no inline script or style either.
    let empty = tempfile::tempdir().unwrap();
    let app = spawn_app_with(Options {
        web_dist: Some(empty.path().to_path_buf()),
        ..Options::default()
    })
    .await;
    let h = headers(&app, "/", false).await;
    assert_eq!(get(&h, "x-frame-options"), "DENY");
    let client = awc::Client::builder().timeout(WAIT).finish();
    let body = client
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .body()
        .await
        .unwrap();
    let body = String::from_utf8_lossy(&body);
    assert!(body.contains("has not been built"), "{body}");
    assert!(
        !body.contains("<script") && !body.contains("style="),
        "{body}"
    );
    app.stop().await;
}
