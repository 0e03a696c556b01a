-- "Allow for this session" (issue 12): the permission rules a session granted, kept so that a
-- restart, a wake from suspension or a server restart launches its next process with them
-- (`--allowedTools`) and the person is not asked again. Written as the CLI writes a rule
-- (`Bash(npm run *)`, `Edit`); no secrets. Gone with the session.
CREATE TABLE session_rules (
    session_id TEXT NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
    rule       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (session_id, rule)
);
