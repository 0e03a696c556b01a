DROP INDEX sessions_status_last_active;
DROP TABLE sessions;
