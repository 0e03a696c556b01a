//! `GET /api/v1/me` (anyone with a valid identity) and the admin routes (docs/protocol.md,
//! "Users and keys"): add, list, change and disable users, make and revoke keys. A key is in
//! the response that made it, once; afterwards only its prefix is ever shown. Revoking a key
//! or disabling a user closes its open WebSockets at once (1008); its tickets and the next
//! REST call fail with 401.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use chrono::NaiveDateTime;
use serde::{Deserialize, Deserializer, Serialize};
use slog::{info, warn};
use utoipa::ToSchema;

use super::error::ApiError;
use super::AppState;
use crate::db::{models::now, ApiKey, LimitsChange, Role, User, BOOTSTRAP_USER_ID};
use crate::protocol::session::{utc, utc_opt};
use crate::protocol::ErrorCode;
use crate::users::{self, Caller, UserError};

/// `GET /api/v1/me`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub user_id: String,
    pub name: String,
    pub role: Role,
}

/// A user as the admin routes show it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub user_id: String,
    pub name: String,
    pub role: Role,
    #[serde(serialize_with = "utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    pub disabled: bool,
}

impl From<&User> for UserView {
    fn from(u: &User) -> UserView {
        UserView {
            user_id: u.user_id.clone(),
            name: u.name.clone(),
            role: u.role,
            created_at: u.created_at,
            disabled: u.disabled,
        }
    }
}

/// An API key, without the key: its prefix identifies it.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyView {
    pub key_id: String,
    pub user_id: String,
    /// `csp_` and 8 hex digits: the start of the key.
    pub prefix: String,
    #[serde(serialize_with = "utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    /// Updated at most once a minute.
    #[serde(serialize_with = "utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "utc_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<NaiveDateTime>,
}

impl From<&ApiKey> for KeyView {
    fn from(k: &ApiKey) -> KeyView {
        KeyView {
            key_id: k.key_id.clone(),
            user_id: k.user_id.clone(),
            prefix: k.prefix.clone(),
            created_at: k.created_at,
            last_used_at: k.last_used_at,
            revoked_at: k.revoked_at,
        }
    }
}

/// One entry of `GET /api/v1/users`.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserOverview {
    #[serde(flatten)]
    pub user: UserView,
    /// The bootstrap admin: its key is `CLAUDE_SDK_PATTERN_API_KEY` (not listed in `keys`),
    /// and it cannot be disabled.
    pub bootstrap: bool,
    pub keys: Vec<KeyView>,
    /// Sessions holding a slot now (live, starting or stopping).
    pub live_sessions: usize,
    /// The cost of the user's turns that ended today (UTC).
    pub spend_today_usd: f64,
    /// The sum of the user's sessions' `total_cost_usd`.
    pub spend_total_usd: f64,
    /// Override of `MAX_SESSIONS_PER_USER`; null: the server's setting.
    pub max_sessions: Option<i32>,
    /// Override of `DAILY_SPEND_LIMIT_USD`; null: the server's setting.
    pub daily_spend_limit_usd: Option<f64>,
}

/// `GET /api/v1/users`.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    /// Every user, oldest first.
    pub users: Vec<UserOverview>,
}

/// The body of `POST /api/v1/users`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateUserRequest {
    /// 1–64 letters, digits and `. _ @ + -`; unique.
    #[schema(value_type = String, required = true, min_length = 1, max_length = 64)]
    pub name: Option<String>,
    /// `admin` or `member` (default `member`).
    #[schema(pattern = "^(admin|member)$")]
    pub role: Option<String>,
}

/// `POST /api/v1/users`: the user and its first key (shown this once).
#[derive(Debug, Serialize, ToSchema)]
pub struct UserCreated {
    pub user: UserView,
    pub api_key: String,
}

/// `POST /api/v1/users/{user_id}/keys`: the key, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyCreated {
    pub key_id: String,
    pub prefix: String,
    pub api_key: String,
}

/// Reads a field that may be absent (unchanged) or `null` (back to the default).
fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// The body of `PATCH /api/v1/users/{user_id}`: each field absent (unchanged), a number, or
/// `null` (the server's setting).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    /// Live sessions at once, 1–1000.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>, minimum = 1, maximum = 1000)]
    pub max_sessions: Option<Option<i32>>,
    /// US dollars per UTC day, ≥ 0.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<f64>, minimum = 0)]
    pub daily_spend_limit_usd: Option<Option<f64>>,
}

fn store_failed(state: &AppState, e: impl std::fmt::Display) -> ApiError {
    warn!(state.log, "store failed"; "error" => %e);
    ApiError::internal()
}

fn user_error(state: &AppState, e: UserError) -> ApiError {
    match e {
        UserError::InvalidName(m) => ApiError::new(ErrorCode::ValidationError, m),
        e @ UserError::NameTaken(_) => ApiError::new(ErrorCode::ValidationError, e.to_string()),
        e @ UserError::Bootstrap => ApiError::new(ErrorCode::ValidationError, e.to_string()),
        e @ UserError::NoSuchUser => ApiError::new(ErrorCode::UserNotFound, e.to_string()),
        e @ UserError::NoSuchKey => ApiError::new(ErrorCode::KeyNotFound, e.to_string()),
        UserError::Random(e) => store_failed(state, e),
        UserError::Db(e) => store_failed(state, e),
    }
}

fn invalid(message: &str) -> ApiError {
    ApiError::new(ErrorCode::ValidationError, message)
}

#[utoipa::path(
    get, path = "/api/v1/me", tag = "users",
    security(("api_key" = [])),
    responses(
        (status = 200, description = "Who the key (or the trusted header) belongs to", body = Me),
        (status = 401, description = "Missing or wrong API key", body = super::openapi::ErrorResponse),
    )
)]
pub async fn me(caller: Caller) -> HttpResponse {
    HttpResponse::Ok().json(Me {
        user_id: caller.user_id,
        name: caller.name,
        role: caller.role,
    })
}

/// Builds the overview of `users` (every user when `None`).
async fn overviews(state: &AppState, only: Option<&str>) -> Result<Vec<UserOverview>, ApiError> {
    let db = &state.db;
    let (users, keys) = (db.users(), db.keys());
    let (users, keys) = tokio::join!(users, keys);
    let users = users.map_err(|e| store_failed(state, e))?;
    let keys = keys.map_err(|e| store_failed(state, e))?;
    let today = db
        .spend_by_user_on(now().date())
        .await
        .map_err(|e| store_failed(state, e))?;
    let totals = db
        .total_cost_by_user()
        .await
        .map_err(|e| store_failed(state, e))?;
    let live: HashMap<String, usize> = state.engine.live_by_user().await;
    Ok(users
        .iter()
        .filter(|u| only.is_none_or(|id| id == u.user_id))
        .map(|u| UserOverview {
            user: UserView::from(u),
            bootstrap: u.user_id == BOOTSTRAP_USER_ID,
            keys: keys
                .iter()
                .filter(|k| k.user_id == u.user_id)
                .map(KeyView::from)
                .collect(),
            live_sessions: live.get(&u.user_id).copied().unwrap_or(0),
            spend_today_usd: today.get(&u.user_id).copied().unwrap_or(0.0),
            spend_total_usd: totals.get(&u.user_id).copied().unwrap_or(0.0),
            max_sessions: u.max_sessions,
            daily_spend_limit_usd: u.daily_spend_limit_usd,
        })
        .collect())
}

#[utoipa::path(
    get, path = "/api/v1/users", tag = "users",
    security(("api_key" = [])),
    responses(
        (status = 200, description = "Every user with its keys (prefixes), live sessions and spend", body = UserList),
        (status = 401, description = "Missing or wrong API key", body = super::openapi::ErrorResponse),
        (status = 403, description = "`forbidden`: the caller is not an admin", body = super::openapi::ErrorResponse),
    )
)]
pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(UserList {
        users: overviews(&state, None).await?,
    }))
}

#[utoipa::path(
    post, path = "/api/v1/users", tag = "users",
    security(("api_key" = [])),
    request_body = CreateUserRequest,
    responses(
        (status = 201, description = "The user and its first key (shown this once)", body = UserCreated),
        (status = 400, description = "`invalid_json`, or `validation_error`: the name is malformed or taken, or the role unknown", body = super::openapi::ErrorResponse),
        (status = 401, description = "Missing or wrong API key", body = super::openapi::ErrorResponse),
        (status = 403, description = "`forbidden`: the caller is not an admin", body = super::openapi::ErrorResponse),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    super::extract::JsonObject(body): super::extract::JsonObject<CreateUserRequest>,
) -> Result<HttpResponse, ApiError> {
    let name = body.name.ok_or_else(|| invalid("name is required."))?;
    let role = match body.role.as_deref() {
        None | Some("member") => Role::Member,
        Some("admin") => Role::Admin,
        Some(_) => return Err(invalid("role must be \"admin\" or \"member\".")),
    };
    let (user, key, row) = users::add_user(&state.db, name.trim(), role)
        .await
        .map_err(|e| user_error(&state, e))?;
    info!(state.log, "user added"; "user_id" => &user.user_id, "role" => role.as_str(),
        "key_prefix" => &row.prefix, "by_user_id" => &caller.user_id);
    Ok(HttpResponse::Created()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(UserCreated {
            user: UserView::from(&user),
            api_key: key.expose().to_string(),
        }))
}

#[utoipa::path(
    patch, path = "/api/v1/users/{user_id}", tag = "users",
    security(("api_key" = [])),
    params(("user_id" = String, Path, description = "The user's id")),
    request_body = UpdateUserRequest,
    responses(
        (status = 200, description = "The user with its new quota overrides", body = UserOverview),
        (status = 400, description = "`invalid_json` (an unknown field too), or `validation_error`: a value out of range", body = super::openapi::ErrorResponse),
        (status = 401, description = "Missing or wrong API key", body = super::openapi::ErrorResponse),
        (status = 403, description = "`forbidden`: the caller is not an admin", body = super::openapi::ErrorResponse),
        (status = 404, description = "`user_not_found`", body = super::openapi::ErrorResponse),
    )
)]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    user_id: web::Path<String>,
    super::extract::JsonObject(body): super::extract::JsonObject<UpdateUserRequest>,
) -> Result<HttpResponse, ApiError> {
    if let Some(Some(max)) = body.max_sessions {
        if !(1..=1000).contains(&max) {
            return Err(invalid(
                "max_sessions must be a whole number from 1 to 1000, or null.",
            ));
        }
    }
    if let Some(Some(limit)) = body.daily_spend_limit_usd {
        if !(limit.is_finite() && limit >= 0.0) {
            return Err(invalid(
                "daily_spend_limit_usd must be an amount ≥ 0, or null.",
            ));
        }
    }
    let change = LimitsChange {
        max_sessions: body.max_sessions,
        daily_spend_limit_usd: body.daily_spend_limit_usd,
    };
    let updated = state
        .db
        .set_limits(&user_id, change)
        .await
        .map_err(|e| store_failed(&state, e))?;
    if updated.is_none() {
        return Err(user_error(&state, UserError::NoSuchUser));
    }
    info!(state.log, "user quotas changed"; "user_id" => user_id.as_str(),
        "by_user_id" => &caller.user_id);
    let mut found = overviews(&state, Some(&user_id)).await?;
    let overview = found
        .pop()
        .ok_or_else(|| user_error(&state, UserError::NoSuchUser))?;
    Ok(HttpResponse::Ok().json(overview))
}

#[utoipa::path(
    delete, path = "/api/v1/users/{user_id}", tag = "users",
    security(("api_key" = [])),
    params(("user_id" = String, Path, description = "The user's id")),
    responses(
        (status = 200, description = "The user, disabled: its keys stop working and its WebSockets are closed (1008)", body = UserView),
        (status = 400, description = "`validation_error`: the bootstrap admin cannot be disabled", body = super::openapi::ErrorResponse),
        (status = 401, description = "Missing or wrong API key", body = super::openapi::ErrorResponse),
        (status = 403, description = "`forbidden`: the caller is not an admin", body = super::openapi::ErrorResponse),
        (status = 404, description = "`user_not_found`", body = super::openapi::ErrorResponse),
    )
)]
pub async fn disable(
    state: web::Data<AppState>,
    caller: Caller,
    user_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let user = users::disable_user(&state.db, &user_id)
        .await
        .map_err(|e| user_error(&state, e))?;
    let closed = state
        .connections
        .revoke(std::slice::from_ref(&user.user_id), &[]);
    info!(state.log, "user disabled"; "user_id" => &user.user_id, "by_user_id" => &caller.user_id,
        "connections_closed" => closed);
    Ok(HttpResponse::Ok().json(UserView::from(&user)))
}

#[utoipa::path(
    post, path = "/api/v1/users/{user_id}/keys", tag = "users",
    security(("api_key" = [])),
    params(("user_id" = String, Path, description = "The user's id")),
    responses(
        (status = 201, description = "A new key for the user (shown this once)", body = KeyCreated),
        (status = 401, description = "Missing or wrong API key", body = super::openapi::ErrorResponse),
        (status = 403, description = "`forbidden`: the caller is not an admin", body = super::openapi::ErrorResponse),
        (status = 404, description = "`user_not_found` (also a disabled user)", body = super::openapi::ErrorResponse),
    )
)]
pub async fn create_key(
    state: web::Data<AppState>,
    caller: Caller,
    user_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (key, row) = users::add_key(&state.db, &user_id)
        .await
        .map_err(|e| user_error(&state, e))?;
    info!(state.log, "key made"; "user_id" => &row.user_id, "key_prefix" => &row.prefix,
        "by_user_id" => &caller.user_id);
    Ok(HttpResponse::Created()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(KeyCreated {
            key_id: row.key_id,
            prefix: row.prefix,
            api_key: key.expose().to_string(),
        }))
}

#[utoipa::path(
    delete, path = "/api/v1/keys/{key_id}", tag = "users",
    security(("api_key" = [])),
    params(("key_id" = String, Path, description = "The key's id")),
    responses(
        (status = 200, description = "The key, revoked (already revoked: unchanged): its WebSockets are closed (1008), its tickets and the next request with it fail", body = KeyView),
        (status = 401, description = "Missing or wrong API key", body = super::openapi::ErrorResponse),
        (status = 403, description = "`forbidden`: the caller is not an admin", body = super::openapi::ErrorResponse),
        (status = 404, description = "`key_not_found`", body = super::openapi::ErrorResponse),
    )
)]
pub async fn revoke_key(
    state: web::Data<AppState>,
    caller: Caller,
    key_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let key = state
        .db
        .revoke_key(&key_id, false, now())
        .await
        .map_err(|e| store_failed(&state, e))?
        .ok_or_else(|| user_error(&state, UserError::NoSuchKey))?;
    let closed = state
        .connections
        .revoke(&[], std::slice::from_ref(&key.key_id));
    info!(state.log, "key revoked"; "user_id" => &key.user_id, "key_prefix" => &key.prefix,
        "by_user_id" => &caller.user_id, "connections_closed" => closed);
    Ok(HttpResponse::Ok().json(KeyView::from(&key)))
}
