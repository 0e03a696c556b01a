//! One WebSocket connection as an actix actor: reads the `actix-ws` stream, validates and
//! routes client frames to the engine, and writes server frames through one bounded
//! outbound queue (a writer task owns the socket). A client that cannot keep up is closed
//! rather than buffered without bound; it reconnects with `after_seq` and loses nothing.
//!
//! Heartbeat: a ping every 5 s; 10 s without any frame from the client closes the
//! connection. Every stop path unsubscribes from the session and leaves the registry.

use std::time::{Duration, Instant};

use actix::prelude::*;
use actix_ws::{CloseCode, CloseReason, Message, MessageStream, ProtocolError};
use slog::{debug, o, warn, Logger};
use tokio::sync::mpsc;

pub use super::connections::{CloseForShutdown, Connections, ServerShuttingDown};
use super::error::ApiError;
use super::AppState;
use crate::actors::messages::AnswerPermission;
use crate::actors::EngineError;
use crate::protocol::attachments;
use crate::protocol::{
    client, shutting_down_message, ClientFrame, ControlFrame, ErrorCode, EventBody, HistoryMessage,
    ServerFrame, SessionEvent,
};
use crate::session_id::SessionId;
use crate::users::Caller;

pub const HEARTBEAT: Duration = Duration::from_secs(5);
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);
/// Frames waiting for the socket; past this the client is too slow and is closed.
pub const OUTBOUND_QUEUE: usize = 4096;

enum Out {
    Text(String),
    Ping,
    Pong(actix_web::web::Bytes),
    Close(CloseReason),
}

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

    /// Queues one frame (every frame the server sends goes through here).
    pub(super) fn send(&mut self, ctx: &mut Context<Self>, frame: impl Into<ServerFrame>) {
        match serde_json::to_string(&frame.into()) {
            Ok(text) => self.push(ctx, Out::Text(text)),
            Err(e) => warn!(self.log, "could not serialize a frame"; "error" => %e),
        }
    }

    /// Queues a frame that is already JSON (an owner's, forwarded as it is).
    pub(super) fn push_text(&mut self, ctx: &mut Context<Self>, text: String) {
        self.push(ctx, Out::Text(text));
    }

    fn push(&mut self, ctx: &mut Context<Self>, out: Out) {
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

    fn close(&mut self, ctx: &mut Context<Self>, code: CloseCode, why: &str) {
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

    pub(super) fn error(
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

    /// The caller's sessions (an admin's: every session, with its owner's name).
    fn send_session_list(&mut self, ctx: &mut Context<Self>) {
        let db = self.state.db.clone();
        let caller = self.caller.clone();
        let scope = super::find::scope_of(&caller);
        let first_page = crate::db::ListQuery {
            limit: crate::db::DEFAULT_PAGE,
            ..Default::default()
        };
        ctx.spawn(
            async move {
                let page = db.list_sessions(&scope, first_page).await?;
                let sessions = super::find::named(&db, &caller, &page.sessions).await?;
                Ok::<_, crate::db::DbError>((sessions, page.next_cursor))
            }
            .into_actor(self)
            .map(|page, act, ctx| match page {
                Ok((sessions, next_cursor)) => {
                    act.send(
                        ctx,
                        ControlFrame::SessionList {
                            sessions,
                            next_cursor: next_cursor.map(|c| c.encode()),
                        },
                    );
                }
                Err(e) => {
                    warn!(act.log, "could not list sessions"; "error" => %e);
                    act.error(ctx, EngineError::StoreFailed, None);
                }
            }),
        );
    }

    /// Makes this connection the receiver of `session_id`'s events: history first (stored
    /// messages before the replayed turn), then the turn's events after `after_seq`, then
    /// live ones. `history` false skips the history (the client has it).
    fn switch(
        &mut self,
        ctx: &mut Context<Self>,
        session_id: SessionId,
        after_seq: u64,
        history: bool,
        then: Option<ClientFrame>,
    ) {
        if self.fwd.is_some() {
            self.viewing_local(ctx);
        }
        self.leave_current(ctx, Some(&session_id));
        self.current = Some(session_id.clone());
        self.held = history.then(Vec::new);
        let engine = self.state.engine.clone();
        let db = self.state.db.clone();
        let me = ctx.address().recipient();
        let switched_to = session_id.clone();
        let caller = self.caller.clone();
        ctx.spawn(
            async move {
                let sub = engine
                    .subscribe(&caller, &session_id, me, after_seq)
                    .await?;
                let messages = if history {
                    let all = db
                        .messages(session_id.as_str(), 0)
                        .await
                        .map_err(|_| EngineError::StoreFailed)?;
                    Some(
                        all.into_iter()
                            .filter(|m| sub.replay_since.is_none_or(|t| m.created_at < t))
                            .collect::<Vec<_>>(),
                    )
                } else {
                    None
                };
                Ok::<_, EngineError>((session_id, sub, messages))
            }
            .into_actor(self)
            .map(move |result, act, ctx| match result {
                Ok((session_id, sub, messages)) => {
                    if let Some(messages) = messages {
                        // `last_event_seq` is this subscription's: the replay that follows
                        // ends at it. Below the client's `after_seq`, the server restarted.
                        // `turn_running` false: no reply is on its way (a client that sent a
                        // message just before a drop learns that it never arrived).
                        let frame = ControlFrame::SessionHistory {
                            session_id,
                            last_event_seq: sub.last_event_seq,
                            turn_running: sub.turn_running,
                            messages: messages.into_iter().map(HistoryMessage::from).collect(),
                        };
                        act.send(ctx, frame);
                    }
                    for event in act.held.take().unwrap_or_default() {
                        act.forward(ctx, event);
                    }
                    if let Some(frame) = then {
                        act.route_local(ctx, frame);
                    }
                }
                Err(e) => {
                    act.held = None;
                    act.current = None;
                    // The error names the session it is about (the one switched to).
                    act.error(ctx, e, Some(switched_to));
                }
            }),
        );
    }

    /// Stops viewing the current session, unless it is `next` (subscribing to it again
    /// replaces the subscription: unsubscribing too could land after it, on the new one).
    pub(super) fn leave_current(&mut self, ctx: &mut Context<Self>, next: Option<&SessionId>) {
        if let Some(old) = self.current.take().filter(|old| Some(old) != next) {
            let engine = self.state.engine.clone();
            let me = ctx.address().recipient();
            actix::spawn(async move { engine.unsubscribe(&old, me).await });
        }
        self.held = None;
    }

    fn forward(&mut self, ctx: &mut Context<Self>, event: SessionEvent) {
        if self.current.as_ref() != Some(&event.session_id) {
            return; // a stale event of a session we left
        }
        if let EventBody::SessionOpenedElsewhere { message } = &event.body {
            let e = ApiError::new(ErrorCode::SessionOpenedElsewhere, message.clone());
            self.current = None;
            self.error(ctx, e, Some(event.session_id));
            return;
        }
        // After `session_terminated` the connection still views the session, though the
        // subscription ended with its process: a message from it wakes the session (if it
        // can be) and the woken process sends the turn here (`Engine::query_with`). Also a
        // message sent before this event arrived, which met the session as it stopped.
        self.send(ctx, event);
    }

    /// Handles a client frame: here, or (replica mode) where its session runs.
    fn route(&mut self, ctx: &mut Context<Self>, frame: ClientFrame) {
        match self.fwd {
            Some(_) => self.route_cluster(ctx, frame),
            None => self.route_local(ctx, frame),
        }
    }

    /// Handles a client frame on this replica.
    pub(super) fn route_local(&mut self, ctx: &mut Context<Self>, frame: ClientFrame) {
        let engine = self.state.engine.clone();
        let caller = self.caller.clone();
        match frame {
            ClientFrame::CreateSession { options, placement } => {
                if let Err(e) = options.validate(&self.state.settings) {
                    self.error(ctx, e, None);
                    return;
                }
                let placement = match placement.resolve(&self.state.settings) {
                    Ok(p) => p,
                    Err(e) => {
                        self.error(ctx, e, None);
                        return;
                    }
                };
                self.send(ctx, ControlFrame::SessionCreating);
                ctx.spawn(
                    async move {
                        engine
                            .create_session_in(&caller, options, Some(placement))
                            .await
                    }
                    .into_actor(self)
                    .map(|result, act, ctx| match result {
                        Ok(created) => {
                            act.switch(ctx, created.session.session_id, 0, false, None);
                            act.send_session_list(ctx);
                        }
                        Err(e) => act.error(ctx, e, None),
                    }),
                );
            }
            ClientFrame::SwitchSession {
                session_id,
                after_seq,
            } => self.switch(ctx, session_id, after_seq, true, None),
            ClientFrame::UserMessage {
                session_id,
                text,
                seq,
                attachments,
            } => {
                // Before anything is stored, woken or sent (the CLI would take a broken image).
                if let Err(why) =
                    attachments::validate(&attachments, &self.state.settings.attachments)
                {
                    self.error(ctx, ApiError::new(ErrorCode::ValidationError, why), None);
                    return;
                }
                if self.current.as_ref() != Some(&session_id) {
                    // Not viewing it yet: subscribe without history or replay, then send —
                    // unless the message would be refused anyway (nothing is woken for it).
                    let frame = ClientFrame::UserMessage {
                        session_id: session_id.clone(),
                        text,
                        seq,
                        attachments,
                    };
                    ctx.spawn(
                        async move { engine.check_spend(&caller).await }
                            .into_actor(self)
                            .map(move |allowed, act, ctx| match allowed {
                                Ok(()) => act.switch(ctx, session_id, u64::MAX, false, Some(frame)),
                                Err(e) => act.error(ctx, e, Some(session_id)),
                            }),
                    );
                    return;
                }
                // This connection views the session: if the message wakes it (its process
                // was suspended, perhaps just now, as the message came), it sees the turn.
                let me = ctx.address().recipient();
                self.reply(ctx, session_id.clone(), async move {
                    let message = crate::actors::UserMessage {
                        text: &text,
                        client_seq: seq,
                        attachments,
                        subscriber: Some(me),
                    };
                    engine.query_with(&caller, &session_id, message).await
                });
            }
            ClientFrame::SetSessionOptions {
                session_id,
                options,
            } => {
                if let Err(e) = options.validate(&self.state.settings) {
                    self.error(ctx, e, Some(session_id));
                    return;
                }
                // Success shows up as the session's `session_options` event.
                self.reply(ctx, session_id.clone(), async move {
                    engine
                        .set_session_options(&caller, &session_id, options)
                        .await
                        .map(|_| ())
                });
            }
            ClientFrame::Interrupt { session_id } => {
                self.reply(ctx, session_id.clone(), async move {
                    engine.interrupt(&caller, &session_id).await
                });
            }
            ClientFrame::PermissionResponse {
                session_id,
                request_id,
                allow,
                message,
                remember,
                mode,
            } => {
                let change = crate::protocol::OptionsChange {
                    permission_mode: mode.clone(),
                    ..Default::default()
                };
                if let Err(e) = change.validate(&self.state.settings) {
                    self.error(ctx, e, Some(session_id));
                    return;
                }
                // Any of the owner's connections may answer, viewing the session or not.
                let answer = AnswerPermission {
                    request_id,
                    allow,
                    message,
                    remember,
                    mode,
                };
                self.reply(ctx, session_id.clone(), async move {
                    engine
                        .answer_permission_with(&caller, &session_id, answer)
                        .await
                });
            }
            ClientFrame::RevokePermission { session_id, rule } => {
                self.reply(ctx, session_id.clone(), async move {
                    engine.revoke_permission(&caller, &session_id, &rule).await
                });
            }
            ClientFrame::DestroySession { session_id } => {
                let id = session_id.clone();
                ctx.spawn(
                    async move { engine.destroy_session(&caller, &session_id).await }
                        .into_actor(self)
                        .map(move |result, act, ctx| {
                            match result {
                                Ok(()) => {
                                    if act.current.as_ref() == Some(&id) {
                                        act.current = None;
                                    }
                                }
                                Err(e) => act.error(ctx, e, Some(id.clone())),
                            }
                            act.send_session_list(ctx);
                        }),
                );
            }
            ClientFrame::RenameSession { session_id, title } => {
                let (db, scope) = (self.state.db.clone(), super::find::scope_of(&caller));
                ctx.spawn(
                    async move {
                        db.rename(&scope, session_id.as_str(), &title)
                            .await
                            .map(|r| (r, session_id))
                    }
                    .into_actor(self)
                    .map(|result, act, ctx| match result {
                        Ok((Some(_), _)) => act.send_session_list(ctx),
                        Ok((None, id)) => act.error(ctx, EngineError::NotFound, Some(id)),
                        Err(e) => {
                            warn!(act.log, "could not rename"; "error" => %e);
                            act.error(ctx, EngineError::StoreFailed, None);
                        }
                    }),
                );
            }
            ClientFrame::ForkSession {
                session_id,
                before_seq,
            } => {
                let scope = super::find::scope_of(&caller);
                let id = session_id.clone();
                ctx.spawn(
                    async move {
                        engine
                            .fork_session(&session_id, &scope, &caller.user_id, before_seq)
                            .await
                    }
                    .into_actor(self)
                    .map(move |result, act, ctx| match result {
                        Ok(listed) => {
                            let new_id = SessionId::from_stored(&listed.session.session_id);
                            act.switch(ctx, new_id, 0, true, None);
                            act.send_session_list(ctx);
                        }
                        Err(crate::actors::fork::ForkError::Engine(e)) => {
                            act.error(ctx, e, Some(id))
                        }
                        Err(crate::actors::fork::ForkError::Invalid(message)) => {
                            act.send(
                                ctx,
                                ControlFrame::Error {
                                    code: crate::protocol::ErrorCode::ValidationError,
                                    message,
                                    session_id: Some(id),
                                },
                            );
                        }
                    }),
                );
            }
            ClientFrame::ResumeSession { session_id } => {
                let id = session_id.clone();
                ctx.spawn(
                    async move { engine.resume_session(&caller, &session_id).await }
                        .into_actor(self)
                        .map(move |result, act, ctx| match result {
                            Ok(_) => {
                                act.switch(ctx, id, 0, true, None);
                                act.send_session_list(ctx);
                            }
                            Err(e) => act.error(ctx, e, Some(id)),
                        }),
                );
            }
        }
    }

    /// Runs an engine call; only a failure is answered (success shows up as events).
    fn reply<F>(&mut self, ctx: &mut Context<Self>, session_id: SessionId, call: F)
    where
        F: std::future::Future<Output = Result<(), EngineError>> + 'static,
    {
        ctx.spawn(call.into_actor(self).map(move |result, act, ctx| {
            if let Err(e) = result {
                act.error(ctx, e, Some(session_id));
            }
        }));
    }
}

/// Owns the socket: writes queued frames in order.
async fn write_out(mut session: actix_ws::Session, mut rx: mpsc::Receiver<Out>) {
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

impl Handler<SessionEvent> for WsConn {
    type Result = ();

    fn handle(&mut self, event: SessionEvent, ctx: &mut Context<Self>) {
        if let Some(held) = self.held.as_mut() {
            held.push(event);
            return;
        }
        self.forward(ctx, event);
    }
}

impl Handler<Revoked> for WsConn {
    type Result = ();

    fn handle(&mut self, msg: Revoked, ctx: &mut Context<Self>) {
        slog::info!(self.log, "closing the connection"; "reason" => msg.reason);
        self.close(ctx, CloseCode::Policy, msg.reason);
    }
}

impl WsConn {
    fn tell_shutdown(&mut self, ctx: &mut Context<Self>, deadline: Instant) {
        if std::mem::replace(&mut self.told_shutdown, true) {
            return;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        // Whole seconds, rounded up: "0" only once the time is up.
        let grace_seconds = left.as_millis().div_ceil(1000) as u64;
        self.send(
            ctx,
            ControlFrame::ServerShuttingDown {
                message: shutting_down_message(grace_seconds),
                grace_seconds,
            },
        );
    }
}

impl Handler<ServerShuttingDown> for WsConn {
    type Result = ();

    fn handle(&mut self, msg: ServerShuttingDown, ctx: &mut Context<Self>) {
        self.tell_shutdown(ctx, msg.deadline);
    }
}

impl Handler<CloseForShutdown> for WsConn {
    type Result = ();

    fn handle(&mut self, _msg: CloseForShutdown, ctx: &mut Context<Self>) {
        self.close(ctx, CloseCode::Away, "server shutting down");
    }
}
