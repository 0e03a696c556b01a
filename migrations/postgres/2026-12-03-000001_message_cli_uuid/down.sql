ALTER TABLE messages DROP COLUMN cli_uuid;
