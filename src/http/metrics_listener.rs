//! `METRICS_ADDR`: a second listener that serves `GET /metrics` without a key, for a
//! Prometheus that cannot send one (or should not hold the admin key). It serves nothing
//! else: every other path is the JSON 404, every other method a 405. The main listener's
//! `/metrics` stays admin-only.
//!
//! The scrape holds counts, durations and memory figures, plus the `session_id` label of
//! each live session's memory series (no message text, no keys): bind it to loopback or a
//! private network (docs/operations.md).

use std::net::{SocketAddr, TcpListener};

use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};

use super::AppState;

/// Binds `addr` and returns the (not yet polled) server and the address bound (port 0
/// resolved).
pub fn bind(addr: SocketAddr, state: AppState) -> std::io::Result<(Server, SocketAddr)> {
    let listener = TcpListener::bind(addr)?;
    let bound = listener.local_addr()?;
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(state.clone()))
            .service(
                web::resource(super::METRICS_PATH)
                    .route(web::get().to(super::metrics::scrape))
                    .default_service(web::to(|| super::method_not_allowed(&["GET"]))),
            )
            .default_service(web::to(|| async { super::not_found() }))
    })
    // A scrape is one small request: one worker is plenty, and bounds what it costs.
    .workers(1)
    .shutdown_timeout(1)
    .disable_signals()
    .listen(listener)?
    .run();
    Ok((server, bound))
}
