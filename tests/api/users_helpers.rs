//! Users for the team tests: added over the admin REST API with the server's key (the
//! bootstrap admin), and requests made with their keys.

use serde_json::{json, Value};

use crate::engine_harness::Harness;
use crate::helpers::{call, TEST_KEY, WAIT};

/// A user added for a test, with its first key.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub user_id: String,
    pub key: String,
}

fn client() -> awc::Client {
    awc::Client::builder().timeout(WAIT).finish()
}

/// A request to `url` with `key`.
pub fn with_key(method: &str, url: &str, key: &str) -> awc::ClientRequest {
    client()
        .request(method.parse().unwrap(), url)
        .insert_header(("X-API-Key", key))
}

impl Harness {
    /// `method path` with `key` (and a JSON `body`); status and JSON body.
    pub async fn call_as(
        &self,
        key: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let req = with_key(method, &self.url(path), key);
        match body {
            Some(b) => {
                let req = req.insert_header(("Content-Type", "application/json"));
                call(req, Some(&b.to_string())).await
            }
            None => call(req, None).await,
        }
    }

    /// Adds user `name` (`admin` or `member`) as the bootstrap admin.
    pub async fn add_user(&self, name: &str, role: &str) -> TestUser {
        let (status, body) = self
            .call_as(
                TEST_KEY,
                "POST",
                "/api/v1/users",
                Some(json!({"name": name, "role": role})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        TestUser {
            user_id: body["user"]["user_id"].as_str().unwrap().to_string(),
            key: body["api_key"].as_str().unwrap().to_string(),
        }
    }

    /// Creates a session as `key` over REST; its id.
    pub async fn create_as(&self, key: &str) -> String {
        let (status, body) = self.call_as(key, "POST", "/api/v1/sessions", None).await;
        assert_eq!(status, 201, "{body}");
        body["session_id"].as_str().unwrap().to_string()
    }

    /// The ids of the sessions `key` lists.
    pub async fn listed_as(&self, key: &str) -> Vec<String> {
        let (status, body) = self.call_as(key, "GET", "/api/v1/sessions", None).await;
        assert_eq!(status, 200, "{body}");
        body["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["session_id"].as_str().unwrap().to_string())
            .collect()
    }
}

/// One raw HTTP/1.1 request from the local address `from` (another loopback address makes
/// the server see another peer); the status and the JSON body.
pub async fn raw_request(
    from: std::net::IpAddr,
    to: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(std::net::SocketAddr::new(from, 0)).unwrap();
    let mut stream = socket.connect(to).await.unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {to}\r\nConnection: close\r\n");
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("Content-Length: 0\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(WAIT, stream.read_to_end(&mut raw))
        .await
        .expect("no answer in time")
        .unwrap();
    let text = String::from_utf8_lossy(&raw);
    let status: u16 = text.split(' ').nth(1).unwrap().parse().unwrap();
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    // The body may be chunked: take the JSON object in it.
    let json = match (body.find('{'), body.rfind('}')) {
        (Some(a), Some(b)) => serde_json::from_str(&body[a..=b]).unwrap_or(Value::Null),
        _ => Value::Null,
    };
    (status, json)
}
