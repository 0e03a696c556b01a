//! `GET /ws/v1/chat`: authentication and origin checks before the upgrade, then one
//! [`WsConn`] actor per connection.
//!
//! Auth: the trusted header from a trusted proxy, the `X-API-Key` header, or `?ticket=` from
//! `POST /api/v1/ws-ticket` (what a browser uses, so the key never appears in a URL; the key
//! and user it was issued for must still be valid). A bad key or ticket → 401 before the
//! upgrade. The connection acts as that caller until it closes, or until the caller's key is
//! revoked or its user disabled (then it is closed with 1008).
//! A browser `Origin` that is neither this server's own nor in `ALLOWED_ORIGINS` → 403
//! (cross-site WebSocket hijacking). Requests without `Origin` (non-browser clients) pass.

use actix::Actor;
use actix_web::{web, HttpRequest, HttpResponse};

use super::auth::authenticate;
use super::error::ApiError;
use super::ws_conn::WsConn;
use super::AppState;
use crate::protocol::ErrorCode;

/// Frames larger than this close the connection with 1009: sized for the largest valid
/// `user_message` under the configured attachment limits (with the defaults, 10 MiB of
/// attachments: ~14.4 MiB), see [`crate::protocol::attachments::AttachmentLimits::max_frame_bytes`].
pub fn max_frame_bytes(settings: &crate::config::Settings) -> usize {
    settings.attachments.max_frame_bytes()
}

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
    let caller = match authenticate(&state, &req).await {
        Ok(Some(caller)) => Some(caller),
        Ok(None) => match ticket_of(&req).and_then(|t| state.tickets.redeem(&t)) {
            // The key may have been revoked (or its user disabled) since the ticket was made.
            Some(caller) => match crate::users::still_valid(&state.db, &caller).await {
                Ok(true) => Some(caller),
                Ok(false) => None,
                Err(_) => {
                    return Ok(actix_web::ResponseError::error_response(
                        &ApiError::internal(),
                    ))
                }
            },
            None => None,
        },
        Err(e) => return Ok(actix_web::ResponseError::error_response(&e)),
    };
    let Some(caller) = caller else {
        return Ok(actix_web::ResponseError::error_response(
            &ApiError::unauthorized(),
        ));
    };
    if !origin_allowed(&req, &state.settings.allowed_origins) {
        return Ok(actix_web::ResponseError::error_response(&ApiError::new(
            ErrorCode::Forbidden,
            "This page's origin is not allowed to open the chat. Add it to ALLOWED_ORIGINS.",
        )));
    }
    let (response, session, stream) = actix_ws::handle(&req, body)?;
    let stream = stream.max_frame_size(max_frame_bytes(&state.settings));
    WsConn::new(state.get_ref().clone(), caller, session, stream).start();
    Ok(response)
}
