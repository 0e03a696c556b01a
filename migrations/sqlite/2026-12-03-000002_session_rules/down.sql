DROP TABLE session_rules;
