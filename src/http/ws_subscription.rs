//! The session a connection views: switching to one (history, then the replayed turn, then
//! live events, with events held back until the history is out), leaving it, and forwarding
//! its events.

use actix::prelude::*;

use super::WsConn;
use crate::actors::EngineError;
use crate::http::error::ApiError;
use crate::protocol::{
    ClientFrame, ControlFrame, ErrorCode, EventBody, HistoryMessage, SessionEvent,
};
use crate::session_id::SessionId;

impl WsConn {
    /// Makes this connection the receiver of `session_id`'s events: history first (stored
    /// messages before the replayed turn), then the turn's events after `after_seq`, then
    /// live ones. `history` false skips the history (the client has it).
    pub(super) fn switch(
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
    pub(in crate::http) fn leave_current(
        &mut self,
        ctx: &mut Context<Self>,
        next: Option<&SessionId>,
    ) {
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
