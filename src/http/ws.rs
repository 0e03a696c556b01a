//! `GET /ws/v1/chat`: authentication and origin checks before the upgrade, then one
//! [`WsConn`] actor per connection.
//!
//! Auth: the `X-API-Key` header, or `?ticket=` from `POST /api/v1/ws-ticket` (what a browser
//! uses, so the key never appears in a URL). A bad key or ticket → 401 before the upgrade.
//! A browser `Origin` that is neither this server's own nor in `ALLOWED_ORIGINS` → 403
//! (cross-site WebSocket hijacking). Requests without `Origin` (non-browser clients) pass.

use actix::Actor;
use actix_web::{web, HttpRequest, HttpResponse};

use super::auth::has_valid_key;
use super::error::ApiError;
use super::ws_conn::WsConn;
use super::AppState;
use crate::protocol::ErrorCode;

/// Frames larger than this close the connection with 1009.
pub const MAX_FRAME_BYTES: usize = 1024 * 1024;

fn ticket_of(req: &HttpRequest) -> Option<String> {
    let query = req.query_string();
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == "ticket").then(|| v.to_string())
    })
}

/// Same origin: the Origin's host:port equals the Host the request was sent to.
fn origin_allowed(req: &HttpRequest, allowed: &[String]) -> bool {
    let Some(origin) = req.headers().get("origin").and_then(|o| o.to_str().ok()) else {
        return true;
    };
    let origin = origin.trim_end_matches('/');
    if allowed.iter().any(|a| a == "*" || a == origin) {
        return true;
    }
    let host = req.headers().get("host").and_then(|h| h.to_str().ok());
    let origin_host = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    matches!((origin_host, host), (Some(o), Some(h)) if o.eq_ignore_ascii_case(h))
}

pub async fn chat(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, actix_web::Error> {
    let authorized = has_valid_key(&req, &state.settings.api_key)
        || ticket_of(&req).is_some_and(|t| state.tickets.redeem(&t));
    if !authorized {
        return Ok(actix_web::ResponseError::error_response(
            &ApiError::unauthorized(),
        ));
    }
    if !origin_allowed(&req, &state.settings.allowed_origins) {
        return Ok(actix_web::ResponseError::error_response(&ApiError::new(
            ErrorCode::Forbidden,
            "This page's origin is not allowed to open the chat. Add it to ALLOWED_ORIGINS.",
        )));
    }
    let (response, session, stream) = actix_ws::handle(&req, body)?;
    let stream = stream.max_frame_size(MAX_FRAME_BYTES);
    WsConn::new(state.get_ref().clone(), session, stream).start();
    Ok(response)
}
