//! Users and their API keys: the rows and every query about them. A key itself is never
//! stored — only its SHA-256 and its display prefix (see `crate::users::keys`).

use chrono::NaiveDateTime;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sqlite::Sqlite;

use super::backend::StoreConn;
use super::models::Role;
use super::repo::{db_run, Db, DbError};
use super::schema::{api_keys, users};

/// One row of `users`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = users, check_for_backend(Sqlite, Pg))]
pub struct User {
    pub user_id: String,
    /// Unique; what operators and the trusted header name the user by.
    pub name: String,
    pub role: Role,
    pub created_at: NaiveDateTime,
    /// A disabled user's keys and sessions stop working; the row stays (its sessions keep
    /// their owner).
    pub disabled: bool,
    /// Override of `MAX_SESSIONS_PER_USER` (None: the server's setting).
    pub max_sessions: Option<i32>,
    /// Override of `DAILY_SPEND_LIMIT_USD` (None: the server's setting).
    pub daily_spend_limit_usd: Option<f64>,
}

impl User {
    /// A new, enabled user without overrides, created now.
    pub fn new(name: &str, role: Role) -> User {
        User {
            user_id: uuid::Uuid::new_v4().to_string(),
            name: name.to_string(),
            role,
            created_at: super::models::now(),
            disabled: false,
            max_sessions: None,
            daily_spend_limit_usd: None,
        }
    }
}

/// One row of `api_keys`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_keys, check_for_backend(Sqlite, Pg))]
pub struct ApiKey {
    pub key_id: String,
    pub user_id: String,
    /// The key's first characters (`csp_` and 8 hex digits): unique, not secret.
    pub prefix: String,
    /// SHA-256 of the whole key, lowercase hex.
    pub key_hash: String,
    pub created_at: NaiveDateTime,
    /// Updated at most once a minute per key.
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

/// A change of a user's quota overrides: `None` leaves a field as it is, `Some(None)` puts
/// it back to the server's setting.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LimitsChange {
    pub max_sessions: Option<Option<i32>>,
    pub daily_spend_limit_usd: Option<Option<f64>>,
}

/// A unique-constraint violation becomes [`DbError::Duplicate`] naming `what`.
fn duplicate(what: &str) -> impl Fn(DieselError) -> DbError + '_ {
    move |e| match e {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
            DbError::Duplicate(what.to_string())
        }
        other => DbError::Query(other),
    }
}

impl Db {
    /// Adds a user with its first key, in one transaction. `Duplicate("user name")` when the
    /// name is taken, `Duplicate("key prefix")` when the key's prefix is (make another key).
    pub async fn add_user(&self, user: &User, key: &ApiKey) -> Result<(), DbError> {
        let (user, key) = (user.clone(), key.clone());
        db_run!(self, move |conn| {
            conn.write_transaction(|conn| {
                diesel::insert_into(users::table)
                    .values(&user)
                    .execute(conn)
                    .map_err(duplicate("user name"))?;
                diesel::insert_into(api_keys::table)
                    .values(&key)
                    .execute(conn)
                    .map_err(duplicate("key prefix"))?;
                Ok(())
            })
        })
        .await
    }

    /// The user called `name`, creating it with `role` if there is none (a user seen for the
    /// first time in the trusted header).
    pub async fn ensure_user(&self, name: &str, role: Role) -> Result<User, DbError> {
        let name = name.to_string();
        db_run!(self, move |conn| {
            let found = users::table
                .filter(users::name.eq(&name))
                .select(User::as_select())
                .first(conn)
                .optional()?;
            if let Some(user) = found {
                return Ok(user);
            }
            let user = User::new(&name, role);
            let inserted = diesel::insert_into(users::table)
                .values(&user)
                .on_conflict_do_nothing()
                .execute(conn)?;
            if inserted == 1 {
                return Ok(user);
            }
            // Created by another request meanwhile.
            Ok(users::table
                .filter(users::name.eq(&name))
                .select(User::as_select())
                .first(conn)?)
        })
        .await
    }

    pub async fn user(&self, user_id: &str) -> Result<Option<User>, DbError> {
        let id = user_id.to_string();
        db_run!(self, move |conn| {
            Ok(users::table
                .find(id)
                .select(User::as_select())
                .first(conn)
                .optional()?)
        })
        .await
    }

    pub async fn user_by_name(&self, name: &str) -> Result<Option<User>, DbError> {
        let name = name.to_string();
        db_run!(self, move |conn| {
            Ok(users::table
                .filter(users::name.eq(name))
                .select(User::as_select())
                .first(conn)
                .optional()?)
        })
        .await
    }

    /// Every user, oldest first.
    pub async fn users(&self) -> Result<Vec<User>, DbError> {
        db_run!(self, |conn| {
            Ok(users::table
                .order((users::created_at.asc(), users::name.asc()))
                .select(User::as_select())
                .load(conn)?)
        })
        .await
    }

    /// Every key (revoked ones too), oldest first.
    pub async fn keys(&self) -> Result<Vec<ApiKey>, DbError> {
        db_run!(self, |conn| {
            Ok(api_keys::table
                .order(api_keys::created_at.asc())
                .select(ApiKey::as_select())
                .load(conn)?)
        })
        .await
    }

    /// Adds a key; `Duplicate("key prefix")` when its prefix is taken.
    pub async fn add_key(&self, key: &ApiKey) -> Result<(), DbError> {
        let key = key.clone();
        db_run!(self, move |conn| {
            diesel::insert_into(api_keys::table)
                .values(&key)
                .execute(conn)
                .map_err(duplicate("key prefix"))?;
            Ok(())
        })
        .await
    }

    /// The key with this prefix and its user.
    pub async fn key_by_prefix(&self, prefix: &str) -> Result<Option<(ApiKey, User)>, DbError> {
        let prefix = prefix.to_string();
        db_run!(self, move |conn| {
            Ok(api_keys::table
                .inner_join(users::table)
                .filter(api_keys::prefix.eq(prefix))
                .select((ApiKey::as_select(), User::as_select()))
                .first(conn)
                .optional()?)
        })
        .await
    }

    /// Revokes the key `key_id` (or, when `by_prefix`, the key with that prefix) at `at`;
    /// an already revoked key keeps its first revocation time. None: no such key.
    pub async fn revoke_key(
        &self,
        id_or_prefix: &str,
        by_prefix: bool,
        at: NaiveDateTime,
    ) -> Result<Option<ApiKey>, DbError> {
        let wanted = id_or_prefix.to_string();
        db_run!(self, move |conn| {
            conn.write_transaction(|conn| {
                let query = api_keys::table.select(ApiKey::as_select()).into_boxed();
                let query = if by_prefix {
                    query.filter(api_keys::prefix.eq(&wanted))
                } else {
                    query.filter(api_keys::key_id.eq(&wanted))
                };
                let Some(mut key) = query.first(conn).optional()? else {
                    return Ok(None);
                };
                if key.revoked_at.is_none() {
                    diesel::update(api_keys::table.find(&key.key_id))
                        .set(api_keys::revoked_at.eq(Some(at)))
                        .execute(conn)?;
                    key.revoked_at = Some(at);
                }
                Ok(Some(key))
            })
        })
        .await
    }

    /// Marks the user disabled. None: no such user.
    pub async fn disable_user(&self, user_id: &str) -> Result<Option<User>, DbError> {
        let id = user_id.to_string();
        db_run!(self, move |conn| {
            let n = diesel::update(users::table.find(&id))
                .set(users::disabled.eq(true))
                .execute(conn)?;
            if n == 0 {
                return Ok(None);
            }
            Ok(Some(
                users::table
                    .find(&id)
                    .select(User::as_select())
                    .first(conn)?,
            ))
        })
        .await
    }

    /// Applies `change` to the user's quota overrides. None: no such user.
    pub async fn set_limits(
        &self,
        user_id: &str,
        change: LimitsChange,
    ) -> Result<Option<User>, DbError> {
        let id = user_id.to_string();
        db_run!(self, move |conn| {
            conn.write_transaction(|conn| {
                let Some(mut user) = users::table
                    .find(&id)
                    .select(User::as_select())
                    .first(conn)
                    .optional()?
                else {
                    return Ok(None);
                };
                if let Some(max) = change.max_sessions {
                    user.max_sessions = max;
                }
                if let Some(limit) = change.daily_spend_limit_usd {
                    user.daily_spend_limit_usd = limit;
                }
                diesel::update(users::table.find(&id))
                    .set((
                        users::max_sessions.eq(user.max_sessions),
                        users::daily_spend_limit_usd.eq(user.daily_spend_limit_usd),
                    ))
                    .execute(conn)?;
                Ok(Some(user))
            })
        })
        .await
    }

    /// Records that the key was used at `at`.
    pub async fn touch_key(&self, key_id: &str, at: NaiveDateTime) -> Result<(), DbError> {
        let id = key_id.to_string();
        db_run!(self, move |conn| {
            diesel::update(api_keys::table.find(id))
                .set(api_keys::last_used_at.eq(Some(at)))
                .execute(conn)?;
            Ok(())
        })
        .await
    }

    /// Of these users and keys, the users that are disabled (or gone) and the keys that are
    /// revoked (or gone): what open connections must no longer use.
    pub async fn no_longer_valid(
        &self,
        user_ids: Vec<String>,
        key_ids: Vec<String>,
    ) -> Result<(Vec<String>, Vec<String>), DbError> {
        db_run!(self, move |conn| {
            let enabled: Vec<String> = users::table
                .filter(users::user_id.eq_any(&user_ids))
                .filter(users::disabled.eq(false))
                .select(users::user_id)
                .load(conn)?;
            let live: Vec<String> = api_keys::table
                .filter(api_keys::key_id.eq_any(&key_ids))
                .filter(api_keys::revoked_at.is_null())
                .select(api_keys::key_id)
                .load(conn)?;
            let users = user_ids
                .into_iter()
                .filter(|u| !enabled.contains(u))
                .collect();
            let keys = key_ids.into_iter().filter(|k| !live.contains(k)).collect();
            Ok((users, keys))
        })
        .await
    }
}
