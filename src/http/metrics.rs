//! `GET /metrics`: the Prometheus scrape (see [`crate::metrics`]). Behind the same access
//! check as every authenticated route (the `X-API-Key` header).
// When users and roles arrive (issue 14), this is an admin-only route.

use actix_web::{web, HttpResponse};

use super::AppState;

pub async fn scrape(state: web::Data<AppState>) -> HttpResponse {
    let text = crate::metrics::scrape(&state.engine, &state.db).await;
    HttpResponse::Ok()
        .content_type(crate::metrics::CONTENT_TYPE)
        .body(text)
}
