-- The channel a chat's scheduled posts and reveals go to, on platforms where one chat (a Discord server)
-- has many channels. NULL: not chosen yet (on Discord the schedule cannot start without it).
ALTER TABLE chats ADD COLUMN channel TEXT;
-- Open a discussion thread under each reveal (Discord).
ALTER TABLE chats ADD COLUMN threads INTEGER NOT NULL DEFAULT 0 CHECK (threads IN (0, 1));
