-- Replica mode (issue 18, docs/operations.md "Replicas"); unused on a single machine.

-- Each live replica, its heartbeat and what it can still take (creation goes to the one with
-- the most free capacity). `workspace_nonce` is the random text it wrote to
-- WORKSPACE_DIR/.csp-nodes/<node_id>: another replica that cannot read it there does not
-- share the workspace.
CREATE TABLE nodes (
    node_id         TEXT PRIMARY KEY NOT NULL,
    url             TEXT NOT NULL,
    started_at      TIMESTAMP NOT NULL,
    heartbeat_at    TIMESTAMP NOT NULL,
    draining        BOOLEAN NOT NULL DEFAULT FALSE,
    live_sessions   INTEGER NOT NULL DEFAULT 0,
    max_sessions    INTEGER NOT NULL DEFAULT 0,
    pool_ready      INTEGER NOT NULL DEFAULT 0,
    workspace_nonce TEXT NOT NULL
);

-- Which replica runs a session, until when. Taken over with one conditional statement (the
-- holder is the taker, or the lease has expired); `epoch` counts the takes.
CREATE TABLE session_leases (
    session_id TEXT PRIMARY KEY NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
    node_id    TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    epoch      BIGINT NOT NULL
);

CREATE INDEX session_leases_node ON session_leases (node_id);

-- The CLI's JSONL transcript of a session, in the chunks it was appended in (a session
-- resumes on another replica from these).
CREATE TABLE session_transcripts (
    session_id   TEXT NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
    start_offset BIGINT NOT NULL,
    data         BLOB NOT NULL,
    PRIMARY KEY (session_id, start_offset)
);
