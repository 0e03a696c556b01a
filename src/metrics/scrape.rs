//! Encoding a scrape: the gauges read now (sessions by status, capacity, the pool, the
//! server's own memory and descriptors), then every series as OpenMetrics text.

use prometheus_client::encoding::text::encode;

use super::{gauge_value, metrics, StatusLabel};
use crate::actors::Engine;
use crate::db::Db;

/// The `Content-Type` of a scrape (OpenMetrics text, which Prometheus reads natively).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The metrics as OpenMetrics text, with the scrape-time gauges refreshed.
pub async fn scrape(engine: &Engine, db: &Db) -> String {
    let m = metrics();
    if let Ok(counts) = db.count_by_status().await {
        for (status, n) in counts {
            m.sessions
                .get_or_create(&StatusLabel {
                    status: status.as_str().to_string(),
                })
                .set(gauge_value(n));
        }
    }
    if let Some(cap) = engine.capacity().await {
        m.sessions_live.set(gauge_value(cap.live));
        m.sessions_max.set(gauge_value(cap.max));
    }
    if let Some(pool) = engine.pool_status().await {
        m.pool_ready.set(gauge_value(pool.ready));
        m.pool_target.set(gauge_value(pool.size));
    }
    if let Some(rss) = super::server_rss_bytes() {
        m.server_rss.set(gauge_value(rss));
    }
    if let Some(fds) = super::open_fds() {
        m.open_fds.set(gauge_value(fds));
    }
    let mut text = String::new();
    // Writing into a String cannot fail.
    let _ = encode(&mut text, m.registry());
    text
}
