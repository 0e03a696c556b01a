//! `POST /api/v1/ws-ticket`: trades the API key for a single-use WebSocket ticket, so the
//! browser never puts the key in a URL (see [`super::tickets`]). The ticket opens the
//! connection as the caller that asked for it.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::tickets::TICKET_TTL;
use super::AppState;
use crate::users::Caller;

#[derive(Debug, Serialize, ToSchema)]
pub struct WsTicket {
    /// Open `/ws/v1/chat?ticket=<ticket>` with it; it works once.
    pub ticket: String,
    /// How long it stays valid (30).
    pub expires_in_seconds: u64,
}

#[utoipa::path(
    post, path = "/api/v1/ws-ticket", tag = "server",
    security(("api_key" = [])),
    responses(
        (status = 200, description = "A single-use ticket for the WebSocket upgrade", body = WsTicket),
        (status = 401, description = "Missing or wrong API key", body = super::openapi::ErrorResponse),
    )
)]
pub async fn issue(state: web::Data<AppState>, caller: Caller) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(WsTicket {
            ticket: state.tickets.issue(caller),
            expires_in_seconds: TICKET_TTL.as_secs(),
        })
}
