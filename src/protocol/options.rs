//! A session's conversation controls — model, effort, permission mode — as stored, as sent
//! in `session_options` and `SessionSummary`, and as a client asks for them in
//! `create_session` / `set_session_options` (docs/protocol.md, "Conversation controls").
//! The allowed values come from the server's settings (`MODELS`, [`EFFORTS`],
//! [`SESSION_PERMISSION_MODES`]); `GET /api/v1/info` lists them.

use serde::{Deserialize, Serialize};

use super::client::FrameError;
use super::codes::ErrorCode;
use crate::config::{Settings, EFFORTS, SESSION_PERMISSION_MODES};

/// What a session runs with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SessionOptions {
    /// One of `MODELS` (an alias such as `sonnet`, or a full model id).
    pub model: String,
    /// One of `low`, `medium`, `high`, `xhigh`, `max`; null: the CLI's default (`medium`).
    pub effort: Option<String>,
    /// One of the permission modes `GET /api/v1/info` lists.
    pub permission_mode: String,
}

impl SessionOptions {
    /// What a session gets when it asks for nothing: the first of `MODELS`, the CLI's
    /// default effort, `PERMISSION_MODE`.
    pub fn defaults(settings: &Settings) -> SessionOptions {
        SessionOptions {
            model: settings.default_model().to_string(),
            effort: None,
            permission_mode: settings.permission_mode.clone(),
        }
    }

    /// These options with `change` applied (its unset fields keep theirs).
    pub fn with(&self, change: &OptionsChange) -> SessionOptions {
        SessionOptions {
            model: change.model.clone().unwrap_or_else(|| self.model.clone()),
            effort: change.effort.clone().or_else(|| self.effort.clone()),
            permission_mode: change
                .permission_mode
                .clone()
                .unwrap_or_else(|| self.permission_mode.clone()),
        }
    }
}

/// The options a client asks for; an unset field keeps what the session has (on create:
/// the default).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OptionsChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effort: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_mode: Option<String>,
}

/// The permission modes a session may be created with or switched to: the live-switchable
/// ones, and `PERMISSION_MODE` (what every process starts with) if it is not among them.
pub fn permission_modes(settings: &Settings) -> Vec<String> {
    let mut modes: Vec<String> = SESSION_PERMISSION_MODES
        .iter()
        .map(|m| m.to_string())
        .collect();
    if !modes.contains(&settings.permission_mode) {
        modes.push(settings.permission_mode.clone());
    }
    modes
}

fn invalid(message: String) -> FrameError {
    FrameError {
        code: ErrorCode::ValidationError,
        message,
    }
}

impl OptionsChange {
    pub fn is_empty(&self) -> bool {
        self.model.is_none() && self.effort.is_none() && self.permission_mode.is_none()
    }

    /// Checks every field against the server's allowed values (`validation_error` naming
    /// the field and the values it takes).
    pub fn validate(&self, settings: &Settings) -> Result<(), FrameError> {
        if let Some(m) = &self.model {
            if !settings.models.contains(m) {
                return Err(invalid(format!(
                    "Unknown model {:?}. This server offers: {}.",
                    clip(m),
                    settings.models.join(", ")
                )));
            }
        }
        if let Some(e) = &self.effort {
            if !EFFORTS.contains(&e.as_str()) {
                return Err(invalid(format!(
                    "Unknown effort {:?}. Choose one of: {}.",
                    clip(e),
                    EFFORTS.join(", ")
                )));
            }
        }
        if let Some(p) = &self.permission_mode {
            let modes = permission_modes(settings);
            if !modes.contains(p) {
                return Err(invalid(format!(
                    "Unknown permission mode {:?}. Choose one of: {}.",
                    clip(p),
                    modes.join(", ")
                )));
            }
        }
        Ok(())
    }
}

/// A client's value, shortened for an error message.
fn clip(s: &str) -> String {
    s.chars().take(60).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings::from_vars([
            (
                "CLAUDE_SDK_PATTERN_API_KEY".to_string(),
                "a-key-long-enough-123".to_string(),
            ),
            ("MODELS".to_string(), "sonnet,haiku".to_string()),
        ])
        .unwrap()
    }

    #[test]
    fn defaults_and_changes() {
        let s = settings();
        let d = SessionOptions::defaults(&s);
        assert_eq!(d.model, "sonnet");
        assert_eq!(d.effort, None);
        assert_eq!(d.permission_mode, "default");
        let c = OptionsChange {
            effort: Some("high".into()),
            ..Default::default()
        };
        let n = d.with(&c);
        assert_eq!(n.effort.as_deref(), Some("high"));
        assert_eq!(n.model, "sonnet");
        assert!(OptionsChange::default().is_empty());
    }

    #[test]
    fn bad_values_are_validation_errors_naming_the_choices() {
        let s = settings();
        let bad = |c: OptionsChange| c.validate(&s).unwrap_err();
        let e = bad(OptionsChange {
            model: Some("gpt-4o".into()),
            ..Default::default()
        });
        assert_eq!(e.code, ErrorCode::ValidationError);
        assert!(e.message.contains("sonnet, haiku"), "{}", e.message);
        let e = bad(OptionsChange {
            effort: Some("extreme".into()),
            ..Default::default()
        });
        assert!(e.message.contains("xhigh"), "{}", e.message);
        let e = bad(OptionsChange {
            permission_mode: Some("bypassPermissions".into()),
            ..Default::default()
        });
        assert!(e.message.contains("acceptEdits"), "{}", e.message);
        OptionsChange {
            model: Some("haiku".into()),
            effort: Some("max".into()),
            permission_mode: Some("plan".into()),
        }
        .validate(&s)
        .unwrap();
    }
}
