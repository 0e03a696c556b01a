-- Users, their API keys, and what each user spent per UTC day (docs/operations.md, "Users
-- and keys", "Quotas"). Portable SQL: it runs on SQLite and PostgreSQL alike.

-- `max_sessions` and `daily_spend_limit_usd` are an admin's per-user override of
-- MAX_SESSIONS_PER_USER and DAILY_SPEND_LIMIT_USD; NULL means the server's setting.
CREATE TABLE users (
    user_id               TEXT PRIMARY KEY NOT NULL,
    name                  TEXT NOT NULL UNIQUE,
    role                  TEXT NOT NULL CHECK (role IN ('admin', 'member')),
    created_at            TIMESTAMP NOT NULL,
    disabled              BOOLEAN NOT NULL DEFAULT FALSE,
    max_sessions          INTEGER,
    daily_spend_limit_usd DOUBLE PRECISION
);

-- A key is never stored: only the SHA-256 of it (hex) and its first characters (`prefix`,
-- unique, shown to identify it and used to look it up).
CREATE TABLE api_keys (
    key_id       TEXT PRIMARY KEY NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users (user_id),
    prefix       TEXT NOT NULL UNIQUE,
    key_hash     TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at   TIMESTAMP
);

CREATE INDEX api_keys_user ON api_keys (user_id);

-- The sum of the costs of a user's turns that ended on `day` (UTC, 'YYYY-MM-DD').
CREATE TABLE daily_spend (
    user_id  TEXT NOT NULL REFERENCES users (user_id),
    day      TEXT NOT NULL,
    cost_usd DOUBLE PRECISION NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, day)
);

-- The bootstrap admin, whose key is CLAUDE_SDK_PATTERN_API_KEY. Its id is the one every
-- session of a single-key install was stored with, so those sessions are its own.
INSERT INTO users (user_id, name, role, created_at, disabled)
VALUES ('default', 'admin', 'admin', CURRENT_TIMESTAMP AT TIME ZONE 'UTC', FALSE);
