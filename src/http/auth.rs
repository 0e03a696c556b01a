//! Who a request is from ([`authenticate`]), for REST and the WebSocket upgrade alike:
//!
//! 1. With single sign-on configured (`AUTH_TRUSTED_HEADER`), a request whose TCP peer is in
//!    `AUTH_TRUSTED_PROXIES` and carries the header is that user (created as a member on
//!    first sight; a disabled user, a malformed name and the bootstrap admin's name are
//!    refused). From any other address the header is ignored, whatever it says.
//! 2. Otherwise `X-API-Key`: the server's key (`CLAUDE_SDK_PATTERN_API_KEY`) is the bootstrap
//!    admin; any other key must be a stored, unrevoked key of an enabled user (see
//!    [`crate::users::keys`]).
//!
//! [`check_access`] wraps each REST resource with its [`Access`] level: no identity gets the
//! exact 401, a member on an admin route the 403; the [`Caller`] is then in the request's
//! extensions, where handlers take it from (`Caller` is an extractor).

use std::future::{ready, Ready};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, Error, FromRequest, HttpMessage, HttpRequest, ResponseError};
use slog::warn;

use super::error::ApiError;
use super::{Access, AppState};
use crate::db::{Role, BOOTSTRAP_USER_ID};
use crate::protocol::ErrorCode;
use crate::users::{self, Caller};

/// The header clients send the key in.
pub const API_KEY_HEADER: &str = "X-API-Key";

/// The user named by the trusted header, if this request may name one.
async fn from_trusted_header(
    state: &AppState,
    req: &HttpRequest,
) -> Result<Option<Option<Caller>>, ApiError> {
    let Some(trusted) = &state.settings.trusted_header else {
        return Ok(None);
    };
    // The TCP peer itself: a forwarded-for header could say anything.
    let Some(peer) = req.peer_addr() else {
        return Ok(None);
    };
    if !trusted.trusts(peer.ip()) {
        return Ok(None);
    }
    let Some(value) = req.headers().get(trusted.header.as_str()) else {
        return Ok(None);
    };
    let Some(name) = value.to_str().ok().map(str::trim) else {
        return Ok(Some(None));
    };
    if users::check_name(name).is_err() {
        return Ok(Some(None));
    }
    let user = state
        .db
        .ensure_user(name, Role::Member)
        .await
        .map_err(|e| store_failed(state, e))?;
    // The bootstrap admin is the server key's alone: a proxy's user called "admin" is not it.
    let allowed = !user.disabled && user.user_id != BOOTSTRAP_USER_ID;
    Ok(Some(allowed.then(|| Caller::of(&user, None))))
}

fn store_failed(state: &AppState, e: crate::db::DbError) -> ApiError {
    warn!(state.log, "store failed during authentication"; "error" => %e);
    ApiError::internal()
}

/// Who `req` is from; `None` when it has no valid identity (the caller answers 401).
pub async fn authenticate(state: &AppState, req: &HttpRequest) -> Result<Option<Caller>, ApiError> {
    if let Some(by_header) = from_trusted_header(state, req).await? {
        return Ok(by_header);
    }
    let Some(presented) = req
        .headers()
        .get(API_KEY_HEADER)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(None);
    };
    let caller = users::authenticate_key(&state.db, &state.settings.api_key, presented)
        .await
        .map_err(|e| store_failed(state, e))?;
    if let Some(key_id) = caller.as_ref().and_then(|c| c.key_id.as_deref()) {
        if let Err(e) = state.last_used.record(&state.db, key_id).await {
            warn!(state.log, "could not record a key's use"; "error" => %e);
        }
    }
    Ok(caller)
}

/// Middleware around each REST resource: a [`Access::Key`] or [`Access::Admin`] route
/// without a valid identity gets the 401 of docs/protocol.md (exactly `{"error":
/// "unauthorized", "message": "Invalid API key"}`) before any handler or extractor runs, so
/// a bad id or body never tells an unauthenticated caller anything; a member on an admin
/// route gets 403 `forbidden`.
pub async fn check_access<B: MessageBody>(
    access: Access,
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    if access != Access::Public {
        let caller = match req.app_data::<web::Data<AppState>>() {
            Some(state) => authenticate(state, req.request()).await,
            None => Ok(None),
        };
        let refusal = match &caller {
            Err(e) => Some(e.clone()),
            Ok(None) => Some(ApiError::unauthorized()),
            Ok(Some(c)) if access == Access::Admin && !c.is_admin() => Some(ApiError::new(
                ErrorCode::Forbidden,
                "This endpoint is for administrators.",
            )),
            Ok(Some(_)) => None,
        };
        if let Some(e) = refusal {
            return Ok(req.into_response(e.error_response()).map_into_right_body());
        }
        if let Ok(Some(caller)) = caller {
            req.extensions_mut().insert(caller);
        }
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// A handler's caller, as [`check_access`] found it.
impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Caller, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<Caller>()
                .cloned()
                .ok_or_else(ApiError::unauthorized),
        )
    }
}
