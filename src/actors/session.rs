//! One live session: owns its CLI process, the running turn, the session's event sequence,
//! the current turn's events (replayed to a reconnecting client), its subscriber, and its
//! own age and idleness checks.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use actix::prelude::*;
use serde_json::json;
use slog::{info, warn, Logger};

use super::cli_factory::CliFactory;
use super::messages::*;
use super::store::SessionStore;
use super::turn::{Effects, Turn};
use super::EngineError;
use crate::claude::{ClaudeProcess, CliEvent, PermissionDecision, Started};
use crate::db::{MessageKind, Session, SessionStatus, TerminationReason};
use crate::protocol::{EventBody, SessionEvent, SessionSummary, Source};
use crate::session_id::SessionId;

/// A running turn gets this long to finish before a restart or a duration stop.
pub const TURN_GRACE: Duration = Duration::from_secs(30);
/// Crash restarts allowed per window before the session is `failed`.
pub const RESTART_BUDGET: usize = 3;
pub const RESTART_WINDOW: Duration = Duration::from_secs(60);

/// An event of one process generation (events of a replaced process are ignored).
struct ProcEvent {
    generation: u64,
    event: CliEvent,
}

impl Message for ProcEvent {
    type Result = ();
}

/// What the session is about to do once the running turn ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AfterTurn {
    Restart(RestartReason),
    Stop(StopReason),
}

pub struct SessionActor {
    id: SessionId,
    process: Option<ClaudeProcess>,
    generation: u64,
    turn: Option<Turn>,
    pending_permission: Option<String>,
    permission_timer: Option<SpawnHandle>,
    seq: u64,
    /// Events of the current (or last) turn, for replay.
    buffer: Vec<SessionEvent>,
    /// When the buffered turn started.
    buffer_since: Option<chrono::NaiveDateTime>,
    subscriber: Option<Recipient<SessionEvent>>,
    store: SessionStore,
    factory: CliFactory,
    supervisor: Recipient<SessionGone>,
    stopping_to: Recipient<SessionStopping>,
    summary: SessionSummary,
    last_activity: Instant,
    idle: bool,
    after_turn: Option<AfterTurn>,
    restarting: bool,
    stopping: bool,
    restarts: VecDeque<Instant>,
    /// Turns completed by the current process. A memory restart needs at least one: a
    /// freshly resumed process has nothing to shed, and restarting it again would loop
    /// when the limit is below a CLI's idle footprint.
    turns_on_process: u32,
    /// Resolved when the actor has stopped (its process is gone).
    stop_waiters: Vec<tokio::sync::oneshot::Sender<()>>,
    log: Logger,
}

impl SessionActor {
    pub fn new(
        row: &Session,
        started: Started,
        store: SessionStore,
        factory: CliFactory,
        supervisor: Recipient<SessionGone>,
        stopping_to: Recipient<SessionStopping>,
        log: Logger,
    ) -> (SessionActor, tokio::sync::mpsc::Receiver<CliEvent>) {
        let Started {
            process, events, ..
        } = started;
        let actor = SessionActor {
            id: SessionId::from_stored(&row.session_id),
            process: Some(process),
            generation: 0,
            turn: None,
            pending_permission: None,
            permission_timer: None,
            seq: 0,
            buffer: Vec::new(),
            buffer_since: None,
            subscriber: None,
            store,
            factory,
            supervisor,
            stopping_to,
            summary: SessionSummary::from(row),
            last_activity: Instant::now(),
            idle: false,
            after_turn: None,
            restarting: false,
            stopping: false,
            restarts: VecDeque::new(),
            turns_on_process: 0,
            stop_waiters: Vec::new(),
            log,
        };
        (actor, events)
    }

    /// Starts the actor and feeds it its process's events.
    pub fn launch(
        self,
        events: tokio::sync::mpsc::Receiver<CliEvent>,
        source: Source,
    ) -> Addr<SessionActor> {
        SessionActor::create(move |ctx| {
            let mut actor = self;
            actor.watch(ctx, events);
            actor.emit(
                ctx,
                EventBody::SessionReady {
                    session: actor.summary.clone(),
                    source,
                },
            );
            actor
        })
    }

    fn settings(&self) -> &crate::config::Settings {
        self.factory.settings()
    }

    /// Routes a process's event stream into this actor, tagged with its generation.
    fn watch(
        &mut self,
        ctx: &mut Context<Self>,
        mut events: tokio::sync::mpsc::Receiver<CliEvent>,
    ) {
        let generation = self.generation;
        let addr = ctx.address();
        // A plain task (not a StreamHandler, whose end would stop the actor).
        actix::spawn(async move {
            while let Some(event) = events.recv().await {
                if addr.send(ProcEvent { generation, event }).await.is_err() {
                    break;
                }
            }
        });
    }

    /// Sends an event to the subscriber (and keeps it for replay while a turn runs).
    fn emit(&mut self, _ctx: &mut Context<Self>, body: EventBody) {
        self.seq += 1;
        let event = SessionEvent {
            session_id: self.id.clone(),
            event_seq: self.seq,
            body,
        };
        if let Some(sub) = &self.subscriber {
            if sub.try_send(event.clone()).is_err() {
                // The connection's queue is full or it is gone: it can catch up by
                // reconnecting with after_seq; drop it as the subscriber.
                warn!(self.log, "subscriber not keeping up; dropped");
                self.subscriber = None;
            }
        }
        self.buffer.push(event);
    }

    fn apply(&mut self, ctx: &mut Context<Self>, fx: Effects) {
        for (kind, payload) in fx.persist {
            self.store.message(kind, payload);
        }
        if let Some(id) = fx.permission_opened {
            self.pending_permission = Some(id);
            self.arm_permission_timer(ctx);
        }
        if let Some(id) = fx.permission_closed {
            if self.pending_permission.as_deref() == Some(id.as_str()) {
                self.clear_permission(ctx);
            }
        }
        for body in fx.events {
            self.emit(ctx, body);
        }
        if let Some(result) = fx.finished {
            self.turn = None;
            self.turns_on_process += 1;
            self.clear_permission(ctx);
            self.touch();
            self.summary.total_cost_usd = result.total_cost_usd;
            self.store.activity(Some(result.total_cost_usd));
            self.turn_ended(ctx);
        }
    }

    fn touch(&mut self) {
        self.last_activity = Instant::now();
        if self.idle {
            self.idle = false;
            self.store.status(
                SessionStatus::Active,
                self.process.as_ref().map(|p| p.pid()),
            );
        }
    }

    /// A turn ended: carry out what was waiting for it.
    fn turn_ended(&mut self, ctx: &mut Context<Self>) {
        match self.after_turn.take() {
            Some(AfterTurn::Restart(reason)) => self.restart_now(ctx, reason),
            Some(AfterTurn::Stop(reason)) => self.stop(ctx, reason),
            None => {}
        }
    }

    // ---- permissions ----

    /// With nobody connected, a pending permission is denied after the timeout.
    fn arm_permission_timer(&mut self, ctx: &mut Context<Self>) {
        if self.subscriber.is_some() || self.pending_permission.is_none() {
            return;
        }
        if let Some(t) = self.permission_timer.take() {
            ctx.cancel_future(t);
        }
        let after = Duration::from_secs(self.settings().permission_timeout_seconds);
        self.permission_timer = Some(ctx.run_later(after, |act, ctx| {
            act.permission_timer = None;
            if let Some(id) = act.pending_permission.take() {
                info!(act.log, "permission request timed out; denied"; "request_id" => &id);
                act.answer(
                    ctx,
                    id.clone(),
                    PermissionDecision::Deny {
                        message:
                            "Nobody answered this permission request in time, so it was denied."
                                .into(),
                    },
                );
                act.emit(ctx, EventBody::PermissionCancelled { request_id: id });
            }
        }));
    }

    fn clear_permission(&mut self, ctx: &mut Context<Self>) {
        self.pending_permission = None;
        if let Some(t) = self.permission_timer.take() {
            ctx.cancel_future(t);
        }
    }

    fn answer(
        &mut self,
        ctx: &mut Context<Self>,
        request_id: String,
        decision: PermissionDecision,
    ) {
        if let Some(p) = self.process.clone() {
            let log = self.log.clone();
            ctx.spawn(
                async move {
                    if let Err(e) = p.answer_permission(&request_id, decision).await {
                        warn!(log, "could not answer a permission request"; "error" => %e);
                    }
                }
                .into_actor(self),
            );
        }
    }

    // ---- restart and stop ----

    fn restart_now(&mut self, ctx: &mut Context<Self>, reason: RestartReason) {
        if self.restarting || self.stopping {
            return;
        }
        self.restarting = true;
        let factory = self.factory.clone();
        let id = self.id.clone();
        ctx.spawn(
            async move { factory.resume_or_fresh(&id).await }
                .into_actor(self)
                .map(move |result, act, ctx| {
                    act.restarting = false;
                    match result {
                        Ok((started, lost)) => act.swap(ctx, started, reason, lost),
                        Err(e) => {
                            warn!(act.log, "restart failed"; "error" => %e);
                            act.fail(ctx);
                        }
                    }
                }),
        );
    }

    fn swap(
        &mut self,
        ctx: &mut Context<Self>,
        started: Started,
        reason: RestartReason,
        lost: bool,
    ) {
        let Started {
            process, events, ..
        } = started;
        let pid = process.pid();
        self.generation += 1;
        self.turns_on_process = 0;
        if let Some(old) = self.process.replace(process) {
            actix::spawn(async move {
                old.stop().await;
            });
        }
        self.watch(ctx, events);
        self.store.status(SessionStatus::Active, Some(pid));
        info!(self.log, "session restarted"; "reason" => reason.as_str(), "cli_pid" => pid);
        if lost {
            let text = super::cli_factory::NOT_RESTORED_NOTICE;
            self.store.message(
                MessageKind::Notice,
                json!({"text": text, "kind": "not_restored"}),
            );
            self.emit(
                ctx,
                EventBody::SessionRestarting {
                    reason: "not_restored".into(),
                    message: text.into(),
                },
            );
        }
        self.summary.status = SessionStatus::Active;
        self.emit(
            ctx,
            EventBody::SessionReady {
                session: self.summary.clone(),
                source: Source::Resumed,
            },
        );
    }

    /// Too many crashes: `failed` (resumable by hand).
    fn fail(&mut self, ctx: &mut Context<Self>) {
        self.emit(
            ctx,
            EventBody::SessionTerminated {
                reason: "failed".into(),
                resumable: true,
                message: "The session kept stopping unexpectedly and was halted. Your \
                          conversation is kept: resume it to try again."
                    .into(),
            },
        );
        self.stopping = true;
        self.store.status(SessionStatus::Failed, None);
        self.finish(ctx);
    }

    fn stop(&mut self, ctx: &mut Context<Self>, reason: StopReason) {
        if self.stopping {
            return;
        }
        self.stopping = true;
        let (reason_text, resumable, message) = match reason {
            StopReason::Destroyed => {
                self.store.terminated(TerminationReason::Destroyed);
                ("destroyed", false, "The session was closed.")
            }
            StopReason::DurationLimit => {
                self.store.terminated(TerminationReason::DurationLimit);
                (
                    "duration_limit",
                    true,
                    "The session reached its maximum age and was closed. Your conversation \
                     is kept: resume it or start a new session.",
                )
            }
            StopReason::Idle => {
                self.store.status(SessionStatus::Suspended, None);
                (
                    "idle",
                    true,
                    "The session was paused after a period of inactivity. Send a message to \
                     pick it up where you left off.",
                )
            }
            StopReason::Shutdown => {
                // Clients hear `server_shutting_down` from their connection instead.
                self.store.status(SessionStatus::Suspended, None);
                self.finish(ctx);
                return;
            }
        };
        self.emit(
            ctx,
            EventBody::SessionTerminated {
                reason: reason_text.into(),
                resumable,
                message: message.into(),
            },
        );
        self.finish(ctx);
    }

    /// Stops the process (awaited) and then the actor.
    fn finish(&mut self, ctx: &mut Context<Self>) {
        self.stopping = true;
        self.stopping_to.do_send(SessionStopping {
            session_id: self.id.clone(),
        });
        let process = self.process.take();
        let store = self.store.clone();
        ctx.wait(
            async move {
                if let Some(p) = process {
                    p.stop().await;
                }
                store.flush().await;
            }
            .into_actor(self)
            .map(|(), _act, ctx| ctx.stop()),
        );
    }

    /// The age limit: a warning at 90 %, then the session is closed (a running turn gets up
    /// to 30 s first). The age counts from when this session's process started here.
    fn schedule_age_limit(&mut self, ctx: &mut Context<Self>) {
        let max_age = Duration::from_secs(self.settings().max_session_duration_seconds);
        let warn_at = max_age.mul_f64(0.9);
        ctx.run_later(warn_at, move |act, ctx| {
            if act.stopping {
                return;
            }
            act.emit(
                ctx,
                EventBody::SessionWarning {
                    kind: "duration".into(),
                    remaining_seconds: (max_age - warn_at).as_secs(),
                },
            );
        });
        ctx.run_later(max_age, |act, ctx| {
            if act.stopping {
                return;
            }
            if act.turn.is_some() {
                act.after_turn = Some(AfterTurn::Stop(StopReason::DurationLimit));
                ctx.run_later(TURN_GRACE, |act, ctx| {
                    if act.after_turn == Some(AfterTurn::Stop(StopReason::DurationLimit)) {
                        act.after_turn = None;
                        act.stop(ctx, StopReason::DurationLimit);
                    }
                });
            } else {
                act.stop(ctx, StopReason::DurationLimit);
            }
        });
    }

    /// Idleness, checked on the monitor's period.
    fn check_limits(&mut self, ctx: &mut Context<Self>) {
        if self.stopping || self.restarting {
            return;
        }
        let s = self.settings();
        let idle_after = Duration::from_secs(s.session_idle_timeout_seconds);
        let grace = Duration::from_secs(s.idle_grace_seconds);
        // A running turn (even a long tool) is activity.
        if self.turn.is_some() {
            self.last_activity = Instant::now();
            return;
        }
        let quiet = self.last_activity.elapsed();
        if !self.idle && quiet >= idle_after {
            self.idle = true;
            self.store
                .status(SessionStatus::Idle, self.process.as_ref().map(|p| p.pid()));
            info!(self.log, "session idle");
        }
        if self.idle && quiet >= idle_after + grace {
            info!(self.log, "session suspended after idling");
            self.stop(ctx, StopReason::Idle);
        }
    }

    fn on_exit(&mut self, ctx: &mut Context<Self>) {
        if self.stopping {
            return;
        }
        warn!(self.log, "CLI exited unexpectedly");
        if let Some(mut turn) = self.turn.take() {
            let fx = turn.crashed();
            self.apply(ctx, fx);
        }
        self.clear_permission(ctx);
        self.after_turn = None;
        let now = Instant::now();
        while self
            .restarts
            .front()
            .is_some_and(|t| now.duration_since(*t) > RESTART_WINDOW)
        {
            self.restarts.pop_front();
        }
        if self.restarts.len() >= RESTART_BUDGET {
            warn!(self.log, "restart budget exhausted; session failed");
            self.fail(ctx);
            return;
        }
        self.restarts.push_back(now);
        self.emit(
            ctx,
            EventBody::SessionRestarting {
                reason: RestartReason::Crashed.as_str().into(),
                message: "The session's process stopped unexpectedly and is being restarted. \
                          Conversation preserved."
                    .into(),
            },
        );
        self.restart_now(ctx, RestartReason::Crashed);
    }
}

impl Actor for SessionActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.schedule_age_limit(ctx);
        let period = Duration::from_secs(self.settings().monitor_interval_seconds.max(1) * 2);
        ctx.run_interval(period, |act, ctx| act.check_limits(ctx));
    }

    fn stopped(&mut self, _ctx: &mut Context<Self>) {
        // Every stop path deregisters; a process still held is killed with its group.
        if let Some(p) = self.process.take() {
            actix::spawn(async move {
                p.stop().await;
            });
        }
        self.supervisor.do_send(SessionGone {
            session_id: self.id.clone(),
        });
        for w in self.stop_waiters.drain(..) {
            let _ = w.send(());
        }
    }
}

impl Handler<ProcEvent> for SessionActor {
    type Result = ();

    fn handle(&mut self, msg: ProcEvent, ctx: &mut Context<Self>) {
        if msg.generation != self.generation {
            return; // a replaced process
        }
        match msg.event {
            CliEvent::Exited(exit) => {
                info!(self.log, "CLI exited"; "code" => exit.code, "signal" => exit.signal);
                self.on_exit(ctx);
            }
            event => {
                let Some(turn) = self.turn.as_mut() else {
                    return; // nothing outside a turn matters to clients
                };
                let fx = turn.on_event(event);
                self.apply(ctx, fx);
            }
        }
    }
}

impl Handler<Query> for SessionActor {
    type Result = Result<(), EngineError>;

    fn handle(&mut self, msg: Query, ctx: &mut Context<Self>) -> Self::Result {
        if self.stopping {
            return Err(EngineError::Ended);
        }
        if self.turn.is_some() {
            return Err(EngineError::QueryInProgress);
        }
        let Some(process) = self.process.clone().filter(|_| !self.restarting) else {
            return Err(EngineError::Restarting);
        };
        self.turn = Some(Turn::new());
        self.buffer.clear();
        self.buffer_since = Some(crate::db::models::now());
        self.touch();
        self.summary.message_count += 1;
        self.store
            .message(MessageKind::User, json!({ "text": msg.text }));
        self.emit(
            ctx,
            EventBody::MessageReceived {
                seq: msg.client_seq,
                text: msg.text.clone(),
            },
        );
        let generation = self.generation;
        ctx.spawn(
            async move { process.send_user_message(&msg.text).await }
                .into_actor(self)
                .map(move |sent, act, ctx| {
                    if let Err(e) = sent {
                        warn!(act.log, "could not send the message to the CLI"; "error" => %e);
                        if act.generation == generation {
                            act.on_exit(ctx);
                        }
                    }
                }),
        );
        Ok(())
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
        if self.pending_permission.as_deref() != Some(msg.request_id.as_str()) {
            return Err(EngineError::NoSuchPermission);
        }
        self.clear_permission(ctx);
        let decision = if msg.allow {
            PermissionDecision::Allow
        } else {
            PermissionDecision::Deny {
                message: msg
                    .message
                    .filter(|m| !m.trim().is_empty())
                    .unwrap_or_else(|| "The user denied this tool call.".to_string()),
            }
        };
        self.answer(ctx, msg.request_id, decision);
        Ok(())
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
            if msg.subscriber.try_send(event).is_err() {
                // Its mailbox is full: it reconnects with after_seq and gets the rest then.
                warn!(self.log, "replay did not fit the subscriber's mailbox");
                return MessageResult(subscribed);
            }
        }
        self.subscriber = Some(msg.subscriber);
        if let Some(t) = self.permission_timer.take() {
            ctx.cancel_future(t);
        }
        MessageResult(subscribed)
    }
}

impl Handler<Unsubscribe> for SessionActor {
    type Result = ();

    fn handle(&mut self, msg: Unsubscribe, ctx: &mut Context<Self>) {
        if self.subscriber.as_ref() == Some(&msg.subscriber) {
            self.subscriber = None;
            self.arm_permission_timer(ctx);
        }
    }
}

impl Handler<StopSession> for SessionActor {
    type Result = ResponseFuture<()>;

    /// Resolves once the session's process is gone and the actor stopped.
    fn handle(&mut self, msg: StopSession, ctx: &mut Context<Self>) -> Self::Result {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.stop_waiters.push(tx);
        if msg.reason == StopReason::Shutdown && self.turn.is_some() {
            // Give a running turn its grace period, then stop regardless.
            self.after_turn = Some(AfterTurn::Stop(StopReason::Shutdown));
            ctx.run_later(TURN_GRACE, |act, ctx| act.stop(ctx, StopReason::Shutdown));
        } else {
            self.stop(ctx, msg.reason);
        }
        Box::pin(async move {
            let _ = rx.await;
        })
    }
}

impl Handler<Restart> for SessionActor {
    type Result = ();

    fn handle(&mut self, msg: Restart, ctx: &mut Context<Self>) {
        if self.restarting || self.stopping || self.after_turn.is_some() {
            return;
        }
        if msg.reason == RestartReason::MemoryLimit && self.turns_on_process == 0 {
            return;
        }
        info!(self.log, "restarting session"; "reason" => msg.reason.as_str());
        let message = match msg.reason {
            RestartReason::MemoryLimit => "Session restarted for performance. Conversation preserved.",
            RestartReason::Crashed => "The session's process stopped unexpectedly and is being restarted. Conversation preserved.",
        };
        self.emit(
            ctx,
            EventBody::SessionRestarting {
                reason: msg.reason.as_str().into(),
                message: message.into(),
            },
        );
        if self.turn.is_some() {
            self.after_turn = Some(AfterTurn::Restart(msg.reason));
            ctx.run_later(TURN_GRACE, move |act, ctx| {
                if act.after_turn == Some(AfterTurn::Restart(msg.reason)) {
                    act.after_turn = None;
                    if let Some(mut turn) = act.turn.take() {
                        let fx = turn.crashed();
                        act.apply(ctx, fx);
                    }
                    act.restart_now(ctx, msg.reason);
                }
            });
        } else {
            self.restart_now(ctx, msg.reason);
        }
    }
}

impl Handler<GetState> for SessionActor {
    type Result = MessageResult<GetState>;

    fn handle(&mut self, _msg: GetState, _ctx: &mut Context<Self>) -> Self::Result {
        MessageResult(SessionState {
            pid: self.process.as_ref().map(ClaudeProcess::pid),
            turn_running: self.turn.is_some(),
            restarting: self.restarting,
        })
    }
}

/// The kept events after `after_seq`, with each run of consecutive `stream_delta`s merged
/// into one (carrying the run's last `event_seq`): a long reply replays as a handful of
/// frames instead of one per token, and always fits the subscriber's mailbox.
fn coalesce_replay(buffer: &[SessionEvent], after_seq: u64) -> Vec<SessionEvent> {
    let mut out: Vec<SessionEvent> = Vec::new();
    for event in buffer.iter().filter(|e| e.event_seq > after_seq) {
        if let (
            Some(SessionEvent {
                event_seq,
                body: EventBody::StreamDelta { text },
                ..
            }),
            EventBody::StreamDelta { text: more },
        ) = (out.last_mut(), &event.body)
        {
            text.push_str(more);
            *event_seq = event.event_seq;
            continue;
        }
        out.push(event.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(seq: u64, body: EventBody) -> SessionEvent {
        SessionEvent {
            session_id: SessionId::from_stored("s"),
            event_seq: seq,
            body,
        }
    }
    fn delta(seq: u64, t: &str) -> SessionEvent {
        ev(seq, EventBody::StreamDelta { text: t.into() })
    }

    #[test]
    fn replay_merges_runs_of_deltas_and_keeps_everything_else() {
        let tool = EventBody::ToolUse {
            tool_use_id: "t".into(),
            name: "Bash".into(),
            input: serde_json::json!({}),
        };
        let buffer = vec![
            ev(
                1,
                EventBody::MessageReceived {
                    seq: 1,
                    text: "q".into(),
                },
            ),
            delta(2, "a"),
            delta(3, "b"),
            delta(4, "c"),
            ev(5, tool.clone()),
            delta(6, "d"),
            delta(7, "e"),
        ];
        let all = coalesce_replay(&buffer, 0);
        assert_eq!(
            all,
            vec![
                ev(
                    1,
                    EventBody::MessageReceived {
                        seq: 1,
                        text: "q".into()
                    }
                ),
                delta(4, "abc"),
                ev(5, tool),
                delta(7, "de"),
            ]
        );
        assert_eq!(coalesce_replay(&buffer, 2), {
            let mut v = coalesce_replay(&buffer[2..], 0);
            v[0] = delta(4, "bc");
            v
        });
        assert!(coalesce_replay(&buffer, 7).is_empty());
    }
}
