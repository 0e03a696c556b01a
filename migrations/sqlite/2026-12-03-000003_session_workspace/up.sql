-- Where a session works (issue 17): its project, the directory its CLI runs in, and, for a
-- session in a worktree of its own, the isolation, branch and the commit it branched from
-- (null in a repository without commits: the diff base is then the empty tree).
-- Rows from before this migration ran in WORKSPACE_DIR, the default project (all null).
ALTER TABLE sessions ADD COLUMN project TEXT;
ALTER TABLE sessions ADD COLUMN workdir TEXT;
ALTER TABLE sessions ADD COLUMN isolation TEXT;
ALTER TABLE sessions ADD COLUMN branch TEXT;
ALTER TABLE sessions ADD COLUMN base_commit TEXT;
