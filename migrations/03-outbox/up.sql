-- The durable outbox: every scheduled message (a post, a reveal) is written here in the same transaction as the
-- state change that caused it, then delivered by a worker that honours each platform's rate limits.
CREATE TABLE outbox (
    id         INTEGER PRIMARY KEY,
    chat_id    INTEGER NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    round_id   INTEGER REFERENCES rounds (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL,
    payload    TEXT    NOT NULL,
    state      TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    not_before INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    sent_at    INTEGER,
    last_error TEXT,
    -- A round is announced once per kind (post, reveal), whatever races or restarts happen.
    UNIQUE (round_id, kind)
);
CREATE INDEX outbox_due ON outbox (not_before, id) WHERE state IN ('pending', 'sending');

-- Why delivery to a chat stopped (the bot was removed, lost access); NULL when it is fine.
ALTER TABLE chats ADD COLUMN paused_reason TEXT;
