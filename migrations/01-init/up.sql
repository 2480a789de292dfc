-- Chats, members, daily rounds, sealed answers, streaks and all-time totals.
-- Times are Unix seconds (UTC); local dates are 'YYYY-MM-DD' in the chat's time zone.

CREATE TABLE chats (
    id             INTEGER PRIMARY KEY,
    platform       TEXT    NOT NULL,
    external_id    TEXT    NOT NULL,
    title          TEXT    NOT NULL DEFAULT '',
    is_private     INTEGER NOT NULL DEFAULT 0 CHECK (is_private IN (0, 1)),
    language       TEXT    NOT NULL CHECK (language IN ('zh', 'en')),
    timezone       TEXT    NOT NULL,
    post_time      TEXT    NOT NULL CHECK (length(post_time) = 5),
    reveal_time    TEXT    NOT NULL CHECK (length(reveal_time) = 5),
    topics         TEXT    NOT NULL DEFAULT '',
    min_difficulty INTEGER NOT NULL DEFAULT 1 CHECK (min_difficulty BETWEEN 1 AND 3),
    max_difficulty INTEGER NOT NULL DEFAULT 3 CHECK (max_difficulty BETWEEN 1 AND 3),
    show_answers   INTEGER NOT NULL DEFAULT 0 CHECK (show_answers IN (0, 1)),
    scheduled      INTEGER NOT NULL DEFAULT 0 CHECK (scheduled IN (0, 1)),
    scheduled_since INTEGER,
    seed           INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    UNIQUE (platform, external_id),
    CHECK (min_difficulty <= max_difficulty),
    CHECK (post_time <> reveal_time)
);

CREATE TABLE users (
    id           INTEGER PRIMARY KEY,
    platform     TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    display_name TEXT NOT NULL,
    UNIQUE (platform, external_id)
);

CREATE TABLE rounds (
    id          INTEGER PRIMARY KEY,
    chat_id     INTEGER NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    local_date  TEXT    NOT NULL CHECK (length(local_date) = 10),
    number      INTEGER NOT NULL CHECK (number >= 1),
    question_id TEXT    NOT NULL,
    posted_at   INTEGER NOT NULL,
    reveal_at   INTEGER NOT NULL,
    revealed_at INTEGER,
    skipped     INTEGER NOT NULL DEFAULT 0 CHECK (skipped IN (0, 1))
);
-- Exactly one live round per chat per local date; a skipped round makes room for its replacement.
CREATE UNIQUE INDEX rounds_one_live_per_day ON rounds (chat_id, local_date) WHERE skipped = 0;
CREATE INDEX rounds_by_chat ON rounds (chat_id, local_date);
CREATE INDEX rounds_due ON rounds (reveal_at) WHERE revealed_at IS NULL AND skipped = 0;

CREATE TABLE answers (
    id           INTEGER PRIMARY KEY,
    round_id     INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    chat_id      INTEGER NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    local_date   TEXT    NOT NULL,
    body         TEXT    NOT NULL CHECK (length(body) > 0),
    score        INTEGER NOT NULL CHECK (score BETWEEN 0 AND 100),
    covered      TEXT    NOT NULL DEFAULT '[]',
    verdict      TEXT    NOT NULL,
    points       INTEGER NOT NULL DEFAULT 0 CHECK (points >= 0),
    counted      INTEGER NOT NULL DEFAULT 0 CHECK (counted IN (0, 1)),
    submitted_at INTEGER NOT NULL,
    revisions    INTEGER NOT NULL DEFAULT 1,
    -- One live answer per member per round: answering again replaces it.
    UNIQUE (round_id, user_id)
);
-- Covering index for week and month leaderboards: only revealed (counted) answers are ranked.
CREATE INDEX answers_board ON answers (chat_id, local_date, user_id, points) WHERE counted = 1;
CREATE INDEX answers_by_user ON answers (chat_id, user_id);

-- Members who looked at the model answer before the reveal: their later answers score nothing.
CREATE TABLE peeks (
    round_id  INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    peeked_at INTEGER NOT NULL,
    PRIMARY KEY (round_id, user_id)
);

-- Consecutive rounds of a chat that a member answered.
CREATE TABLE streaks (
    chat_id   INTEGER NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    current   INTEGER NOT NULL CHECK (current >= 0),
    best      INTEGER NOT NULL CHECK (best >= current),
    last_date TEXT    NOT NULL,
    PRIMARY KEY (chat_id, user_id)
);

-- All-time totals, maintained at each reveal, so the all-time board never scans answers.
CREATE TABLE totals (
    chat_id   INTEGER NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    points    INTEGER NOT NULL DEFAULT 0,
    answered  INTEGER NOT NULL DEFAULT 0,
    score_sum INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (chat_id, user_id)
);
CREATE INDEX totals_board ON totals (chat_id, points DESC);
