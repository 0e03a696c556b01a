//! `/internal/v1/*`: what one replica asks another (docs/protocol.md, "Internal endpoints").
//! Registered always, but outside replica mode every path here is the JSON 404, as if it
//! did not exist. In replica mode every request must carry the cluster signature
//! (`cluster::auth`), else 401 `cluster_auth_failed`; the user it names is loaded from the
//! store (a missing or disabled user is refused the same way) and the handlers then run
//! as that user, with every usual check.
//!
//! - `GET /internal/v1/ws`: a WebSocket with the frames of `/ws/v1/chat`, for a browser
//!   connection on another replica viewing a session this one runs (`ws_forward.rs`).
//! - `/internal/v1/rest/sessions…`: the session operations that need the process (create,
//!   destroy, resume, fork), answered as under `/api/v1` (`forward_rest.rs` sends them).
//!
//! Nothing here forwards again: a replica that no longer runs the session answers as it
//! would for itself, and the caller re-routes.

use actix::Actor;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, Error, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use slog::{info, warn};

use super::error::ApiError;
use super::ws_conn::WsConn;
use super::AppState;
use crate::cluster::auth;
use crate::db::BOOTSTRAP_USER_ID;
use crate::protocol::ErrorCode;
use crate::users::Caller;

/// The one answer to an internal request that is not a replica's.
pub fn auth_failed() -> ApiError {
    ApiError::new(
        ErrorCode::ClusterAuthFailed,
        "This endpoint is for the server's other replicas only.",
    )
}

/// Registers the `/internal/v1` scope.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/internal/v1")
            .service(web::resource("/ws").route(web::get().to(ws)))
            .service(web::resource("/rest/sessions").route(web::post().to(super::sessions::create)))
            .service(
                web::resource("/rest/sessions/{id}")
                    .route(web::delete().to(super::sessions::destroy)),
            )
            .service(
                web::resource("/rest/sessions/{id}/resume")
                    .route(web::post().to(super::sessions::resume)),
            )
            .service(
                web::resource("/rest/sessions/{id}/fork").route(web::post().to(super::fork::fork)),
            )
            .default_service(web::to(|| async { super::not_found() }))
            .wrap(from_fn(internal_access)),
    );
}

/// The caller a verified internal request acts as.
async fn caller_of(state: &AppState, req: &HttpRequest) -> Result<Caller, ApiError> {
    let Some(secret) = state.cluster.secret() else {
        return Err(auth_failed());
    };
    let target = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or_else(|| req.path());
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let verified = auth::verify(secret, req.method().as_str(), target, header, auth::now())
        .map_err(|why| {
            // Who tried, never what was presented.
            info!(state.log, "internal request refused";
                "why" => %why, "path" => req.path(),
                "peer" => req.peer_addr().map(|a| a.ip().to_string()));
            auth_failed()
        })?;
    if verified.user == BOOTSTRAP_USER_ID {
        return Ok(Caller::bootstrap());
    }
    match state.db.user(&verified.user).await {
        Ok(Some(user)) if !user.disabled => Ok(Caller::of(&user, None)),
        Ok(_) => Err(auth_failed()),
        Err(e) => {
            warn!(state.log, "store failed during internal authentication"; "error" => %e);
            Err(ApiError::internal())
        }
    }
}

/// Around the whole scope: 404 outside replica mode, else the signature and the user.
async fn internal_access<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        let res = ApiError::internal().error_response();
        return Ok(req.into_response(res).map_into_right_body());
    };
    if !state.cluster.enabled() {
        return Ok(req.into_response(super::not_found()).map_into_right_body());
    }
    match caller_of(&state, req.request()).await {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            Ok(next.call(req).await?.map_into_left_body())
        }
        Err(e) => Ok(req.into_response(e.error_response()).map_into_right_body()),
    }
}

/// `GET /internal/v1/ws`: the owner's side of a forwarded connection.
async fn ws(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, Error> {
    let (response, session, stream) = actix_ws::handle(&req, body)?;
    let stream = stream.max_frame_size(super::ws::max_frame_bytes(&state.settings));
    WsConn::new_internal(state.get_ref().clone(), caller, session, stream).start();
    Ok(response)
}
