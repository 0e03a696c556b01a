//! One WebSocket connection as an actix actor: reads the `actix-ws` stream, validates and
//! routes client frames to the engine, and writes server frames through one bounded
//! outbound queue (a writer task owns the socket). A client that cannot keep up is closed
//! rather than buffered without bound; it reconnects with `after_seq` and loses nothing.
//!
//! Heartbeat: a ping every 5 s; 10 s without any frame from the client closes the
//! connection. Every stop path unsubscribes from the session and leaves the registry.
//!
//! The actor's parts, each a child module in a file beside this one: `ws_outbound.rs` (the
//! queue and the writer task), `ws_frames.rs` (each client frame handled here),
//! `ws_subscription.rs` (the session viewed: history, replay, live events) and
//! `ws_shutdown.rs` (the server draining). `ws_states.rs` and `ws_forward.rs` are siblings.

use std::time::{Duration, Instant};

use actix::prelude::*;
use actix_ws::{CloseCode, CloseReason, Message, MessageStream, ProtocolError};
use slog::{debug, o, Logger};
use tokio::sync::mpsc;

pub use super::connections::{CloseForShutdown, Connections, ServerShuttingDown};
use super::error::ApiError;
use super::AppState;
use crate::protocol::{client, ClientFrame, ErrorCode, SessionEvent};
use crate::session_id::SessionId;
use crate::users::Caller;

#[path = "ws_outbound.rs"]
mod outbound;
use outbound::{write_out, Out};

#[path = "ws_frames.rs"]
mod frames;

#[path = "ws_subscription.rs"]
mod subscription;

#[path = "ws_shutdown.rs"]
mod shutdown;

pub const HEARTBEAT: Duration = Duration::from_secs(5);
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);
/// Frames waiting for the socket; past this the client is too slow and is closed.
pub const OUTBOUND_QUEUE: usize = 4096;

use super::connections::Revoked;
pub struct WsConn {
    pub(super) state: AppState,
    /// Who opened the connection: every frame acts as this caller.
    pub(super) caller: Caller,
    out: mpsc::Sender<Out>,
    out_rx: Option<mpsc::Receiver<Out>>,
    session: Option<actix_ws::Session>,
    stream: Option<MessageStream>,
    last_heard: Instant,
    /// The session this connection receives events of.
    pub(super) current: Option<SessionId>,
    /// Session events held back until `session_history` has been sent.
    held: Option<Vec<SessionEvent>>,
    /// `server_shutting_down` was sent.
    told_shutdown: bool,
    /// Its watch of the owner's `session_state`s (`ws_states.rs`).
    state_watch: Option<crate::actors::state_feed::WatchId>,
    closing: bool,
    pub(super) log: Logger,
    /// Replica mode, on a browser's connection: frames about sessions other replicas run
    /// go there (`ws_forward.rs`). None outside replica mode and on an internal connection.
    pub(super) fwd: Option<super::ws_forward::Forwarding>,
}

impl WsConn {
    pub fn new(
        state: AppState,
        caller: Caller,
        session: actix_ws::Session,
        stream: MessageStream,
    ) -> WsConn {
        let forwards = state.cluster.enabled();
        let mut conn = WsConn::new_internal(state, caller, session, stream);
        conn.fwd = forwards.then(Default::default);
        conn
    }

    /// A connection that handles every frame here: a browser's outside replica mode, or
    /// another replica's (`GET /internal/v1/ws`), which never forwards again.
    pub fn new_internal(
        state: AppState,
        caller: Caller,
        session: actix_ws::Session,
        stream: MessageStream,
    ) -> WsConn {
        let (out, out_rx) = mpsc::channel(OUTBOUND_QUEUE);
        let log = state.log.new(o!(
            "conn_id" => uuid::Uuid::new_v4().simple().to_string(),
            "user_id" => caller.user_id.clone(),
        ));
        WsConn {
            state,
            caller,
            out,
            out_rx: Some(out_rx),
            session: Some(session),
            stream: Some(stream),
            last_heard: Instant::now(),
            current: None,
            held: None,
            told_shutdown: false,
            state_watch: None,
            closing: false,
            log,
            fwd: None,
        }
    }

    /// Handles a client frame: here, or (replica mode) where its session runs.
    fn route(&mut self, ctx: &mut Context<Self>, frame: ClientFrame) {
        match self.fwd {
            Some(_) => self.route_cluster(ctx, frame),
            None => self.route_local(ctx, frame),
        }
    }
}

impl Actor for WsConn {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        // Session events arrive through this mailbox (the session never waits on a
        // connection; past a full mailbox it still queues: actors/delivery.rs, and the
        // outbound queue's bound closes a client that does not read). actix's default of 16 is one
        // burst of tokens; match the outbound queue instead.
        ctx.set_mailbox_capacity(OUTBOUND_QUEUE);
        if let (Some(session), Some(rx)) = (self.session.take(), self.out_rx.take()) {
            actix::spawn(write_out(session, rx));
        }
        if let Some(stream) = self.stream.take() {
            ctx.add_stream(stream);
        }
        self.state
            .connections
            .add(ctx.address(), self.caller.clone());
        ctx.run_interval(HEARTBEAT, |act, ctx| {
            if act.last_heard.elapsed() > CLIENT_TIMEOUT {
                debug!(act.log, "client silent; closing");
                act.close(ctx, CloseCode::Away, "no heartbeat");
                return;
            }
            act.push(ctx, Out::Ping);
        });
        self.send_session_list(ctx);
        self.state_watch = Some(self.watch_states(ctx));
        // Connected while the server drains: told at once, like the others.
        if let Some(deadline) = self.state.engine.draining_until() {
            self.tell_shutdown(ctx, deadline);
        }
    }

    fn stopping(&mut self, ctx: &mut Context<Self>) -> Running {
        self.leave_current(ctx, None);
        self.state.connections.remove(&ctx.address());
        if let Some(w) = self.state_watch.take() {
            self.state.engine.states.unwatch(w);
        }
        Running::Stop
    }
}

impl StreamHandler<Result<Message, ProtocolError>> for WsConn {
    fn handle(&mut self, item: Result<Message, ProtocolError>, ctx: &mut Context<Self>) {
        self.last_heard = Instant::now();
        match item {
            Ok(Message::Text(text)) => match client::parse(&text) {
                Ok(frame) => self.route(ctx, frame),
                Err(e) => self.error(ctx, e, None),
            },
            Ok(Message::Binary(_)) => {
                let e = ApiError::new(
                    ErrorCode::InvalidJson,
                    "Binary frames are not accepted; send JSON text frames.",
                );
                self.error(ctx, e, None);
            }
            // Answered through the same queue, so it never overtakes other frames.
            Ok(Message::Ping(bytes)) => self.push(ctx, Out::Pong(bytes)),
            Ok(Message::Pong(_)) | Ok(Message::Continuation(_)) | Ok(Message::Nop) => {}
            Ok(Message::Close(_)) => {
                self.closing = true;
                let _ = self.out.try_send(Out::Close(CloseReason {
                    code: CloseCode::Normal,
                    description: None,
                }));
                ctx.stop();
            }
            Err(ProtocolError::Overflow) => {
                self.close(ctx, CloseCode::Size, "frame over 1 MiB");
            }
            Err(e) => {
                let text = e.to_string();
                if text.to_ascii_lowercase().contains("utf") {
                    self.close(ctx, CloseCode::Invalid, "text frame is not valid UTF-8");
                } else {
                    debug!(self.log, "protocol error"; "error" => text);
                    self.close(ctx, CloseCode::Protocol, "protocol error");
                }
            }
        }
    }

    fn finished(&mut self, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}

impl Handler<Revoked> for WsConn {
    type Result = ();

    fn handle(&mut self, msg: Revoked, ctx: &mut Context<Self>) {
        slog::info!(self.log, "closing the connection"; "reason" => msg.reason);
        self.close(ctx, CloseCode::Policy, msg.reason);
    }
}
