//! The access log and the request id.
//!
//! Each request gets an id (a new UUID; a client-sent `X-Request-Id` is not trusted), sent
//! back in `X-Request-Id` and bound to a child logger that handlers find in the request's
//! extensions ([`RequestLogger`]). One line is logged per response with the method, the
//! **path only** (the query string can carry a WebSocket ticket and is never logged), the
//! status and the duration.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage};
use slog::{info, o, warn};

use super::AppState;

/// The request-scoped logger (with `request_id` bound), in the request's extensions.
#[derive(Clone)]
pub struct RequestLogger(pub slog::Logger);

pub async fn access_log(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let request_id = uuid::Uuid::new_v4().to_string();
    let root = match req.app_data::<web::Data<AppState>>() {
        Some(state) => state.log.clone(),
        None => crate::logging::discard(),
    };
    let log = root.new(o!("request_id" => request_id.clone()));
    req.extensions_mut().insert(RequestLogger(log.clone()));
    let method = req.method().to_string();
    let path = req.path().to_string();

    let mut res = next.call(req).await?;

    let status = res.status().as_u16();
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        res.headers_mut()
            .insert(HeaderName::from_static("x-request-id"), value);
    }
    if status >= 500 {
        warn!(log, "request"; "method" => method, "path" => path, "status" => status, "duration_ms" => duration_ms);
    } else {
        info!(log, "request"; "method" => method, "path" => path, "status" => status, "duration_ms" => duration_ms);
    }
    Ok(res)
}
