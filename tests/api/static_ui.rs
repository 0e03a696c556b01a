//! The web UI at `/`: files from `web/dist` with the right cache headers, the SPA fallback,
//! API paths kept out of it, no way out of the directory, and a clear page without a build.

use std::path::Path;

use claude_sdk_pattern::app::Options;

use crate::helpers::{spawn_app_with, TestApp, WAIT};

const INDEX: &str = "<!doctype html><title>index-marker</title>";
const APP_JS: &str = "console.log('app-abc123');";
const SECRET: &str = "outside-the-dist-dir-secret";

async fn get(app: &TestApp, path: &str) -> (u16, String, String, String) {
    let client = awc::Client::builder().timeout(WAIT).finish();
    let mut res = client.get(app.url(path)).send().await.unwrap();
    let header = |name: &str| {
        res.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let (cache, content_type) = (header("cache-control"), header("content-type"));
    let body = String::from_utf8_lossy(&res.body().await.unwrap()).into_owned();
    (res.status().as_u16(), cache, content_type, body)
}

/// `<root>/web/dist` with an index and one hashed asset, and a secret beside `dist`.
fn build(root: &Path) -> std::path::PathBuf {
    let dist = root.join("web/dist");
    std::fs::create_dir_all(dist.join("assets")).unwrap();
    std::fs::write(dist.join("index.html"), INDEX).unwrap();
    std::fs::write(dist.join("assets/app-abc123.js"), APP_JS).unwrap();
    std::fs::write(dist.join("robots.txt"), "User-agent: *").unwrap();
    std::fs::write(root.join("web/secret.txt"), SECRET).unwrap();
    std::os::unix::fs::symlink("../secret.txt", dist.join("leak.txt")).unwrap();
    dist
}

#[actix_web::test]
async fn the_build_is_served_with_cache_headers_and_an_spa_fallback() {
    let root = tempfile::tempdir().unwrap();
    let dist = build(root.path());
    let app = spawn_app_with(Options {
        web_dist: Some(dist),
        ..Options::default()
    })
    .await;

    let (status, cache, ctype, body) = get(&app, "/").await;
    assert_eq!((status, body.as_str()), (200, INDEX));
    assert_eq!(cache, "no-cache");
    assert!(ctype.starts_with("text/html"), "{ctype}");

    let (status, cache, ctype, body) = get(&app, "/assets/app-abc123.js").await;
    assert_eq!((status, body.as_str()), (200, APP_JS));
    assert_eq!(cache, "public, max-age=31536000, immutable");
    assert!(ctype.contains("javascript"), "{ctype}");

    let (status, cache, _, body) = get(&app, "/robots.txt").await;
    assert_eq!(
        (status, body.as_str(), cache.as_str()),
        (200, "User-agent: *", "no-cache")
    );

    for route in ["/some/route", "/sessions/abc?x=1", "/index.html"] {
        let (status, cache, _, body) = get(&app, route).await;
        assert_eq!((status, body.as_str()), (200, INDEX), "{route}");
        assert_eq!(cache, "no-cache", "{route}");
    }

    // A missing hashed asset is a 404, not the page.
    let (status, _, _, body) = get(&app, "/assets/app-old999.js").await;
    assert_eq!(status, 404, "{body}");

    // API paths never fall back to the page.
    for path in ["/api/nope", "/api", "/ws/nope", "/api/v1/nope"] {
        let (status, _, ctype, body) = get(&app, path).await;
        assert_eq!(status, 404, "{path}");
        assert!(ctype.starts_with("application/json"), "{path}: {ctype}");
        assert!(body.contains("not_found"), "{path}: {body}");
    }

    // Nothing outside the dist directory, by `..`, encoded `..` or a link.
    for path in [
        "/../secret.txt",
        "/assets/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/assets/%2E%2E/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/leak.txt",
    ] {
        let (status, _, _, body) = get(&app, path).await;
        assert!(!body.contains(SECRET), "{path} escaped the dist dir");
        assert!(status == 404 || body == INDEX, "{path}: {status} {body}");
    }
    for path in ["/%2e%2e/secret.txt", "/..%2fsecret.txt"] {
        assert_eq!(get(&app, path).await.0, 404, "{path} is refused");
    }
    app.stop().await;
}

#[actix_web::test]
async fn without_a_build_every_ui_path_explains_how_to_build_it() {
    let root = tempfile::tempdir().unwrap();
    let app = spawn_app_with(Options {
        web_dist: Some(root.path().join("web/dist")),
        ..Options::default()
    })
    .await;
    for path in ["/", "/some/route"] {
        let (status, cache, ctype, body) = get(&app, path).await;
        assert_eq!(status, 200, "{path}");
        assert!(ctype.starts_with("text/html"), "{ctype}");
        assert_eq!(cache, "no-store");
        assert!(body.contains("has not been built"), "{body}");
        assert!(body.contains("make run"), "{body}");
        assert!(body.contains("/api/v1"), "{body}");
    }
    let (status, _, _, body) = get(&app, "/api/nope").await;
    assert_eq!(status, 404);
    assert!(body.contains("not_found"));
    app.stop().await;
}
