-- One row per chat session (docs/architecture.md, "The store"). The PostgreSQL twin of
-- migrations/sqlite/ (same versions; src/db/schema_check.rs keeps them equivalent).
-- Timestamps are UTC, without a zone.
CREATE TABLE sessions (
    session_id        TEXT PRIMARY KEY NOT NULL,
    user_id           TEXT NOT NULL,
    status            TEXT NOT NULL
        CHECK (status IN ('creating', 'active', 'idle', 'suspended', 'failed', 'terminated')),
    created_at        TIMESTAMP NOT NULL,
    last_active_at    TIMESTAMP NOT NULL,
    subprocess_pid    INTEGER,
    message_count     INTEGER NOT NULL DEFAULT 0,
    total_cost_usd    DOUBLE PRECISION NOT NULL DEFAULT 0,
    is_resumable      BOOLEAN NOT NULL DEFAULT TRUE,
    terminated_reason TEXT
);

CREATE INDEX sessions_status_last_active ON sessions (status, last_active_at);
