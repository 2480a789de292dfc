//! Daily rounds: one live round per chat per local date, enforced by a unique index.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::outbox::enqueue_in;
use super::{Store, StoreResult, date_str, from_ts, parse_date, ts};
use crate::message::Outgoing;

/// A stored round.
#[derive(Debug, Clone, PartialEq)]
pub struct RoundRow {
    /// Database id.
    pub id: i64,
    /// Chat.
    pub chat_id: i64,
    /// Local date in the chat's time zone.
    pub local_date: NaiveDate,
    /// The chat's round number (1, 2, ...).
    pub number: i64,
    /// Bank question id.
    pub question_id: String,
    /// When it was posted.
    pub posted_at: DateTime<Utc>,
    /// When it is revealed.
    pub reveal_at: DateTime<Utc>,
    /// When it was revealed, if it was.
    pub revealed_at: Option<DateTime<Utc>>,
    /// Replaced by an admin's `/skip`.
    pub skipped: bool,
}

const ROUND_COLUMNS: &str =
    "id, chat_id, local_date, number, question_id, posted_at, reveal_at, revealed_at, skipped";

fn round_from_row(r: &Row<'_>) -> rusqlite::Result<StoreResult<RoundRow>> {
    let date: String = r.get(2)?;
    let posted: i64 = r.get(5)?;
    let reveal: i64 = r.get(6)?;
    let revealed: Option<i64> = r.get(7)?;
    let id = r.get(0)?;
    let chat_id = r.get(1)?;
    let number = r.get(3)?;
    let question_id = r.get(4)?;
    let skipped = r.get(8)?;
    Ok((|| {
        Ok(RoundRow {
            id,
            chat_id,
            local_date: parse_date(&date)?,
            number,
            question_id,
            posted_at: from_ts(posted)?,
            reveal_at: from_ts(reveal)?,
            revealed_at: revealed.map(from_ts).transpose()?,
            skipped,
        })
    })())
}

fn query_rounds(
    conn: &Connection,
    sql_where: &str,
    p: impl rusqlite::Params,
) -> StoreResult<Vec<RoundRow>> {
    // Cached: the same few lookups run for every command (`cargo bench --bench answers`).
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ROUND_COLUMNS} FROM rounds WHERE {sql_where}"
    ))?;
    let rows = stmt.query_map(p, round_from_row)?;
    rows.map(|r| r?).collect()
}

fn insert_round(
    conn: &Connection,
    chat_id: i64,
    date: NaiveDate,
    question_id: &str,
    posted_at: DateTime<Utc>,
    reveal_at: DateTime<Utc>,
) -> StoreResult<Option<RoundRow>> {
    let id: Option<i64> = conn
        .query_row(
            "INSERT INTO rounds (chat_id, local_date, number, question_id, posted_at, reveal_at)
             SELECT ?1, ?2, COALESCE(MAX(number), 0) + 1, ?3, ?4, ?5 FROM rounds WHERE chat_id = ?1
             ON CONFLICT DO NOTHING
             RETURNING id",
            params![
                chat_id,
                date_str(date),
                question_id,
                ts(posted_at),
                ts(reveal_at)
            ],
            |r| r.get(0),
        )
        .optional()?;
    match id {
        None => Ok(None),
        Some(id) => Ok(query_rounds(conn, "id = ?1", [id])?.pop()),
    }
}

impl Store {
    /// Creates the chat's round for `date` unless the chat already has one (live or skipped) on that date.
    /// Returns the new round, or `None` when a round exists (another caller may have got there first).
    /// `announce` may render the post for the new round: it is queued in the outbox in the same transaction.
    pub fn create_round(
        &self,
        chat_id: i64,
        date: NaiveDate,
        question_id: &str,
        posted_at: DateTime<Utc>,
        reveal_at: DateTime<Utc>,
        announce: impl FnOnce(&RoundRow) -> Option<Outgoing>,
    ) -> StoreResult<Option<RoundRow>> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let exists: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM rounds WHERE chat_id = ?1 AND local_date = ?2)",
            params![chat_id, date_str(date)],
            |r| r.get(0),
        )?;
        if exists {
            return Ok(None);
        }
        let round = insert_round(&tx, chat_id, date, question_id, posted_at, reveal_at)?;
        if let Some(round) = &round
            && let Some(outgoing) = announce(round)
        {
            enqueue_in(&tx, chat_id, Some(round.id), "post", &outgoing, posted_at)?;
        }
        tx.commit()?;
        Ok(round)
    }

    /// Marks an open round skipped and creates its replacement for the same date, atomically.
    /// Returns `None` if the round was no longer open.
    pub fn skip_round(
        &self,
        round: &RoundRow,
        question_id: &str,
        now: DateTime<Utc>,
        reveal_at: DateTime<Utc>,
    ) -> StoreResult<Option<RoundRow>> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let changed = tx.execute(
            "UPDATE rounds SET skipped = 1 WHERE id = ?1 AND skipped = 0 AND revealed_at IS NULL",
            [round.id],
        )?;
        if changed == 0 {
            return Ok(None);
        }
        let new = insert_round(
            &tx,
            round.chat_id,
            round.local_date,
            question_id,
            now,
            reveal_at,
        )?;
        tx.commit()?;
        Ok(new)
    }

    /// Whether the chat has any round (live or skipped) on a local date.
    pub fn has_round_on(&self, chat_id: i64, date: NaiveDate) -> StoreResult<bool> {
        Ok(self.read().query_row(
            "SELECT EXISTS (SELECT 1 FROM rounds WHERE chat_id = ?1 AND local_date = ?2)",
            params![chat_id, date_str(date)],
            |r| r.get(0),
        )?)
    }

    /// The chat's live round on a date.
    pub fn live_round_on(&self, chat_id: i64, date: NaiveDate) -> StoreResult<Option<RoundRow>> {
        Ok(query_rounds(
            &self.read(),
            "chat_id = ?1 AND local_date = ?2 AND skipped = 0",
            params![chat_id, date_str(date)],
        )?
        .pop())
    }

    /// The chat's most recent live round, revealed or not.
    pub fn latest_round(&self, chat_id: i64) -> StoreResult<Option<RoundRow>> {
        Ok(query_rounds(
            &self.read(),
            "chat_id = ?1 AND skipped = 0 ORDER BY local_date DESC, id DESC LIMIT 1",
            [chat_id],
        )?
        .pop())
    }

    /// The chat's most recent live round that is not revealed yet.
    pub fn open_round(&self, chat_id: i64) -> StoreResult<Option<RoundRow>> {
        Ok(query_rounds(
            &self.read(),
            "chat_id = ?1 AND skipped = 0 AND revealed_at IS NULL ORDER BY local_date DESC, id DESC LIMIT 1",
            [chat_id],
        )?
        .pop())
    }

    /// The chat's most recent revealed round.
    pub fn latest_revealed_round(&self, chat_id: i64) -> StoreResult<Option<RoundRow>> {
        Ok(query_rounds(
            &self.read(),
            "chat_id = ?1 AND skipped = 0 AND revealed_at IS NOT NULL ORDER BY local_date DESC, id DESC LIMIT 1",
            [chat_id],
        )?
        .pop())
    }

    /// The date of the chat's live round before `date`, if any.
    pub fn previous_round_date(
        &self,
        chat_id: i64,
        date: NaiveDate,
    ) -> StoreResult<Option<NaiveDate>> {
        let d: Option<String> = self
            .read()
            .prepare_cached(
                "SELECT MAX(local_date) FROM rounds WHERE chat_id = ?1 AND skipped = 0 AND local_date < ?2",
            )?
            .query_row(params![chat_id, date_str(date)], |r| r.get(0))?;
        d.as_deref().map(parse_date).transpose()
    }

    /// A round by id.
    pub fn round(&self, id: i64) -> StoreResult<Option<RoundRow>> {
        Ok(query_rounds(&self.read(), "id = ?1", [id])?.pop())
    }

    /// Dates of the chat's last `n` live rounds, newest first.
    pub fn recent_round_dates(&self, chat_id: i64, n: usize) -> StoreResult<Vec<NaiveDate>> {
        let conn = self.read();
        let mut stmt = conn.prepare(
            "SELECT local_date FROM rounds WHERE chat_id = ?1 AND skipped = 0 ORDER BY local_date DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![chat_id, n as i64], |r| r.get::<_, String>(0))?;
        rows.map(|r| parse_date(&r?)).collect()
    }

    /// Live rounds (of any chat) whose reveal time has come.
    pub fn due_reveals(&self, now: DateTime<Utc>) -> StoreResult<Vec<RoundRow>> {
        query_rounds(
            &self.read(),
            "revealed_at IS NULL AND skipped = 0 AND reveal_at <= ?1 ORDER BY reveal_at, id",
            [ts(now)],
        )
    }

    /// The earliest reveal still to come after `now`.
    pub fn next_reveal_after(&self, now: DateTime<Utc>) -> StoreResult<Option<DateTime<Utc>>> {
        let next: Option<i64> = self.read().query_row(
            "SELECT MIN(reveal_at) FROM rounds WHERE revealed_at IS NULL AND skipped = 0 AND reveal_at > ?1",
            [ts(now)],
            |r| r.get(0),
        )?;
        next.map(from_ts).transpose()
    }

    /// How often each question has been used in the chat (skipped rounds included).
    pub fn question_uses(&self, chat_id: i64) -> StoreResult<HashMap<String, u32>> {
        let conn = self.read();
        let mut stmt = conn.prepare(
            "SELECT question_id, COUNT(*) FROM rounds WHERE chat_id = ?1 GROUP BY question_id",
        )?;
        let rows = stmt.query_map([chat_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
