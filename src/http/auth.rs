//! API-key checks (constant time) for REST and the WebSocket upgrade.

use actix_web::HttpRequest;

use crate::secret::Secret;

/// The header clients send the key in.
pub const API_KEY_HEADER: &str = "X-API-Key";

/// True when the request carries the server's key in `X-API-Key`.
pub fn has_valid_key(req: &HttpRequest, key: &Secret) -> bool {
    req.headers()
        .get(API_KEY_HEADER)
        .is_some_and(|v| key.matches(v.as_bytes()))
}
