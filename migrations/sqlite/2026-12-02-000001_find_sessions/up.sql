-- Finding sessions (docs/architecture.md, "The store"; docs/operations.md, "Archive, delete
-- and search"): titles, previews, archive and fork origin beside each session, a keyset
-- index for the paged list, and the full-text index of every message.

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

-- Full text: one FTS5 row per message. `messages` has no stable integer key (a VACUUM may
-- renumber its rowids), so each message gets one here, and that is the FTS rowid.
CREATE TABLE message_search (
    search_id  INTEGER PRIMARY KEY NOT NULL,
    session_id TEXT NOT NULL,
    seq        BIGINT NOT NULL,
    UNIQUE (session_id, seq)
);

-- Letters, numbers, marks, private-use and other symbols (emoji) are word characters;
-- accents are folded ("cafe" finds "café").
CREATE VIRTUAL TABLE messages_fts USING fts5 (
    body,
    tokenize = "unicode61 remove_diacritics 2 categories 'L* N* M* Co So'"
);

-- The text of a message that is searched: user and assistant text, a tool's name and input
-- (as JSON), a tool's output, an error's message, a notice's text. Kept in step with every
-- write of `messages` by these triggers, in the writing transaction itself.
CREATE TRIGGER messages_search_insert AFTER INSERT ON messages BEGIN
    INSERT INTO message_search (session_id, seq) VALUES (new.session_id, new.seq);
    INSERT INTO messages_fts (rowid, body) VALUES (
        last_insert_rowid(),
        CASE
            WHEN NOT json_valid(new.payload) THEN new.payload
            WHEN new.kind = 'tool_use' THEN
                coalesce(json_extract(new.payload, '$.name'), '') || ' ' ||
                coalesce(json_extract(new.payload, '$.input'), '')
            WHEN new.kind = 'tool_result' THEN coalesce(json_extract(new.payload, '$.content'), '')
            WHEN new.kind = 'error' THEN coalesce(json_extract(new.payload, '$.message'), '')
            ELSE coalesce(json_extract(new.payload, '$.text'), '')
        END
    );
END;

CREATE TRIGGER messages_search_delete AFTER DELETE ON messages BEGIN
    DELETE FROM messages_fts WHERE rowid = (
        SELECT search_id FROM message_search WHERE session_id = old.session_id AND seq = old.seq
    );
    DELETE FROM message_search WHERE session_id = old.session_id AND seq = old.seq;
END;

-- Messages are append-only; should one ever change, its entry follows.
CREATE TRIGGER messages_search_update AFTER UPDATE ON messages BEGIN
    DELETE FROM messages_fts WHERE rowid = (
        SELECT search_id FROM message_search WHERE session_id = old.session_id AND seq = old.seq
    );
    DELETE FROM message_search WHERE session_id = old.session_id AND seq = old.seq;
    INSERT INTO message_search (session_id, seq) VALUES (new.session_id, new.seq);
    INSERT INTO messages_fts (rowid, body) VALUES (
        last_insert_rowid(),
        CASE
            WHEN NOT json_valid(new.payload) THEN new.payload
            WHEN new.kind = 'tool_use' THEN
                coalesce(json_extract(new.payload, '$.name'), '') || ' ' ||
                coalesce(json_extract(new.payload, '$.input'), '')
            WHEN new.kind = 'tool_result' THEN coalesce(json_extract(new.payload, '$.content'), '')
            WHEN new.kind = 'error' THEN coalesce(json_extract(new.payload, '$.message'), '')
            ELSE coalesce(json_extract(new.payload, '$.text'), '')
        END
    );
END;

-- Existing databases: index every stored message …
INSERT INTO message_search (session_id, seq)
    SELECT session_id, seq FROM messages ORDER BY session_id, seq;
INSERT INTO messages_fts (rowid, body)
    SELECT s.search_id,
        CASE
            WHEN NOT json_valid(m.payload) THEN m.payload
            WHEN m.kind = 'tool_use' THEN
                coalesce(json_extract(m.payload, '$.name'), '') || ' ' ||
                coalesce(json_extract(m.payload, '$.input'), '')
            WHEN m.kind = 'tool_result' THEN coalesce(json_extract(m.payload, '$.content'), '')
            WHEN m.kind = 'error' THEN coalesce(json_extract(m.payload, '$.message'), '')
            ELSE coalesce(json_extract(m.payload, '$.text'), '')
        END
    FROM message_search s JOIN messages m ON m.session_id = s.session_id AND m.seq = s.seq;

-- … and give every session with messages its title and preview, by the rules of
-- src/db/details.rs (`title_from`, `preview_from`; a test checks they agree).
-- The title: the first line of the first user message, cut on a word boundary after 60
-- characters ("…" added); the preview: the last user or assistant text, whitespace as
-- spaces, its first 140 characters.
INSERT INTO session_details (session_id, title, preview)
SELECT session_id,
    CASE
        WHEN line IS NULL OR line = '' THEN NULL
        WHEN length(line) <= 60 THEN line
        WHEN length(rtrim(rtrim(substr(line, 1, 61), replace(substr(line, 1, 61), ' ', '')), ' ')) >= 20
            THEN rtrim(rtrim(substr(line, 1, 61), replace(substr(line, 1, 61), ' ', '')), ' ') || '…'
        ELSE substr(line, 1, 60) || '…'
    END,
    nullif(substr(trim(replace(replace(replace(last, char(13), ' '), char(10), ' '), char(9), ' '), ' '), 1, 140), '')
FROM (
    SELECT s.session_id,
        (SELECT trim(substr(t, 1, instr(t || char(10), char(10)) - 1), ' ')
           FROM (SELECT replace(replace(json_extract(m.payload, '$.text'), char(13), ''), char(9), ' ') AS t
                   FROM messages m
                  WHERE m.session_id = s.session_id AND m.kind = 'user' AND json_valid(m.payload)
                  ORDER BY m.seq LIMIT 1)) AS line,
        (SELECT json_extract(m.payload, '$.text')
           FROM messages m
          WHERE m.session_id = s.session_id AND m.kind IN ('user', 'assistant') AND json_valid(m.payload)
          ORDER BY m.seq DESC LIMIT 1) AS last
    FROM sessions s
    WHERE EXISTS (SELECT 1 FROM messages m WHERE m.session_id = s.session_id)
);
