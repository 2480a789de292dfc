//! Leaderboards, streaks and per-member figures.
//!
//! Week and month boards sum revealed answers through the covering index `answers_board`; the all-time board
//! reads the `totals` table maintained at each reveal (`cargo bench --bench leaderboard` measures both).

use chrono::NaiveDate;
use rusqlite::{OptionalExtension, params};

use super::{Store, StoreResult, date_str, parse_date};

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
    /// Every member with points in the chat since `since` (all time when `None`), best first; ties by
    /// answers, then name.
    pub fn leaderboard(
        &self,
        chat_id: i64,
        since: Option<NaiveDate>,
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
        let rows: Vec<BoardRow> = match since {
            Some(since) => {
                let mut stmt = conn.prepare_cached(
                    "SELECT b.user_id, u.display_name, b.points, b.answers FROM (
                         SELECT user_id, SUM(points) AS points, COUNT(*) AS answers FROM answers
                         WHERE chat_id = ?1 AND counted = 1 AND local_date >= ?2 GROUP BY user_id
                     ) b JOIN users u ON u.id = b.user_id
                     ORDER BY b.points DESC, b.answers DESC, u.display_name",
                )?;
                stmt.query_map(params![chat_id, date_str(since)], map)?
                    .collect::<Result<_, _>>()?
            }
            None => {
                let mut stmt = conn.prepare_cached(
                    "SELECT t.user_id, u.display_name, t.points, t.answered FROM totals t
                     JOIN users u ON u.id = t.user_id
                     WHERE t.chat_id = ?1 ORDER BY t.points DESC, t.answered DESC, u.display_name",
                )?;
                stmt.query_map([chat_id], map)?.collect::<Result<_, _>>()?
            }
        };
        Ok(rows)
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
