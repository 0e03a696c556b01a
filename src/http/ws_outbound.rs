//! A connection's outbound side: every server frame goes through one bounded queue, written
//! in order by a task that owns the socket. A client that does not read fills the queue and
//! is closed (policy), rather than buffered without bound.

use actix::prelude::*;
use actix_ws::{CloseCode, CloseReason};
use slog::warn;
use tokio::sync::mpsc;

use super::WsConn;
use crate::http::error::ApiError;
use crate::protocol::{ControlFrame, ServerFrame};
use crate::session_id::SessionId;

pub(super) enum Out {
    Text(String),
    Ping,
    Pong(actix_web::web::Bytes),
    Close(CloseReason),
}

impl WsConn {
    /// Queues one frame (every frame the server sends goes through here).
    pub(in crate::http) fn send(&mut self, ctx: &mut Context<Self>, frame: impl Into<ServerFrame>) {
        match serde_json::to_string(&frame.into()) {
            Ok(text) => self.push(ctx, Out::Text(text)),
            Err(e) => warn!(self.log, "could not serialize a frame"; "error" => %e),
        }
    }

    /// Queues a frame that is already JSON (an owner's, forwarded as it is).
    pub(in crate::http) fn push_text(&mut self, ctx: &mut Context<Self>, text: String) {
        self.push(ctx, Out::Text(text));
    }

    pub(super) fn push(&mut self, ctx: &mut Context<Self>, out: Out) {
        if self.closing {
            return;
        }
        let sent = self.out.try_send(out);
        if sent.is_ok() {
            crate::metrics::metrics().ws_frames_sent.inc();
        }
        if let Err(mpsc::error::TrySendError::Full(_)) = sent {
            warn!(self.log, "client not reading; closing the connection");
            self.close(ctx, CloseCode::Policy, "too slow: reconnect with after_seq");
        }
    }

    pub(super) fn close(&mut self, ctx: &mut Context<Self>, code: CloseCode, why: &str) {
        if self.closing {
            return;
        }
        // The close goes after whatever is queued (try_send: a full queue drops it and the
        // writer ends the socket anyway when the actor stops).
        let _ = self.out.try_send(Out::Close(CloseReason {
            code,
            description: Some(why.to_string()),
        }));
        self.closing = true;
        ctx.stop();
    }

    pub(in crate::http) fn error(
        &mut self,
        ctx: &mut Context<Self>,
        e: impl Into<ApiError>,
        session_id: Option<SessionId>,
    ) {
        let e = e.into();
        crate::metrics::metrics().error(e.code.as_str());
        self.send(
            ctx,
            ControlFrame::Error {
                code: e.code,
                message: e.message,
                session_id,
            },
        );
    }
}

/// Owns the socket: writes queued frames in order.
pub(super) async fn write_out(mut session: actix_ws::Session, mut rx: mpsc::Receiver<Out>) {
    while let Some(out) = rx.recv().await {
        let sent = match out {
            Out::Text(text) => session.text(text).await,
            Out::Ping => session.ping(b"").await,
            Out::Pong(bytes) => session.pong(&bytes).await,
            Out::Close(reason) => {
                let _ = session.close(Some(reason)).await;
                return;
            }
        };
        if sent.is_err() {
            return;
        }
    }
    let _ = session.close(None).await;
}
