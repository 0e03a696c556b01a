-- A session's conversation controls (issue 15): kept so restarts and resumes launch the CLI
-- with them. Rows from before this migration get the CLI's own defaults.
ALTER TABLE sessions ADD COLUMN model TEXT NOT NULL DEFAULT 'default';
ALTER TABLE sessions ADD COLUMN effort TEXT;
ALTER TABLE sessions ADD COLUMN permission_mode TEXT NOT NULL DEFAULT 'default';
