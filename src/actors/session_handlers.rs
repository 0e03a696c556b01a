//! The messages a [`SessionActor`] answers. Each becomes a lifecycle event (see
//! `session.rs`), except the replay bookkeeping of a subscription.

use actix::prelude::*;
use slog::{info, warn};

use super::delivery::{deliver, Delivery};
use super::lifecycle::{Event, Phase};
use super::messages::*;
use super::replay::coalesce_replay;
use super::session::{Input, ProcEvent, SessionActor};
use super::EngineError;
use crate::claude::{ClaudeProcess, CliEvent};
use crate::protocol::{EventBody, SessionEvent};

impl Handler<ProcEvent> for SessionActor {
    type Result = ();

    fn handle(&mut self, msg: ProcEvent, ctx: &mut Context<Self>) {
        if msg.generation != self.generation {
            return; // a replaced process
        }
        match msg.event {
            CliEvent::Exited(exit) => {
                if !matches!(self.life.phase(), Phase::Stopping { .. }) {
                    warn!(self.log, "CLI exited unexpectedly"; "code" => exit.code, "signal" => exit.signal);
                }
                let _ = self.run(ctx, Event::Crashed, Input::None);
            }
            event => {
                if self.turn.is_none() {
                    return; // nothing outside a turn matters to clients
                }
                let rules = self.offer_rules(&event);
                let Some(turn) = self.turn.as_mut() else {
                    return;
                };
                let mut fx = turn.on_event(event);
                self.note_effects(&mut fx, rules);
                self.apply(ctx, fx);
            }
        }
    }
}

impl Handler<Query> for SessionActor {
    type Result = Result<Took, EngineError>;

    fn handle(&mut self, msg: Query, ctx: &mut Context<Self>) -> Self::Result {
        self.check_mentions(&msg.text)?;
        match self.run_deferrable(ctx, Event::Query, Input::Query(msg))? {
            true => Ok(Took::Deferred),
            false => Ok(Took::Started),
        }
    }
}

impl Handler<Interrupt> for SessionActor {
    type Result = ResponseActFuture<Self, Result<(), EngineError>>;

    fn handle(&mut self, _msg: Interrupt, _ctx: &mut Context<Self>) -> Self::Result {
        let process = self.process.clone().filter(|_| self.turn.is_some());
        let log = self.log.clone();
        Box::pin(
            async move {
                if let Some(p) = process {
                    if let Err(e) = p.interrupt().await {
                        warn!(log, "interrupt failed"; "error" => %e);
                    }
                }
                Ok(())
            }
            .into_actor(self),
        )
    }
}

impl Handler<AnswerPermission> for SessionActor {
    type Result = Result<(), EngineError>;

    fn handle(&mut self, msg: AnswerPermission, ctx: &mut Context<Self>) -> Self::Result {
        let event = Event::PermissionAnswered {
            request_id: msg.request_id.clone(),
        };
        if self.life.phase().pending_permission() != Some(msg.request_id.as_str()) {
            // Refused by the lifecycle (no such request waits): nothing is decided.
            return self.run(ctx, event, Input::None);
        }
        let request_id = msg.request_id.clone();
        let (allow, remember) = (msg.allow, msg.remember);
        let mode = msg.mode.filter(|_| msg.allow);
        let (decision, settings) = self.decide(
            &msg.request_id,
            msg.allow,
            msg.remember,
            mode.clone(),
            msg.message,
        );
        let answered = self.run(
            ctx,
            event,
            Input::Answer(msg.request_id, decision, settings),
        );
        if answered.is_ok() {
            // The actor's logger carries the session and its owner (who answered).
            info!(self.log, "permission answered";
                "request_id" => request_id, "allow" => allow, "remember" => remember,
                "mode" => mode.as_deref().unwrap_or(""));
            if let Some(mode) = mode {
                // The CLI switches with the answer (setMode); the session records it.
                let mut options = self.summary.options();
                options.permission_mode = mode;
                self.options_changed(options);
            }
        }
        answered
    }
}

impl Handler<Subscribe> for SessionActor {
    type Result = MessageResult<Subscribe>;

    fn handle(&mut self, msg: Subscribe, ctx: &mut Context<Self>) -> Self::Result {
        if let Some(old) = self.subscriber.take() {
            if old != msg.subscriber {
                let _ = old.try_send(SessionEvent {
                    session_id: self.id.clone(),
                    event_seq: self.seq,
                    body: EventBody::SessionOpenedElsewhere {
                        message: "This session was opened in another window or tab.".into(),
                    },
                });
            }
        }
        let subscribed = Subscribed {
            last_event_seq: self.seq,
            turn_running: self.turn.is_some(),
            replay_since: self.buffer_since,
        };
        for event in coalesce_replay(&self.buffer, msg.after_seq) {
            // Past a full mailbox too (src/actors/delivery.rs): a replay cut short with the
            // connection left open would end its stream with no sign of it.
            if deliver(&msg.subscriber, event) == Delivery::Gone {
                warn!(self.log, "the subscriber went away during its replay");
                return MessageResult(subscribed);
            }
        }
        self.subscriber = Some(msg.subscriber);
        let _ = self.run(ctx, Event::Subscribed, Input::None);
        MessageResult(subscribed)
    }
}

impl Handler<Unsubscribe> for SessionActor {
    type Result = ();

    fn handle(&mut self, msg: Unsubscribe, ctx: &mut Context<Self>) {
        if self.subscriber.as_ref() == Some(&msg.subscriber) {
            self.subscriber = None;
            let _ = self.run(ctx, Event::Unsubscribed, Input::None);
        }
    }
}

impl Handler<StopSession> for SessionActor {
    type Result = ResponseFuture<()>;

    /// Resolves once the session's process is gone and the actor stopped.
    fn handle(&mut self, msg: StopSession, ctx: &mut Context<Self>) -> Self::Result {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.stop_waiters.push(tx);
        let event = match msg.request {
            StopRequest::Destroy => Event::Destroy,
            StopRequest::Shutdown { deadline } => Event::Shutdown { deadline },
        };
        let _ = self.run(ctx, event, Input::None);
        Box::pin(async move {
            let _ = rx.await;
        })
    }
}

impl Handler<OverMemory> for SessionActor {
    type Result = ();

    fn handle(&mut self, _msg: OverMemory, ctx: &mut Context<Self>) {
        info!(self.log, "session over its memory limit");
        let _ = self.run(ctx, Event::MemoryExceeded, Input::None);
    }
}

impl Handler<GetState> for SessionActor {
    type Result = MessageResult<GetState>;

    fn handle(&mut self, _msg: GetState, _ctx: &mut Context<Self>) -> Self::Result {
        let phase = self.life.phase();
        MessageResult(SessionState {
            pid: self.process.as_ref().map(ClaudeProcess::pid),
            turn_running: phase.turn_running(),
            restarting: matches!(phase, Phase::Restarting { .. }),
        })
    }
}
