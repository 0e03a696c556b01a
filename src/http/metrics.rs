//! `GET /metrics`: the Prometheus scrape (see [`crate::metrics`]). Admins only (the access
//! check of the admin routes: 401 without an identity, 403 for a member): the series name
//! every live session.

use actix_web::{web, HttpResponse};

use super::AppState;

pub async fn scrape(state: web::Data<AppState>) -> HttpResponse {
    let text = crate::metrics::scrape(&state.engine, &state.db).await;
    HttpResponse::Ok()
        .content_type(crate::metrics::CONTENT_TYPE)
        .body(text)
}
