-- The channel a chat's scheduled posts and reveals go to, on platforms where one chat (a Discord server)
-- has many channels. NULL: not chosen yet (on Discord the schedule cannot start without it).
ALTER TABLE chats ADD COLUMN channel TEXT;
