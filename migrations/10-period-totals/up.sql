-- Week and month totals per member, maintained at each reveal like `totals`, so the week and month boards read
-- one row per member instead of summing every answer of the period through `answers_board` (a month of a
-- large chat is tens of thousands of answers; `cargo bench --bench leaderboard` measures both). `start` is the
-- period's first local date: the Monday of the week, the 1st of the month.
CREATE TABLE period_totals (
    chat_id  INTEGER NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    period   TEXT    NOT NULL CHECK (period IN ('week', 'month')),
    start    TEXT    NOT NULL CHECK (length(start) = 10),
    user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    points   INTEGER NOT NULL DEFAULT 0,
    answered INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (chat_id, period, start, user_id)
) WITHOUT ROWID;
-- The answers revealed before this migration ('-6 days', 'weekday 1': the Monday on or before the date).
INSERT INTO period_totals (chat_id, period, start, user_id, points, answered)
    SELECT chat_id, 'week', date(local_date, '-6 days', 'weekday 1'), user_id, SUM(points), COUNT(*)
    FROM answers WHERE counted = 1 GROUP BY chat_id, date(local_date, '-6 days', 'weekday 1'), user_id;
INSERT INTO period_totals (chat_id, period, start, user_id, points, answered)
    SELECT chat_id, 'month', date(local_date, 'start of month'), user_id, SUM(points), COUNT(*)
    FROM answers WHERE counted = 1 GROUP BY chat_id, date(local_date, 'start of month'), user_id;
