//! The HTTP surface: routes, the access log, and the shared state handlers read.

mod access_log;
pub mod auth;
pub mod client_frames;
mod health;
pub mod tickets;
pub mod ws;
pub mod ws_conn;

use std::sync::Arc;

use actix_web::{web, HttpResponse};

use crate::config::Settings;
use crate::db::Db;
use crate::error::AppError;
use crate::model_backend::ModelConfig;

pub use access_log::{access_log, RequestLogger};

/// What every handler can reach (cheap to clone).
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: Db,
    /// The model every session's CLI talks to (the demo model when none is configured).
    pub model: ModelConfig,
    pub engine: crate::actors::Engine,
    /// WebSocket tickets issued over REST.
    pub tickets: tickets::TicketStore,
    /// Open WebSocket connections.
    pub connections: ws_conn::Connections,
    pub log: slog::Logger,
}

/// Registers every route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1").service(
            web::resource("/health/live")
                .route(web::get().to(health::live))
                .route(web::head().to(health::live))
                .default_service(web::to(method_not_allowed)),
        ),
    )
    .service(
        web::resource("/ws/v1/chat")
            .route(web::get().to(ws::chat))
            .default_service(web::to(method_not_allowed)),
    )
    .default_service(web::to(not_found));
}

async fn not_found() -> HttpResponse {
    actix_web::ResponseError::error_response(&AppError::not_found())
}

async fn method_not_allowed() -> HttpResponse {
    let err = AppError::new(
        crate::error::ErrorCode::MethodNotAllowed,
        "This endpoint does not accept that method.",
    );
    actix_web::ResponseError::error_response(&err)
}
