-- Forks (issue 16): the CLI's uuid of each user message we send it (the `uuid` of the
-- stream-json user frame, which is the transcript entry's `uuid`). A fork "before message N"
-- resumes the CLI transcript up to that entry's parent (src/actors/fork.rs). NULL for
-- messages stored before this column existed, and for every other kind of message.
ALTER TABLE messages ADD COLUMN cli_uuid TEXT;
