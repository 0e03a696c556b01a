//! Replica mode: REST session operations that need the session's process go to the replica
//! that runs it (docs/architecture.md, "Replicas"). Wraps every `/api/v1` resource inside
//! the access check (the caller is known); outside replica mode it passes every request on
//! untouched.
//!
//! - `DELETE /sessions/{id}`, `POST /sessions/{id}/resume`, `POST /sessions/{id}/fork`: to
//!   the session's owner when another live replica holds its lease;
//! - `POST /sessions`: here with a free slot and a ready pooled process, else to the replica
//!   with room (`create_target`, `Cluster::place_create`).
//!
//! Everything else (listing, history, search, renames, diffs: reads and writes of the shared
//! store and workspace) is answered here. The owner answers with its own status and body,
//! passed back as they are. An owner that is going away (`server_shutting_down`, or no
//! answer at all) is waited out — until its lease is gone, bounded — and the request is
//! routed again: to whoever holds the session then, or here.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage, HttpResponse, ResponseError};
use slog::{info, warn};

use super::error::{status_of, ApiError};
use super::AppState;
use crate::actors::EngineError;
use crate::cluster::forward::{self, ForwardError};
use crate::cluster::Remote;
use crate::protocol::ErrorCode;
use crate::session_id::SessionId;
use crate::users::Caller;

/// How many times a request follows a session that moves before it is answered here.
const MAX_HOPS: usize = 3;

/// What kind of forwarding a request gets.
enum Forwardable {
    /// To the session's owner.
    Session(SessionId),
    /// To a replica with free capacity.
    Create,
}

fn forwardable(req: &ServiceRequest) -> Option<Forwardable> {
    let pattern = req.match_pattern()?;
    let path = pattern.strip_prefix(super::API_PREFIX)?;
    let id = || SessionId::parse(req.match_info().get("id")?).ok();
    match (req.method(), path) {
        (&Method::POST, "/sessions") => Some(Forwardable::Create),
        (&Method::DELETE, "/sessions/{id}")
        | (&Method::POST, "/sessions/{id}/resume")
        | (&Method::POST, "/sessions/{id}/fork") => id().map(Forwardable::Session),
        // A malformed id is answered here (validation_error), like any other route.
        _ => None,
    }
}

/// The middleware (see the module's comment).
pub async fn forward_rest<B: MessageBody>(
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    let state = match req.app_data::<web::Data<AppState>>() {
        Some(state) if state.cluster.enabled() => state.clone(),
        _ => return Ok(next.call(req).await?.map_into_left_body()),
    };
    let (Some(what), Some(caller)) = (forwardable(&req), req.extensions().get::<Caller>().cloned())
    else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let body = req.extract::<web::Bytes>().await?;
    let target = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| req.path().to_string());
    let mut hops = 0;
    loop {
        let remote = match &what {
            Forwardable::Create => create_target(&state).await,
            Forwardable::Session(id) => state
                .cluster
                .owner(id)
                .await
                .filter(|r| Some(r.node_id.as_str()) != state.cluster.node_id()),
        };
        let Some(remote) = remote.filter(|_| hops < MAX_HOPS) else {
            // Here: the handler gets the body back.
            req.set_payload(bytes_payload(body));
            return Ok(next.call(req).await?.map_into_left_body());
        };
        hops += 1;
        let method = req.method().clone();
        match forward::send_rest(
            &state.cluster,
            &remote,
            &caller.user_id,
            &method,
            &target,
            body.clone(),
        )
        .await
        {
            Ok(answer) if !is_shutting_down(&answer) => {
                let mut res = HttpResponse::build(answer.status);
                if let Some(ct) = answer.content_type {
                    res.insert_header(("content-type", ct));
                }
                let res = res.body(answer.body);
                return Ok(req.into_response(res).map_into_right_body());
            }
            Ok(_) => info!(state.log, "owner is shutting down; waiting for the hand-over";
                "node" => &remote.node_id),
            Err(e) => {
                warn!(state.log, "owner unreachable; waiting for the hand-over"; "error" => %e)
            }
        }
        if !handed_over(&state, &what, &remote).await {
            let res = ApiError::from(EngineError::Restarting).error_response();
            return Ok(req.into_response(res).map_into_right_body());
        }
    }
}

fn is_shutting_down(answer: &forward::RestAnswer) -> bool {
    answer.status == status_of(ErrorCode::ServerShuttingDown)
        && serde_json::from_slice::<serde_json::Value>(&answer.body)
            .ok()
            .and_then(|v| {
                v.get("error")?
                    .as_str()
                    .map(|c| c == ErrorCode::ServerShuttingDown.as_str())
            })
            .unwrap_or(false)
}

/// After `remote` failed us: waits for its session to go (a create just asks again: the
/// placement skips a draining replica).
async fn handed_over(state: &AppState, what: &Forwardable, remote: &Remote) -> bool {
    match what {
        Forwardable::Create => true,
        Forwardable::Session(id) => {
            let bound = forward::handover_bound(
                std::time::Duration::from_secs(state.settings.shutdown_grace_seconds),
                state.cluster.lease_duration(),
            );
            forward::wait_for_handover(&state.cluster, id, &remote.node_id, bound).await
        }
    }
}

fn bytes_payload(body: web::Bytes) -> actix_web::dev::Payload {
    actix_web::dev::Payload::from(body)
}

impl From<ForwardError> for ApiError {
    fn from(_: ForwardError) -> ApiError {
        ApiError::from(EngineError::Restarting)
    }
}

/// Where a create made on this replica goes ([`crate::cluster::Cluster::place_create`], with
/// this replica's live capacity and pool); `None` on one machine or here.
pub async fn create_target(state: &AppState) -> Option<crate::cluster::Remote> {
    if !state.cluster.enabled() {
        return None;
    }
    let room = state
        .engine
        .capacity()
        .await
        .is_some_and(|c| c.live < c.max);
    let ready = state
        .engine
        .pool_status()
        .await
        .is_some_and(|p| p.ready > 0);
    state.cluster.place_create(room, ready).await
}
