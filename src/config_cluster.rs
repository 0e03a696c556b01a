//! The settings of replica mode (issue 18, docs/operations.md "Replicas"): `NODE_ID` turns it
//! on; `NODE_URL`, `CLUSTER_SECRET` and a PostgreSQL `DATABASE_URL` are then required;
//! `LEASE_SECONDS` is how long a session's lease lasts without renewal.

use super::{err, number, present, ConfigError};
use crate::secret::Secret;

/// The shortest `CLUSTER_SECRET` accepted.
pub const MIN_CLUSTER_SECRET_LEN: usize = 32;
/// `LEASE_SECONDS` unless set.
pub const DEFAULT_LEASE_SECONDS: u64 = 15;

/// This replica, when the server runs as one of several (`NODE_ID` set).
#[derive(Clone, PartialEq, Eq)]
pub struct ClusterConfig {
    /// `NODE_ID`: `[a-z0-9-]{1,63}`, unique among the replicas (a StatefulSet's pod name).
    pub node_id: String,
    /// `NODE_URL`: where the other replicas reach this one (`http(s)://host:port`, no path).
    pub node_url: String,
    /// `CLUSTER_SECRET`: signs replica-to-replica requests. Never logged.
    pub secret: Secret,
    /// `LEASE_SECONDS`: a session's lease lasts this long unless renewed (heartbeat every
    /// third of it); a dead replica's sessions are taken over after about this long.
    pub lease_seconds: u64,
}

impl std::fmt::Debug for ClusterConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterConfig")
            .field("node_id", &self.node_id)
            .field("node_url", &self.node_url)
            .field("secret", &self.secret)
            .field("lease_seconds", &self.lease_seconds)
            .finish()
    }
}

/// Whether `id` is a valid `NODE_ID`.
pub fn valid_node_id(id: &str) -> bool {
    (1..=63).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

pub(super) fn cluster(
    node_id: &Option<String>,
    node_url: &Option<String>,
    secret: &Option<String>,
    lease_seconds: &Option<String>,
    database: &crate::db::Location,
) -> Result<Option<ClusterConfig>, ConfigError> {
    let lease_seconds = number(
        "LEASE_SECONDS",
        lease_seconds,
        DEFAULT_LEASE_SECONDS,
        3,
        600,
    )?;
    let Some(node_id) = present(node_id) else {
        if present(node_url).is_some() || present(secret).is_some() {
            return Err(err(
                "NODE_ID",
                "required with NODE_URL or CLUSTER_SECRET (replica mode): this replica's name, [a-z0-9-]{1,63}",
            ));
        }
        return Ok(None);
    };
    if !valid_node_id(node_id) {
        return Err(err(
            "NODE_ID",
            format!("expected 1 to 63 lowercase letters, digits or '-', got {node_id:?}"),
        ));
    }
    let node_url = match present(node_url) {
        None => return Err(err(
            "NODE_URL",
            "required with NODE_ID: the http(s)://host:port the other replicas reach this one at",
        )),
        Some(url) => {
            let rest = url
                .strip_prefix("http://")
                .or_else(|| url.strip_prefix("https://"));
            let url = url.trim_end_matches('/');
            match rest.map(|r| r.trim_end_matches('/')) {
                Some(host) if !host.is_empty() && !host.contains(['/', '?', '#', '@', ' ']) => {
                    url.to_string()
                }
                _ => {
                    return Err(err(
                        "NODE_URL",
                        format!("expected http(s)://host:port with no path, got {url:?}"),
                    ))
                }
            }
        }
    };
    let secret = match secret.as_deref() {
        None | Some("") => {
            return Err(err(
                "CLUSTER_SECRET",
                format!("required with NODE_ID: the secret every replica shares, at least {MIN_CLUSTER_SECRET_LEN} characters"),
            ))
        }
        Some(s) if s.chars().count() < MIN_CLUSTER_SECRET_LEN => {
            return Err(err(
                "CLUSTER_SECRET",
                format!(
                    "expected at least {MIN_CLUSTER_SECRET_LEN} characters, got {}",
                    s.chars().count()
                ),
            ))
        }
        Some(s) => Secret::new(s),
    };
    if !matches!(database, crate::db::Location::Postgres(_)) {
        return Err(err(
            "DATABASE_URL",
            "replica mode (NODE_ID) needs a PostgreSQL database shared by every replica (postgres://…), not SQLite",
        ));
    }
    Ok(Some(ClusterConfig {
        node_id: node_id.to_string(),
        node_url,
        secret,
        lease_seconds,
    }))
}
