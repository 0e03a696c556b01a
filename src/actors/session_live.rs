//! What a session tells beyond its subscriber: its `session_state` (published to the
//! [`StateFeed`](super::state_feed::StateFeed) after every step), and its remembered
//! approvals ("Allow for this session", [`SessionPermissions`]): granting, revoking (both
//! stored, so the session's next process starts with them), and the rules each permission
//! request would remember.

use actix::prelude::*;
use serde_json::Value;
use slog::warn;

use super::lifecycle::Phase;
use super::messages::RevokePermission;
use super::permissions::SessionPermissions;
use super::session::SessionActor;
use super::state_feed::StateFeed;
use super::turn::Effects;
use super::EngineError;
use crate::claude::process::{set_mode, CONTROL_TIMEOUT};
use crate::claude::{CliEvent, PermissionDecision};
use crate::protocol::{EventBody, LiveState, PendingPermission, SessionStateUpdate};

/// The part of a session actor this file keeps.
#[derive(Default)]
pub struct Live {
    /// The session's owner (its row's `user_id`): whose connections hear its state.
    pub owner: String,
    pub feed: StateFeed,
    pub perms: SessionPermissions,
    /// The request the session waits on, as `session_state` shows it.
    waiting: Option<PendingPermission>,
    /// The last turn ended in an error (until the next one starts).
    pub last_failed: bool,
}

impl Live {
    /// `rules`: what the session allowed itself before this process (its process was
    /// started with them).
    pub fn new(owner: String, feed: StateFeed, rules: Vec<String>) -> Live {
        let mut perms = SessionPermissions::default();
        perms.relaunched(rules);
        Live {
            owner,
            feed,
            perms,
            ..Live::default()
        }
    }
}

impl SessionActor {
    /// Publishes what the session is doing now (the feed drops a repeat).
    pub(super) fn publish_state(&mut self) {
        let phase = self.life.phase();
        let pending = phase.pending_permission();
        if self.live.waiting.as_ref().map(|w| w.request_id.as_str()) != pending {
            self.live.waiting = None;
        }
        let state = match phase {
            Phase::Suspended => LiveState::Suspended,
            Phase::Failed => LiveState::Error,
            Phase::Ended { .. } => LiveState::Ended,
            _ if pending.is_some() => LiveState::WaitingForApproval,
            _ if phase.turn_running()
                || self.turn.is_some()
                || matches!(phase, Phase::Restarting { .. }) =>
            {
                LiveState::Running
            }
            _ if self.live.last_failed => LiveState::Error,
            _ => LiveState::Idle,
        };
        let permission = match state {
            LiveState::WaitingForApproval => self.live.waiting.clone(),
            _ => None,
        };
        let update = SessionStateUpdate {
            session_id: self.id.clone(),
            state,
            permission,
            allowed: self.live.perms.granted(),
        };
        self.live.feed.publish(&self.live.owner, update);
    }

    /// Before the turn sees a CLI event: a permission request's rules to offer.
    pub(super) fn offer_rules(&mut self, event: &CliEvent) -> Option<Vec<String>> {
        match event {
            CliEvent::PermissionRequest(req) => Some(
                self.live
                    .perms
                    .offer(req)
                    .iter()
                    .map(|r| r.text())
                    .collect(),
            ),
            _ => None,
        }
    }

    /// What the turn decided, as far as this file is concerned: the rules a request offers,
    /// the request waited on, withdrawn offers, a failed end.
    pub(super) fn note_effects(&mut self, fx: &mut Effects, rules: Option<Vec<String>>) {
        for body in fx.events.iter_mut() {
            match body {
                EventBody::PermissionRequest {
                    request_id,
                    tool_name,
                    reason,
                    session_rules,
                    ..
                } => {
                    if let Some(r) = &rules {
                        session_rules.clone_from(r);
                    }
                    self.live.waiting = Some(PendingPermission {
                        request_id: request_id.clone(),
                        tool_name: tool_name.clone(),
                        reason: reason.clone(),
                    });
                }
                EventBody::StreamError { .. } => self.live.last_failed = true,
                _ => {}
            }
        }
        if let Some(id) = &fx.permission_closed {
            self.live.perms.close(id);
        }
    }

    /// The decision for an answer to the pending request `request_id`. `remember` grants
    /// its offered rules; a revoked rule granted again comes off the `ask` list first
    /// (returned: the settings to apply before the answer). `mode` (with `allow`) switches
    /// the session's permission mode with the answer (an approved plan).
    pub(super) fn decide(
        &mut self,
        request_id: &str,
        allow: bool,
        remember: bool,
        mode: Option<String>,
        message: Option<String>,
    ) -> (PermissionDecision, Option<Value>) {
        if !allow {
            self.live.perms.close(request_id);
            let message = message
                .filter(|m| !m.trim().is_empty())
                .unwrap_or_else(|| "The user denied this tool call.".to_string());
            return (PermissionDecision::Deny { message }, None);
        }
        if remember {
            if let Some(g) = self.live.perms.grant(request_id) {
                self.store.rules(self.live.perms.granted());
                let mut updated_permissions = g.updated_permissions;
                // An approved plan remembered: the mode switch travels with the rules.
                updated_permissions.extend(mode.as_deref().map(set_mode));
                let decision = PermissionDecision::AllowRemembering {
                    updated_permissions,
                };
                return (decision, g.flag_settings);
            }
        }
        self.live.perms.close(request_id);
        match mode {
            Some(mode) => (PermissionDecision::AllowAndSetMode { mode }, None),
            None => (PermissionDecision::Allow, None),
        }
    }

    /// Sends `settings` with `apply_flag_settings`, then the answer (in that order).
    pub(super) fn send_answer(
        &mut self,
        ctx: &mut Context<Self>,
        request_id: String,
        decision: PermissionDecision,
        settings: Option<Value>,
    ) {
        let Some(p) = self.process.clone() else {
            return;
        };
        let log = self.log.clone();
        ctx.spawn(
            async move {
                if let Some(settings) = settings {
                    let body =
                        serde_json::json!({"subtype": "apply_flag_settings", "settings": settings});
                    if let Err(e) = p
                        .request("apply_flag_settings", body, CONTROL_TIMEOUT)
                        .await
                    {
                        warn!(log, "could not apply permission settings"; "error" => %e);
                    }
                }
                if let Err(e) = p.answer_permission(&request_id, decision).await {
                    warn!(log, "could not answer a permission request"; "error" => %e);
                }
            }
            .into_actor(self),
        );
    }
}

impl Handler<RevokePermission> for SessionActor {
    type Result = ResponseActFuture<Self, Result<(), EngineError>>;

    /// Puts the rule on the CLI's `ask` list; `session_state` shows it gone once the CLI
    /// has it. An unknown rule changes nothing.
    fn handle(&mut self, msg: RevokePermission, _ctx: &mut Context<Self>) -> Self::Result {
        let settings = self.live.perms.revoke(&msg.rule);
        if settings.is_some() {
            self.store.rules(self.live.perms.granted());
        }
        let process = self.process.clone();
        let log = self.log.clone();
        Box::pin(
            async move {
                if let (Some(settings), Some(p)) = (settings, process) {
                    let body =
                        serde_json::json!({"subtype": "apply_flag_settings", "settings": settings});
                    if let Err(e) = p
                        .request("apply_flag_settings", body, CONTROL_TIMEOUT)
                        .await
                    {
                        warn!(log, "could not revoke a permission rule"; "error" => %e);
                        return Err(EngineError::Unavailable);
                    }
                }
                Ok(())
            }
            .into_actor(self)
            .map(|result, act, _ctx| {
                act.publish_state();
                result
            }),
        )
    }
}
