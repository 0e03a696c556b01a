//! Browser hardening on every response. The UI holds an API key and shows an "Allow" button
//! that runs commands, so its pages get a Content-Security-Policy without inline script and
//! with `connect-src 'self'` (an injected script could neither run nor send the key
//! elsewhere), may not be framed (`frame-ancestors 'none'`, `X-Frame-Options: DENY`: a
//! framing page cannot trick a click on Allow), are never sniffed as another type, and send
//! no `Referer`. API responses (JSON) get the same with a policy that allows nothing.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{
    HeaderName, HeaderValue, CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use actix_web::middleware::Next;
use actix_web::Error;

/// The policy of the web UI's pages: everything from the server itself; no inline script
/// and no eval. Styles may be inline: the UI's dialogs (Radix) add `<style>` elements at run
/// time (scroll locking), and styles can fetch nothing from elsewhere since images, fonts and
/// connections are all 'self'.
pub const UI_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; \
    connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";

/// The policy of API responses: nothing may load from them, nobody may frame them.
pub const API_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

/// Adds the headers to every response (keeping any a handler set itself).
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let path = req.path();
    let is_api = ["/api", "/ws"]
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}/")));
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    let policy = if is_api { API_POLICY } else { UI_POLICY };
    let wanted: [(HeaderName, &'static str); 5] = [
        (CONTENT_SECURITY_POLICY, policy),
        (X_FRAME_OPTIONS, "DENY"),
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (REFERRER_POLICY, "no-referrer"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ];
    for (name, value) in wanted {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    Ok(res)
}
