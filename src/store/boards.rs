//! Leaderboards, streaks and per-member figures.
//!
//! Every board reads totals maintained at each reveal, one row per member: the week's and the month's in
//! `period_totals`, all time in `totals`, so no board sums answers (`cargo bench --bench leaderboard` measures
//! them against that sum).

use chrono::NaiveDate;
use rusqlite::{OptionalExtension, params};

use super::{Store, StoreResult, date_str, parse_date};
use crate::schedule;
use crate::vocab::Period;

/// One member on a leaderboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardRow {
    /// Member id.
    pub user_id: i64,
    /// Display name.
    pub name: String,
    /// Points in the period.
    pub points: i64,
    /// Answers counted in the period.
    pub answers: i64,
}

/// A member's streak in a chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreakRow {
    /// Consecutive rounds answered up to `last_date`.
    pub current: i64,
    /// Longest run ever.
    pub best: i64,
    /// Date of the last round answered.
    pub last_date: NaiveDate,
}

/// One revealed answer's figures, for `/stats`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreRow {
    /// Bank question id.
    pub question_id: String,
    /// Credited score.
    pub score: u8,
    /// Points.
    pub points: i64,
}

impl Store {
    /// Every member with revealed answers in the chat in `period` (the week or the month containing `today`, a
    /// local date, or all time), best first; ties by answers, then name.
    pub fn leaderboard(
        &self,
        chat_id: i64,
        period: Period,
        today: NaiveDate,
    ) -> StoreResult<Vec<BoardRow>> {
        let conn = self.read();
        let map = |r: &rusqlite::Row<'_>| {
            Ok(BoardRow {
                user_id: r.get(0)?,
                name: r.get(1)?,
                points: r.get(2)?,
                answers: r.get(3)?,
            })
        };
        let (key, start) = match period {
            Period::Week => ("week", schedule::week_start(today)),
            Period::Month => ("month", schedule::month_start(today)),
            Period::All => {
                let mut stmt = conn.prepare_cached(
                    "SELECT t.user_id, u.display_name, t.points, t.answered FROM totals t
                     JOIN users u ON u.id = t.user_id
                     WHERE t.chat_id = ?1 ORDER BY t.points DESC, t.answered DESC, u.display_name",
                )?;
                return Ok(stmt.query_map([chat_id], map)?.collect::<Result<_, _>>()?);
            }
        };
        let mut stmt = conn.prepare_cached(
            "SELECT p.user_id, u.display_name, p.points, p.answered FROM period_totals p
             JOIN users u ON u.id = p.user_id
             WHERE p.chat_id = ?1 AND p.period = ?2 AND p.start = ?3
             ORDER BY p.points DESC, p.answered DESC, u.display_name",
        )?;
        let rows = stmt.query_map(params![chat_id, key, date_str(start)], map)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A member's streak in a chat.
    pub fn streak(&self, chat_id: i64, user_id: i64) -> StoreResult<Option<StreakRow>> {
        let row: Option<(i64, i64, String)> = self
            .read()
            .query_row(
                "SELECT current, best, last_date FROM streaks WHERE chat_id = ?1 AND user_id = ?2",
                params![chat_id, user_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        row.map(|(current, best, last)| {
            Ok(StreakRow {
                current,
                best,
                last_date: parse_date(&last)?,
            })
        })
        .transpose()
    }

    /// A member's revealed answers in a chat.
    pub fn member_scores(&self, chat_id: i64, user_id: i64) -> StoreResult<Vec<ScoreRow>> {
        let conn = self.read();
        let mut stmt = conn.prepare(
            "SELECT r.question_id, a.score, a.points FROM answers a JOIN rounds r ON r.id = a.round_id
             WHERE a.chat_id = ?1 AND a.user_id = ?2 AND a.counted = 1 ORDER BY r.local_date",
        )?;
        let rows = stmt.query_map(params![chat_id, user_id], |r| {
            Ok(ScoreRow {
                question_id: r.get(0)?,
                score: r.get(1)?,
                points: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
