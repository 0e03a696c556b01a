DROP INDEX messages_fts;
DROP TEXT SEARCH CONFIGURATION csp_search;
DROP FUNCTION csp_search_body(TEXT, TEXT);
DROP INDEX sessions_last_active_id;
DROP TABLE session_details;
