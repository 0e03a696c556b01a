//! Replica-to-replica authentication (docs/protocol.md, "Internal endpoints").
//!
//! A replica calling another's `/internal/*` signs the request with the shared
//! `CLUSTER_SECRET`: four headers name the calling node, the user it acts for, the time, and
//! `x-csp-signature` = hex(HMAC-SHA256(CLUSTER_SECRET, "v1\n{method}\n{target}\n{node}\n{user}\n{time}"))
//! where `target` is the request's path with its query (`/internal/v1/ws`,
//! `/internal/v1/rest/sessions/…?purge=true`). The receiver recomputes it and compares in
//! constant time ([`hmac::Mac::verify_slice`]), and accepts a time within
//! [`MAX_SKEW_SECONDS`] of its own clock. The secret itself never travels.
//!
//! What this does not stop: a request captured on the wire can be sent again, to the same
//! target, within the skew window (there is no nonce: the internal port belongs on a private
//! network, docs/operations.md). A changed method, target, node, user or time, another
//! secret, or a time outside the window fails.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::secret::Secret;

/// The calling replica's `NODE_ID`.
pub const NODE_HEADER: &str = "x-csp-node";
/// The user the request acts for (`users.user_id`); the receiver loads it from the store.
pub const USER_HEADER: &str = "x-csp-user";
/// When the request was signed, in Unix seconds.
pub const TIME_HEADER: &str = "x-csp-time";
/// Lowercase hex of the HMAC-SHA256.
pub const SIGNATURE_HEADER: &str = "x-csp-signature";
/// How far a request's time may be from the receiver's clock (either way).
pub const MAX_SKEW_SECONDS: i64 = 60;
/// The version tag the signed text starts with.
const VERSION: &str = "v1";

type HmacSha256 = Hmac<Sha256>;

/// Who a verified internal request is from and for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub node: String,
    pub user: String,
}

/// Why a request was refused (logged by the receiver; the client only sees
/// `cluster_auth_failed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthFailure {
    #[error("a cluster header is missing or not text")]
    MissingHeader,
    #[error("x-csp-time is not a whole number of seconds")]
    BadTime,
    #[error("x-csp-time is more than 60 s away from this replica's clock")]
    StaleTime,
    #[error("the signature does not match")]
    BadSignature,
}

fn text_to_sign(method: &str, target: &str, node: &str, user: &str, time: i64) -> String {
    format!("{VERSION}\n{method}\n{target}\n{node}\n{user}\n{time}")
}

fn mac(secret: &Secret) -> HmacSha256 {
    // HMAC takes a key of any length; this cannot fail.
    <HmacSha256 as KeyInit>::new_from_slice(secret.expose().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"))
}

/// The signature of one request.
pub fn sign(
    secret: &Secret,
    method: &str,
    target: &str,
    node: &str,
    user: &str,
    time: i64,
) -> String {
    let mut mac = mac(secret);
    mac.update(text_to_sign(method, target, node, user, time).as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// The four headers of a request `node` sends for `user` to `target`, signed at `now`.
pub fn headers(
    secret: &Secret,
    method: &str,
    target: &str,
    node: &str,
    user: &str,
    now: i64,
) -> [(&'static str, String); 4] {
    [
        (NODE_HEADER, node.to_string()),
        (USER_HEADER, user.to_string()),
        (TIME_HEADER, now.to_string()),
        (
            SIGNATURE_HEADER,
            sign(secret, method, target, node, user, now),
        ),
    ]
}

/// Checks a received request: `header` reads one header by name.
pub fn verify<'a>(
    secret: &Secret,
    method: &str,
    target: &str,
    header: impl Fn(&str) -> Option<&'a str>,
    now: i64,
) -> Result<Verified, AuthFailure> {
    let get = |name| header(name).ok_or(AuthFailure::MissingHeader);
    let (node, user, time, signature) = (
        get(NODE_HEADER)?,
        get(USER_HEADER)?,
        get(TIME_HEADER)?,
        get(SIGNATURE_HEADER)?,
    );
    let time: i64 = time.trim().parse().map_err(|_| AuthFailure::BadTime)?;
    if (now - time).abs() > MAX_SKEW_SECONDS {
        return Err(AuthFailure::StaleTime);
    }
    let presented = unhex(signature.trim()).ok_or(AuthFailure::BadSignature)?;
    let mut mac = mac(secret);
    mac.update(text_to_sign(method, target, node, user, time).as_bytes());
    // Constant time: a forger learns nothing from how long the refusal took.
    mac.verify_slice(&presented)
        .map_err(|_| AuthFailure::BadSignature)?;
    Ok(Verified {
        node: node.to_string(),
        user: user.to_string(),
    })
}

/// Now, in Unix seconds (the server's clock: within the skew window of the others').
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    s.as_bytes()
        .chunks(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const TARGET: &str = "/internal/v1/ws";

    fn secret() -> Secret {
        Secret::new("a-cluster-secret-of-at-least-32-characters")
    }

    fn signed(now: i64) -> HashMap<&'static str, String> {
        headers(&secret(), "GET", TARGET, "n1", "user-1", now)
            .into_iter()
            .collect()
    }

    fn check(
        secret: &Secret,
        method: &str,
        target: &str,
        h: &HashMap<&'static str, String>,
        now: i64,
    ) -> Result<Verified, AuthFailure> {
        verify(
            secret,
            method,
            target,
            |n| h.get(n).map(String::as_str),
            now,
        )
    }

    #[test]
    fn a_signed_request_is_accepted_within_the_window() {
        let h = signed(1_000);
        for now in [1_000, 1_060, 940] {
            let v = check(&secret(), "GET", TARGET, &h, now).unwrap();
            assert_eq!(
                v,
                Verified {
                    node: "n1".into(),
                    user: "user-1".into()
                }
            );
        }
    }

    #[test]
    fn another_secret_fails() {
        let other = Secret::new("another-cluster-secret-of-32-characters-or-more");
        let h = signed(1_000);
        assert_eq!(
            check(&other, "GET", TARGET, &h, 1_000),
            Err(AuthFailure::BadSignature)
        );
    }

    #[test]
    fn a_stale_or_future_time_fails() {
        let h = signed(1_000);
        assert_eq!(
            check(&secret(), "GET", TARGET, &h, 1_061),
            Err(AuthFailure::StaleTime)
        );
        assert_eq!(
            check(&secret(), "GET", TARGET, &h, 939),
            Err(AuthFailure::StaleTime)
        );
        let mut bad = signed(1_000);
        bad.insert(TIME_HEADER, "soon".into());
        assert_eq!(
            check(&secret(), "GET", TARGET, &bad, 1_000),
            Err(AuthFailure::BadTime)
        );
    }

    #[test]
    fn a_replay_on_another_target_or_method_fails() {
        let h = signed(1_000);
        for (method, target) in [
            ("GET", "/internal/v1/rest/sessions"),
            ("GET", "/internal/v1/ws?x=1"),
            ("POST", TARGET),
        ] {
            assert_eq!(
                check(&secret(), method, target, &h, 1_000),
                Err(AuthFailure::BadSignature),
                "{method} {target}"
            );
        }
    }

    #[test]
    fn a_changed_header_fails() {
        for (name, value) in [
            (NODE_HEADER, "n2"),
            (USER_HEADER, "admin-user"),
            (TIME_HEADER, "1001"),
            (SIGNATURE_HEADER, "00"),
            (SIGNATURE_HEADER, "not hex"),
        ] {
            let mut h = signed(1_000);
            h.insert(name, value.into());
            assert_eq!(
                check(&secret(), "GET", TARGET, &h, 1_000),
                Err(AuthFailure::BadSignature),
                "{name}: {value}"
            );
        }
    }

    #[test]
    fn a_missing_header_fails() {
        for name in [NODE_HEADER, USER_HEADER, TIME_HEADER, SIGNATURE_HEADER] {
            let mut h = signed(1_000);
            h.remove(name);
            assert_eq!(
                check(&secret(), "GET", TARGET, &h, 1_000),
                Err(AuthFailure::MissingHeader),
                "{name}"
            );
        }
    }

    #[test]
    fn hex_round_trips() {
        let bytes = [0u8, 1, 0x7f, 0x80, 0xfe, 0xff];
        assert_eq!(hex(&bytes), "00017f80feff");
        assert_eq!(unhex("00017F80feff").unwrap(), bytes);
        assert_eq!(unhex("0"), None);
        assert_eq!(unhex("zz"), None);
    }
}
