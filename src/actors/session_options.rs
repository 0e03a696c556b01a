//! Conversation controls of a live session (issue 15): switching a process's model, effort
//! and permission mode with control requests — `set_model`, `apply_flag_settings
//! {effortLevel}`, `set_permission_mode`, all live in CLI 2.1.331, so nothing needs a
//! restart — for a pooled process taken by a new session (it stays pre-warmed) and for
//! `set_session_options` mid-session. Restarts and resumes pass the stored options as
//! flags instead (`CliFactory::options_for`).

use actix::prelude::*;
use slog::{info, warn};

use super::session::SessionActor;
use super::EngineError;
use crate::claude::{ClaudeError, ClaudeProcess};
use crate::protocol::{EventBody, OptionsChange, SessionOptions};

/// Brings a process running with `from` to `to`, one control request per field that
/// differs. On an error the process may be partly switched; the caller decides.
pub async fn switch(
    process: &ClaudeProcess,
    from: &SessionOptions,
    to: &SessionOptions,
) -> Result<(), ClaudeError> {
    if from.model != to.model {
        process.set_model(&to.model).await?;
    }
    if from.effort != to.effort {
        process.set_effort(to.effort.as_deref()).await?;
    }
    if from.permission_mode != to.permission_mode {
        process.set_permission_mode(&to.permission_mode).await?;
    }
    Ok(())
}

/// Change the session's options (validated by the caller against the settings); answers
/// with the options in effect. The client hears `session_options`.
#[derive(Message, Debug)]
#[rtype(result = "Result<SessionOptions, EngineError>")]
pub struct SetOptions {
    pub change: OptionsChange,
}

impl Handler<SetOptions> for SessionActor {
    type Result = ResponseActFuture<Self, Result<SessionOptions, EngineError>>;

    fn handle(&mut self, msg: SetOptions, _ctx: &mut Context<Self>) -> Self::Result {
        let from = self.summary.options();
        let to = from.with(&msg.change);
        let Some(process) = self.process.clone() else {
            return Box::pin(fut::ready(Err(EngineError::Restarting)));
        };
        Box::pin(
            async move {
                let switched = switch(&process, &from, &to).await;
                (switched, from, to)
            }
            .into_actor(self)
            .map(|(switched, from, to), act, _ctx| match switched {
                Ok(()) => {
                    if from != to {
                        info!(act.log, "session options changed";
                            "model" => &to.model, "effort" => to.effort.as_deref(),
                            "permission_mode" => &to.permission_mode);
                    }
                    act.options_changed(to.clone());
                    Ok(to)
                }
                Err(e) => {
                    warn!(act.log, "the CLI refused a session option"; "error" => %e);
                    Err(EngineError::OptionRefused)
                }
            }),
        )
    }
}

impl SessionActor {
    /// Records the options now in effect (store, summary) and tells the client.
    pub(super) fn options_changed(&mut self, to: SessionOptions) {
        self.summary.set_options(&to);
        self.store.options(to.clone());
        self.emit(EventBody::SessionOptions { options: to });
    }
}
