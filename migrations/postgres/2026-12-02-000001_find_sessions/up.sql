-- Finding sessions (docs/architecture.md, "The store"; docs/operations.md, "Archive, delete
-- and search"): titles, previews, archive and fork origin beside each session, a keyset
-- index for the paged list, and the full-text index of every message — PostgreSQL's own
-- text search here, where SQLite has FTS5 (migrations/sqlite/, same version).

-- What a person knows a session by. One row per session that has any of it (a session
-- without a row has no title or preview, is not archived and is no fork).
CREATE TABLE session_details (
    session_id  TEXT PRIMARY KEY NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
    -- From the first user message (src/db/details.rs, `title_from`), or a rename.
    title       TEXT,
    -- The start of the last user or assistant message (`preview_from`).
    preview     TEXT,
    -- Set while archived: hidden from the default list.
    archived_at TIMESTAMP,
    -- A fork: the session it was forked from (kept as text if that one is deleted) …
    forked_from TEXT,
    -- … and the CLI transcript entry it continues after (NULL: it started empty).
    fork_point  TEXT
);

-- The list, newest activity first, paged by (last_active_at, session_id).
CREATE INDEX sessions_last_active_id ON sessions (last_active_at, session_id);

-- The text of a message that is searched: user and assistant text, a tool's name and input
-- (as JSON), a tool's output, an error's message, a notice's text (payload that is not
-- JSON: as it is). The same rule as the SQLite triggers.
CREATE FUNCTION csp_search_body(kind TEXT, payload TEXT) RETURNS TEXT
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    j JSONB;
BEGIN
    BEGIN
        j := payload::jsonb;
    EXCEPTION WHEN OTHERS THEN
        RETURN payload;
    END;
    RETURN CASE
        WHEN kind = 'tool_use' THEN coalesce(j ->> 'name', '') || ' ' || coalesce(j ->> 'input', '')
        WHEN kind = 'tool_result' THEN coalesce(j ->> 'content', '')
        WHEN kind = 'error' THEN coalesce(j ->> 'message', '')
        ELSE coalesce(j ->> 'text', '')
    END;
END
$$;

-- Words as the `simple` configuration makes them (lower case, no stemming, no stop words),
-- with accents folded ("cafe" finds "café") when the `unaccent` extension can be created
-- (a trusted extension: the database's owner may; without it accents are not folded).
CREATE TEXT SEARCH CONFIGURATION csp_search (COPY = pg_catalog.simple);
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS unaccent;
    ALTER TEXT SEARCH CONFIGURATION csp_search
        ALTER MAPPING FOR word, hword, hword_part WITH unaccent, simple;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'unaccent is not available: search does not fold accents (%)', SQLERRM;
END
$$;

-- The full-text index: src/db/search.rs queries exactly this expression.
CREATE INDEX messages_fts ON messages
    USING GIN (to_tsvector('csp_search', csp_search_body(kind, payload)));

-- SQLite's `message_search` (FTS5's stable key per message) has no use here: the index is
-- on `messages` itself. A new PostgreSQL database has no messages to title or index yet.
