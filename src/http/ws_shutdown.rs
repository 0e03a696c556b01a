//! A connection while the server drains: told `server_shutting_down` once (with the whole
//! seconds left), then closed (going away) when the grace period ends.

use std::time::Instant;

use actix::prelude::*;
use actix_ws::CloseCode;

use super::{CloseForShutdown, ServerShuttingDown, WsConn};
use crate::protocol::{shutting_down_message, ControlFrame};

impl WsConn {
    pub(super) fn tell_shutdown(&mut self, ctx: &mut Context<Self>, deadline: Instant) {
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
