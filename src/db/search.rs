//! Full-text search over every stored message, with each backend's own engine: SQLite FTS5
//! (`messages_fts`, kept in step with `messages` by triggers in the writing transaction; see
//! the migration), PostgreSQL's text search (a GIN index on
//! `to_tsvector('csp_search', csp_search_body(kind, payload))`, the `simple` configuration
//! with accents folded by `unaccent`; see migrations/postgres/).
//!
//! A person's words are never handed to either engine as query syntax: each
//! whitespace-separated word becomes a quoted phrase (FTS5 `"…"`, tsquery `'…'`, quotes
//! doubled), all of them required, so `AND`, `NEAR`, `&`, `!`, `*`, `(`, `:` and quotes are
//! plain text; a word ending in `*` (after a letter) searches for words starting with it.
//! Hits are ranked (bm25 / `ts_rank`), and the snippet marks each matched term with
//! `<mark>…</mark>`, everything else HTML-escaped (docs/protocol.md, "Search").

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};

use super::backend::AnyConn;
use super::listing::Scope;
use super::models::MessageKind;
use super::repo::{Db, DbError};

/// The longest search accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 500;
/// At most this many words.
pub const MAX_QUERY_TERMS: usize = 32;
/// Hits returned by default, and at most.
pub const DEFAULT_HITS: usize = 20;
pub const MAX_HITS: usize = 100;

/// Private-use characters that stand for the start and end of a match inside SQLite's
/// snippet before it is escaped (text that contains them has them dropped).
const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';
/// What `<` and `>` become in the text PostgreSQL's `ts_headline` marks up (its parser takes
/// `<…>` for a markup tag and drops it); [`mark_up`] turns them back into escaped brackets.
const LT: char = '\u{E002}';
const GT: char = '\u{E003}';

/// Why a search is refused (a `validation_error` at the edge).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("Type something to search for.")]
    Empty,
    #[error("The search is too long: at most {MAX_QUERY_CHARS} characters.")]
    TooLong,
    #[error("The search has too many words: at most {MAX_QUERY_TERMS}.")]
    TooManyTerms,
}

/// One matching message.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub session_id: String,
    pub title: Option<String>,
    pub seq: i64,
    pub kind: MessageKind,
    /// The text around the match, HTML-escaped, matches in `<mark>…</mark>`.
    pub snippet: String,
    pub created_at: NaiveDateTime,
}

/// The FTS5 query for what a person typed; `Ok(None)` when it holds no word to look for
/// (only punctuation, say).
pub fn fts_query(input: &str) -> Result<Option<String>, QueryError> {
    Ok(words(input)?.map(|words| {
        words
            .into_iter()
            .map(|(core, prefix)| {
                let quoted = format!("\"{}\"", core.replace('"', "\"\""));
                if prefix {
                    quoted + "*"
                } else {
                    quoted
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }))
}

/// The PostgreSQL `tsquery` text (for `to_tsquery`) of what a person typed: each word a
/// quoted term (`'` and `\` doubled), `:*` for a prefix, all required (`&`).
pub fn ts_query(input: &str) -> Result<Option<String>, QueryError> {
    Ok(words(input)?.map(|words| {
        words
            .into_iter()
            .map(|(core, prefix)| {
                let quoted = format!("'{}'", core.replace('\\', "\\\\").replace('\'', "''"));
                if prefix {
                    quoted + ":*"
                } else {
                    quoted
                }
            })
            .collect::<Vec<_>>()
            .join(" & ")
    }))
}

/// The words of a search (control characters dropped), each with whether it is a prefix
/// (`word*`); `Ok(None)` when none is a word either engine would index.
fn words(input: &str) -> Result<Option<Vec<(String, bool)>>, QueryError> {
    let input = input.trim();
    if input.is_empty() {
        return Err(QueryError::Empty);
    }
    if input.chars().count() > MAX_QUERY_CHARS {
        return Err(QueryError::TooLong);
    }
    let words: Vec<&str> = input.split_whitespace().collect();
    if words.len() > MAX_QUERY_TERMS {
        return Err(QueryError::TooManyTerms);
    }
    let words: Vec<(String, bool)> = words
        .into_iter()
        .filter_map(|word| {
            let core = word.trim_end_matches('*');
            let prefix = core.len() < word.len();
            let core: String = core.chars().filter(|c| !c.is_control()).collect();
            // A word with no letter, digit or symbol is nothing FTS5 would index.
            if !core.chars().any(|c| c.is_alphanumeric() || !c.is_ascii()) {
                return None;
            }
            Some((core, prefix))
        })
        .collect();
    Ok((!words.is_empty()).then_some(words))
}

/// SQLite's snippet (matches between [`OPEN`] and [`CLOSE`]) as escaped HTML with `<mark>`.
fn mark_up(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 16);
    let mut open = false;
    for c in raw.chars() {
        match c {
            OPEN if !open => {
                out.push_str("<mark>");
                open = true;
            }
            CLOSE if open => {
                out.push_str("</mark>");
                open = false;
            }
            OPEN | CLOSE => {}
            '&' => out.push_str("&amp;"),
            '<' | LT => out.push_str("&lt;"),
            '>' | GT => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    if open {
        out.push_str("</mark>");
    }
    out
}

#[derive(QueryableByName)]
struct HitRow {
    #[diesel(sql_type = Text)]
    session_id: String,
    #[diesel(sql_type = Nullable<Text>)]
    title: Option<String>,
    #[diesel(sql_type = BigInt)]
    seq: i64,
    #[diesel(sql_type = Text)]
    kind: MessageKind,
    #[diesel(sql_type = Text)]
    snippet: String,
    #[diesel(sql_type = Timestamp)]
    created_at: NaiveDateTime,
}

impl Db {
    /// The messages of sessions in `scope` that contain every word of `input`, best first.
    pub async fn search(
        &self,
        scope: &Scope,
        input: &str,
        limit: usize,
    ) -> Result<Result<Vec<SearchHit>, QueryError>, DbError> {
        let (fts, ts) = match (fts_query(input), ts_query(input)) {
            (Ok(Some(fts)), Ok(Some(ts))) => (fts, ts),
            (Err(e), _) | (_, Err(e)) => return Ok(Err(e)),
            _ => return Ok(Ok(Vec::new())),
        };
        let scope = scope.clone();
        let limit = i64::try_from(limit.clamp(1, MAX_HITS)).unwrap_or(20);
        let rows = self
            .run(move |conn| {
                let owner = scope.owner().map(str::to_string);
                Ok(match conn {
                    AnyConn::Sqlite(conn) => diesel::sql_query(format!(
                        "SELECT ms.session_id AS session_id, d.title AS title, ms.seq AS seq, \
                                m.kind AS kind, \
                                snippet(messages_fts, 0, '{OPEN}', '{CLOSE}', '…', 24) AS snippet, \
                                m.created_at AS created_at \
                         FROM messages_fts \
                         JOIN message_search ms ON ms.search_id = messages_fts.rowid \
                         JOIN messages m ON m.session_id = ms.session_id AND m.seq = ms.seq \
                         JOIN sessions s ON s.session_id = ms.session_id \
                         LEFT JOIN session_details d ON d.session_id = ms.session_id \
                         WHERE messages_fts MATCH ? AND (? IS NULL OR s.user_id = ?) \
                         ORDER BY rank LIMIT ?"
                    ))
                    .bind::<Text, _>(&fts)
                    .bind::<Nullable<Text>, _>(&owner)
                    .bind::<Nullable<Text>, _>(&owner)
                    .bind::<BigInt, _>(limit)
                    .load::<HitRow>(conn)?,
                    // The WHERE expression is the GIN index's (migrations/postgres/).
                    AnyConn::Pg(conn) => diesel::sql_query(format!(
                        "SELECT m.session_id AS session_id, d.title AS title, m.seq AS seq, \
                                m.kind AS kind, \
                                ts_headline('csp_search', translate(csp_search_body(m.kind, \
                                    m.payload), '<>', '{LT}{GT}'), q.q, 'StartSel={OPEN}, StopSel={CLOSE}, MaxWords=24, \
                                    MinWords=12') AS snippet, \
                                m.created_at AS created_at \
                         FROM messages m \
                         CROSS JOIN (SELECT to_tsquery('csp_search', $1) AS q) q \
                         JOIN sessions s ON s.session_id = m.session_id \
                         LEFT JOIN session_details d ON d.session_id = m.session_id \
                         WHERE to_tsvector('csp_search', csp_search_body(m.kind, m.payload)) \
                                   @@ q.q \
                           AND ($2::text IS NULL OR s.user_id = $2) \
                         ORDER BY ts_rank(to_tsvector('csp_search', \
                                      csp_search_body(m.kind, m.payload)), q.q) DESC, \
                                  m.created_at DESC, m.seq DESC \
                         LIMIT $3"
                    ))
                    .bind::<Text, _>(&ts)
                    .bind::<Nullable<Text>, _>(&owner)
                    .bind::<BigInt, _>(limit)
                    .load::<HitRow>(conn)?,
                })
            })
            .await?;
        Ok(Ok(rows
            .into_iter()
            .map(|r| SearchHit {
                session_id: r.session_id,
                title: r.title,
                seq: r.seq,
                kind: r.kind,
                snippet: mark_up(&r.snippet),
                created_at: r.created_at,
            })
            .collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_become_quoted_phrases() {
        assert_eq!(
            fts_query("hello world").unwrap().unwrap(),
            "\"hello\" \"world\""
        );
        assert_eq!(
            fts_query("say \"hi\" NEAR(a b) AND c").unwrap().unwrap(),
            "\"say\" \"\"\"hi\"\"\" \"NEAR(a\" \"b)\" \"AND\" \"c\""
        );
        assert_eq!(fts_query("deploy*").unwrap().unwrap(), "\"deploy\"*");
        assert_eq!(fts_query("* ** \"").unwrap(), None);
        assert_eq!(fts_query("🎉").unwrap().unwrap(), "\"🎉\"");
        assert_eq!(fts_query("   "), Err(QueryError::Empty));
        assert_eq!(fts_query(&"a".repeat(501)), Err(QueryError::TooLong));
        assert_eq!(fts_query(&"a ".repeat(40)), Err(QueryError::TooManyTerms));
    }

    #[test]
    fn words_become_quoted_tsquery_terms() {
        assert_eq!(
            ts_query("it's a\\b & !x deploy*").unwrap().unwrap(),
            "'it''s' & 'a\\\\b' & '!x' & 'deploy':*"
        );
        assert_eq!(ts_query("* ** \"").unwrap(), None);
    }

    #[test]
    fn snippets_are_escaped_with_marks() {
        let raw = format!("<b>{OPEN}x&y{CLOSE} 'q' \"z\" {CLOSE}{OPEN}w");
        assert_eq!(
            mark_up(&raw),
            "&lt;b&gt;<mark>x&amp;y</mark> &#39;q&#39; &quot;z&quot; <mark>w</mark>"
        );
    }
}
