//! Health checks (no API key needed): `live` for "restart me if this fails", `ready` for
//! "send me traffic" (a load balancer takes the server out while it returns 503).

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct Live {
    /// Always `ok`.
    pub status: String,
}

#[utoipa::path(
    method(get, head), path = "/api/v1/health/live", tag = "health",
    responses((status = 200, description = "The process is up and serving HTTP", body = Live))
)]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(Live {
        status: "ok".to_string(),
    })
}

/// `GET /api/v1/health/ready`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Ready {
    /// `ready` or `not_ready`.
    pub status: String,
    /// Why not ready: `shutting_down`, `engine_unavailable`, `at_capacity` or `pool_empty`;
    /// absent when ready.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For a person reading the response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub pool: PoolCounts,
    pub sessions: SessionCounts,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PoolCounts {
    /// Initialized CLI processes waiting for a session.
    pub ready: usize,
    /// `PREWARM_POOL_SIZE`.
    pub size: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionCounts {
    /// Sessions holding a slot (live, starting or stopping).
    pub live: usize,
    /// `MAX_SESSIONS`.
    pub max: usize,
}

#[utoipa::path(
    get, path = "/api/v1/health/ready", tag = "health",
    responses(
        (status = 200, description = "A new session can start now", body = Ready),
        (status = 503, description = "Not ready: the server is shutting down, every session slot is in use, or the pool is empty (when PREWARM_POOL_SIZE > 0)", body = Ready),
    )
)]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let (pool, capacity) = tokio::join!(state.engine.pool_status(), state.engine.capacity());
    let pool_counts = PoolCounts {
        ready: pool.as_ref().map_or(0, |p| p.ready),
        size: pool
            .as_ref()
            .map_or(state.settings.prewarm_pool_size, |p| p.size),
    };
    let session_counts = SessionCounts {
        live: capacity.map_or(0, |c| c.live),
        max: capacity.map_or(state.settings.max_sessions, |c| c.max),
    };
    let problem = if state.engine.draining_until().is_some() {
        Some((
            "shutting_down",
            "The server is shutting down: replies in progress finish, no new session starts here."
                .to_string(),
        ))
    } else if pool.is_none() || capacity.is_none() {
        Some((
            "engine_unavailable",
            "The session engine is not running.".to_string(),
        ))
    } else if session_counts.live >= session_counts.max {
        Some((
            "at_capacity",
            format!("All {} session slots are in use.", session_counts.max),
        ))
    } else if pool_counts.size > 0 && pool_counts.ready == 0 {
        Some((
            "pool_empty",
            "No pre-warmed Claude process is ready; the pool is refilling.".to_string(),
        ))
    } else {
        None
    };
    let (mut response, status, reason, message) = match problem {
        None => (HttpResponse::Ok(), "ready", None, None),
        Some((reason, message)) => (
            HttpResponse::ServiceUnavailable(),
            "not_ready",
            Some(reason.to_string()),
            Some(message),
        ),
    };
    response
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(Ready {
            status: status.to_string(),
            reason,
            message,
            pool: pool_counts,
            sessions: session_counts,
        })
}
