//! What replica mode (src/cluster/) asks of the engine: the sessions holding slots here (for
//! the heartbeat's load, lease renewal and fencing), and fencing itself — a session whose
//! lease another replica holds now is stopped here at once, writing nothing.

use actix::prelude::*;
use slog::warn;

use super::session::SessionActor;
use super::supervisor::{Slot, Supervisor};
use crate::session_id::SessionId;

/// The sessions holding slots here.
#[derive(Message, Debug)]
#[rtype(result = "LocalSlots")]
pub struct ClusterSlots;

/// See [`ClusterSlots`].
#[derive(Debug, Default)]
pub struct LocalSlots {
    /// Live sessions and their actors (fenced when their lease is lost).
    pub live: Vec<(SessionId, Addr<SessionActor>)>,
    /// Every session holding a slot: starting, live or stopping.
    pub held: Vec<SessionId>,
    /// Creations whose id is not known yet.
    pub creating: usize,
    /// `MAX_SESSIONS`.
    pub max: usize,
}

impl Handler<ClusterSlots> for Supervisor {
    type Result = MessageResult<ClusterSlots>;

    fn handle(&mut self, _msg: ClusterSlots, _ctx: &mut Context<Self>) -> Self::Result {
        let live = self
            .slots
            .iter()
            .filter_map(|(id, s)| match s {
                Slot::Live(a) => Some((id.clone(), a.clone())),
                _ => None,
            })
            .collect();
        MessageResult(LocalSlots {
            live,
            held: self.slots.keys().cloned().collect(),
            creating: self.creating,
            max: self.max_sessions(),
        })
    }
}

/// Stop now: another replica holds this session's lease. Nothing is written (no status,
/// no transcript, no lease release): the new owner's records are the truth.
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub struct Fence;

impl Handler<Fence> for SessionActor {
    type Result = ();

    fn handle(&mut self, _msg: Fence, ctx: &mut Context<Self>) {
        warn!(self.log, "fenced: another replica runs this session now");
        self.fenced = true;
        ctx.stop();
    }
}
