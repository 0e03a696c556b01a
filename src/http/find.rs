//! Finding sessions over REST (docs/protocol.md, "Finding sessions"): the paged, filtered
//! list; rename and archive (`PATCH`); purge (`DELETE …?purge=true`, see
//! src/actors/purge.rs); full-text search. Every store call takes the caller's [`Scope`].

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::ApiError;
use super::AppState;
use crate::actors::EngineError;
use crate::db::{
    Cursor, Db, DbError, ListQuery, Listed, MessageKind, Scope, StatusFilter, DEFAULT_HITS,
    DEFAULT_PAGE, MAX_HITS, MAX_PAGE, TITLE_MAX_CHARS,
};
use crate::protocol::session::utc;
use crate::protocol::{ErrorCode, ListedSession};
use crate::session_id::SessionId;
use crate::users::Caller;

/// Whose sessions a request sees — the one place this is chosen for listing, search,
/// rename, archive, purge and export: a member their own ([`Caller::sees`]: another user's
/// session is one that does not exist), an admin every session.
pub fn scope_of(caller: &Caller) -> Scope {
    match caller.is_admin() {
        true => Scope::all(),
        false => Scope::owner_is(caller.user_id.clone()),
    }
}

/// The listed rows as sent to `caller`: an admin's carry each owner's name
/// (`user_name`), a member's do not.
pub async fn named(
    db: &Db,
    caller: &Caller,
    rows: &[Listed],
) -> Result<Vec<ListedSession>, DbError> {
    let mut sessions: Vec<ListedSession> = rows.iter().map(ListedSession::from).collect();
    if caller.is_admin() && !sessions.is_empty() {
        let names: std::collections::HashMap<String, String> = db
            .users()
            .await?
            .into_iter()
            .map(|u| (u.user_id, u.name))
            .collect();
        for s in &mut sessions {
            s.summary.user_name = names.get(&s.summary.user_id).cloned();
        }
    }
    Ok(sessions)
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::ValidationError, message)
}

fn store_failed(state: &AppState, e: DbError) -> ApiError {
    slog::warn!(state.log, "store failed"; "error" => %e);
    ApiError::internal()
}

/// `GET /api/v1/sessions`: one page.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionPage {
    /// Newest activity first.
    pub sessions: Vec<ListedSession>,
    /// Pass as `cursor` for the next page; null on the last page. Opaque.
    pub next_cursor: Option<String>,
}

/// The query of `GET /api/v1/sessions`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// A status (`creating`, `active`, `idle`, `suspended`, `failed`, `terminated`), or
    /// `archived`, or `all`. Default: every session that is not archived.
    #[param(pattern = "^(creating|active|idle|suspended|failed|terminated|archived|all)?$")]
    pub status: Option<String>,
    /// Part of the title (case-insensitive), or the start of the session id.
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Admins only: the sessions of this user id. A member always gets their own (the
    /// parameter is ignored).
    pub owner: Option<String>,
    /// Only the sessions of this project (a name from `GET /api/v1/projects`).
    pub project: Option<String>,
}

/// Parses the list query with `validation_error`s.
pub fn list_query(p: &ListParams) -> Result<ListQuery, ApiError> {
    let limit = match p.limit {
        None => DEFAULT_PAGE,
        Some(n @ 1..) if n as usize <= MAX_PAGE => n as usize,
        Some(_) => return Err(invalid(format!("limit must be 1–{MAX_PAGE}."))),
    };
    let cursor = match p.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(Cursor::parse(c).ok_or_else(|| {
            invalid("cursor is not one this server gave out (use next_cursor as it is).")
        })?),
    };
    let status = match p.status.as_deref().filter(|s| !s.is_empty()) {
        None => StatusFilter::Current,
        Some(s) => s.parse().map_err(invalid)?,
    };
    let text = p.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    if text.is_some_and(|q| q.chars().count() > TITLE_MAX_CHARS) {
        return Err(invalid(format!(
            "q is at most {TITLE_MAX_CHARS} characters."
        )));
    }
    Ok(ListQuery {
        limit,
        cursor,
        status,
        text: text.map(str::to_string),
        project: None,
    })
}

#[utoipa::path(
    get, path = "/api/v1/sessions", tag = "sessions",
    security(("api_key" = [])),
    params(ListParams),
    responses(
        (status = 200, description = "One page of sessions, newest activity first", body = SessionPage),
        (status = 400, description = "`validation_error`: a bad limit, cursor or status; `invalid_project`: a project name that is a path", body = super::openapi::ErrorResponse),
        (status = 401, description = "Missing or wrong API key", body = super::openapi::ErrorResponse),
        (status = 404, description = "`project_not_found`: no such project", body = super::openapi::ErrorResponse),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let mut query = list_query(&params)?;
    if let Some(name) = params.project.as_deref().filter(|p| !p.is_empty()) {
        let projects = &state.settings.projects;
        let project = projects
            .resolve(Some(name))
            .map_err(|(code, message)| ApiError::new(code, message))?;
        query.project = Some(crate::db::ProjectFilter {
            is_default: project.name == projects.default_name,
            name: project.name,
        });
    }
    let scope = match params.owner.as_deref().filter(|o| !o.is_empty()) {
        Some(owner) if caller.is_admin() => Scope::owner_is(owner),
        _ => scope_of(&caller),
    };
    let page = state
        .db
        .list_sessions(&scope, query)
        .await
        .map_err(|e| store_failed(&state, e))?;
    let sessions = named(&state.db, &caller, &page.sessions)
        .await
        .map_err(|e| store_failed(&state, e))?;
    Ok(HttpResponse::Ok().json(SessionPage {
        sessions,
        next_cursor: page.next_cursor.map(|c| c.encode()),
    }))
}

/// The body of `PATCH /api/v1/sessions/{id}`: any of the fields.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionPatch {
    /// A new title, 1–200 characters after trimming, one line: no control characters
    /// (the pattern: at least one that is not a space, none in U+0000–001F, U+007F–009F).
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$"
    )]
    pub title: Option<String>,
    /// Archive (true) or bring back (false).
    pub archived: Option<bool>,
}

#[utoipa::path(
    patch, path = "/api/v1/sessions/{id}", tag = "sessions",
    security(("api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "The session id (a UUID)")),
    request_body = SessionPatch,
    responses(
        (status = 200, description = "The session as listed now", body = ListedSession),
        (status = 400, description = "`validation_error`: a bad id or title; `invalid_json`", body = super::openapi::ErrorResponse),
        (status = 401, description = "Missing or wrong API key", body = super::openapi::ErrorResponse),
        (status = 404, description = "`session_not_found` (also another user's session, unless the caller is an admin)", body = super::openapi::ErrorResponse),
    )
)]
pub async fn patch(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    super::extract::JsonObject(body): super::extract::JsonObject<SessionPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = SessionId::parse(&id)?;
    let title = body
        .title
        .as_deref()
        .map(crate::protocol::client::valid_title)
        .transpose()?;
    let scope = scope_of(&caller);
    let mut listed = state
        .db
        .listed(&scope, id.as_str())
        .await
        .map_err(|e| store_failed(&state, e))?;
    if let Some(title) = title {
        listed = state
            .db
            .rename(&scope, id.as_str(), &title)
            .await
            .map_err(|e| store_failed(&state, e))?;
    }
    if let (Some(archived), Some(_)) = (body.archived, &listed) {
        listed = state
            .db
            .set_archived(&scope, id.as_str(), archived)
            .await
            .map_err(|e| store_failed(&state, e))?;
    }
    let listed = listed.ok_or(ApiError::from(EngineError::NotFound))?;
    let mut named = named(&state.db, &caller, std::slice::from_ref(&listed))
        .await
        .map_err(|e| store_failed(&state, e))?;
    Ok(HttpResponse::Ok().json(named.pop().unwrap_or_else(|| ListedSession::from(&listed))))
}

/// The query of `GET /api/v1/search`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Words to find (all of them; `word*` finds words starting with it). Up to 500
    /// characters; everything is taken as text, never as query syntax.
    #[param(min_length = 1, max_length = 500, pattern = "\\S")]
    pub q: String,
    /// Hits, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// One matching message.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchHit {
    #[schema(value_type = String)]
    pub session_id: SessionId,
    pub title: Option<String>,
    /// The message's `seq` in its session (open it there).
    pub seq: i64,
    /// `user`, `assistant`, `tool_use`, `tool_result`, `error` or `notice`.
    pub role: MessageKind,
    /// HTML-escaped text around the match; each matched term in `<mark>…</mark>`.
    pub snippet: String,
    #[serde(serialize_with = "utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: chrono::NaiveDateTime,
}

/// `GET /api/v1/search`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResults {
    /// Best match first.
    pub hits: Vec<SearchHit>,
}

#[utoipa::path(
    get, path = "/api/v1/search", tag = "sessions",
    security(("api_key" = [])),
    params(SearchParams),
    responses(
        (status = 200, description = "Matching messages, best first", body = SearchResults),
        (status = 400, description = "`validation_error`: empty, too long, too many words, or a bad limit", body = super::openapi::ErrorResponse),
        (status = 401, description = "Missing or wrong API key", body = super::openapi::ErrorResponse),
    )
)]
pub async fn search(
    state: web::Data<AppState>,
    caller: Caller,
    params: web::Query<SearchParams>,
) -> Result<HttpResponse, ApiError> {
    let limit = match params.limit {
        None => DEFAULT_HITS,
        Some(n @ 1..) if n as usize <= MAX_HITS => n as usize,
        Some(_) => return Err(invalid(format!("limit must be 1–{MAX_HITS}."))),
    };
    let hits = state
        .db
        .search(&scope_of(&caller), &params.q, limit)
        .await
        .map_err(|e| store_failed(&state, e))?
        .map_err(|e| invalid(e.to_string()))?;
    Ok(HttpResponse::Ok().json(SearchResults {
        hits: hits
            .into_iter()
            .map(|h| SearchHit {
                session_id: SessionId::from_stored(&h.session_id),
                title: h.title,
                seq: h.seq,
                role: h.kind,
                snippet: h.snippet,
                created_at: h.created_at,
            })
            .collect(),
    }))
}
