-- Self-ratings after the reveal (FSRS grades 1 = again ... 4 = easy): the review log a spaced-repetition
-- scheduler needs, one row per member per round (rating again replaces it).
CREATE TABLE ratings (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    question_id TEXT    NOT NULL,
    round_id    INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    rating      INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
    score       INTEGER CHECK (score BETWEEN 0 AND 100),
    rated_at    INTEGER NOT NULL,
    UNIQUE (user_id, round_id)
);
CREATE INDEX ratings_by_card ON ratings (user_id, question_id, rated_at);
