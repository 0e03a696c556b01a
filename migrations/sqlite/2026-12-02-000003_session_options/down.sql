ALTER TABLE sessions DROP COLUMN permission_mode;
ALTER TABLE sessions DROP COLUMN effort;
ALTER TABLE sessions DROP COLUMN model;
