-- One row per chat session (docs/architecture.md, "The store"). Timestamps are UTC, stored as TEXT by Diesel.
CREATE TABLE sessions (
    session_id        TEXT PRIMARY KEY NOT NULL,
    user_id           TEXT NOT NULL,
    status            TEXT NOT NULL
        CHECK (status IN ('creating', 'active', 'idle', 'suspended', 'failed', 'terminated')),
    created_at        TIMESTAMP NOT NULL,
    last_active_at    TIMESTAMP NOT NULL,
    subprocess_pid    INTEGER,
    message_count     INTEGER NOT NULL DEFAULT 0,
    total_cost_usd    DOUBLE NOT NULL DEFAULT 0,
    is_resumable      BOOLEAN NOT NULL DEFAULT 1,
    terminated_reason TEXT
);

CREATE INDEX sessions_status_last_active ON sessions (status, last_active_at);
