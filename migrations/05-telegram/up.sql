-- Telegram only. Quiz polls posted for multiple-choice rounds: a poll answer names only the poll, so this maps it
-- back to its round (and through the round to its chat).
CREATE TABLE telegram_polls (
    poll_id    TEXT    PRIMARY KEY,
    round_id   INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    message_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX telegram_polls_by_round ON telegram_polls (round_id);

-- Which group a member's DM answers (and DM /stats, /leaderboard) are for: the group of their last deep link.
-- Ids are Telegram's own (user id, group chat id), so a target survives restarts before the group is stored.
CREATE TABLE telegram_dm_targets (
    user_id    INTEGER PRIMARY KEY,
    group_id   INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
