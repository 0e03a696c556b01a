//! A WebSocket test client: connect with a key or ticket, send frames, read frames with a
//! bound. `session_state` frames (sent to every connection, at any moment) are kept aside
//! in `states` rather than returned by `frame()`; `state()` waits for one.

use std::time::Duration;

use actix_codec::Framed;
use awc::ws::{CloseCode, Codec, Frame, Message};
use awc::BoxedSocket;
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;

use crate::helpers::TEST_KEY;

pub struct Ws {
    io: Framed<BoxedSocket, Codec>,
    /// Every text frame received, in order.
    pub seen: Vec<Value>,
    /// `session_state` frames not yet taken by `state()`.
    pub states: std::collections::VecDeque<Value>,
    /// Other frames read while `state()` waited, for `next()`.
    held: std::collections::VecDeque<Value>,
}

/// How the connection ended, if it did.
#[derive(Debug, PartialEq)]
pub enum Next {
    Frame(Value),
    Closed(Option<CloseCode>),
}

pub async fn connect(addr: std::net::SocketAddr) -> Ws {
    connect_with(addr, Some(TEST_KEY), None, None)
        .await
        .unwrap()
}

/// Connects; Err carries the HTTP status of a refused upgrade.
pub async fn connect_with(
    addr: std::net::SocketAddr,
    key: Option<&str>,
    ticket: Option<&str>,
    origin: Option<&str>,
) -> Result<Ws, u16> {
    match open(addr, key, ticket, origin).await {
        Ok(ws) => Ok(ws),
        Err(awc::error::WsClientError::InvalidResponseStatus(s)) => Err(s.as_u16()),
        Err(e) => panic!("websocket connect failed: {e}"),
    }
}

/// Connects with the server's key; Err says why it failed, whatever the reason (for a
/// client that tries again, e.g. through a balancer while a server restarts; used by the
/// replica tests, tests/cluster).
#[allow(dead_code)]
pub async fn try_connect(addr: std::net::SocketAddr) -> Result<Ws, String> {
    open(addr, Some(TEST_KEY), None, None)
        .await
        .map_err(|e| e.to_string())
}

async fn open(
    addr: std::net::SocketAddr,
    key: Option<&str>,
    ticket: Option<&str>,
    origin: Option<&str>,
) -> Result<Ws, awc::error::WsClientError> {
    let mut url = format!("ws://{addr}/ws/v1/chat");
    if let Some(t) = ticket {
        url.push_str(&format!("?ticket={t}"));
    }
    let mut req = awc::Client::builder()
        .timeout(Duration::from_secs(30))
        .finish()
        .ws(url)
        .max_frame_size(16 * 1024 * 1024);
    if let Some(k) = key {
        req = req.header("X-API-Key", k);
    }
    if let Some(o) = origin {
        req = req.origin(o);
    }
    let (_, io) = req.connect().await?;
    Ok(Ws {
        io,
        seen: Vec::new(),
        states: Default::default(),
        held: Default::default(),
    })
}

impl Ws {
    pub async fn send(&mut self, v: Value) {
        self.io
            .send(Message::Text(v.to_string().into()))
            .await
            .unwrap();
    }

    /// Sends `v`; false when the connection is gone (for a client that reconnects: the
    /// replica tests, tests/cluster).
    #[allow(dead_code)]
    pub async fn try_send(&mut self, v: Value) -> bool {
        self.io
            .send(Message::Text(v.to_string().into()))
            .await
            .is_ok()
    }

    pub async fn send_raw(&mut self, m: Message) {
        self.io.send(m).await.unwrap();
    }

    /// The next text frame but a `session_state`, or the close.
    pub async fn next(&mut self) -> Next {
        if let Some(v) = self.held.pop_front() {
            return Next::Frame(v);
        }
        loop {
            match self.next_any().await {
                Next::Frame(v) if v["type"] == "session_state" => self.states.push_back(v),
                other => return other,
            }
        }
    }

    /// The next text frame, or the close (pings are answered and skipped).
    async fn next_any(&mut self) -> Next {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let item = tokio::time::timeout_at(deadline, self.io.next())
                .await
                .unwrap_or_else(|_| panic!("no websocket frame within 60 s; seen {:?}", self.seen));
            match item {
                Some(Ok(Frame::Text(bytes))) => {
                    record(&bytes);
                    let v: Value = serde_json::from_slice(&bytes).unwrap();
                    self.seen.push(v.clone());
                    return Next::Frame(v);
                }
                Some(Ok(Frame::Ping(p))) => {
                    let _ = self.io.send(Message::Pong(p)).await;
                }
                Some(Ok(Frame::Close(reason))) => return Next::Closed(reason.map(|r| r.code)),
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return Next::Closed(None),
            }
        }
    }

    /// Waits at most `within` for the server to close the connection (text frames on the
    /// way are kept in `seen`); the close code and reason, or None when it stayed open.
    pub async fn closed_within(
        &mut self,
        within: Duration,
    ) -> Option<(Option<CloseCode>, Option<String>)> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let item = tokio::time::timeout_at(deadline, self.io.next())
                .await
                .ok()?;
            match item {
                Some(Ok(Frame::Text(bytes))) => {
                    self.seen.push(serde_json::from_slice(&bytes).unwrap());
                }
                Some(Ok(Frame::Ping(p))) => {
                    let _ = self.io.send(Message::Pong(p)).await;
                }
                Some(Ok(Frame::Close(reason))) => {
                    return Some(match reason {
                        Some(r) => (Some(r.code), r.description),
                        None => (None, None),
                    })
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return Some((None, None)),
            }
        }
    }

    /// The next text frame (panics on close).
    pub async fn frame(&mut self) -> Value {
        match self.next().await {
            Next::Frame(v) => v,
            Next::Closed(c) => panic!(
                "closed ({c:?}) while waiting for a frame; seen {:?}",
                self.seen
            ),
        }
    }

    /// Frames up to and including the first of type `ty`.
    pub async fn until(&mut self, ty: &str) -> Vec<Value> {
        let mut out = Vec::new();
        loop {
            let f = self.frame().await;
            let done = f["type"] == ty;
            out.push(f);
            if done {
                return out;
            }
        }
    }

    /// The first `session_state` (kept or coming) of `session_id` in `state`; earlier ones
    /// are dropped. Other frames that arrive meanwhile wait for `next()`.
    pub async fn state(&mut self, session_id: &str, state: &str) -> Value {
        self.state_where(session_id, |s| s["state"] == state).await
    }

    /// The first `session_state` of `session_id` that `pred` accepts (as [`Ws::state`]).
    pub async fn state_where(&mut self, session_id: &str, pred: impl Fn(&Value) -> bool) -> Value {
        loop {
            while let Some(s) = self.states.pop_front() {
                if s["session_id"] == session_id && pred(&s) {
                    return s;
                }
            }
            match self.next_any().await {
                Next::Frame(v) if v["type"] == "session_state" => self.states.push_back(v),
                Next::Frame(v) => self.held.push_back(v),
                Next::Closed(c) => {
                    panic!(
                        "closed ({c:?}) waiting for a session_state; seen {:?}",
                        self.seen
                    )
                }
            }
        }
    }

    /// Frames up to the end of the current turn.
    pub async fn turn(&mut self) -> Vec<Value> {
        let mut out = Vec::new();
        loop {
            let f = self.frame().await;
            let done = matches!(
                f["type"].as_str(),
                Some("response_complete" | "stream_error" | "stream_interrupted")
            );
            out.push(f);
            if done {
                return out;
            }
        }
    }
}

pub fn deltas(frames: &[Value]) -> String {
    frames
        .iter()
        .filter(|f| f["type"] == "stream_delta")
        .map(|f| f["text"].as_str().unwrap())
        .collect()
}

/// Opens a raw WebSocket (handshake by hand), sends `first` as raw frame bytes (if any),
/// never answers anything, and returns (pings seen, the close code the server sent).
pub async fn raw_until_close(
    addr: std::net::SocketAddr,
    first: Option<&[u8]>,
) -> (usize, Option<u16>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "GET /ws/v1/chat HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
         X-API-Key: {TEST_KEY}\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    if let Some(bytes) = first {
        s.write_all(bytes).await.unwrap();
    }
    let mut pings = 0;
    let read = async {
        loop {
            let mut h = [0u8; 2];
            s.read_exact(&mut h).await.ok()?;
            let opcode = h[0] & 0x0f;
            let mut len = u64::from(h[1] & 0x7f);
            if len == 126 {
                let mut l = [0u8; 2];
                s.read_exact(&mut l).await.ok()?;
                len = u64::from(u16::from_be_bytes(l));
            } else if len == 127 {
                let mut l = [0u8; 8];
                s.read_exact(&mut l).await.ok()?;
                len = u64::from_be_bytes(l);
            }
            let mut payload = vec![0u8; len as usize];
            s.read_exact(&mut payload).await.ok()?;
            if opcode == 9 {
                pings += 1;
            }
            if opcode == 8 {
                return (payload.len() >= 2).then(|| u16::from_be_bytes([payload[0], payload[1]]));
            }
        }
    };
    let code = tokio::time::timeout(Duration::from_secs(30), read)
        .await
        .ok()
        .flatten();
    (pings, code)
}

/// Sends one *text* frame whose payload is not UTF-8; returns the close code.
pub async fn close_code_for_invalid_utf8(addr: std::net::SocketAddr) -> Option<u16> {
    // FIN + text, masked (key 0), 2 bytes that are not UTF-8.
    raw_until_close(addr, Some(&[0x81, 0x82, 0, 0, 0, 0, 0xff, 0xfe]))
        .await
        .1
}

/// With `RECORD_WS_FRAMES=<file>`, every frame the server sends is appended to the file (one
/// JSON per line): how `web/src/types/fixtures/server-frames.jsonl`, the web client's parser
/// fixture, is refreshed from real server frames.
fn record(frame: &[u8]) {
    use std::io::Write;
    if let Some(path) = std::env::var_os("RECORD_WS_FRAMES") {
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = f.write_all(frame);
            let _ = f.write_all(b"\n");
        }
    }
}
