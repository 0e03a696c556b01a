//! Client → server WebSocket frames (docs/protocol.md, "client → server"), parsed and
//! validated with stable error codes: not JSON → `invalid_json`; no or unknown `type` →
//! `unknown_type`; a missing, empty, over-long or malformed field → `validation_error`.
//! Session ids are parsed into [`SessionId`]s here.
//!
//! [`ClientFrame`] also serializes, as a client sends it: the fixture test checks that
//! what it writes parses back to the same frame, and the web's types against it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::attachments::Attachment;
use super::codes::ErrorCode;
use super::options::OptionsChange;
use crate::session_id::SessionId;

/// The longest user message accepted, in characters (after trimming).
pub const MAX_TEXT_CHARS: usize = 32_000;

/// A frame that could not be taken: a code and a message for a person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", code.as_str())]
pub struct FrameError {
    pub code: ErrorCode,
    pub message: String,
}

impl FrameError {
    fn new(code: ErrorCode, message: impl Into<String>) -> FrameError {
        FrameError {
            code,
            message: message.into(),
        }
    }
}

/// A validated client frame.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    /// A new session, with the options asked for (the rest: the server's defaults).
    CreateSession {
        #[serde(flatten)]
        options: OptionsChange,
        /// The project and isolation (issue 17).
        #[serde(flatten)]
        placement: super::placement::PlacementRequest,
    },
    /// Switch the session's model, effort or permission mode (at least one).
    SetSessionOptions {
        session_id: SessionId,
        #[serde(flatten)]
        options: OptionsChange,
    },
    SwitchSession {
        session_id: SessionId,
        after_seq: u64,
    },
    UserMessage {
        session_id: SessionId,
        text: String,
        seq: u64,
        /// Images and text files sent with the text (checked by the connection against the
        /// configured limits: see [`super::attachments`]).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<Attachment>,
    },
    Interrupt {
        session_id: SessionId,
    },
    DestroySession {
        session_id: SessionId,
    },
    ResumeSession {
        session_id: SessionId,
    },
    PermissionResponse {
        session_id: SessionId,
        request_id: String,
        allow: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        message: Option<String>,
        /// "Allow for this session": the CLI is not asked again for this tool or command
        /// prefix in this session (the request's `session_rules`). Only with `allow`.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        remember: bool,
        /// With `allow`: continue in this permission mode (approving a plan).
        #[serde(skip_serializing_if = "Option::is_none")]
        mode: Option<String>,
    },
    /// Drops a rule "Allow for this session" granted (as listed in `session_state.allowed`):
    /// the CLI asks again.
    RevokePermission {
        session_id: SessionId,
        rule: String,
    },
    RenameSession {
        session_id: SessionId,
        title: String,
    },
    /// Fork a session before its user message `before_seq` (absent: the whole
    /// conversation); the connection switches to the new session (`session_history`).
    ForkSession {
        session_id: SessionId,
        #[serde(skip_serializing_if = "Option::is_none")]
        before_seq: Option<i64>,
    },
}

impl ClientFrame {
    /// The `type` of each variant (an exhaustive list: the fixture test covers them all).
    pub fn kind(&self) -> &'static str {
        match self {
            ClientFrame::CreateSession { .. } => "create_session",
            ClientFrame::SetSessionOptions { .. } => "set_session_options",
            ClientFrame::SwitchSession { .. } => "switch_session",
            ClientFrame::UserMessage { .. } => "user_message",
            ClientFrame::Interrupt { .. } => "interrupt",
            ClientFrame::DestroySession { .. } => "destroy_session",
            ClientFrame::ResumeSession { .. } => "resume_session",
            ClientFrame::PermissionResponse { .. } => "permission_response",
            ClientFrame::RenameSession { .. } => "rename_session",
            ClientFrame::RevokePermission { .. } => "revoke_permission",
            ClientFrame::ForkSession { .. } => "fork_session",
        }
    }
}

#[derive(Deserialize)]
struct SessionRef {
    session_id: String,
}

#[derive(Deserialize)]
struct Switch {
    session_id: String,
    #[serde(default)]
    after_seq: Option<u64>,
}

#[derive(Deserialize)]
struct UserMessage {
    session_id: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    seq: Option<u64>,
    #[serde(default)]
    attachments: Vec<Attachment>,
}

#[derive(Deserialize)]
struct SetOptions {
    session_id: String,
    #[serde(flatten)]
    options: OptionsChange,
}

/// The longest option value accepted (the allowed values are checked by the server).
const MAX_OPTION_CHARS: usize = 100;

/// Checks an options change's shape: strings, not empty, not over-long.
fn options_shape(o: &OptionsChange) -> Result<(), FrameError> {
    for (name, value) in [
        ("model", &o.model),
        ("effort", &o.effort),
        ("permission_mode", &o.permission_mode),
    ] {
        if let Some(v) = value {
            if v.trim().is_empty() || v.chars().count() > MAX_OPTION_CHARS {
                return Err(invalid(format!(
                    "{name} must be one of the values GET /api/v1/info lists."
                )));
            }
        }
    }
    Ok(())
}

#[derive(Deserialize)]
struct Permission {
    session_id: String,
    request_id: String,
    allow: bool,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    remember: bool,
    #[serde(default)]
    mode: Option<String>,
}

#[derive(Deserialize)]
struct Revoke {
    session_id: String,
    rule: String,
}

#[derive(Deserialize)]
struct Fork {
    session_id: String,
    #[serde(default)]
    before_seq: Option<i64>,
}

#[derive(Deserialize)]
struct Rename {
    session_id: String,
    title: String,
}

/// The longest title, in characters (after trimming).
pub const MAX_TITLE_CHARS: usize = crate::db::TITLE_MAX_CHARS;

/// A title trimmed and checked: 1–[`MAX_TITLE_CHARS`] characters, one line.
pub fn valid_title(title: &str) -> Result<String, FrameError> {
    let t = title.trim();
    let n = t.chars().count();
    if n == 0 || n > MAX_TITLE_CHARS {
        return Err(invalid(format!(
            "A title is 1–{MAX_TITLE_CHARS} characters (got {n})."
        )));
    }
    if t.chars().any(char::is_control) {
        return Err(invalid("A title is one line of text."));
    }
    Ok(t.to_string())
}

/// The answer to a `/clear` message (the web UI starts a new session instead).
pub const CLEAR_REFUSED: &str = "/clear is not run here: it would start a conversation this \
server does not follow. Start a new session instead; this one stays in your list.";

fn invalid(message: impl Into<String>) -> FrameError {
    FrameError::new(ErrorCode::ValidationError, message)
}

/// Reads the fields of a frame type, turning serde's complaint into a plain sentence.
fn fields<T: for<'de> Deserialize<'de>>(kind: &str, value: Value) -> Result<T, FrameError> {
    serde_json::from_value(value).map_err(|e| {
        // serde's text names the field ("missing field `session_id`"); no input is echoed.
        let detail = e.to_string();
        let detail = detail.split(" at line").next().unwrap_or(&detail);
        invalid(format!("Invalid {kind} frame: {detail}."))
    })
}

fn session_id(id: String) -> Result<SessionId, FrameError> {
    SessionId::parse(&id).map_err(|e| invalid(e.to_string()))
}

/// The type name of a frame, if it has one (for error replies).
pub fn frame_type(text: &str) -> Option<String> {
    serde_json::from_str::<Value>(text)
        .ok()?
        .get("type")?
        .as_str()
        .map(str::to_string)
}

/// Parses and validates one text frame.
pub fn parse(text: &str) -> Result<ClientFrame, FrameError> {
    let value: Value = serde_json::from_str(text).map_err(|_| {
        FrameError::new(
            ErrorCode::InvalidJson,
            "The frame is not valid JSON. Send one JSON object per frame.",
        )
    })?;
    let Some(kind) = value
        .get("type")
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return Err(FrameError::new(
            ErrorCode::UnknownType,
            "The frame has no \"type\" field.",
        ));
    };
    Ok(match kind.as_str() {
        "create_session" => {
            let placement = fields(&kind, value.clone())?;
            let options: OptionsChange = fields(&kind, value)?;
            options_shape(&options)?;
            ClientFrame::CreateSession { options, placement }
        }
        "set_session_options" => {
            let f: SetOptions = fields(&kind, value)?;
            options_shape(&f.options)?;
            if f.options.is_empty() {
                return Err(invalid(
                    "set_session_options needs at least one of model, effort, permission_mode.",
                ));
            }
            ClientFrame::SetSessionOptions {
                session_id: session_id(f.session_id)?,
                options: f.options,
            }
        }
        "switch_session" => {
            let f: Switch = fields(&kind, value)?;
            ClientFrame::SwitchSession {
                session_id: session_id(f.session_id)?,
                after_seq: f.after_seq.unwrap_or(0),
            }
        }
        "user_message" => {
            let f: UserMessage = fields(&kind, value)?;
            let text = f.text.trim().to_string();
            if text.is_empty() && f.attachments.is_empty() {
                return Err(invalid("The message is empty."));
            }
            // The attachments are checked against the configured limits by the connection
            // (`ws_conn`), before anything is stored or sent.
            if text == "/clear" || text.starts_with("/clear ") {
                // The CLI would reset the conversation under a new id of its own, which the
                // server does not follow (a resume would bring the old one back).
                return Err(invalid(CLEAR_REFUSED));
            }
            let chars = text.chars().count();
            if chars > MAX_TEXT_CHARS {
                return Err(invalid(format!(
                    "The message is {chars} characters long; the limit is {MAX_TEXT_CHARS}. \
                     Shorten it or split it into several messages."
                )));
            }
            ClientFrame::UserMessage {
                session_id: session_id(f.session_id)?,
                text,
                seq: f.seq.unwrap_or(0),
                attachments: f.attachments,
            }
        }
        "interrupt" => ClientFrame::Interrupt {
            session_id: session_id(fields::<SessionRef>(&kind, value)?.session_id)?,
        },
        "destroy_session" => ClientFrame::DestroySession {
            session_id: session_id(fields::<SessionRef>(&kind, value)?.session_id)?,
        },
        "resume_session" => ClientFrame::ResumeSession {
            session_id: session_id(fields::<SessionRef>(&kind, value)?.session_id)?,
        },
        "permission_response" => {
            let f: Permission = fields(&kind, value)?;
            if f.request_id.is_empty() || f.request_id.len() > 200 {
                return Err(invalid(
                    "request_id must be the id of a permission request.",
                ));
            }
            ClientFrame::PermissionResponse {
                session_id: session_id(f.session_id)?,
                request_id: f.request_id,
                allow: f.allow,
                message: f.message.map(|m| m.chars().take(2000).collect()),
                remember: f.remember && f.allow,
                mode: f.mode,
            }
        }
        "revoke_permission" => {
            let f: Revoke = fields(&kind, value)?;
            if f.rule.trim().is_empty() || f.rule.len() > 2000 {
                return Err(invalid("rule must be one of the session's allowed rules."));
            }
            ClientFrame::RevokePermission {
                session_id: session_id(f.session_id)?,
                rule: f.rule,
            }
        }
        "rename_session" => {
            let f: Rename = fields(&kind, value)?;
            ClientFrame::RenameSession {
                title: valid_title(&f.title)?,
                session_id: session_id(f.session_id)?,
            }
        }
        "fork_session" => {
            let f: Fork = fields(&kind, value)?;
            ClientFrame::ForkSession {
                session_id: session_id(f.session_id)?,
                before_seq: f.before_seq,
            }
        }
        _ => {
            return Err(FrameError::new(
                ErrorCode::UnknownType,
                "Unknown frame type. Known types: create_session, set_session_options, \
                 switch_session, user_message, interrupt, destroy_session, resume_session, \
                 permission_response, revoke_permission, rename_session, fork_session.",
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "6c1a1f8e-8a39-4b4e-9d6c-0a1b2c3d4e5f";

    fn code(text: &str) -> ErrorCode {
        parse(text).unwrap_err().code
    }

    #[test]
    fn every_frame_type_parses() {
        assert_eq!(
            parse(r#"{"type":"create_session"}"#).unwrap(),
            ClientFrame::CreateSession {
                options: OptionsChange::default(),
                placement: Default::default(),
            }
        );
        assert_eq!(
            parse(&format!(
                r#"{{"type":"set_session_options","session_id":"{ID}","model":"sonnet"}}"#
            ))
            .unwrap(),
            ClientFrame::SetSessionOptions {
                session_id: SessionId::from_stored(ID),
                options: OptionsChange {
                    model: Some("sonnet".into()),
                    ..Default::default()
                }
            }
        );
        assert_eq!(
            parse(&format!(
                r#"{{"type":"switch_session","session_id":"{ID}","after_seq":7}}"#
            ))
            .unwrap(),
            ClientFrame::SwitchSession {
                session_id: SessionId::from_stored(ID),
                after_seq: 7
            }
        );
        assert_eq!(
            parse(&format!(
                r#"{{"type":"user_message","session_id":"{ID}","text":"  hi  ","seq":3}}"#
            ))
            .unwrap(),
            ClientFrame::UserMessage {
                session_id: SessionId::from_stored(ID),
                text: "hi".into(),
                seq: 3,
                attachments: vec![],
            }
        );
        for t in ["interrupt", "destroy_session", "resume_session"] {
            parse(&format!(r#"{{"type":"{t}","session_id":"{ID}"}}"#)).unwrap();
        }
        assert_eq!(
            parse(&format!(
                r#"{{"type":"permission_response","session_id":"{ID}","request_id":"r1","allow":false,"message":"no"}}"#
            ))
            .unwrap(),
            ClientFrame::PermissionResponse {
                session_id: SessionId::from_stored(ID),
                request_id: "r1".into(),
                allow: false,
                message: Some("no".into()),
                remember: false,
                mode: None,
            }
        );
        assert_eq!(
            parse(&format!(
                r#"{{"type":"revoke_permission","session_id":"{ID}","rule":"Bash(npm run *)"}}"#
            ))
            .unwrap(),
            ClientFrame::RevokePermission {
                session_id: SessionId::from_stored(ID),
                rule: "Bash(npm run *)".into(),
            }
        );
    }

    #[test]
    fn bad_frames_get_stable_codes() {
        assert_eq!(code("not json"), ErrorCode::InvalidJson);
        assert_eq!(code(r#"{"no":"type"}"#), ErrorCode::UnknownType);
        assert_eq!(
            code(r#"{"type":"launch_missiles"}"#),
            ErrorCode::UnknownType
        );
        assert_eq!(code(r#"{"type":"interrupt"}"#), ErrorCode::ValidationError);
        let none = format!(r#"{{"type":"set_session_options","session_id":"{ID}"}}"#);
        assert_eq!(code(&none), ErrorCode::ValidationError);
        assert_eq!(
            code(r#"{"type":"create_session","model":""}"#),
            ErrorCode::ValidationError
        );
        assert_eq!(
            code(r#"{"type":"create_session","effort":3}"#),
            ErrorCode::ValidationError
        );
        assert_eq!(
            code(r#"{"type":"interrupt","session_id":"nope"}"#),
            ErrorCode::ValidationError
        );
        let empty = format!(r#"{{"type":"user_message","session_id":"{ID}","text":"   "}}"#);
        assert_eq!(code(&empty), ErrorCode::ValidationError);
        let long = format!(
            r#"{{"type":"user_message","session_id":"{ID}","text":"{}"}}"#,
            "x".repeat(MAX_TEXT_CHARS + 1)
        );
        let e = parse(&long).unwrap_err();
        assert_eq!(e.code, ErrorCode::ValidationError);
        assert!(e.message.contains("32000"), "{}", e.message);
        let exact = format!(
            r#"{{"type":"user_message","session_id":"{ID}","text":"{}"}}"#,
            "é".repeat(MAX_TEXT_CHARS)
        );
        parse(&exact).unwrap();
        for bad in ["", "   ", "a\nb"] {
            let f = serde_json::json!({"type": "rename_session", "session_id": ID, "title": bad});
            assert_eq!(code(&f.to_string()), ErrorCode::ValidationError, "{bad:?}");
        }
        let f = serde_json::json!({"type": "rename_session", "session_id": ID, "title": "é".repeat(201)});
        assert_eq!(code(&f.to_string()), ErrorCode::ValidationError);
        let f = serde_json::json!({"type": "rename_session", "session_id": ID, "title": " Fine "});
        assert_eq!(
            parse(&f.to_string()).unwrap(),
            ClientFrame::RenameSession {
                session_id: SessionId::from_stored(ID),
                title: "Fine".into()
            }
        );
        assert_eq!(
            frame_type(r#"{"type":"interrupt"}"#).as_deref(),
            Some("interrupt")
        );
    }
}
