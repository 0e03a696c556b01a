//! The HTTP surface: routes, the access log, and the shared state handlers read.
//!
//! Every REST route is declared once, in the [`rest_routes!`] table below: the same table
//! registers the handlers (each resource answering any other method with 405), says who may
//! call each ([`Access`]: anyone, any valid identity, admins), and is exported as [`ROUTES`]
//! so tests can check that the OpenAPI document (generated from the handlers' annotations)
//! covers every one and that each answers 401 and 403 alike.

mod access_log;
pub mod auth;
pub mod changes;
pub mod connections;
pub mod error;
mod export;
mod extract;
pub mod find;
mod fork;
mod forward_rest;
mod health;
mod info;
pub mod internal;
mod metrics;
pub mod metrics_listener;
mod openapi;
mod projects;
pub mod security_headers;
mod sessions;
pub mod static_ui;
pub mod tickets;
mod users;
pub mod ws;
pub mod ws_conn;
mod ws_forward;
mod ws_states;
mod ws_ticket;

use std::sync::Arc;

use actix_web::http::Method;
use actix_web::middleware::from_fn;
use actix_web::{web, HttpResponse};

use crate::config::Settings;
use crate::db::Db;
use crate::model_backend::ModelConfig;
use error::ApiError;

pub use access_log::{access_log, RequestLogger};
pub use info::CliVersion;
pub use openapi::ApiDoc;

/// What every handler can reach (cheap to clone).
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: Db,
    /// The model every session's CLI talks to (the demo model when none is configured).
    pub model: ModelConfig,
    pub engine: crate::actors::Engine,
    /// This replica in the cluster (replica mode), or the single machine (the engine's).
    pub cluster: crate::cluster::Cluster,
    /// WebSocket tickets issued over REST.
    pub tickets: tickets::TicketStore,
    /// Open WebSocket connections.
    pub connections: ws_conn::Connections,
    /// The CLI's `--version`, asked once on first use (`GET /api/v1/info`).
    pub cli_version: CliVersion,
    /// Where the built web UI is (or that it is missing), resolved once at start.
    pub web: Arc<static_ui::StaticUi>,
    /// When each key's use was last written (at most once a minute per key).
    pub last_used: Arc<crate::users::LastUsed>,
    pub log: slog::Logger,
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No key needed (health checks).
    Public,
    /// Any valid identity (`X-API-Key`, or the trusted header from a trusted proxy);
    /// anything else gets the exact 401 body.
    Key,
    /// As [`Access::Key`], and an admin; a member gets 403 `forbidden`.
    Admin,
}

/// One REST route as registered: method, path under [`API_PREFIX`], who may call it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
}

/// The Prometheus scrape (outside the versioned API, where scrapers look for it).
pub const METRICS_PATH: &str = "/metrics";

/// Where the REST API lives.
pub const API_PREFIX: &str = "/api/v1";

/// Declares the REST routes: `path, access => [METHOD handler, …]`. Generates [`ROUTES`]
/// and `register`, which adds one resource per path with its methods, the access check
/// around it, and 405 for every other method.
macro_rules! rest_routes {
    ($( $path:literal, $access:ident => [ $( $method:ident $handler:path ),+ $(,)? ] ),+ $(,)?) => {
        /// Every REST route, in registration order.
        pub const ROUTES: &[Route] = &[
            $( $( Route { method: stringify!($method), path: $path, access: Access::$access }, )+ )+
        ];

        fn register(scope: actix_web::Scope) -> actix_web::Scope {
            scope
            $(
                .service(
                    web::resource($path)
                        $( .route(web::method(Method::$method).to($handler)) )+
                        .default_service(web::to(|| method_not_allowed(
                            &[$( stringify!($method) ),+],
                        )))
                        // Inside the access check (the caller is known): replica mode only.
                        .wrap(from_fn(forward_rest::forward_rest))
                        .wrap(from_fn(move |req, next| auth::check_access(Access::$access, req, next))),
                )
            )+
        }
    };
}

rest_routes! {
    "/health/live", Public => [GET health::live, HEAD health::live],
    "/health/ready", Public => [GET health::ready],
    "/sessions", Key => [GET find::list, POST sessions::create],
    "/sessions/{id}", Key => [PATCH find::patch, DELETE sessions::destroy],
    "/sessions/{id}/messages", Key => [GET sessions::messages],
    "/sessions/{id}/export", Key => [GET export::export],
    "/sessions/{id}/resume", Key => [POST sessions::resume],
    "/sessions/{id}/fork", Key => [POST fork::fork],
    "/sessions/{id}/diff", Key => [GET changes::diff],
    "/sessions/{id}/files", Key => [GET changes::files],
    "/search", Key => [GET find::search],
    "/info", Key => [GET info::info],
    "/extensions", Key => [GET info::extensions],
    "/projects", Key => [GET projects::list],
    "/projects/{name}/worktrees/{session_id}", Key => [DELETE projects::remove_worktree],
    "/ws-ticket", Key => [POST ws_ticket::issue],
    "/openapi.json", Key => [GET openapi::document],
    "/me", Key => [GET users::me],
    "/users", Admin => [GET users::list, POST users::create],
    "/users/{user_id}", Admin => [PATCH users::update, DELETE users::disable],
    "/users/{user_id}/keys", Admin => [POST users::create_key],
    "/keys/{key_id}", Admin => [DELETE users::revoke_key],
}

/// Registers every route: the REST API, then the web UI for everything else.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(extract::json_config())
        .app_data(extract::path_config())
        .app_data(extract::query_config())
        .service(register(web::scope(API_PREFIX)))
        .service(
            web::resource(METRICS_PATH)
                .route(web::get().to(metrics::scrape))
                .default_service(web::to(|| method_not_allowed(&["GET"])))
                .wrap(from_fn(|req, next| {
                    auth::check_access(Access::Admin, req, next)
                })),
        )
        .service(
            web::resource("/ws/v1/chat")
                .route(web::get().to(ws::chat))
                .default_service(web::to(|| method_not_allowed(&["GET"]))),
        )
        .configure(internal::configure)
        .default_service(web::to(static_ui::serve));
}

/// The JSON 404 (unknown endpoints; the web UI handler uses it for API-looking paths).
pub fn not_found() -> HttpResponse {
    actix_web::ResponseError::error_response(&ApiError::not_found())
}

/// 405 with the `Allow` header RFC 9110 requires (the methods the resource does take).
async fn method_not_allowed(allowed: &'static [&'static str]) -> HttpResponse {
    let err = ApiError::new(
        crate::protocol::ErrorCode::MethodNotAllowed,
        "This endpoint does not accept that method.",
    );
    let mut res = actix_web::ResponseError::error_response(&err);
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&allowed.join(", ")) {
        res.headers_mut()
            .insert(actix_web::http::header::ALLOW, value);
    }
    res
}
