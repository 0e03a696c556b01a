DROP TABLE session_transcripts;
DROP INDEX session_leases_node;
DROP TABLE session_leases;
DROP TABLE nodes;
