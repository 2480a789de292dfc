//! Chats, their settings, and members.

use chrono::{DateTime, NaiveTime, Utc};
use rusqlite::{OptionalExtension, Row, TransactionBehavior, params};

use super::{Store, StoreError, StoreResult, ts};
use crate::message::Platform;
use crate::vocab::{ChannelId, ChatSettings, Lang, Weekdays};

/// What moving a chat to a new platform id did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatMove {
    /// The chat now has the new id, with its rounds, scores, schedule and queued posts.
    Moved,
    /// Nothing stored under the old id (never met, or already moved).
    NothingToMove,
    /// Both ids have rounds: they are left as they are (merging two histories is not guessed at).
    BothInUse,
}

/// A stored chat.
#[derive(Debug, Clone)]
pub struct ChatRow {
    /// Database id.
    pub id: i64,
    /// Platform.
    pub platform: Platform,
    /// Platform's id.
    pub external_id: String,
    /// A private chat with the bot.
    pub is_private: bool,
    /// Settings.
    pub settings: ChatSettings,
    /// Seed for question choice.
    pub seed: i64,
    /// When the daily schedule was last turned on.
    pub scheduled_since: Option<DateTime<Utc>>,
}

/// A stored member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    /// Database id.
    pub id: i64,
    /// Display name.
    pub name: String,
}

const CHAT_COLUMNS: &str = "id, platform, external_id, is_private, language, timezone, post_time, reveal_time, \
     topics, min_difficulty, max_difficulty, show_answers, scheduled, seed, scheduled_since, post_days, channel, threads";

fn time_text(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

fn chat_from_row(r: &Row<'_>) -> rusqlite::Result<Result<ChatRow, StoreError>> {
    let platform: String = r.get(1)?;
    let language: String = r.get(4)?;
    let timezone: String = r.get(5)?;
    let post: String = r.get(6)?;
    let reveal: String = r.get(7)?;
    let topics: String = r.get(8)?;
    let since: Option<i64> = r.get(14)?;
    let days: u8 = r.get(15)?;
    let corrupt = |what: &str, v: &str| StoreError::Corrupt(format!("chat {what} {v:?}"));
    let parse_time =
        |s: &str| NaiveTime::parse_from_str(s, "%H:%M").map_err(|_| corrupt("time", s));
    Ok((|| {
        Ok(ChatRow {
            id: r.get(0)?,
            platform: Platform::from_key(&platform)
                .ok_or_else(|| corrupt("platform", &platform))?,
            external_id: r.get(2)?,
            is_private: r.get(3)?,
            settings: ChatSettings {
                language: Lang::parse(&language).ok_or_else(|| corrupt("language", &language))?,
                timezone: timezone
                    .parse()
                    .map_err(|_| corrupt("timezone", &timezone))?,
                post_time: parse_time(&post)?,
                reveal_time: parse_time(&reveal)?,
                topics: topics
                    .split(',')
                    .filter(|t| !t.is_empty())
                    .map(str::to_string)
                    .collect(),
                difficulty: (r.get(9)?, r.get(10)?),
                show_answers: r.get(11)?,
                post_days: Weekdays::from_bits(days)
                    .ok_or_else(|| corrupt("post_days", &days.to_string()))?,
                scheduled: r.get(12)?,
                // Stored as the id (older rows hold a `<#id>` mention; both parse).
                channel: r
                    .get::<_, Option<String>>(16)?
                    .as_deref()
                    .and_then(ChannelId::parse),
                threads: r.get(17)?,
            },
            seed: r.get(13)?,
            scheduled_since: since.map(super::from_ts).transpose()?,
        })
    })())
}

impl Store {
    /// Finds a chat, creating it with `settings` the first time. Returns the chat and whether it is new.
    pub fn ensure_chat(
        &self,
        platform: Platform,
        external_id: &str,
        is_private: bool,
        settings: &ChatSettings,
        seed: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<(ChatRow, bool)> {
        let select =
            format!("SELECT {CHAT_COLUMNS} FROM chats WHERE platform = ?1 AND external_id = ?2");
        // A known chat is only read: no write lock for every command.
        if let Some(chat) = self
            .read()
            .prepare_cached(&select)?
            .query_row(params![platform.key(), external_id], chat_from_row)
            .optional()?
        {
            return Ok((chat?, false));
        }
        let conn = self.conn();
        let inserted = conn.execute(
            "INSERT INTO chats (platform, external_id, is_private, language, timezone, post_time, reveal_time,
                                topics, min_difficulty, max_difficulty, show_answers, scheduled, seed, created_at,
                                scheduled_since, post_days)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,
                     CASE WHEN ?12 THEN ?14 END, ?15)
             ON CONFLICT (platform, external_id) DO NOTHING",
            params![
                platform.key(),
                external_id,
                is_private,
                settings.language.code(),
                settings.timezone.name(),
                time_text(settings.post_time),
                time_text(settings.reveal_time),
                settings.topics.join(","),
                settings.difficulty.0,
                settings.difficulty.1,
                settings.show_answers,
                settings.scheduled,
                seed,
                ts(now),
                settings.post_days.bits(),
            ],
        )?;
        let chat =
            conn.query_row(&select, params![platform.key(), external_id], chat_from_row)??;
        Ok((chat, inserted == 1))
    }

    /// A chat by its platform id, if the bot has met it.
    pub fn find_chat(&self, platform: Platform, external_id: &str) -> StoreResult<Option<ChatRow>> {
        let conn = self.read();
        conn.query_row(
            &format!("SELECT {CHAT_COLUMNS} FROM chats WHERE platform = ?1 AND external_id = ?2"),
            params![platform.key(), external_id],
            chat_from_row,
        )
        .optional()?
        .transpose()
    }

    /// A chat by database id.
    pub fn chat(&self, id: i64) -> StoreResult<Option<ChatRow>> {
        let conn = self.read();
        conn.query_row(
            &format!("SELECT {CHAT_COLUMNS} FROM chats WHERE id = ?1"),
            [id],
            chat_from_row,
        )
        .optional()?
        .transpose()
    }

    /// Chats whose daily schedule is on.
    pub fn scheduled_chats(&self) -> StoreResult<Vec<ChatRow>> {
        let conn = self.read();
        let mut stmt = conn.prepare(&format!(
            "SELECT {CHAT_COLUMNS} FROM chats WHERE scheduled = 1"
        ))?;
        let rows = stmt.query_map([], chat_from_row)?;
        rows.map(|r| r?).collect()
    }

    /// Changes a chat's settings: reads the current ones, lets `change` edit them and writes them back, in one
    /// IMMEDIATE transaction, so two admins changing different settings at once both keep their change. An
    /// error from `change` rolls back and is returned as is. Turning the schedule on records `now` as its
    /// start. Returns the settings as written.
    pub fn change_settings<E: From<StoreError>>(
        &self,
        chat_id: i64,
        now: DateTime<Utc>,
        change: impl FnOnce(&mut ChatSettings) -> Result<(), E>,
    ) -> Result<ChatSettings, E> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::from)?;
        let chat = tx
            .query_row(
                &format!("SELECT {CHAT_COLUMNS} FROM chats WHERE id = ?1"),
                [chat_id],
                chat_from_row,
            )
            .map_err(StoreError::from)??;
        let mut s = chat.settings;
        change(&mut s)?;
        tx.execute(
            "UPDATE chats SET language = ?2, timezone = ?3, post_time = ?4, reveal_time = ?5, topics = ?6,
                    min_difficulty = ?7, max_difficulty = ?8, show_answers = ?9,
                    scheduled_since = CASE WHEN ?10 AND NOT scheduled THEN ?11 ELSE scheduled_since END,
                    paused_reason = CASE WHEN ?10 THEN NULL ELSE paused_reason END,
                    scheduled = ?10, post_days = ?12, channel = ?13, threads = ?14
             WHERE id = ?1",
            params![
                chat_id,
                s.language.code(),
                s.timezone.name(),
                time_text(s.post_time),
                time_text(s.reveal_time),
                s.topics.join(","),
                s.difficulty.0,
                s.difficulty.1,
                s.show_answers,
                s.scheduled,
                ts(now),
                s.post_days.bits(),
                s.channel.map(|c| c.0.to_string()),
                s.threads,
            ],
        )
        .map_err(StoreError::from)?;
        tx.commit().map_err(StoreError::from)?;
        Ok(s)
    }

    /// A chat got a new platform id (a Telegram group became a supergroup): moves it (rounds, scores,
    /// streaks, schedule and settings are keyed by the database id and come along) and re-addresses its queued
    /// posts; `also` runs in the same transaction (the adapter's own records). A row the new id got in the
    /// meantime (someone wrote there first) is dropped if it has no rounds yet.
    pub fn move_chat(
        &self,
        platform: Platform,
        from: &str,
        to: &str,
        also: impl FnOnce(&rusqlite::Connection) -> StoreResult<()>,
    ) -> StoreResult<ChatMove> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let chat_id: Option<i64> = tx
            .query_row(
                "SELECT id FROM chats WHERE platform = ?1 AND external_id = ?2",
                params![platform.key(), from],
                |r| r.get(0),
            )
            .optional()?;
        let Some(chat_id) = chat_id else {
            return Ok(ChatMove::NothingToMove);
        };
        let newer: Option<(i64, bool)> = tx
            .query_row(
                "SELECT id, EXISTS (SELECT 1 FROM rounds WHERE chat_id = chats.id) FROM chats
                 WHERE platform = ?1 AND external_id = ?2",
                params![platform.key(), to],
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
            params![chat_id, to],
        )?;
        tx.execute(
            "UPDATE outbox SET payload = json_set(payload, '$.chat.id', ?2)
             WHERE chat_id = ?1 AND state IN ('pending', 'sending')",
            params![chat_id, to],
        )?;
        also(&tx)?;
        tx.commit()?;
        Ok(ChatMove::Moved)
    }

    /// Finds a member, creating them the first time, and keeps their display name current. Writes only when
    /// the member is new or renamed, so reads by known members never wait for the write lock.
    pub fn ensure_user(
        &self,
        platform: Platform,
        external_id: &str,
        name: &str,
    ) -> StoreResult<UserRow> {
        let known: Option<(i64, String)> = self
            .read()
            .prepare_cached(
                "SELECT id, display_name FROM users WHERE platform = ?1 AND external_id = ?2",
            )?
            .query_row(params![platform.key(), external_id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let id = match known {
            Some((id, stored)) if stored == name => id,
            _ => {
                let mut conn = self.conn();
                // An explicit transaction: its commit reports a failure (a full disk), which the implicit
                // commit of a RETURNING statement would not.
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let id = tx.query_row(
                    "INSERT INTO users (platform, external_id, display_name) VALUES (?1, ?2, ?3)
                     ON CONFLICT (platform, external_id) DO UPDATE SET display_name = excluded.display_name
                     RETURNING id",
                    params![platform.key(), external_id, name],
                    |r| r.get(0),
                )?;
                tx.commit()?;
                id
            }
        };
        Ok(UserRow {
            id,
            name: name.to_string(),
        })
    }

    /// A member who has answered in this chat, by display name (case-insensitive) or platform id.
    pub fn find_member(&self, chat_id: i64, name: &str) -> StoreResult<Option<UserRow>> {
        let conn = self.read();
        Ok(conn
            .query_row(
                "SELECT u.id, u.display_name FROM users u
                 WHERE (lower(u.display_name) = lower(?2) OR u.external_id = ?2)
                   AND EXISTS (SELECT 1 FROM answers a WHERE a.chat_id = ?1 AND a.user_id = u.id)
                 ORDER BY u.id LIMIT 1",
                params![chat_id, name],
                |r| {
                    Ok(UserRow {
                        id: r.get(0)?,
                        name: r.get(1)?,
                    })
                },
            )
            .optional()?)
    }
}
