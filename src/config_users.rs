//! The settings about users: quotas (`MAX_SESSIONS_PER_USER`, `DAILY_SPEND_LIMIT_USD`) and
//! single sign-on through a trusted proxy (`AUTH_TRUSTED_HEADER`, `AUTH_TRUSTED_PROXIES`).

use super::{err, number, present, ConfigError};
use crate::cidr::Cidr;

/// The server-wide quotas of each user (an admin can override them per user).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Quotas {
    /// Live sessions a user may hold at once; None: only `MAX_SESSIONS` limits them.
    pub max_sessions_per_user: Option<usize>,
    /// What a user may spend per UTC day, in US dollars; None: no limit.
    pub daily_spend_limit_usd: Option<f64>,
}

/// Single sign-on: the user name in `header`, believed only from `proxies`.
#[derive(Debug, Clone, PartialEq)]
pub struct TrustedHeader {
    /// The header's name (e.g. `X-Forwarded-User`).
    pub header: String,
    /// The peer addresses (of the TCP connection itself) it is believed from.
    pub proxies: Vec<Cidr>,
}

impl TrustedHeader {
    /// Whether a request from `peer` may name its user in the header.
    pub fn trusts(&self, peer: std::net::IpAddr) -> bool {
        self.proxies.iter().any(|c| c.contains(peer))
    }
}

pub(super) fn quotas(
    max_sessions_per_user: &Option<String>,
    daily_spend_limit_usd: &Option<String>,
) -> Result<Quotas, ConfigError> {
    let max_sessions_per_user = match present(max_sessions_per_user) {
        None => None,
        Some(_) => Some(number(
            "MAX_SESSIONS_PER_USER",
            max_sessions_per_user,
            1usize,
            1,
            1000,
        )?),
    };
    let daily_spend_limit_usd = match present(daily_spend_limit_usd) {
        None => None,
        Some(text) => Some(dollars("DAILY_SPEND_LIMIT_USD", text)?),
    };
    Ok(Quotas {
        max_sessions_per_user,
        daily_spend_limit_usd,
    })
}

/// An amount of US dollars ≥ 0 (`5`, `0.50`).
pub fn dollars(var: &'static str, text: &str) -> Result<f64, ConfigError> {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(err(
            var,
            format!("expected an amount of US dollars such as 5 or 0.50, got {text:?}"),
        )),
    }
}

pub(super) fn trusted_header(
    header: &Option<String>,
    proxies: &Option<String>,
) -> Result<Option<TrustedHeader>, ConfigError> {
    let (header, proxies) = match (present(header), present(proxies)) {
        (None, None) => return Ok(None),
        (Some(_), None) => {
            return Err(err(
                "AUTH_TRUSTED_PROXIES",
                "required with AUTH_TRUSTED_HEADER: the addresses (CIDRs) of the proxies allowed to set it",
            ))
        }
        (None, Some(_)) => {
            return Err(err(
                "AUTH_TRUSTED_HEADER",
                "required with AUTH_TRUSTED_PROXIES: the header that carries the user name, e.g. X-Forwarded-User",
            ))
        }
        (Some(h), Some(p)) => (h, p),
    };
    let valid_name = !header.is_empty()
        && header
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !valid_name || header.eq_ignore_ascii_case(crate::http::auth::API_KEY_HEADER) {
        return Err(err(
            "AUTH_TRUSTED_HEADER",
            format!("expected a header name such as X-Forwarded-User, got {header:?}"),
        ));
    }
    let proxies = proxies
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            Cidr::parse(p).ok_or_else(|| {
                err(
                    "AUTH_TRUSTED_PROXIES",
                    format!(
                        "expected a comma-separated list of addresses or CIDRs such as 127.0.0.1 or 10.0.0.0/8, got {p:?}"
                    ),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(TrustedHeader {
        header: header.to_string(),
        proxies,
    }))
}
