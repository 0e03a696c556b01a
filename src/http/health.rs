//! Health checks (no API key needed).

use actix_web::HttpResponse;
use serde_json::json;

/// `GET /api/v1/health/live`: the process is up and serving HTTP. Always 200.
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}
