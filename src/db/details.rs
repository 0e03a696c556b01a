//! What a person knows a session by, beside its row (`session_details`): the title (from the
//! first user message, or a rename), the preview (the start of the last message), whether
//! it is archived, and where a fork came from. Every call that names a session takes the
//! caller's [`Scope`]: a session outside it answers exactly as one that does not exist.

use chrono::NaiveDateTime;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sqlite::Sqlite;

use super::backend::{on_conn, AnyConn, StoreConn};
use super::listing::Scope;
use super::models::{now, MessageKind, Session};
use super::repo::{db_run, Db, DbError};
use super::schema::{messages, session_details, sessions};

/// Characters of a title made from a first message (cut on a word boundary, "…" added).
pub const AUTO_TITLE_CHARS: usize = 60;
/// Characters of a preview.
pub const PREVIEW_CHARS: usize = 140;
/// The longest title a rename takes (characters, after trimming).
pub const TITLE_MAX_CHARS: usize = 200;

/// The `session_details` of a session (all `None` without a row).
#[derive(Debug, Clone, Default, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = session_details, check_for_backend(Sqlite, Pg))]
pub struct Details {
    pub title: Option<String>,
    pub preview: Option<String>,
    pub archived_at: Option<NaiveDateTime>,
    pub forked_from: Option<String>,
    pub fork_point: Option<String>,
}

/// A session with its details, as listed.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub session: Session,
    pub details: Details,
}

/// Where a fork continues: the CLI transcript of `from`, after the entry `point`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForkOrigin {
    pub from: String,
    pub point: String,
}

/// The title a first message gives: its first line (tabs as spaces, trimmed), cut on a word
/// boundary after [`AUTO_TITLE_CHARS`] with "…" (a word longer than that is cut inside).
/// The migration that gives existing sessions their titles applies the same rule in SQL.
pub fn title_from(text: &str) -> Option<String> {
    let text = text.replace('\r', "").replace('\t', " ");
    let line = text.split('\n').next().unwrap_or("").trim_matches(' ');
    if line.is_empty() {
        return None;
    }
    if line.chars().count() <= AUTO_TITLE_CHARS {
        return Some(line.to_string());
    }
    let head: String = line.chars().take(AUTO_TITLE_CHARS + 1).collect();
    let cut = head
        .rfind(' ')
        .map_or("", |i| head[..i].trim_end_matches(' '));
    if cut.chars().count() >= 20 {
        Some(format!("{cut}…"))
    } else {
        let hard: String = line.chars().take(AUTO_TITLE_CHARS).collect();
        Some(format!("{hard}…"))
    }
}

/// The preview a message gives: line breaks and tabs as spaces, trimmed, the first
/// [`PREVIEW_CHARS`] characters (the UI ends it with an ellipsis where it does not fit).
pub fn preview_from(text: &str) -> Option<String> {
    let flat = text.replace(['\r', '\n', '\t'], " ");
    let preview: String = flat.trim_matches(' ').chars().take(PREVIEW_CHARS).collect();
    (!preview.is_empty()).then_some(preview)
}

/// The text of a stored user or assistant payload (`{"text": …}`).
pub fn payload_text(payload: &serde_json::Value) -> Option<&str> {
    payload.get("text").and_then(serde_json::Value::as_str)
}

/// In the transaction that appends a message: a user message gives the session its title
/// (if it has none yet) and brings it back from the archive; a user or assistant message
/// becomes the preview.
pub(super) fn on_message(
    conn: AnyConn<'_>,
    session_id: &str,
    kind: MessageKind,
    payload: &serde_json::Value,
) -> QueryResult<()> {
    if !kind.counts_as_message() {
        return Ok(());
    }
    let text = payload_text(payload).unwrap_or("");
    let preview = preview_from(text);
    let row = (
        session_details::session_id.eq(session_id),
        session_details::preview.eq(&preview),
    );
    on_conn!(conn, |conn| {
        if kind == MessageKind::User {
            let title = title_from(text);
            diesel::insert_into(session_details::table)
                .values((row, session_details::title.eq(&title)))
                .on_conflict(session_details::session_id)
                .do_update()
                .set((
                    session_details::preview.eq(&preview),
                    session_details::title.eq(diesel::dsl::sql::<
                        diesel::sql_types::Nullable<diesel::sql_types::Text>,
                    >(
                        "coalesce(session_details.title, excluded.title)"
                    )),
                    session_details::archived_at.eq(None::<NaiveDateTime>),
                ))
                .execute(conn)?;
        } else {
            diesel::insert_into(session_details::table)
                .values(row)
                .on_conflict(session_details::session_id)
                .do_update()
                .set(session_details::preview.eq(&preview))
                .execute(conn)?;
        }
        Ok(())
    })
}

/// The scoped row and details of one session.
pub(super) fn listed_in(
    conn: AnyConn<'_>,
    scope: &Scope,
    session_id: &str,
) -> QueryResult<Option<Listed>> {
    let found = on_conn!(conn, |conn| {
        let mut q = sessions::table
            .left_join(session_details::table)
            .filter(sessions::session_id.eq(session_id))
            .into_boxed();
        if let Some(owner) = scope.owner() {
            q = q.filter(sessions::user_id.eq(owner.to_string()));
        }
        q.select((Session::as_select(), Option::<Details>::as_select()))
            .first::<(Session, Option<Details>)>(conn)
            .optional()?
    });
    Ok(found.map(|(session, details)| Listed {
        session,
        details: details.unwrap_or_default(),
    }))
}

impl Db {
    /// One session with its details, if `scope` sees it.
    pub async fn listed(&self, scope: &Scope, session_id: &str) -> Result<Option<Listed>, DbError> {
        let (scope, id) = (scope.clone(), session_id.to_string());
        db_run!(self, move |conn| Ok(listed_in(conn.any(), &scope, &id)?)).await
    }

    /// Renames a session (the title is validated at the edge). `None`: not in `scope`.
    pub async fn rename(
        &self,
        scope: &Scope,
        session_id: &str,
        title: &str,
    ) -> Result<Option<Listed>, DbError> {
        let (scope, id, title) = (scope.clone(), session_id.to_string(), title.to_string());
        db_run!(self, move |conn| {
            conn.write_transaction(|conn| {
                if listed_in(conn.any(), &scope, &id)?.is_none() {
                    return Ok(None);
                }
                diesel::insert_into(session_details::table)
                    .values((
                        session_details::session_id.eq(&id),
                        session_details::title.eq(&title),
                    ))
                    .on_conflict(session_details::session_id)
                    .do_update()
                    .set(session_details::title.eq(&title))
                    .execute(conn)?;
                Ok(listed_in(conn.any(), &scope, &id)?)
            })
        })
        .await
    }

    /// Archives (hides from the default list) or brings back a session. `None`: not in
    /// `scope`.
    pub async fn set_archived(
        &self,
        scope: &Scope,
        session_id: &str,
        archived: bool,
    ) -> Result<Option<Listed>, DbError> {
        let (scope, id) = (scope.clone(), session_id.to_string());
        let at = archived.then(now);
        db_run!(self, move |conn| {
            conn.write_transaction(|conn| {
                if listed_in(conn.any(), &scope, &id)?.is_none() {
                    return Ok(None);
                }
                diesel::insert_into(session_details::table)
                    .values((
                        session_details::session_id.eq(&id),
                        session_details::archived_at.eq(at),
                    ))
                    .on_conflict(session_details::session_id)
                    .do_update()
                    // Archiving an archived session keeps when it was first archived.
                    .set(session_details::archived_at.eq(diesel::dsl::sql::<
                        diesel::sql_types::Nullable<diesel::sql_types::Timestamp>,
                    >(if archived {
                        "coalesce(session_details.archived_at, excluded.archived_at)"
                    } else {
                        "NULL"
                    })))
                    .execute(conn)?;
                Ok(listed_in(conn.any(), &scope, &id)?)
            })
        })
        .await
    }

    /// Deletes a session's row, its messages, their search entries and its details (one
    /// transaction; the CLI's files are the caller's). False: not in `scope`.
    pub async fn delete_session(&self, scope: &Scope, session_id: &str) -> Result<bool, DbError> {
        let (scope, id) = (scope.clone(), session_id.to_string());
        db_run!(self, move |conn| {
            conn.write_transaction(|conn| {
                let mut q = diesel::delete(sessions::table)
                    .filter(sessions::session_id.eq(&id))
                    .into_boxed();
                if let Some(owner) = scope.owner() {
                    q = q.filter(sessions::user_id.eq(owner.to_string()));
                }
                // Messages, their search entries (trigger) and details go by ON DELETE CASCADE.
                Ok(q.execute(conn)? == 1)
            })
        })
        .await
    }

    /// Stores a fork in one transaction: its row, its details (`title`, where it came from)
    /// and copies of `from`'s messages with `seq < before_seq` (all without it). The copies
    /// keep their seq and time; the row's message count and preview follow from them.
    pub async fn create_fork(
        &self,
        row: &Session,
        title: Option<String>,
        from: &str,
        before_seq: Option<i64>,
        fork_point: Option<String>,
    ) -> Result<Listed, DbError> {
        let (mut row, from) = (row.clone(), from.to_string());
        let before = before_seq.unwrap_or(i64::MAX);
        db_run!(self, move |conn| {
            conn.write_transaction(|conn| {
                let kept: Vec<(MessageKind, String)> = messages::table
                    .filter(messages::session_id.eq(&from))
                    .filter(messages::seq.lt(before))
                    .order(messages::seq.asc())
                    .select((messages::kind, messages::payload))
                    .load(conn)?;
                row.message_count = kept
                    .iter()
                    .filter(|(k, _)| k.counts_as_message())
                    .count()
                    .try_into()
                    .unwrap_or(i32::MAX);
                let preview = kept
                    .iter()
                    .rev()
                    .find(|(k, _)| k.counts_as_message())
                    .and_then(|(_, p)| serde_json::from_str::<serde_json::Value>(p).ok())
                    .and_then(|p| payload_text(&p).and_then(preview_from));
                diesel::insert_into(sessions::table)
                    .values(&row)
                    .execute(conn)?;
                messages::table
                    .filter(messages::session_id.eq(&from))
                    .filter(messages::seq.lt(before))
                    .order(messages::seq.asc())
                    .select((
                        row.session_id
                            .as_str()
                            .into_sql::<diesel::sql_types::Text>(),
                        messages::seq,
                        messages::kind,
                        messages::payload,
                        messages::created_at,
                        messages::cli_uuid,
                    ))
                    .insert_into(messages::table)
                    .into_columns((
                        messages::session_id,
                        messages::seq,
                        messages::kind,
                        messages::payload,
                        messages::created_at,
                        messages::cli_uuid,
                    ))
                    .execute(conn)?;
                let details = Details {
                    title,
                    preview,
                    archived_at: None,
                    forked_from: Some(from.clone()),
                    fork_point,
                };
                diesel::insert_into(session_details::table)
                    .values((session_details::session_id.eq(&row.session_id), &details))
                    .execute(conn)?;
                Ok(Listed {
                    session: row,
                    details,
                })
            })
        })
        .await
    }

    /// Where the fork `session_id` continues from, if it is a fork of a conversation (not
    /// one that started empty).
    pub async fn fork_origin(&self, session_id: &str) -> Result<Option<ForkOrigin>, DbError> {
        let id = session_id.to_string();
        db_run!(self, move |conn| {
            let row: Option<(Option<String>, Option<String>)> = session_details::table
                .find(id)
                .select((session_details::forked_from, session_details::fork_point))
                .first(conn)
                .optional()?;
            Ok(match row {
                Some((Some(from), Some(point))) => Some(ForkOrigin { from, point }),
                _ => None,
            })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_title_is_the_first_line_cut_on_a_word_boundary() {
        assert_eq!(
            title_from("Fix the login bug").as_deref(),
            Some("Fix the login bug")
        );
        assert_eq!(
            title_from("First line\nsecond line").as_deref(),
            Some("First line")
        );
        assert_eq!(title_from("  \t\nrest"), None);
        let long = "Please look at the deployment script and tell me why the staging servers never restart";
        let t = title_from(long).unwrap();
        assert_eq!(
            t,
            "Please look at the deployment script and tell me why the…"
        );
        assert!(t.chars().count() <= AUTO_TITLE_CHARS + 1);
        let word = "x".repeat(100);
        assert_eq!(title_from(&word).unwrap(), format!("{}…", "x".repeat(60)));
        let accents = "é".repeat(70);
        assert_eq!(title_from(&accents).unwrap().chars().count(), 61);
    }

    #[test]
    fn a_preview_is_the_flattened_start() {
        assert_eq!(preview_from("a\nb\tc").as_deref(), Some("a b c"));
        assert_eq!(preview_from(" \n "), None);
        assert_eq!(
            preview_from(&"y".repeat(500)).unwrap().chars().count(),
            PREVIEW_CHARS
        );
    }
}
