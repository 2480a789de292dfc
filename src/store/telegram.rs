//! Telegram's own records (migration `05-telegram`): quiz polls and their rounds, and which group each
//! member's DM is for. Only the Telegram adapter uses them; ids are Telegram's.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::{Store, StoreResult, ts};

/// A quiz poll posted for a round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelegramPoll {
    /// The round it asks.
    pub round_id: i64,
    /// The round's chat (database id).
    pub chat_id: i64,
    /// The chat's Telegram id, as stored (`-100...`).
    pub chat_external_id: String,
}

/// What moving a Telegram group to its supergroup id did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatMove {
    /// The chat now has the new id, with its rounds, scores, schedule and queued posts.
    Moved,
    /// Nothing stored under the old id (never met, or already moved).
    NothingToMove,
    /// Both ids have rounds: they are left as they are (merging two histories is not guessed at).
    BothInUse,
}

impl Store {
    /// A Telegram group became a supergroup with a new id: moves the chat (rounds, scores, streaks, schedule
    /// and settings are keyed by the database id and come along), re-addresses its queued posts and the DM
    /// targets that pointed at it, in one transaction. A row the new id got in the meantime (someone wrote
    /// in the supergroup first) is dropped if it has no rounds yet.
    pub fn move_telegram_chat(&self, from: i64, to: i64) -> StoreResult<ChatMove> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let chat_id: Option<i64> = tx
            .query_row(
                "SELECT id FROM chats WHERE platform = 'telegram' AND external_id = ?1",
                [from.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        let Some(chat_id) = chat_id else {
            return Ok(ChatMove::NothingToMove);
        };
        let newer: Option<(i64, bool)> = tx
            .query_row(
                "SELECT id, EXISTS (SELECT 1 FROM rounds WHERE chat_id = chats.id) FROM chats
                 WHERE platform = 'telegram' AND external_id = ?1",
                [to.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        match newer {
            Some((_, true)) => return Ok(ChatMove::BothInUse),
            Some((id, false)) => {
                tx.execute("DELETE FROM chats WHERE id = ?1", [id])?;
            }
            None => {}
        }
        tx.execute(
            "UPDATE chats SET external_id = ?2 WHERE id = ?1",
            params![chat_id, to.to_string()],
        )?;
        tx.execute(
            "UPDATE outbox SET payload = json_set(payload, '$.chat.id', ?2)
             WHERE chat_id = ?1 AND state IN ('pending', 'sending')",
            params![chat_id, to.to_string()],
        )?;
        tx.execute(
            "UPDATE telegram_dm_targets SET group_id = ?2 WHERE group_id = ?1",
            params![from, to],
        )?;
        tx.commit()?;
        Ok(ChatMove::Moved)
    }

    /// Remembers a poll posted for a round (a second record of the same poll is ignored).
    pub fn record_telegram_poll(
        &self,
        poll_id: &str,
        round_id: i64,
        message_id: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.conn().execute(
            "INSERT INTO telegram_polls (poll_id, round_id, message_id, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (poll_id) DO NOTHING",
            params![poll_id, round_id, message_id, ts(now)],
        )?;
        Ok(())
    }

    /// The message ids of the polls posted for a round.
    pub fn telegram_poll_messages(&self, round_id: i64) -> StoreResult<Vec<i64>> {
        let conn = self.read();
        let mut stmt = conn.prepare(
            "SELECT message_id FROM telegram_polls WHERE round_id = ?1 ORDER BY message_id",
        )?;
        let ids = stmt.query_map([round_id], |r| r.get(0))?;
        Ok(ids.collect::<Result<_, _>>()?)
    }

    /// The round and chat of a poll, if the bot posted it.
    pub fn telegram_poll(&self, poll_id: &str) -> StoreResult<Option<TelegramPoll>> {
        Ok(self
            .read()
            .query_row(
                "SELECT r.id, r.chat_id, c.external_id FROM telegram_polls p
                 JOIN rounds r ON r.id = p.round_id JOIN chats c ON c.id = r.chat_id
                 WHERE p.poll_id = ?1",
                [poll_id],
                |r| {
                    Ok(TelegramPoll {
                        round_id: r.get(0)?,
                        chat_id: r.get(1)?,
                        chat_external_id: r.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    /// Sets the group a member's DM is for (their last deep link).
    pub fn set_telegram_dm_target(
        &self,
        user_id: i64,
        group_id: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.conn().execute(
            "INSERT INTO telegram_dm_targets (user_id, group_id, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (user_id) DO UPDATE SET group_id = excluded.group_id, updated_at = excluded.updated_at",
            params![user_id, group_id, ts(now)],
        )?;
        Ok(())
    }

    /// The group a member's DM is for, if they followed a deep link.
    pub fn telegram_dm_target(&self, user_id: i64) -> StoreResult<Option<i64>> {
        Ok(self
            .read()
            .query_row(
                "SELECT group_id FROM telegram_dm_targets WHERE user_id = ?1",
                [user_id],
                |r| r.get(0),
            )
            .optional()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Platform;
    use crate::settings::ChatDefaults;
    use crate::store::ChatSettings;

    #[test]
    fn polls_map_to_their_round_and_dm_targets_are_replaced() {
        let store = Store::open_in_memory().unwrap();
        let now = Utc::now();
        let settings = ChatSettings::from_defaults(&ChatDefaults::default(), false);
        let (chat, _) = store
            .ensure_chat(Platform::Telegram, "-100777", false, &settings, 1, now)
            .unwrap();
        let date = now.date_naive();
        let round = store
            .create_round(chat.id, date, "q", now, now, |_| None)
            .unwrap()
            .unwrap();
        store.record_telegram_poll("p1", round.id, 5, now).unwrap();
        store.record_telegram_poll("p1", round.id, 6, now).unwrap();
        let poll = store.telegram_poll("p1").unwrap().unwrap();
        assert_eq!(
            poll,
            TelegramPoll {
                round_id: round.id,
                chat_id: chat.id,
                chat_external_id: "-100777".into()
            }
        );
        assert_eq!(store.telegram_poll("p2").unwrap(), None);

        assert_eq!(store.telegram_dm_target(42).unwrap(), None);
        store.set_telegram_dm_target(42, -100777, now).unwrap();
        store.set_telegram_dm_target(42, -100888, now).unwrap();
        assert_eq!(store.telegram_dm_target(42).unwrap(), Some(-100888));
    }
}
