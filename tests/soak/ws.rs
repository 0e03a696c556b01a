//! A WebSocket client that reports rather than panics: the soak expects connections to
//! drop (it drops them itself, and the server restarts under it).

use std::net::SocketAddr;
use std::time::Duration;

use actix_codec::Framed;
use awc::ws::{Codec, Frame, Message};
use awc::BoxedSocket;
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;

use crate::helpers::TEST_KEY;

pub struct Conn {
    io: Framed<BoxedSocket, Codec>,
}

pub enum In {
    Frame(Value),
    Closed,
    /// Nothing within the bound.
    Silent,
}

impl Conn {
    pub async fn connect(addr: SocketAddr) -> Result<Conn, String> {
        let req = awc::Client::builder()
            .timeout(Duration::from_secs(30))
            .finish()
            .ws(format!("ws://{addr}/ws/v1/chat"))
            .max_frame_size(8 * 1024 * 1024)
            .header("X-API-Key", TEST_KEY);
        match req.connect().await {
            Ok((_, io)) => Ok(Conn { io }),
            Err(e) => Err(e.to_string()),
        }
    }

    pub async fn send(&mut self, v: &Value) -> bool {
        self.io
            .send(Message::Text(v.to_string().into()))
            .await
            .is_ok()
    }

    /// The next text frame within `within` (pings answered on the way).
    pub async fn recv(&mut self, within: Duration) -> In {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let Ok(item) = tokio::time::timeout_at(deadline, self.io.next()).await else {
                return In::Silent;
            };
            match item {
                Some(Ok(Frame::Text(bytes))) => match serde_json::from_slice(&bytes) {
                    Ok(v) => return In::Frame(v),
                    Err(_) => return In::Closed,
                },
                Some(Ok(Frame::Ping(p))) => {
                    let _ = self.io.send(Message::Pong(p)).await;
                }
                Some(Ok(Frame::Close(_))) | Some(Err(_)) | None => return In::Closed,
                Some(Ok(_)) => {}
            }
        }
    }
}
