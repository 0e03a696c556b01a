//! `claude-sdk-pattern healthcheck`: asks the running server's liveness endpoint and exits
//! 0 (alive) or 1, for a container `HEALTHCHECK` that needs no curl.
//!
//! It checks *liveness* (`/api/v1/health/live`), not readiness: a server at capacity, with
//! its pool refilling, or draining at shutdown answers readiness 503 yet is healthy, and an
//! orchestrator that restarts "unhealthy" containers would cut every live session.
//!
//! The server's address comes from the same `HOST` and `PORT` variables, so inside the
//! container the check reaches the server it runs beside. Every step has a bound: the whole
//! check gives up after [`TIMEOUT`].

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// Upper bound for the whole check (connect, request, response).
pub const TIMEOUT: Duration = Duration::from_secs(3);

pub const LIVE_PATH: &str = "/api/v1/health/live";

/// Where the server listens, from `HOST` and `PORT` (defaults 127.0.0.1 and 8000); a
/// wildcard listen address is reached over loopback.
pub fn target(host: Option<&str>, port: Option<&str>) -> Result<SocketAddr, String> {
    let port: u16 = match port.map(str::trim).filter(|p| !p.is_empty()) {
        None => 8000,
        Some(text) => match text.parse() {
            Ok(0) => return Err("PORT is 0 (any free port): no address to check".to_string()),
            Ok(p) => p,
            Err(_) => return Err(format!("PORT: expected a port number, got {text:?}")),
        },
    };
    let ip = match host.map(str::trim).filter(|h| !h.is_empty()) {
        None | Some("localhost") => IpAddr::V4(Ipv4Addr::LOCALHOST),
        Some(text) => match text.parse::<IpAddr>() {
            Ok(ip) if ip.is_unspecified() && ip.is_ipv6() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            Ok(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            Ok(ip) => ip,
            Err(_) => return Err(format!("HOST: expected an IP address, got {text:?}")),
        },
    };
    Ok(SocketAddr::new(ip, port))
}

/// One `GET /api/v1/health/live` over HTTP/1.1; Ok when the server answers 200.
pub fn check(addr: SocketAddr, timeout: Duration) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    let left = || {
        deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| format!("no answer from {addr} within {}s", timeout.as_secs()))
    };
    let mut stream = TcpStream::connect_timeout(&addr, left()?)
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    stream
        .set_write_timeout(Some(left()?))
        .map_err(|e| e.to_string())?;
    let request = format!("GET {LIVE_PATH} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("cannot send the request to {addr}: {e}"))?;
    // The status line is all that matters; read until it is complete.
    let mut head = Vec::new();
    let mut buf = [0u8; 512];
    while !head.contains(&b'\n') && head.len() < 4096 {
        stream
            .set_read_timeout(Some(left()?))
            .map_err(|e| e.to_string())?;
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
            Err(e) => return Err(format!("no answer from {addr}: {e}")),
        }
    }
    let status_line = String::from_utf8_lossy(&head);
    let status_line = status_line.lines().next().unwrap_or("").trim();
    let mut parts = status_line.split_whitespace();
    match (parts.next(), parts.next()) {
        (Some(version), Some("200")) if version.starts_with("HTTP/1.") => Ok(()),
        (Some(version), Some(code)) if version.starts_with("HTTP/") => {
            Err(format!("{LIVE_PATH} answered HTTP {code}"))
        }
        _ => Err(format!("{addr} did not answer HTTP ({status_line:?})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A one-shot server answering `response` to the first connection.
    fn serve_once(response: &'static str) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            if let Ok((mut s, _)) = listener.accept() {
                let mut buf = [0u8; 1024];
                let n = s.read(&mut buf).unwrap_or(0);
                let req = String::from_utf8_lossy(&buf[..n]).into_owned();
                assert!(
                    req.starts_with("GET /api/v1/health/live HTTP/1.1\r\n"),
                    "{req}"
                );
                let _ = s.write_all(response.as_bytes());
            }
        });
        addr
    }

    #[test]
    fn the_address_follows_host_and_port() {
        assert_eq!(target(None, None).unwrap().to_string(), "127.0.0.1:8000");
        assert_eq!(
            target(Some("0.0.0.0"), Some("9000")).unwrap().to_string(),
            "127.0.0.1:9000"
        );
        assert_eq!(
            target(Some("::"), Some("")).unwrap().to_string(),
            "[::1]:8000"
        );
        assert_eq!(
            target(Some("10.1.2.3"), None).unwrap().to_string(),
            "10.1.2.3:8000"
        );
        assert!(target(None, Some("0")).is_err());
        assert!(target(None, Some("http")).is_err());
        assert!(target(Some("a-host"), None).is_err());
    }

    #[test]
    fn ok_only_for_200() {
        let ok = serve_once("HTTP/1.1 200 OK\r\ncontent-length: 15\r\n\r\n{\"status\":\"ok\"}");
        assert_eq!(check(ok, TIMEOUT), Ok(()));
        let busy = serve_once("HTTP/1.1 503 Service Unavailable\r\n\r\n");
        assert_eq!(
            check(busy, TIMEOUT).unwrap_err(),
            "/api/v1/health/live answered HTTP 503"
        );
        let garbage = serve_once("SSH-2.0-OpenSSH\r\n");
        assert!(check(garbage, TIMEOUT)
            .unwrap_err()
            .contains("did not answer HTTP"));
    }

    #[test]
    fn a_silent_server_fails_within_the_bound() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let started = Instant::now();
        let e = check(addr, Duration::from_millis(300)).unwrap_err();
        assert!(e.contains("no answer"), "{e}");
        assert!(started.elapsed() < Duration::from_secs(5));
        drop(listener);
    }

    #[test]
    fn nothing_listening_fails() {
        let addr = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        assert!(check(addr, TIMEOUT).unwrap_err().contains("cannot connect"));
    }
}
