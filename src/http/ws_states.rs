//! A connection's share of the `session_state` fan-out: from its start it watches the
//! states of its owner's sessions (the current ones first), and forwards each change as a
//! `session_state` frame, whichever session it is viewing.

use actix::prelude::*;

use super::ws_conn::WsConn;
use crate::actors::state_feed::WatchId;
use crate::protocol::{ControlFrame, SessionStateUpdate};

impl WsConn {
    /// Whose sessions this connection hears about: its caller's own (an admin is told of
    /// the sessions it owns, not of everyone's).
    pub(super) fn owner(&self) -> &str {
        &self.caller.user_id
    }

    /// Starts watching; the current state of each live session is sent now.
    pub(super) fn watch_states(&mut self, ctx: &mut Context<Self>) -> WatchId {
        let owner = self.owner().to_string();
        let (id, now) = self
            .state
            .engine
            .states
            .watch(&owner, ctx.address().recipient());
        for update in now {
            self.send(ctx, ControlFrame::SessionState(update));
        }
        id
    }
}

impl Handler<SessionStateUpdate> for WsConn {
    type Result = ();

    fn handle(&mut self, update: SessionStateUpdate, ctx: &mut Context<Self>) {
        self.send(ctx, ControlFrame::SessionState(update));
    }
}
