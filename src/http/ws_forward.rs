//! Replica mode: a browser's connection viewing a session that another replica runs
//! (docs/architecture.md, "Replicas: a frame through a non-owner").
//!
//! Frames naming such a session go, as they are, over one internal WebSocket per owner
//! (`cluster::forward::open_link`, acting as this connection's user); the owner's frames
//! about it come back as they are — the owner's `event_seq` included, so `after_seq` works
//! through any replica. Frames are routed in the order they came: while a route is being
//! looked up (or a hand-over waited for), later frames wait behind it.
//!
//! When the owner goes away:
//! - it answers `server_shutting_down` to a frame (it drains): the frame is sent again once
//!   the owner has let the session go (its lease deleted), to whoever runs it then — here,
//!   usually, which wakes it from the stored transcript; nothing acknowledged is lost;
//! - the link cannot be opened: the frames that never left are sent again the same way,
//!   after the dead owner's lease has expired;
//! - the link is lost while viewing: the browser is told `session_terminated{reason:
//!   "replica_lost", resumable: true}`; its next frame is routed afresh.
//!
//! Outside replica mode (and on the owner's side of a link) none of this exists: the
//! connection's `fwd` is None and every frame is handled locally.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use actix::prelude::*;
use serde::Deserialize;
use slog::{info, warn};

use super::ws_conn::WsConn;
use crate::actors::EngineError;
use crate::cluster::forward::{self, Link, LinkBody, LinkEvent};
use crate::cluster::{Remote, Route};
use crate::protocol::{ClientFrame, ErrorCode, EventBody, SessionEvent};
use crate::session_id::SessionId;

/// How long a link to an owner stays open after the connection stopped viewing its
/// sessions (a frame just sent on it is handled before it closes).
const LINK_LINGER: Duration = Duration::from_secs(5);

/// The reason of the `session_terminated` a browser gets when the replica running its
/// session goes away (the session is suspended; the next message resumes it elsewhere).
pub const REPLICA_LOST: &str = "replica_lost";
const LOST: &str = "The server running this session went away. Your next message resumes it \
                    with its history.";
const MOVED: &str = "The server running this session is restarting; the session continues on \
                     another one.";

/// A connection's forwarding state (only in replica mode).
#[derive(Default)]
pub struct Forwarding {
    links: HashMap<String, Link>,
    next_link_id: u64,
    /// Sessions whose frames go to a node, while its link is open.
    remote_of: HashMap<SessionId, String>,
    /// The current session's owner (None: local), when `current` is set.
    current_node: Option<String>,
    /// The last `event_seq` the owner sent for the current session.
    last_seq: u64,
    /// Frames sent to an owner and not yet acknowledged, per session: sent again if the owner
    /// answers `server_shutting_down`.
    pending: HashMap<SessionId, Vec<ClientFrame>>,
    /// A `create_session` sent to a node: the node's next new session becomes current.
    adopt_from: Option<(String, Option<ClientFrame>)>,
    /// Frames not routed yet, in order: they wait while `blocked` (a route being looked
    /// up, a hand-over being waited for) is above 0.
    waiting: VecDeque<ClientFrame>,
    blocked: u32,
    /// Links whose greeting `session_list` has not come yet (dropped: this replica sent
    /// the browser its own).
    greeting: std::collections::HashSet<String>,
}

/// What the connection needs to know of an owner's frame.
#[derive(Deserialize)]
struct Peek {
    #[serde(rename = "type")]
    kind: String,
    session_id: Option<SessionId>,
    event_seq: Option<u64>,
    code: Option<String>,
}

/// The session a frame is about, when it has to run where the session runs.
fn session_of(frame: &ClientFrame) -> Option<&SessionId> {
    match frame {
        ClientFrame::SetSessionOptions { session_id, .. }
        | ClientFrame::SwitchSession { session_id, .. }
        | ClientFrame::UserMessage { session_id, .. }
        | ClientFrame::Interrupt { session_id }
        | ClientFrame::DestroySession { session_id }
        | ClientFrame::ResumeSession { session_id }
        | ClientFrame::PermissionResponse { session_id, .. }
        | ClientFrame::RevokePermission { session_id, .. }
        | ClientFrame::ForkSession { session_id, .. } => Some(session_id),
        // A rename is a write to the shared store; a create is placed.
        ClientFrame::RenameSession { .. } | ClientFrame::CreateSession { .. } => None,
    }
}

/// Frames that may start the session's process where they are handled (they take its
/// lease when it is free); the others only follow the process where it runs.
fn launches(frame: &ClientFrame) -> bool {
    matches!(
        frame,
        ClientFrame::SwitchSession { .. }
            | ClientFrame::UserMessage { .. }
            | ClientFrame::ResumeSession { .. }
            | ClientFrame::SetSessionOptions { .. }
    )
}

/// Frames that are answered by an event or a history once accepted (kept until then).
fn needs_ack(frame: &ClientFrame) -> bool {
    matches!(
        frame,
        ClientFrame::UserMessage { .. }
            | ClientFrame::SwitchSession { .. }
            | ClientFrame::ResumeSession { .. }
            | ClientFrame::SetSessionOptions { .. }
    )
}

impl WsConn {
    /// Routes a client frame in replica mode (the connection's `fwd` is set), after the
    /// frames before it.
    pub(super) fn route_cluster(&mut self, ctx: &mut Context<Self>, frame: ClientFrame) {
        let Some(fwd) = self.fwd.as_mut() else {
            return self.route_local(ctx, frame);
        };
        fwd.waiting.push_back(frame);
        self.pump(ctx);
    }

    /// Routes waiting frames until one has to wait for something.
    fn pump(&mut self, ctx: &mut Context<Self>) {
        loop {
            let Some(fwd) = self.fwd.as_mut() else { return };
            if fwd.blocked > 0 {
                return;
            }
            let Some(frame) = fwd.waiting.pop_front() else {
                return;
            };
            self.route_now(ctx, frame);
        }
    }

    /// Something the routing waits for has finished.
    fn unblock(&mut self, ctx: &mut Context<Self>) {
        if let Some(fwd) = self.fwd.as_mut() {
            fwd.blocked = fwd.blocked.saturating_sub(1);
        }
        self.pump(ctx);
    }

    fn block(&mut self) {
        if let Some(fwd) = self.fwd.as_mut() {
            fwd.blocked += 1;
        }
    }

    fn route_now(&mut self, ctx: &mut Context<Self>, frame: ClientFrame) {
        if let ClientFrame::CreateSession { .. } = frame {
            return self.place(ctx, frame);
        }
        let Some(session_id) = session_of(&frame).cloned() else {
            return self.route_local(ctx, frame);
        };
        // A link already open for it: no lookup.
        let known = self.fwd.as_ref().and_then(|fwd| {
            let node = fwd.remote_of.get(&session_id)?;
            fwd.links.contains_key(node).then(|| node.clone())
        });
        if let Some(node) = known {
            return self.send_to(ctx, &node, None, frame);
        }
        self.block();
        let cluster = self.state.cluster.clone();
        let launches = launches(&frame);
        let bound = self.handover_bound();
        ctx.spawn(
            async move { forward::route_for(&cluster, &session_id, launches, bound).await }
                .into_actor(self)
                .map(move |route, act, ctx| {
                    match route {
                        Ok(Route::Local) => act.route_local(ctx, frame),
                        Ok(Route::Remote(remote)) => {
                            let node = remote.node_id.clone();
                            act.send_to(ctx, &node, Some(remote), frame)
                        }
                        Err(e) => {
                            let id = session_of(&frame).cloned();
                            act.error(ctx, e, id);
                        }
                    }
                    act.unblock(ctx);
                }),
        );
    }

    /// `create_session`: here with free capacity, else on the replica with the most.
    fn place(&mut self, ctx: &mut Context<Self>, frame: ClientFrame) {
        if let ClientFrame::CreateSession { options, placement } = &frame {
            // Refused here, as it would be there: nothing is sent.
            if let Err(e) = options.validate(&self.state.settings) {
                return self.error(ctx, e, None);
            }
            if let Err(e) = placement.clone().resolve(&self.state.settings) {
                return self.error(ctx, e, None);
            }
        }
        self.block();
        let state = self.state.clone();
        ctx.spawn(
            async move { crate::http::forward_rest::create_target(&state).await }
                .into_actor(self)
                .map(move |placed, act, ctx| {
                    match placed {
                        None => act.route_local(ctx, frame),
                        Some(remote) => {
                            if let Some(fwd) = act.fwd.as_mut() {
                                fwd.adopt_from =
                                    Some((remote.node_id.clone(), Some(frame.clone())));
                            }
                            act.send_to(ctx, &remote.node_id.clone(), Some(remote), frame);
                        }
                    }
                    act.unblock(ctx);
                }),
        );
    }

    /// Sends `frame` to `node` (opening the link with `remote` when there is none).
    fn send_to(
        &mut self,
        ctx: &mut Context<Self>,
        node: &str,
        remote: Option<Remote>,
        frame: ClientFrame,
    ) {
        let text = match serde_json::to_string(&frame) {
            Ok(text) => text,
            Err(e) => {
                warn!(self.log, "could not serialize a frame to forward"; "error" => %e);
                return self.error(ctx, EngineError::StoreFailed, None);
            }
        };
        let session_id = session_of(&frame).cloned();
        // Viewing it from now on (the owner's connection does the same).
        if let (
            ClientFrame::SwitchSession { .. }
            | ClientFrame::UserMessage { .. }
            | ClientFrame::ResumeSession { .. },
            Some(id),
        ) = (&frame, &session_id)
        {
            if self.current.as_ref() != Some(id) || self.current_node() != Some(node) {
                self.view_remote(ctx, id.clone(), node);
            }
        }
        let Some(fwd) = self.fwd.as_mut() else { return };
        if !fwd.links.contains_key(node) {
            let Some(remote) = remote else {
                // The link closed since the lookup was cached: look it up again.
                if let Some(id) = &session_id {
                    fwd.remote_of.remove(id);
                }
                return self.route_now(ctx, frame);
            };
            fwd.next_link_id += 1;
            let link = forward::open_link(
                &self.state.cluster,
                &remote,
                &self.caller.user_id,
                fwd.next_link_id,
                ctx.address().recipient(),
            );
            fwd.links.insert(node.to_string(), link);
            fwd.greeting.insert(node.to_string());
        }
        if let ClientFrame::ForkSession { .. } = frame {
            // The owner switches to the fork: its history names the new session.
            fwd.adopt_from = Some((node.to_string(), None));
        }
        if let Some(id) = &session_id {
            fwd.remote_of.insert(id.clone(), node.to_string());
            if needs_ack(&frame) {
                fwd.pending.entry(id.clone()).or_default().push(frame);
            }
        }
        if let Some(link) = fwd.links.get(node) {
            // A closed link reports its unsent frames; this one is among them.
            let _ = link.send(text);
        }
    }

    fn handover_bound(&self) -> Duration {
        forward::handover_bound(
            Duration::from_secs(self.state.settings.shutdown_grace_seconds),
            self.state.cluster.lease_duration(),
        )
    }

    fn current_node(&self) -> Option<&str> {
        self.fwd.as_ref()?.current_node.as_deref()
    }

    /// Makes `session_id`, run by `node`, the session this connection views.
    fn view_remote(&mut self, ctx: &mut Context<Self>, session_id: SessionId, node: &str) {
        let before = self.current_node().map(str::to_string);
        self.leave_current(ctx, Some(&session_id));
        self.current = Some(session_id);
        if let Some(fwd) = self.fwd.as_mut() {
            fwd.current_node = Some(node.to_string());
            fwd.last_seq = 0;
        }
        if let Some(old) = before.filter(|old| old != node) {
            self.linger(ctx, old);
        }
    }

    /// Called when the connection views a local session (or none): a link it no longer
    /// needs closes after [`LINK_LINGER`].
    pub(super) fn viewing_local(&mut self, ctx: &mut Context<Self>) {
        if let Some(old) = self.fwd.as_mut().and_then(|f| f.current_node.take()) {
            self.linger(ctx, old);
        }
    }

    fn linger(&mut self, ctx: &mut Context<Self>, node: String) {
        ctx.run_later(LINK_LINGER, move |act, _| {
            let Some(fwd) = act.fwd.as_mut() else { return };
            let in_use = fwd.current_node.as_deref() == Some(node.as_str())
                || fwd
                    .pending
                    .keys()
                    .any(|id| fwd.remote_of.get(id) == Some(&node));
            if !in_use {
                fwd.links.remove(&node);
                fwd.remote_of.retain(|_, n| *n != node);
            }
        });
    }

    /// A frame from an owner.
    fn on_owner_frame(&mut self, ctx: &mut Context<Self>, node: &str, text: String) {
        let Ok(peek) = serde_json::from_str::<Peek>(&text) else {
            return warn!(self.log, "an owner sent a frame that is not one"; "node" => node);
        };
        let Some(fwd) = self.fwd.as_mut() else { return };
        match (peek.kind.as_str(), &peek.session_id) {
            // This replica's own list and drain are the browser's.
            ("session_list", _) if fwd.greeting.remove(node) => return,
            ("server_shutting_down", _) => return,
            ("error", None)
                if peek.code.as_deref() == Some(ErrorCode::ServerShuttingDown.as_str()) =>
            {
                if let Some((from, Some(frame))) = fwd.adopt_from.take() {
                    if from == node {
                        // Placed on a replica that began to drain: place it again.
                        return self.route_cluster(ctx, frame);
                    }
                }
            }
            ("error", Some(id))
                if peek.code.as_deref() == Some(ErrorCode::ServerShuttingDown.as_str()) =>
            {
                if let Some(frames) = fwd.pending.remove(id) {
                    return self.hand_over(ctx, node, id.clone(), frames);
                }
            }
            ("error", Some(id)) => {
                fwd.pending.remove(id);
                if peek.code.as_deref() == Some(ErrorCode::SessionOpenedElsewhere.as_str())
                    && self.current.as_ref() == Some(id)
                {
                    self.current = None;
                    if let Some(fwd) = self.fwd.as_mut() {
                        fwd.current_node = None;
                    }
                }
            }
            ("error", None) if fwd.adopt_from.as_ref().is_some_and(|(n, _)| n == node) => {
                fwd.adopt_from = None;
            }
            ("session_history" | "session_ready", Some(id))
                if self.current.as_ref() != Some(id) =>
            {
                // A create or fork sent there: its new session is the one viewed now.
                if fwd.adopt_from.as_ref().is_some_and(|(n, _)| n == node) {
                    fwd.adopt_from = None;
                    fwd.remote_of.insert(id.clone(), node.to_string());
                    self.view_remote(ctx, id.clone(), node);
                } else {
                    return; // a session this connection left
                }
            }
            _ => {}
        }
        if let (Some(id), Some(seq)) = (&peek.session_id, peek.event_seq) {
            if self.current.as_ref() != Some(id) {
                return; // an event of a session this connection left
            }
            if let Some(fwd) = self.fwd.as_mut() {
                fwd.last_seq = seq;
                if peek.kind == "message_received" || peek.kind == "session_options" {
                    fwd.pending.remove(id);
                }
            }
        }
        if peek.kind == "session_history" {
            if let (Some(id), Some(fwd)) = (&peek.session_id, self.fwd.as_mut()) {
                // Switched: a user message sent with it still waits for its receipt.
                if let Some(frames) = fwd.pending.get_mut(id) {
                    frames.retain(|f| matches!(f, ClientFrame::UserMessage { .. }));
                }
            }
        }
        self.push_text(ctx, text);
    }

    /// The owner refused `frames` because it is going away: once it has let the session go,
    /// they are routed again, in order, ahead of anything that came since. Until then the
    /// connection goes on showing what the owner still sends of it (a turn finishing).
    fn hand_over(
        &mut self,
        ctx: &mut Context<Self>,
        node: &str,
        session_id: SessionId,
        frames: Vec<ClientFrame>,
    ) {
        info!(self.log, "the session's replica is going away; waiting for the hand-over";
            "node" => node, "session_id" => session_id.as_str());
        let Some(fwd) = self.fwd.as_mut() else { return };
        for frame in frames.into_iter().rev() {
            fwd.waiting.push_front(frame);
        }
        self.block();
        let cluster = self.state.cluster.clone();
        let bound = self.handover_bound();
        let from = node.to_string();
        ctx.spawn(
            async move {
                let released =
                    forward::wait_for_handover(&cluster, &session_id, &from, bound).await;
                (released, session_id, from)
            }
            .into_actor(self)
            .map(|(released, session_id, from), act, ctx| {
                if !released {
                    warn!(act.log, "the hand-over took too long; routing anyway");
                }
                if let Some(fwd) = act.fwd.as_mut() {
                    fwd.remote_of.remove(&session_id);
                }
                act.moved(ctx, &session_id, &from, MOVED);
                act.unblock(ctx);
            }),
        );
    }

    /// `session_id`, viewed through `node`, runs there no more: the browser is told (its
    /// next events count from 1 again, wherever the session runs next).
    fn moved(&mut self, ctx: &mut Context<Self>, session_id: &SessionId, node: &str, why: &str) {
        let Some(fwd) = self.fwd.as_mut() else { return };
        if self.current.as_ref() != Some(session_id) || fwd.current_node.as_deref() != Some(node) {
            return;
        }
        fwd.current_node = None;
        let last_seq = fwd.last_seq;
        self.current = None;
        self.tell_lost(ctx, session_id.clone(), last_seq, why);
    }

    /// A link ended.
    fn link_closed(
        &mut self,
        ctx: &mut Context<Self>,
        node: &str,
        link_id: u64,
        unsent: Vec<String>,
        why: String,
    ) {
        let Some(fwd) = self.fwd.as_mut() else { return };
        if fwd.links.get(node).map(|l| l.link_id) != Some(link_id) {
            return; // an older link of that node
        }
        info!(self.log, "link to a replica ended"; "node" => node, "why" => why);
        fwd.links.remove(node);
        let sessions: Vec<SessionId> = fwd
            .remote_of
            .iter()
            .filter(|(_, n)| n.as_str() == node)
            .map(|(id, _)| id.clone())
            .collect();
        fwd.remote_of.retain(|_, n| n != node);
        // Frames that never left: route them again once the owner has let go.
        let unsent: Vec<ClientFrame> = unsent
            .iter()
            .filter_map(|t| crate::protocol::client::parse(t).ok())
            .collect();
        for id in &sessions {
            // Sent and unanswered: the owner may have run it, so it is not sent again (the
            // browser learns the session was lost and sends it again if it did not run).
            fwd.pending.remove(id);
        }
        let resend = unsent;
        if fwd.adopt_from.as_ref().is_some_and(|(n, _)| n == node) {
            fwd.adopt_from = None;
        }
        let (current, viewing) = (
            self.current.clone(),
            fwd.current_node.as_deref() == Some(node),
        );
        if resend.is_empty() {
            if let (Some(id), true) = (current, viewing) {
                self.moved(ctx, &id, node, LOST);
            }
            return;
        }
        // Never connected: nothing reached the owner, so nothing of it was shown yet.
        let session_id = resend.iter().find_map(session_of).cloned();
        match session_id {
            Some(id) => self.hand_over(ctx, node, id, resend),
            None => {
                if let Some(fwd) = self.fwd.as_mut() {
                    for frame in resend.into_iter().rev() {
                        fwd.waiting.push_front(frame);
                    }
                }
                self.pump(ctx);
            }
        }
    }

    /// Tells the browser the replica running its session is gone: the turn it waited for
    /// will not come; its next message resumes the session where it can run.
    fn tell_lost(
        &mut self,
        ctx: &mut Context<Self>,
        session_id: SessionId,
        last_seq: u64,
        why: &str,
    ) {
        let event = SessionEvent {
            session_id,
            event_seq: last_seq + 1,
            body: EventBody::SessionTerminated {
                reason: REPLICA_LOST.to_string(),
                resumable: true,
                message: why.to_string(),
            },
        };
        self.send(ctx, event);
    }
}

impl Handler<LinkEvent> for WsConn {
    type Result = ();

    fn handle(&mut self, msg: LinkEvent, ctx: &mut Context<Self>) {
        match msg.body {
            LinkBody::Text(text) => self.on_owner_frame(ctx, &msg.node_id, text),
            LinkBody::Closed { unsent, why } => {
                self.link_closed(ctx, &msg.node_id, msg.link_id, unsent, why)
            }
        }
    }
}
