//! Single sign-on through a trusted proxy: `AUTH_TRUSTED_HEADER` names the user only when
//! the TCP peer is in `AUTH_TRUSTED_PROXIES`. The test client binds its socket to
//! 127.0.0.2 to be "the proxy", and to 127.0.0.1 to be anyone else.

use std::net::{IpAddr, Ipv4Addr};

use serde_json::json;

use crate::engine_harness::harness;
use crate::helpers::TEST_KEY;
use crate::users_helpers::raw_request;

const PROXY: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
const OTHER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));
const HEADER: &str = "X-Forwarded-User";

/// The status line of a WebSocket upgrade sent from `from` with `headers`.
async fn upgrade_status(
    from: IpAddr,
    to: std::net::SocketAddr,
    headers: &[(&str, &str)],
) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(std::net::SocketAddr::new(from, 0)).unwrap();
    let mut s = socket.connect(to).await.unwrap();
    let mut req = format!(
        "GET /ws/v1/chat HTTP/1.1\r\nHost: {to}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n") {
        s.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    String::from_utf8_lossy(&head).trim().to_string()
}

#[actix_web::test]
async fn the_trusted_header_works_from_the_proxy_only() {
    let h = harness(&[
        ("AUTH_TRUSTED_HEADER", HEADER),
        ("AUTH_TRUSTED_PROXIES", "127.0.0.2/32, 10.0.0.0/8"),
    ])
    .await;
    let carol = [(HEADER, "carol@example.com")];

    // From the proxy: the user, created on first sight as a member, the same one after.
    let (status, me) = raw_request(PROXY, h.addr, "GET", "/api/v1/me", &carol).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(
        (me["name"].as_str(), me["role"].as_str()),
        (Some("carol@example.com"), Some("member"))
    );
    let (_, again) = raw_request(PROXY, h.addr, "GET", "/api/v1/me", &carol).await;
    assert_eq!(again, me);
    let (status, created) = raw_request(PROXY, h.addr, "POST", "/api/v1/sessions", &carol).await;
    assert_eq!(status, 201, "{created}");
    let (_, all) = h.call_as(TEST_KEY, "GET", "/api/v1/sessions", None).await;
    assert_eq!(all["sessions"][0]["user_name"], "carol@example.com");
    assert!(upgrade_status(PROXY, h.addr, &carol)
        .await
        .starts_with("HTTP/1.1 101"));

    // From anywhere else the header means nothing, whatever it claims.
    for name in ["carol@example.com", "admin", "someone-new"] {
        let header = [(HEADER, name)];
        let (status, body) = raw_request(OTHER, h.addr, "GET", "/api/v1/me", &header).await;
        assert_eq!(status, 401, "{name}: {body}");
        assert_eq!(
            body,
            json!({"error": "unauthorized", "message": "Invalid API key"})
        );
        assert!(upgrade_status(OTHER, h.addr, &header)
            .await
            .starts_with("HTTP/1.1 401"));
    }
    let with_key = [(HEADER, "carol@example.com"), ("X-API-Key", TEST_KEY)];
    let (_, me) = raw_request(OTHER, h.addr, "GET", "/api/v1/me", &with_key).await;
    assert_eq!(me["name"], "admin", "the key decides, not the header");
    let (_, users) = h.call_as(TEST_KEY, "GET", "/api/v1/users", None).await;
    let names: Vec<&str> = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec!["admin", "carol@example.com"],
        "no user made from elsewhere"
    );

    // From the proxy: no header → the key; the bootstrap admin's name, a malformed name or a
    // disabled user → 401.
    let (_, me) = raw_request(
        PROXY,
        h.addr,
        "GET",
        "/api/v1/me",
        &[("X-API-Key", TEST_KEY)],
    )
    .await;
    assert_eq!(me["name"], "admin");
    for name in ["admin", "two words", ""] {
        let (status, _) = raw_request(PROXY, h.addr, "GET", "/api/v1/me", &[(HEADER, name)]).await;
        assert_eq!(status, 401, "{name:?}");
    }
    let carol_id = users["users"][1]["user_id"].as_str().unwrap().to_string();
    let (status, _) = h
        .call_as(
            TEST_KEY,
            "DELETE",
            &format!("/api/v1/users/{carol_id}"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = raw_request(PROXY, h.addr, "GET", "/api/v1/me", &carol).await;
    assert_eq!(status, 401);
    h.stop().await;
}
