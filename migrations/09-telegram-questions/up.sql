-- Telegram only. The messages of each question post (a long one is several): a reply to one of them is an
-- answer to its round; a reply to any other bot message is not.
CREATE TABLE telegram_question_messages (
    chat_id    INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    round_id   INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    PRIMARY KEY (chat_id, message_id)
);
