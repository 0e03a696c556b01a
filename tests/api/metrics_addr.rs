//! `METRICS_ADDR`: `/metrics` on a second listener without a key, while the main listener's
//! `/metrics` stays admin-only. Both scraped.

use claude_sdk_pattern::app::{Application, Options};
use claude_sdk_pattern::config::Settings;

use crate::helpers::{base_env, call, TEST_KEY, WAIT};

fn client() -> awc::Client {
    awc::Client::builder().timeout(WAIT).finish()
}

/// Status, content type and body of `GET url`, with `key` if given.
async fn scrape(url: &str, key: Option<&str>) -> (u16, String, String) {
    let mut req = client().get(url);
    if let Some(key) = key {
        req = req.insert_header(("X-API-Key", key));
    }
    let mut res = req.send().await.unwrap();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = res.body().await.unwrap();
    (
        res.status().as_u16(),
        ct,
        String::from_utf8(body.to_vec()).unwrap(),
    )
}

#[actix_web::test]
async fn metrics_addr_serves_the_scrape_without_a_key_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let mut env = base_env(dir.path());
    env.push(("METRICS_ADDR".into(), "127.0.0.1:0".into()));
    let settings = Settings::from_vars(env).unwrap();
    let options = Options {
        exclusive_children: false,
        ..Options::default()
    };
    let app = Application::build_with(settings, claude_sdk_pattern::logging::discard(), options)
        .await
        .unwrap();
    let main = app.local_addr();
    let metrics = app.metrics_addr().expect("METRICS_ADDR was set");
    assert_ne!(main.port(), metrics.port());
    assert!(metrics.ip().is_loopback());
    let handle = app.handle();
    let run = actix_web::rt::spawn(app.run_until_stopped());

    // The main listener: still admin-only.
    let (status, _, body) = scrape(&format!("http://{main}/metrics"), None).await;
    assert_eq!(status, 401, "{body}");
    let (status, main_ct, main_text) =
        scrape(&format!("http://{main}/metrics"), Some(TEST_KEY)).await;
    assert_eq!(status, 200);

    // The metrics listener: the same scrape, no key needed.
    let (status, ct, text) = scrape(&format!("http://{metrics}/metrics"), None).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(ct, main_ct);
    assert!(ct.starts_with("application/openmetrics-text"), "{ct}");
    for text in [&text, &main_text] {
        assert!(text.contains("csp_pool_target"), "{text}");
        assert!(text.trim_end().ends_with("# EOF"), "{text}");
    }

    // …and nothing else: the API is not reachable there, with or without a key.
    for path in ["/api/v1/sessions", "/api/v1/health/live", "/"] {
        let req = client()
            .get(format!("http://{metrics}{path}"))
            .insert_header(("X-API-Key", TEST_KEY));
        let (status, body) = call(req, None).await;
        assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
    }
    let res = client()
        .post(format!("http://{metrics}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 405);
    assert_eq!(res.headers().get("allow").unwrap(), "GET");

    handle.stop(true).await;
    run.await.unwrap().unwrap();
    // Stopped with the server.
    assert!(client()
        .get(format!("http://{metrics}/metrics"))
        .send()
        .await
        .is_err());
}

#[test]
fn a_malformed_metrics_addr_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    for bad in ["9090", "localhost:9090", "127.0.0.1"] {
        let mut env = base_env(dir.path());
        env.push(("METRICS_ADDR".into(), bad.into()));
        let err = Settings::from_vars(env).unwrap_err().to_string();
        assert!(err.contains("METRICS_ADDR"), "{bad}: {err}");
    }
    let mut env = base_env(dir.path());
    env.push(("METRICS_ADDR".into(), " ".into()));
    assert_eq!(Settings::from_vars(env).unwrap().metrics_addr, None);
}
