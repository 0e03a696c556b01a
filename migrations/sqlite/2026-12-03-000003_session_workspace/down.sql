ALTER TABLE sessions DROP COLUMN base_commit;
ALTER TABLE sessions DROP COLUMN branch;
ALTER TABLE sessions DROP COLUMN isolation;
ALTER TABLE sessions DROP COLUMN workdir;
ALTER TABLE sessions DROP COLUMN project;
