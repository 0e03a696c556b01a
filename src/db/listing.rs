//! The session list, in pages: newest activity first, filtered, with a keyset cursor on
//! `(last_active_at, session_id)` (docs/protocol.md, "Paging").
//!
//! Why keyset: an offset shifts when a session is created or becomes active, so pages would
//! repeat or skip rows. A cursor names the last row returned, and the next page starts
//! strictly below it. `last_active_at` only ever grows (every write takes the larger of the
//! old and new value), so a row can only move *up*, past rows already returned: a walk
//! never returns a session twice, and every session that exists for the whole walk is
//! returned — except one that became active during the walk before the walk reached it,
//! which has moved to the top of the list (a fresh first page shows it). Sessions created
//! during the walk are on the first page, not in the walk.

use chrono::{DateTime, NaiveDateTime};
use diesel::prelude::*;

use super::backend::AnyConn;
use super::details::{Details, Listed};
use super::models::{Session, SessionStatus};
use super::repo::{Db, DbError};
use super::schema::{session_details, sessions};

/// Whose sessions a call sees: everyone's (`all`, the single-key server and admins), or one
/// owner's. Every query about sessions takes one, so ownership is one value at the edge.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    owner: Option<String>,
}

impl Scope {
    /// Every session.
    pub fn all() -> Scope {
        Scope { owner: None }
    }

    /// Only the sessions of `user_id`.
    pub fn owner_is(user_id: impl Into<String>) -> Scope {
        Scope {
            owner: Some(user_id.into()),
        }
    }

    /// The owner the sessions must have, if any.
    pub fn owner(&self) -> Option<&str> {
        self.owner.as_deref()
    }

    /// Whether a session of `user_id` is visible.
    pub fn sees(&self, user_id: &str) -> bool {
        self.owner.as_deref().is_none_or(|o| o == user_id)
    }
}

/// Which sessions a list shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StatusFilter {
    /// Every session that is not archived (the default list).
    #[default]
    Current,
    /// Not archived, with this status.
    Status(SessionStatus),
    /// Only archived sessions, whatever their status.
    Archived,
    /// Everything.
    All,
}

impl std::str::FromStr for StatusFilter {
    type Err = String;

    fn from_str(s: &str) -> Result<StatusFilter, String> {
        match s {
            "archived" => Ok(StatusFilter::Archived),
            "all" => Ok(StatusFilter::All),
            other => other
                .parse::<SessionStatus>()
                .map(StatusFilter::Status)
                .map_err(|_| {
                    format!(
                        "status must be one of creating, active, idle, suspended, failed, \
                         terminated, archived, all (got {:?}).",
                        other.chars().take(40).collect::<String>()
                    )
                }),
        }
    }
}

/// Where a page starts: strictly below this `(last_active_at, session_id)`. Sent to clients
/// as an opaque string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub last_active_at: NaiveDateTime,
    pub session_id: String,
}

impl Cursor {
    /// `<microseconds since the epoch>_<session id>`; clients must not rely on the shape.
    pub fn encode(&self) -> String {
        format!(
            "{}_{}",
            self.last_active_at.and_utc().timestamp_micros(),
            self.session_id
        )
    }

    pub fn parse(s: &str) -> Option<Cursor> {
        let (micros, id) = s.split_once('_')?;
        let micros: i64 = micros.parse().ok()?;
        let at = DateTime::from_timestamp_micros(micros)?.naive_utc();
        let id_ok = id.len() == 36 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
        id_ok.then(|| Cursor {
            last_active_at: at,
            session_id: id.to_string(),
        })
    }
}

/// The default page size, and the largest a client may ask for.
pub const DEFAULT_PAGE: usize = 50;
pub const MAX_PAGE: usize = 200;

/// One request for a page.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub limit: usize,
    pub cursor: Option<Cursor>,
    pub status: StatusFilter,
    /// Case-insensitive (ASCII) part of the title, or the start of the session id.
    pub text: Option<String>,
    /// Only the sessions of this project.
    pub project: Option<ProjectFilter>,
}

/// The sessions of one project: its name, and whether it is the default project, whose
/// sessions may be stored without a name (`project` null).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectFilter {
    pub name: String,
    pub is_default: bool,
}

/// A page and where the next one starts (`None`: this was the last).
#[derive(Debug, Clone)]
pub struct Page {
    pub sessions: Vec<Listed>,
    pub next_cursor: Option<Cursor>,
}

/// `%`, `_` and `\` taken literally in a LIKE pattern (escape `\`).
fn like_literal(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

impl Db {
    /// One page of the sessions `scope` sees (see the module documentation).
    pub async fn list_sessions(&self, scope: &Scope, query: ListQuery) -> Result<Page, DbError> {
        let scope = scope.clone();
        let limit = query.limit.clamp(1, MAX_PAGE);
        // The title filter is case-insensitive: SQLite's LIKE is (for ASCII letters),
        // PostgreSQL's ILIKE is (for all letters).
        macro_rules! page_rows {
            ($conn:ident, $like:ident) => {{
                let mut q = sessions::table
                    .left_join(session_details::table)
                    .into_boxed();
                if let Some(owner) = scope.owner() {
                    q = q.filter(sessions::user_id.eq(owner.to_string()));
                }
                q = match query.status {
                    StatusFilter::Current => q.filter(session_details::archived_at.is_null()),
                    StatusFilter::Status(s) => q
                        .filter(session_details::archived_at.is_null())
                        .filter(sessions::status.eq(s)),
                    StatusFilter::Archived => q.filter(session_details::archived_at.is_not_null()),
                    StatusFilter::All => q,
                };
                if let Some(p) = &query.project {
                    q = if p.is_default {
                        q.filter(
                            sessions::project
                                .is_null()
                                .or(sessions::project.eq(p.name.clone())),
                        )
                    } else {
                        q.filter(sessions::project.eq(p.name.clone()))
                    };
                }
                if let Some(text) = query.text.as_deref().filter(|t| !t.is_empty()) {
                    let inside = format!("%{}%", like_literal(text));
                    let prefix = format!("{}%", like_literal(&text.to_ascii_lowercase()));
                    q = q.filter(
                        session_details::title
                            .$like(inside)
                            .escape('\\')
                            .or(sessions::session_id.like(prefix).escape('\\').nullable()),
                    );
                }
                if let Some(c) = &query.cursor {
                    q = q.filter(
                        sessions::last_active_at.le(c.last_active_at).and(
                            sessions::last_active_at
                                .lt(c.last_active_at)
                                .or(sessions::session_id.lt(c.session_id.clone())),
                        ),
                    );
                }
                let rows: Vec<(Session, Option<Details>)> = q
                    .order((sessions::last_active_at.desc(), sessions::session_id.desc()))
                    .limit(i64::try_from(limit + 1).unwrap_or(i64::MAX))
                    .select((Session::as_select(), Option::<Details>::as_select()))
                    .load($conn)?;
                rows
            }};
        }
        self.run(move |conn| {
            let mut rows = match conn {
                AnyConn::Sqlite(conn) => page_rows!(conn, like),
                AnyConn::Pg(conn) => page_rows!(conn, ilike),
            };
            let more = rows.len() > limit;
            rows.truncate(limit);
            let next_cursor = rows.last().filter(|_| more).map(|(s, _)| Cursor {
                last_active_at: s.last_active_at,
                session_id: s.session_id.clone(),
            });
            Ok(Page {
                sessions: rows
                    .into_iter()
                    .map(|(session, details)| Listed {
                        session,
                        details: details.unwrap_or_default(),
                    })
                    .collect(),
                next_cursor,
            })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_anything_else() {
        let c = Cursor {
            last_active_at: super::super::models::now(),
            session_id: "6c1a1f8e-8a39-4b4e-9d6c-0a1b2c3d4e5f".into(),
        };
        assert_eq!(Cursor::parse(&c.encode()), Some(c));
        for bad in [
            "",
            "x",
            "1_",
            "_6c1a",
            "abc_6c1a1f8e-8a39-4b4e-9d6c-0a1b2c3d4e5f",
            "1_'; drop",
        ] {
            assert_eq!(Cursor::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn status_filters_parse() {
        assert_eq!("archived".parse(), Ok(StatusFilter::Archived));
        assert_eq!("all".parse(), Ok(StatusFilter::All));
        assert_eq!(
            "idle".parse(),
            Ok(StatusFilter::Status(SessionStatus::Idle))
        );
        assert!("bogus".parse::<StatusFilter>().is_err());
    }

    #[test]
    fn like_patterns_are_literal() {
        assert_eq!(like_literal("50%_a\\b"), "50\\%\\_a\\\\b");
    }
}
