//! API-key checks (constant time) for REST and the WebSocket upgrade.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpRequest, ResponseError};

use super::error::ApiError;
use super::{Access, AppState};
use crate::secret::Secret;

/// The header clients send the key in.
pub const API_KEY_HEADER: &str = "X-API-Key";

/// True when the request carries the server's key in `X-API-Key`.
pub fn has_valid_key(req: &HttpRequest, key: &Secret) -> bool {
    req.headers()
        .get(API_KEY_HEADER)
        .is_some_and(|v| key.matches(v.as_bytes()))
}

/// Middleware around each REST resource: a [`Access::Key`] route without the right key
/// gets the 401 of docs/protocol.md (exactly `{"error": "unauthorized", "message": "Invalid API
/// key"}`) before any handler or extractor runs, so a bad id or body never tells an
/// unauthenticated caller anything.
pub async fn check_access<B: MessageBody>(
    access: Access,
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    if access == Access::Key {
        let allowed = req
            .app_data::<web::Data<AppState>>()
            .is_some_and(|state| has_valid_key(req.request(), &state.settings.api_key));
        if !allowed {
            let res = ApiError::unauthorized().error_response();
            return Ok(req.into_response(res).map_into_right_body());
        }
    }
    Ok(next.call(req).await?.map_into_left_body())
}
