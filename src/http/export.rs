//! `GET /api/v1/sessions/{id}/export?format=md|json`: a conversation to keep or share — as
//! readable Markdown (tool calls and their output as collapsible `<details>` blocks), or as
//! the JSON of its stored messages (exactly what `GET …/messages` returns, plus the title).

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::IntoParams;

use super::error::ApiError;
use super::find::scope_of;
use super::AppState;
use crate::actors::EngineError;
use crate::db::{Listed, Message, MessageKind};
use crate::protocol::{ErrorCode, HistoryMessage, ListedSession};
use crate::session_id::SessionId;
use crate::users::Caller;

/// The query of the export.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `md` (default) or `json`.
    #[param(pattern = "^(md|json)$")]
    pub format: Option<String>,
}

/// The JSON export.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Export {
    pub session: ListedSession,
    pub messages: Vec<HistoryMessage>,
}

/// A fence longer than any run of backticks in `text`.
fn fence(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    "`".repeat((longest + 1).max(3))
}

/// Text for inside an HTML element (`<summary>`): escaped.
fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn str_of<'a>(p: &'a Value, key: &str) -> &'a str {
    p.get(key).and_then(Value::as_str).unwrap_or("")
}

/// The conversation as Markdown: a heading per speaker, tool calls and results folded.
pub fn markdown(listed: &Listed, messages: &[Message]) -> String {
    let title = listed
        .details
        .title
        .as_deref()
        .unwrap_or("Untitled session");
    let mut out = format!(
        "# {title}\n\nSession `{}` · started {} UTC · {} messages · ${:.4}\n",
        listed.session.session_id,
        listed.session.created_at.format("%Y-%m-%d %H:%M"),
        listed.session.message_count,
        listed.session.total_cost_usd
    );
    let mut last_speaker = None;
    for m in messages {
        let p = &m.payload;
        match m.kind {
            MessageKind::User | MessageKind::Assistant => {
                let who = if m.kind == MessageKind::User {
                    "You"
                } else {
                    "Claude"
                };
                if last_speaker != Some(m.kind) {
                    out.push_str(&format!("\n## {who}\n\n"));
                }
                last_speaker = Some(m.kind);
                out.push_str(str_of(p, "text"));
                out.push('\n');
            }
            MessageKind::ToolUse => {
                let input = serde_json::to_string_pretty(p.get("input").unwrap_or(&Value::Null))
                    .unwrap_or_default();
                let f = fence(&input);
                out.push_str(&format!(
                    "\n<details>\n<summary>Tool call: {}</summary>\n\n{f}json\n{input}\n{f}\n\n</details>\n",
                    html(str_of(p, "name"))
                ));
            }
            MessageKind::ToolResult => {
                let content = str_of(p, "content");
                let f = fence(content);
                let label = if p.get("is_error").and_then(Value::as_bool) == Some(true) {
                    "Tool error"
                } else {
                    "Tool output"
                };
                out.push_str(&format!(
                    "\n<details>\n<summary>{label}</summary>\n\n{f}\n{content}\n{f}\n\n</details>\n"
                ));
            }
            MessageKind::Error => {
                out.push_str(&format!("\n> **Error:** {}\n", str_of(p, "message")));
            }
            MessageKind::Notice => {
                out.push_str(&format!("\n> {}\n", str_of(p, "text")));
            }
        }
    }
    out
}

/// A file name from the title: letters, digits and dashes.
fn file_name(listed: &Listed, ext: &str) -> String {
    let base: String = listed
        .details
        .title
        .as_deref()
        .unwrap_or(&listed.session.session_id)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let base: Vec<&str> = base.split('-').filter(|s| !s.is_empty()).collect();
    let base = base.join("-");
    let base: String = base.chars().take(60).collect();
    format!("{}.{ext}", if base.is_empty() { "session" } else { &base })
}

#[utoipa::path(
    get, path = "/api/v1/sessions/{id}/export", tag = "sessions",
    security(("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "The session id (a UUID)"), ExportQuery),
    responses(
        (status = 200, description = "Markdown (`text/markdown`, the default) or JSON (`{session, messages}`, `format=json`), as a download", content(
            (String = "text/markdown"),
            (Export = "application/json"),
        )),
        (status = 400, description = "`validation_error`: a bad id or format", body = super::openapi::ErrorResponse),
        (status = 401, description = "Missing or wrong API key", body = super::openapi::ErrorResponse),
        (status = 404, description = "`session_not_found` (also another user's session, unless the caller is an admin)", body = super::openapi::ErrorResponse),
    )
)]
pub async fn export(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = SessionId::parse(&id)?;
    let format = query.format.as_deref().unwrap_or("md");
    if format != "md" && format != "json" {
        return Err(ApiError::new(
            ErrorCode::ValidationError,
            "format must be md or json.",
        ));
    }
    let failed = |e| {
        slog::warn!(state.log, "store failed"; "error" => %e);
        ApiError::internal()
    };
    let listed = state
        .db
        .listed(&scope_of(&caller), id.as_str())
        .await
        .map_err(failed)?
        .ok_or(ApiError::from(EngineError::NotFound))?;
    let messages = state.db.messages(id.as_str(), 0).await.map_err(failed)?;
    let name = file_name(&listed, format);
    let disposition = (
        header::CONTENT_DISPOSITION,
        format!("attachment; filename=\"{name}\""),
    );
    Ok(if format == "json" {
        HttpResponse::Ok().insert_header(disposition).json(Export {
            session: ListedSession::from(&listed),
            messages: messages.into_iter().map(HistoryMessage::from).collect(),
        })
    } else {
        HttpResponse::Ok()
            .insert_header(disposition)
            .content_type("text/markdown; charset=utf-8")
            .body(markdown(&listed, &messages))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_outgrow_the_text_and_names_are_safe() {
        assert_eq!(fence("no ticks"), "```");
        assert_eq!(fence("a ```` b"), "`````");
        let mut l = Listed {
            session: crate::db::Session::new(
                "6c1a1f8e-8a39-4b4e-9d6c-0a1b2c3d4e5f",
                crate::db::BOOTSTRAP_USER_ID,
            ),
            details: Default::default(),
        };
        assert_eq!(
            file_name(&l, "md"),
            "6c1a1f8e-8a39-4b4e-9d6c-0a1b2c3d4e5f.md"
        );
        l.details.title = Some("Fix the \"login\" bug / é?".into());
        assert_eq!(file_name(&l, "json"), "fix-the-login-bug.json");
    }
}
