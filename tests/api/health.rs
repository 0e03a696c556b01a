use crate::helpers::{on_postgres, spawn_app};

#[actix_web::test]
async fn health_live_answers_ok() {
    let app = spawn_app().await;
    let mut res = app
        .client()
        .get(app.url("/api/v1/health/live"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(res.headers().contains_key("x-request-id"));
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body, serde_json::json!({"status": "ok"}));
    // The database file was created under the configured data directory.
    if !on_postgres() {
        assert!(app.dir.path().join("data/test.db").exists());
    }
    app.stop().await;
}

#[actix_web::test]
async fn unknown_paths_get_a_json_404_and_wrong_methods_a_405() {
    let app = spawn_app().await;
    let mut res = app.client().get(app.url("/api/nope")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 404);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "not_found");

    let mut res = app
        .client()
        .post(app.url("/api/v1/health/live"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 405);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "method_not_allowed");
    app.stop().await;
}
