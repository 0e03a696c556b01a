//! Users and their API keys (docs/operations.md, "Users and keys"): who is asking
//! ([`Caller`]) and what they may see, making users and keys, checking a presented key
//! ([`authenticate_key`]), and the operator's command line ([`cli`]). The REST handlers and
//! the command line share these functions, so both apply the same rules.

pub mod cli;
pub mod keys;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub use crate::db::Role;
use crate::db::{models::now, ApiKey, Db, DbError, User, BOOTSTRAP_USER_ID};
use crate::secret::Secret;

/// The name of the bootstrap admin (the user of `CLAUDE_SDK_PATTERN_API_KEY`).
pub const BOOTSTRAP_NAME: &str = "admin";

/// Who a request comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user_id: String,
    pub name: String,
    pub role: Role,
    /// The stored key presented; None for the bootstrap key (from the environment) and for
    /// the trusted header.
    pub key_id: Option<String>,
}

impl Caller {
    /// The bootstrap admin, as its key (`CLAUDE_SDK_PATTERN_API_KEY`) makes it.
    pub fn bootstrap() -> Caller {
        Caller {
            user_id: BOOTSTRAP_USER_ID.to_string(),
            name: BOOTSTRAP_NAME.to_string(),
            role: Role::Admin,
            key_id: None,
        }
    }

    pub fn of(user: &User, key_id: Option<String>) -> Caller {
        Caller {
            user_id: user.user_id.clone(),
            name: user.name.clone(),
            role: user.role,
            key_id,
        }
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// May list, read and end a session of `owner`: its owner, and every admin.
    pub fn sees(&self, owner: &str) -> bool {
        self.is_admin() || self.owns(owner)
    }

    /// May open, message, interrupt, answer for and resume a session of `owner`: only its
    /// owner (an admin opening it would take it from its owner's window).
    pub fn owns(&self, owner: &str) -> bool {
        self.user_id == owner
    }
}

/// Why a user or key could not be made or changed.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("{0}")]
    InvalidName(String),
    #[error("A user called {0:?} already exists.")]
    NameTaken(String),
    #[error("No user with that id.")]
    NoSuchUser,
    #[error("No key with that id.")]
    NoSuchKey,
    #[error(
        "The bootstrap admin cannot be disabled: its key is CLAUDE_SDK_PATTERN_API_KEY; change that and restart instead."
    )]
    Bootstrap,
    #[error(transparent)]
    Random(#[from] keys::RandomError),
    #[error(transparent)]
    Db(DbError),
}

impl From<DbError> for UserError {
    fn from(e: DbError) -> UserError {
        UserError::Db(e)
    }
}

/// The longest user name.
pub const MAX_NAME_CHARS: usize = 64;

/// A user name: 1–64 letters, digits and `. _ @ + -` (so an e-mail address from a single
/// sign-on proxy is one).
pub fn check_name(name: &str) -> Result<(), UserError> {
    let ok = !name.is_empty()
        && name.chars().count() <= MAX_NAME_CHARS
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || "._@+-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(UserError::InvalidName(format!(
            "A user name is 1 to {MAX_NAME_CHARS} letters, digits and . _ @ + - (no spaces)."
        )))
    }
}

/// Tries a few times when a new key's prefix is taken (1 in 4 billion per existing key).
const PREFIX_ATTEMPTS: usize = 4;

/// Adds user `name` with `role` and a first key; returns the user and the key (shown once).
pub async fn add_user(
    db: &Db,
    name: &str,
    role: Role,
) -> Result<(User, Secret, ApiKey), UserError> {
    check_name(name)?;
    let user = User::new(name, role);
    for _ in 0..PREFIX_ATTEMPTS {
        let made = keys::generate(&user.user_id)?;
        match db.add_user(&user, &made.row).await {
            Ok(()) => return Ok((user, made.key, made.row)),
            Err(DbError::Duplicate(what)) if what == "user name" => {
                return Err(UserError::NameTaken(name.to_string()))
            }
            Err(DbError::Duplicate(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(UserError::Db(DbError::Duplicate("key prefix".into())))
}

/// Makes another key for `user_id` (a disabled user gets none).
pub async fn add_key(db: &Db, user_id: &str) -> Result<(Secret, ApiKey), UserError> {
    match db.user(user_id).await? {
        Some(user) if !user.disabled => {}
        _ => return Err(UserError::NoSuchUser),
    }
    for _ in 0..PREFIX_ATTEMPTS {
        let made = keys::generate(user_id)?;
        match db.add_key(&made.row).await {
            Ok(()) => return Ok((made.key, made.row)),
            Err(DbError::Duplicate(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(UserError::Db(DbError::Duplicate("key prefix".into())))
}

/// Disables `user_id` (not the bootstrap admin).
pub async fn disable_user(db: &Db, user_id: &str) -> Result<User, UserError> {
    if user_id == BOOTSTRAP_USER_ID {
        return Err(UserError::Bootstrap);
    }
    db.disable_user(user_id).await?.ok_or(UserError::NoSuchUser)
}

/// Who `presented` (an `X-API-Key` value) belongs to: the bootstrap admin for the server's
/// key, else the user of the stored, unrevoked key it matches, if that user is enabled.
pub async fn authenticate_key(
    db: &Db,
    bootstrap: &Secret,
    presented: &str,
) -> Result<Option<Caller>, DbError> {
    if bootstrap.matches(presented.as_bytes()) {
        return Ok(Some(Caller::bootstrap()));
    }
    let Some(prefix) = keys::prefix_of(presented) else {
        return Ok(None);
    };
    let Some((key, user)) = db.key_by_prefix(prefix).await? else {
        return Ok(None);
    };
    let valid = keys::matches(presented, &key) && key.revoked_at.is_none() && !user.disabled;
    Ok(valid.then(|| Caller::of(&user, Some(key.key_id))))
}

/// Whether `caller` may still act: its key not revoked, its user not disabled (a ticket or
/// an open connection outlives the request that authenticated it).
pub async fn still_valid(db: &Db, caller: &Caller) -> Result<bool, DbError> {
    let (users, keys) = db
        .no_longer_valid(
            vec![caller.user_id.clone()],
            caller.key_id.iter().cloned().collect(),
        )
        .await?;
    Ok(users.is_empty() && keys.is_empty())
}

/// How often a key's `last_used_at` is written at most.
pub const LAST_USED_EVERY: Duration = Duration::from_secs(60);

/// Throttles `last_used_at` writes to one per key per [`LAST_USED_EVERY`], so a busy key
/// does not cost a write per request.
#[derive(Default)]
pub struct LastUsed {
    written: Mutex<HashMap<String, Instant>>,
}

impl LastUsed {
    /// Records a use of `key_id`: writes it unless it was written recently.
    pub async fn record(&self, db: &Db, key_id: &str) -> Result<(), DbError> {
        {
            let mut written = self.written.lock().unwrap_or_else(|p| p.into_inner());
            if written
                .get(key_id)
                .is_some_and(|at| at.elapsed() < LAST_USED_EVERY)
            {
                return Ok(());
            }
            written.insert(key_id.to_string(), Instant::now());
        }
        db.touch_key(key_id, now()).await
    }
}
