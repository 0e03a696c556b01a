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

/// A GET with `Accept-Encoding: accept` (none when empty): status, the headers asked for, body.
async fn get_encoded(
    app: &TestApp,
    path: &str,
    accept: &str,
    extra: &[(&str, &str)],
) -> (u16, [String; 4], Vec<u8>) {
    let client = awc::Client::builder().timeout(WAIT).finish();
    let mut req = client.get(app.url(path));
    if !accept.is_empty() {
        req = req.insert_header(("accept-encoding", accept));
    }
    for header in extra {
        req = req.insert_header(*header);
    }
    let mut res = req.send().await.unwrap();
    let header = |name: &str| {
        res.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let headers = [
        header("content-encoding"),
        header("vary"),
        header("content-type"),
        header("cache-control"),
    ];
    let body = res.body().await.unwrap().to_vec();
    (res.status().as_u16(), headers, body)
}

#[actix_web::test]
async fn precompressed_files_are_sent_to_clients_that_take_them() {
    let root = tempfile::tempdir().unwrap();
    let dist = build(root.path());
    // What the build writes beside each file (the bytes only need to be told apart here).
    std::fs::write(dist.join("assets/app-abc123.js.br"), "br-bytes").unwrap();
    std::fs::write(dist.join("assets/app-abc123.js.gz"), "gzip-bytes").unwrap();
    std::fs::write(dist.join("index.html.gz"), "index-gzip-bytes").unwrap();
    // A variant that is a link out of the dist directory is never sent.
    std::fs::write(root.path().join("web/outside.br"), SECRET).unwrap();
    std::os::unix::fs::symlink("../outside.br", dist.join("robots.txt.br")).unwrap();
    let app = spawn_app_with(Options {
        web_dist: Some(dist),
        ..Options::default()
    })
    .await;
    let asset = "/assets/app-abc123.js";
    let immutable = "public, max-age=31536000, immutable";

    // Chromium's header: brotli, with the type of the file it stands for.
    let (status, [encoding, vary, ctype, cache], body) =
        get_encoded(&app, asset, "gzip, deflate, br, zstd", &[]).await;
    assert_eq!((status, body.as_slice()), (200, b"br-bytes".as_slice()));
    assert_eq!(
        (encoding.as_str(), vary.as_str()),
        ("br", "accept-encoding")
    );
    assert!(ctype.contains("javascript"), "{ctype}");
    assert_eq!(cache, immutable);

    for accept in ["gzip", "br;q=0, gzip;q=0.8", "deflate, gzip"] {
        let (status, [encoding, vary, ctype, cache], body) =
            get_encoded(&app, asset, accept, &[]).await;
        assert_eq!(
            (status, body.as_slice()),
            (200, b"gzip-bytes".as_slice()),
            "{accept}"
        );
        assert_eq!(
            (encoding.as_str(), vary.as_str()),
            ("gzip", "accept-encoding")
        );
        assert!(ctype.contains("javascript"), "{ctype}");
        assert_eq!(cache, immutable);
    }

    // No Accept-Encoding, one without these codings, or a range: the file itself.
    for (accept, extra) in [
        ("", &[][..]),
        ("identity", &[][..]),
        ("br, gzip", &[("range", "bytes=0-6")][..]),
    ] {
        let (status, [encoding, vary, ctype, _], body) =
            get_encoded(&app, asset, accept, extra).await;
        assert!(status == 200 || status == 206, "{accept}: {status}");
        assert!(APP_JS.as_bytes().starts_with(&body), "{accept}: {body:?}");
        assert!(encoding.is_empty() || encoding == "identity", "{encoding}");
        assert_eq!(vary, "accept-encoding", "{accept}");
        assert!(ctype.contains("javascript"), "{ctype}");
    }

    // The page (and the SPA fallback) too, still never cached without revalidation.
    for path in ["/", "/some/route"] {
        let (status, [encoding, vary, ctype, cache], body) =
            get_encoded(&app, path, "br, gzip", &[]).await;
        assert_eq!(
            (status, body.as_slice()),
            (200, b"index-gzip-bytes".as_slice())
        );
        assert_eq!(
            (encoding.as_str(), vary.as_str()),
            ("gzip", "accept-encoding")
        );
        assert!(ctype.starts_with("text/html"), "{ctype}");
        assert_eq!(cache, "no-cache");
    }

    // A file without variants: no Content-Encoding, no Vary; a variant outside: not sent.
    let (status, [encoding, vary, _, _], body) =
        get_encoded(&app, "/robots.txt", "br, gzip", &[]).await;
    assert_eq!(
        (status, body.as_slice()),
        (200, b"User-agent: *".as_slice())
    );
    assert_eq!((encoding.as_str(), vary.as_str()), ("", ""));
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
