//! Telegram's own records (their tables come with migration `05-telegram`): quiz polls and their rounds, and
//! which group each member's DM is for. Only this adapter reads or writes them; ids are Telegram's.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use crate::message::Platform;
use crate::store::{ChatMove, Store, StoreResult};

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

/// The Telegram adapter's records in the bot's database.
pub struct TelegramRecords<'a> {
    store: &'a Store,
}

impl<'a> TelegramRecords<'a> {
    /// The records in a store.
    pub fn of(store: &'a Store) -> TelegramRecords<'a> {
        TelegramRecords { store }
    }

    /// A group became a supergroup with a new id: the chat moves ([`Store::move_chat`]) and the DM targets
    /// that pointed at the old id point at the new one, in one transaction.
    pub fn move_chat(&self, from: i64, to: i64) -> StoreResult<ChatMove> {
        self.store.move_chat(
            Platform::Telegram,
            &from.to_string(),
            &to.to_string(),
            |tx| {
                tx.execute(
                    "UPDATE telegram_dm_targets SET group_id = ?2 WHERE group_id = ?1",
                    params![from, to],
                )?;
                tx.execute(
                    "UPDATE telegram_question_messages SET chat_id = ?2 WHERE chat_id = ?1",
                    params![from, to],
                )?;
                Ok(())
            },
        )
    }

    /// Remembers a message of a round's question post (a second record of the same message is ignored).
    pub fn record_question_message(
        &self,
        chat: i64,
        message_id: i64,
        round_id: i64,
    ) -> StoreResult<()> {
        self.store.conn().execute(
            "INSERT INTO telegram_question_messages (chat_id, message_id, round_id) VALUES (?1, ?2, ?3)
             ON CONFLICT DO NOTHING",
            params![chat, message_id, round_id],
        )?;
        Ok(())
    }

    /// The first message of a round's question post in a chat, if it was posted there.
    pub fn question_message(&self, chat: i64, round_id: i64) -> StoreResult<Option<i64>> {
        Ok(self
            .store
            .read()
            .query_row(
                "SELECT MIN(message_id) FROM telegram_question_messages WHERE chat_id = ?1 AND round_id = ?2",
                params![chat, round_id],
                |r| r.get(0),
            )?)
    }

    /// The round whose question post a message in a chat belongs to, if it is one.
    pub fn question_round(&self, chat: i64, message_id: i64) -> StoreResult<Option<i64>> {
        Ok(self
            .store
            .read()
            .query_row(
                "SELECT round_id FROM telegram_question_messages WHERE chat_id = ?1 AND message_id = ?2",
                params![chat, message_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Remembers a poll posted for a round (a second record of the same poll is ignored). The bot no longer
    /// posts polls; this records one as earlier versions did (for tests of how their votes still count).
    pub fn record_poll(
        &self,
        poll_id: &str,
        round_id: i64,
        message_id: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.store.conn().execute(
            "INSERT INTO telegram_polls (poll_id, round_id, message_id, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (poll_id) DO NOTHING",
            params![poll_id, round_id, message_id, ts(now)],
        )?;
        Ok(())
    }

    /// The message ids of the polls posted for a round.
    pub fn poll_messages(&self, round_id: i64) -> StoreResult<Vec<i64>> {
        let conn = self.store.read();
        let mut stmt = conn.prepare(
            "SELECT message_id FROM telegram_polls WHERE round_id = ?1 ORDER BY message_id",
        )?;
        let ids = stmt.query_map([round_id], |r| r.get(0))?;
        Ok(ids.collect::<Result<_, _>>()?)
    }

    /// The round and chat of a poll, if the bot posted it.
    pub fn poll(&self, poll_id: &str) -> StoreResult<Option<TelegramPoll>> {
        Ok(self
            .store
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
    pub fn set_dm_target(
        &self,
        user_id: i64,
        group_id: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.store.conn().execute(
            "INSERT INTO telegram_dm_targets (user_id, group_id, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (user_id) DO UPDATE SET group_id = excluded.group_id, updated_at = excluded.updated_at",
            params![user_id, group_id, ts(now)],
        )?;
        Ok(())
    }

    /// The group a member's DM is for, if they followed a deep link.
    pub fn dm_target(&self, user_id: i64) -> StoreResult<Option<i64>> {
        Ok(self
            .store
            .read()
            .query_row(
                "SELECT group_id FROM telegram_dm_targets WHERE user_id = ?1",
                [user_id],
                |r| r.get(0),
            )
            .optional()?)
    }
}

fn ts(t: DateTime<Utc>) -> i64 {
    t.timestamp()
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
        TelegramRecords::of(&store)
            .record_poll("p1", round.id, 5, now)
            .unwrap();
        TelegramRecords::of(&store)
            .record_poll("p1", round.id, 6, now)
            .unwrap();
        let poll = TelegramRecords::of(&store).poll("p1").unwrap().unwrap();
        assert_eq!(
            poll,
            TelegramPoll {
                round_id: round.id,
                chat_id: chat.id,
                chat_external_id: "-100777".into()
            }
        );
        assert_eq!(TelegramRecords::of(&store).poll("p2").unwrap(), None);

        assert_eq!(TelegramRecords::of(&store).dm_target(42).unwrap(), None);
        TelegramRecords::of(&store)
            .set_dm_target(42, -100777, now)
            .unwrap();
        TelegramRecords::of(&store)
            .set_dm_target(42, -100888, now)
            .unwrap();
        assert_eq!(
            TelegramRecords::of(&store).dm_target(42).unwrap(),
            Some(-100888)
        );
    }
}
