DROP TRIGGER messages_search_update;
DROP TRIGGER messages_search_delete;
DROP TRIGGER messages_search_insert;
DROP TABLE messages_fts;
DROP TABLE message_search;
DROP INDEX sessions_last_active_id;
DROP TABLE session_details;
