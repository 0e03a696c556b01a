-- The conversation as the UI shows it, one row per consolidated message (not per token).
-- `seq` counts from 1 within a session; `payload` is the message as JSON text.
CREATE TABLE messages (
    session_id TEXT NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    kind       TEXT NOT NULL
        CHECK (kind IN ('user', 'assistant', 'tool_use', 'tool_result', 'error', 'notice')),
    payload    TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (session_id, seq)
);
