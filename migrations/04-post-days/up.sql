-- Days of the week on which a chat gets its daily question (bit 0 = Monday ... bit 6 = Sunday).
ALTER TABLE chats ADD COLUMN post_days INTEGER NOT NULL DEFAULT 127 CHECK (post_days BETWEEN 1 AND 127);
