//! One live session as an actor: it owns the CLI process, the running turn, the session's
//! event sequence and replay buffer, and its subscriber. Its lifecycle is decided by the
//! pure [`Lifecycle`] machine: every message, timer and process event becomes a lifecycle
//! [`Event`], and the actor carries out the [`Effect`]s that come back (this file); the
//! message handlers are in `session_handlers.rs`.

use std::time::{Duration, Instant};

use actix::prelude::*;
use serde_json::json;
use slog::{info, warn, Logger};

use super::delivery::{deliver, Delivery};
use super::launcher::{Launch, Launcher};
use super::lifecycle::{Effect, Event, LaunchKind, Lifecycle, Limits, Phase};
use super::messages::*;
use super::store::SessionStore;
use super::turn::{Effects, Turn};
use super::EngineError;
use crate::claude::{ClaudeProcess, CliEvent, PermissionDecision, Started};
use crate::config::Settings;
use crate::db::{Session, SessionStatus};
use crate::protocol::{EventBody, SessionEvent, SessionSummary};
use crate::session_id::SessionId;

/// An event of one process generation (events of a replaced process are ignored).
pub(super) struct ProcEvent {
    pub generation: u64,
    pub event: CliEvent,
}

impl Message for ProcEvent {
    type Result = ();
}

/// What an event brings along for its effects.
pub(super) enum Input {
    None,
    /// A user message (for `StartTurn`).
    Query(Query),
    /// The client's decision (for `ForwardAnswer`), with `apply_flag_settings` settings to
    /// send before it.
    Answer(String, PermissionDecision, Option<serde_json::Value>),
    /// A launched process (for `SwapProcess` / `DiscardLaunched`).
    Launched(Launch),
}

/// The rules' settings, from the server's.
pub fn limits(s: &Settings) -> Limits {
    Limits {
        idle_after: Duration::from_secs(s.session_idle_timeout_seconds),
        idle_grace: Duration::from_secs(s.idle_grace_seconds),
        max_age: Duration::from_secs(s.max_session_duration_seconds),
    }
}

pub struct SessionActor {
    pub(super) id: SessionId,
    pub(super) life: Lifecycle,
    pub(super) process: Option<ClaudeProcess>,
    pub(super) generation: u64,
    /// The events of the process the actor was created with, until it is started.
    first_events: Option<tokio::sync::mpsc::Receiver<CliEvent>>,
    /// What the launch that made it decided, carried out once the actor runs.
    first_effects: Vec<Effect>,
    pub(super) turn: Option<Turn>,
    permission_timer: Option<SpawnHandle>,
    /// The stall watch's timer (`stall.rs`).
    pub(super) stall_timer: Option<SpawnHandle>,
    /// Since when the turn has been silent, as far as the actor knows (the CLI's own
    /// progress clock counts too).
    pub(super) quiet_since: Instant,
    pub(super) seq: u64,
    /// Events of the current (or last) turn, for replay.
    pub(super) buffer: Vec<SessionEvent>,
    /// When the buffered turn started.
    pub(super) buffer_since: Option<chrono::NaiveDateTime>,
    pub(super) subscriber: Option<Recipient<SessionEvent>>,
    /// The subscriber was dropped: its connection is gone (the lifecycle hears it after the
    /// step).
    subscriber_dropped: bool,
    pub(super) store: SessionStore,
    launcher: Launcher,
    supervisor: Recipient<SessionGone>,
    stopping_to: Recipient<SessionStopping>,
    pub(super) summary: SessionSummary,
    /// The directory its CLI runs in (`crate::workspace::session_workspace`).
    workdir: std::path::PathBuf,
    /// The slash commands its process offers (for `session_ready`).
    commands: Vec<crate::protocol::SlashCommand>,
    /// Resolved when the actor has stopped (its process is gone).
    pub(super) stop_waiters: Vec<tokio::sync::oneshot::Sender<()>>,
    /// Its `session_state` and remembered approvals (`session_live.rs`).
    pub(super) live: super::session_live::Live,
    /// Its directory and base commit (`crate::changes::workspace_of`): what its diff and
    /// @-mentions are about.
    pub(super) changes_at: (std::path::PathBuf, Option<String>),
    /// Replica mode: another replica holds its lease now (`fencing.rs`); its stop writes
    /// nothing and releases nothing.
    pub(super) fenced: bool,
    pub(super) log: Logger,
}

/// Everything a session actor is made of.
pub struct SessionParts {
    pub row: Session,
    /// The lifecycle, already past `Launched`.
    pub life: Lifecycle,
    /// The effects of `Launched` still to carry out (the supervisor records the rest).
    pub first_effects: Vec<Effect>,
    pub launch: Launch,
    pub store: SessionStore,
    pub launcher: Launcher,
    pub supervisor: Recipient<SessionGone>,
    pub stopping_to: Recipient<SessionStopping>,
    /// Where it publishes its `session_state`.
    pub states: super::state_feed::StateFeed,
    /// The `event_seq` its first event follows (the session's previous actor's last).
    pub first_event_seq: u64,
    pub log: Logger,
}

impl SessionActor {
    /// Starts the actor, which first carries out what its launch decided.
    pub fn launch(parts: SessionParts) -> Addr<SessionActor> {
        let Launch {
            started:
                Started {
                    process,
                    events,
                    init,
                },
            rules,
            ..
        } = parts.launch;
        let commands = crate::protocol::commands::from_initialize(&init.raw);
        let changes_at = crate::changes::workspace_of(parts.launcher.settings(), &parts.row);
        let workdir = changes_at.0.clone();
        SessionActor {
            id: SessionId::from_stored(&parts.row.session_id),
            life: parts.life,
            process: Some(process),
            generation: 0,
            first_events: Some(events),
            first_effects: parts.first_effects,
            turn: None,
            permission_timer: None,
            stall_timer: None,
            quiet_since: Instant::now(),
            seq: parts.first_event_seq,
            buffer: Vec::new(),
            buffer_since: None,
            subscriber: None,
            subscriber_dropped: false,
            store: parts.store,
            launcher: parts.launcher,
            supervisor: parts.supervisor,
            stopping_to: parts.stopping_to,
            summary: SessionSummary::from(&parts.row),
            workdir,
            commands,
            stop_waiters: Vec::new(),
            live: super::session_live::Live::new(parts.row.user_id.clone(), parts.states, rules),
            changes_at,
            fenced: false,
            log: parts.log,
        }
        .start()
    }

    pub(super) fn settings(&self) -> &Settings {
        self.launcher.settings()
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

    /// Sends an event to the subscriber (and keeps it for replay).
    pub(super) fn emit(&mut self, body: EventBody) {
        self.seq += 1;
        let event = SessionEvent {
            session_id: self.id.clone(),
            event_seq: self.seq,
            body,
        };
        if let Some(sub) = &self.subscriber {
            // A full mailbox still takes it (src/actors/delivery.rs); a gone one is dropped.
            if deliver(sub, event.clone()) == Delivery::Gone {
                warn!(self.log, "subscriber gone; dropped");
                self.subscriber = None;
                self.subscriber_dropped = true;
            }
        }
        self.buffer.push(event);
    }

    /// Feeds `event` to the lifecycle and carries out what it decides. A refusal comes
    /// back as the error.
    pub(super) fn run(
        &mut self,
        ctx: &mut Context<Self>,
        event: Event,
        input: Input,
    ) -> Result<(), EngineError> {
        self.run_deferrable(ctx, event, input).map(|_| ())
    }

    /// As [`SessionActor::run`]; `Ok(true)` when the lifecycle deferred the request (the
    /// session is on its way to another phase: ask again once it is there).
    pub(super) fn run_deferrable(
        &mut self,
        ctx: &mut Context<Self>,
        event: Event,
        mut input: Input,
    ) -> Result<bool, EngineError> {
        let mut outcome = Ok(false);
        for effect in self.life.step(event, Instant::now()) {
            match effect {
                Effect::Refuse(e) => outcome = Err(e),
                Effect::Defer => outcome = Ok(true),
                effect => self.carry_out(ctx, effect, &mut input),
            }
        }
        if std::mem::take(&mut self.subscriber_dropped) {
            let _ = self.run(ctx, Event::Unsubscribed, Input::None);
        }
        self.publish_state();
        outcome
    }

    fn carry_out(&mut self, ctx: &mut Context<Self>, effect: Effect, input: &mut Input) {
        match effect {
            Effect::StartTurn => {
                if let Input::Query(q) = std::mem::replace(input, Input::None) {
                    self.start_turn(ctx, q);
                }
            }
            Effect::Refuse(_) | Effect::Defer | Effect::Launch(LaunchKind::New) => {}
            Effect::Notify(notice) => {
                let mut body = notice.body(&self.summary);
                if let EventBody::SessionReady { commands, .. } = &mut body {
                    commands.clone_from(&self.commands);
                }
                self.emit(body);
            }
            Effect::SetStatus(status) => {
                let pid = matches!(status, SessionStatus::Active | SessionStatus::Idle)
                    .then(|| self.process.as_ref().map(ClaudeProcess::pid))
                    .flatten();
                if status == SessionStatus::Idle {
                    info!(self.log, "session idle");
                }
                self.store.status(status, pid);
            }
            Effect::Terminate(reason) => self.store.terminated(reason),
            Effect::RecordNotRestored => self.store.not_restored(),
            Effect::ArmPermissionTimer => self.arm_permission_timer(ctx),
            Effect::CancelPermissionTimer => {
                if let Some(t) = self.permission_timer.take() {
                    ctx.cancel_future(t);
                }
            }
            Effect::DenyPermission { request_id } => {
                self.turn_progressed();
                info!(self.log, "permission request timed out; denied"; "request_id" => &request_id);
                let message =
                    "Nobody answered this permission request in time, so it was denied.".into();
                if let Some(turn) = self.turn.as_mut() {
                    turn.denied(&request_id);
                }
                self.live.perms.close(&request_id);
                self.answer(ctx, request_id, PermissionDecision::Deny { message });
            }
            Effect::ForwardAnswer => {
                self.turn_progressed();
                if let Input::Answer(id, decision, settings) = std::mem::replace(input, Input::None)
                {
                    let allow = !matches!(decision, PermissionDecision::Deny { .. });
                    if !allow {
                        if let Some(turn) = self.turn.as_mut() {
                            turn.denied(&id);
                        }
                    }
                    self.emit(EventBody::PermissionAnswered {
                        request_id: id.clone(),
                        allow,
                        remember: matches!(decision, PermissionDecision::AllowRemembering { .. }),
                    });
                    self.send_answer(ctx, id, decision, settings);
                }
            }
            Effect::ArmDrainDeadline { deadline } => {
                let after = deadline.saturating_duration_since(Instant::now());
                ctx.run_later(after, move |act, ctx| {
                    let _ = act.run(ctx, Event::DrainDeadline { deadline }, Input::None);
                });
            }
            Effect::AbandonTurn => {
                if let Some(mut turn) = self.turn.take() {
                    let fx = turn.crashed();
                    turn.clock.observe(&fx.events);
                    self.apply(ctx, fx);
                }
            }
            Effect::CutTurn(cut) => {
                info!(self.log, "cutting the running turn"; "why" => format!("{cut:?}"));
                if let Some(turn) = self.turn.as_mut() {
                    turn.cut(cut);
                }
                self.interrupt(ctx);
            }
            Effect::ArmInterruptDeadline { deadline } => {
                let after = deadline.saturating_duration_since(Instant::now());
                ctx.run_later(after, move |act, ctx| {
                    let _ = act.run(ctx, Event::InterruptDeadline { deadline }, Input::None);
                });
            }
            Effect::Launch(LaunchKind::Resume) => {
                if let Phase::Restarting { reason } = self.life.phase() {
                    crate::metrics::metrics().restart(reason.as_str());
                }
                self.relaunch(ctx)
            }
            Effect::SwapProcess => {
                if let Input::Launched(launch) = std::mem::replace(input, Input::None) {
                    self.swap(ctx, launch);
                }
            }
            Effect::DiscardLaunched => {
                if let Input::Launched(launch) = std::mem::replace(input, Input::None) {
                    actix::spawn(async move {
                        launch.started.process.stop().await;
                    });
                }
            }
            Effect::StopProcess => self.finish(ctx),
        }
    }

    fn start_turn(&mut self, ctx: &mut Context<Self>, mut q: Query) {
        let Some(process) = self.process.clone() else {
            return;
        };
        // Sent from a connection viewing the session while nobody is subscribed to this
        // process (woken for this message after the one it watched was suspended): the
        // sender sees its turn.
        if self.subscriber.is_none() {
            if let Some(sender) = q.subscriber.take() {
                self.subscriber = Some(sender);
                let _ = self.run(ctx, Event::Subscribed, Input::None);
            }
        }
        self.turn = Some(Turn::new());
        self.live.last_failed = false;
        self.watch_new_turn(ctx);
        self.buffer.clear();
        self.buffer_since = Some(crate::db::models::now());
        self.summary.message_count += 1;
        // The images are stored whole (base64) so history shows them after a reload; the
        // protocol bounds them (10 MB a message).
        let payload = if q.attachments.is_empty() {
            json!({ "text": q.text })
        } else {
            json!({ "text": q.text, "attachments": q.attachments })
        };
        let cli_uuid = uuid::Uuid::new_v4().to_string();
        self.store.user_message(payload, cli_uuid.clone());
        self.emit(EventBody::MessageReceived {
            seq: q.client_seq,
            text: q.text.clone(),
            attachments: q.attachments.clone(),
        });
        let generation = self.generation;
        ctx.spawn(
            async move {
                process
                    .send_user_content_as(&q.text, &q.attachments, &cli_uuid)
                    .await
            }
            .into_actor(self)
            .map(move |sent, act, ctx| {
                if let Err(e) = sent {
                    warn!(act.log, "could not send the message to the CLI"; "error" => %e);
                    if act.generation == generation {
                        let _ = act.run(ctx, Event::Crashed, Input::None);
                    }
                }
            }),
        );
    }

    /// Applies what the turn translator decided, feeding the lifecycle the turn's
    /// permission requests and its end.
    pub(super) fn apply(&mut self, ctx: &mut Context<Self>, mut fx: Effects) {
        self.note_effects(&mut fx, None);
        if let Some(turn) = self.turn.as_mut() {
            turn.clock.observe(&fx.events);
        }
        for (kind, payload) in fx.persist {
            self.store.message(kind, payload);
        }
        if let Some(request_id) = fx.permission_opened {
            let _ = self.run(ctx, Event::PermissionOpened { request_id }, Input::None);
        }
        if let Some(request_id) = fx.permission_closed {
            let _ = self.run(ctx, Event::PermissionWithdrawn { request_id }, Input::None);
        }
        for body in fx.events {
            self.emit(body);
        }
        if let Some(result) = fx.finished {
            let edited = self.turn.take().is_some_and(|t| t.edited);
            self.summary.total_cost_usd = result.total_cost_usd;
            self.store
                .turn_ended(result.total_cost_usd, result.cost_usd);
            if self.launcher.cluster().enabled() {
                if let Some(path) = self.transcript_path() {
                    self.store.transcript(path);
                }
            }
            let _ = self.run(ctx, Event::TurnEnded, Input::None);
            if edited {
                self.refresh_changes(ctx);
            }
        }
        // Each change of state above went through `run`, which publishes it (not per token).
    }

    /// Asks the CLI to interrupt its turn (the turn's end then comes as its result).
    fn interrupt(&mut self, ctx: &mut Context<Self>) {
        if let Some(p) = self.process.clone() {
            let log = self.log.clone();
            ctx.spawn(
                async move {
                    if let Err(e) = p.interrupt().await {
                        warn!(log, "interrupt failed"; "error" => %e);
                    }
                }
                .into_actor(self),
            );
        }
    }

    /// With nobody connected, a pending permission is denied after the timeout.
    fn arm_permission_timer(&mut self, ctx: &mut Context<Self>) {
        let Some(request_id) = self.life.phase().pending_permission().map(str::to_string) else {
            return;
        };
        if let Some(t) = self.permission_timer.take() {
            ctx.cancel_future(t);
        }
        let after = Duration::from_secs(self.settings().permission_timeout_seconds);
        self.permission_timer = Some(ctx.run_later(after, move |act, ctx| {
            act.permission_timer = None;
            let _ = act.run(ctx, Event::PermissionTimedOut { request_id }, Input::None);
        }));
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

    /// Launches the replacement process (`--resume`); the result comes back as an event.
    fn relaunch(&mut self, ctx: &mut Context<Self>) {
        let launcher = self.launcher.clone();
        let id = self.id.clone();
        let options = self.summary.options();
        let rules = self.live.perms.granted();
        let dir = self.workdir.clone();
        ctx.spawn(
            async move { launcher.resume(&id, &options, rules, &dir).await }
                .into_actor(self)
                .map(|result, act, ctx| {
                    let _ = match result {
                        Ok(launch) => {
                            let event = Event::Launched {
                                source: launch.source,
                                lost: launch.lost,
                            };
                            act.run(ctx, event, Input::Launched(launch))
                        }
                        Err(e) => {
                            warn!(act.log, "restart failed"; "error" => %e);
                            act.run(ctx, Event::LaunchFailed, Input::None)
                        }
                    };
                }),
        );
    }

    /// The launched process replaces the current one, which is stopped.
    fn swap(&mut self, ctx: &mut Context<Self>, launch: Launch) {
        let Started {
            process,
            events,
            init,
        } = launch.started;
        // It was started allowed the session's granted rules (`--allowedTools`); the
        // revoked ones, the old process's `ask` list, are gone with it.
        self.live.perms.relaunched(launch.rules);
        self.commands = crate::protocol::commands::from_initialize(&init.raw);
        let pid = process.pid();
        self.generation += 1;
        if let Some(old) = self.process.replace(process) {
            actix::spawn(async move {
                old.stop().await;
            });
        }
        self.watch(ctx, events);
        self.summary.status = SessionStatus::Active;
        info!(self.log, "session restarted"; "cli_pid" => pid);
    }

    /// Stops the process (awaited), flushes the store, then stops the actor.
    fn finish(&mut self, ctx: &mut Context<Self>) {
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
            .map(|(), act, ctx| {
                let _ = act.run(ctx, Event::Stopped, Input::None);
                ctx.stop();
            }),
        );
    }
}

impl Actor for SessionActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        if let Some(events) = self.first_events.take() {
            self.watch(ctx, events);
        }
        for effect in std::mem::take(&mut self.first_effects) {
            self.carry_out(ctx, effect, &mut Input::None);
        }
        // The age limit counts from when this session's process started here.
        let (warn_after, limit_after) = super::lifecycle::age_schedule(self.life_limits().max_age);
        ctx.run_later(warn_after, |act, ctx| {
            let _ = act.run(ctx, Event::AgeWarning, Input::None);
        });
        ctx.run_later(limit_after, |act, ctx| {
            let _ = act.run(ctx, Event::AgeLimit, Input::None);
        });
        let period = Duration::from_secs(self.settings().monitor_interval_seconds.max(1) * 2);
        ctx.run_interval(period, |act, ctx| {
            let _ = act.run(ctx, Event::Tick, Input::None);
        });
    }

    fn stopped(&mut self, _ctx: &mut Context<Self>) {
        if self.launcher.cluster().enabled() {
            return self.stopped_in_cluster();
        }
        // Every stop path deregisters; a process still held is killed with its group.
        if let Some(p) = self.process.take() {
            actix::spawn(async move {
                p.stop().await;
            });
        }
        self.supervisor.do_send(SessionGone {
            session_id: self.id.clone(),
            last_event_seq: self.seq_to_keep(),
        });
        for w in self.stop_waiters.drain(..) {
            let _ = w.send(());
        }
    }
}

impl SessionActor {
    /// Replica mode's stop: the process is stopped, then (unless fenced) the transcript
    /// saved and the lease released, and only then is the slot given back — a request
    /// about the session waits meanwhile, so nothing launches it before the lease is free.
    fn stopped_in_cluster(&mut self) {
        let process = self.process.take();
        let cluster = self.launcher.cluster().clone();
        let store = self.store.clone();
        let transcript = self.transcript_path();
        let (fenced, id) = (self.fenced, self.id.clone());
        let last_event_seq = self.seq_to_keep();
        let supervisor = self.supervisor.clone();
        let waiters = std::mem::take(&mut self.stop_waiters);
        actix::spawn(async move {
            if let Some(p) = process {
                p.stop().await;
            }
            if !fenced {
                if let Some(path) = transcript {
                    store.transcript(path);
                }
                store.flush().await;
                cluster.release(&id).await;
            }
            supervisor.do_send(SessionGone {
                session_id: id,
                last_event_seq,
            });
            for w in waiters {
                let _ = w.send(());
            }
        });
    }

    /// The `event_seq` the session's next actor (a wake, a resume) goes on from, so a
    /// session's sequence never goes back while the server runs: a client that missed the
    /// `session_terminated` between two processes does not take new events for old ones.
    /// `None` once destroyed.
    fn seq_to_keep(&self) -> Option<u64> {
        match self.life.phase() {
            super::lifecycle::Phase::Ended { resumable: false } => None,
            _ => Some(self.seq),
        }
    }

    /// Where its CLI keeps its transcript (replica mode saves it after each turn).
    pub(super) fn transcript_path(&self) -> Option<std::path::PathBuf> {
        self.launcher
            .factory()
            .transcript_path_in(&self.workdir, self.id.as_str())
    }

    fn life_limits(&self) -> Limits {
        limits(self.settings())
    }
}
