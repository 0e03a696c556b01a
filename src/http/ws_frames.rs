//! The client frames a connection handles on this replica (in replica mode, the frames about
//! sessions it runs): each validated, then sent to the engine as the connection's caller.
//! A failure is answered with an `error` frame; success mostly shows up as session events.

use actix::prelude::*;
use slog::warn;

use super::WsConn;
use crate::actors::messages::AnswerPermission;
use crate::actors::EngineError;
use crate::http::error::ApiError;
use crate::protocol::attachments;
use crate::protocol::{ClientFrame, ControlFrame, ErrorCode};
use crate::session_id::SessionId;

impl WsConn {
    /// The caller's sessions (an admin's: every session, with its owner's name).
    pub(super) fn send_session_list(&mut self, ctx: &mut Context<Self>) {
        let db = self.state.db.clone();
        let caller = self.caller.clone();
        let scope = crate::http::find::scope_of(&caller);
        let first_page = crate::db::ListQuery {
            limit: crate::db::DEFAULT_PAGE,
            ..Default::default()
        };
        ctx.spawn(
            async move {
                let page = db.list_sessions(&scope, first_page).await?;
                let sessions = crate::http::find::named(&db, &caller, &page.sessions).await?;
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

    /// Handles a client frame on this replica.
    pub(in crate::http) fn route_local(&mut self, ctx: &mut Context<Self>, frame: ClientFrame) {
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
                let (db, scope) = (self.state.db.clone(), crate::http::find::scope_of(&caller));
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
                let scope = crate::http::find::scope_of(&caller);
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
