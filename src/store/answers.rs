//! Sealed answers, early peeks, the reveal's settlement and self-ratings.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::outbox::enqueue_in;
use super::{Store, StoreError, StoreResult, date_str, from_ts, parse_date, ts};
use crate::command::Rating;
use crate::message::Outgoing;
use crate::vocab::Verdict;

/// An answer about to be saved.
#[derive(Debug, Clone)]
pub struct NewAnswer<'a> {
    /// The round.
    pub round_id: i64,
    /// The chat (denormalised for leaderboards).
    pub chat_id: i64,
    /// The round's local date (denormalised).
    pub local_date: NaiveDate,
    /// The member.
    pub user_id: i64,
    /// The text as sent.
    pub body: &'a str,
    /// The grader's score.
    pub score: u8,
    /// Covered key points or chosen letters.
    pub covered: &'a [usize],
    /// The grader's verdict.
    pub verdict: Verdict,
    /// When.
    pub at: DateTime<Utc>,
    /// The date of the chat's previous live round, for the streak.
    pub previous_round_date: Option<NaiveDate>,
    /// A multiple-choice pick: final, so an earlier answer stands and this one is not stored.
    pub final_pick: bool,
}

/// What saving an answer did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveOutcome {
    /// Committed; `replaced` when it replaced the member's earlier answer.
    Saved {
        /// It replaced an earlier answer.
        replaced: bool,
        /// The member had looked at the model answer first: it was stored as `AfterPeek`, scoring nothing.
        after_peek: bool,
    },
    /// The round was revealed or skipped in the meantime; nothing was stored.
    RoundClosed,
    /// A final pick when the member had already answered: nothing was stored.
    AlreadyAnswered {
        /// The earlier answer.
        earlier: String,
    },
}

/// A stored answer with its member's name.
#[derive(Debug, Clone)]
pub struct AnswerRow {
    /// Database id.
    pub id: i64,
    /// Member id.
    pub user_id: i64,
    /// Member's display name.
    pub user_name: String,
    /// The text.
    pub body: String,
    /// Score (credited after the reveal).
    pub score: u8,
    /// Covered key points or chosen letters.
    pub covered: Vec<usize>,
    /// Verdict.
    pub verdict: Verdict,
    /// Leaderboard points (after the reveal).
    pub points: i64,
    /// When it was first submitted (a replacement keeps it, so copy detection follows authorship).
    pub submitted_at: DateTime<Utc>,
}

/// What the reveal reads of a round, inside its settling transaction.
#[derive(Debug, Clone)]
pub struct RoundRecord {
    /// The answers, earliest first submission first.
    pub answers: Vec<AnswerRow>,
    /// Members who looked early (id, name), in order.
    pub peekers: Vec<(i64, String)>,
}

/// The reveal's decision on a round: every answer's final result and the post announcing it.
#[derive(Debug, Clone, Default)]
pub struct Settlement {
    /// One per answer in the [`RoundRecord`].
    pub results: Vec<Settled>,
    /// Queued in the outbox in the same transaction, when given.
    pub announce: Option<Outgoing>,
}

/// The final result of one answer, fixed at the reveal.
#[derive(Debug, Clone)]
pub struct Settled {
    /// Answer id.
    pub answer_id: i64,
    /// Member id.
    pub user_id: i64,
    /// Final verdict.
    pub verdict: Verdict,
    /// Credited score.
    pub score: u8,
    /// Points.
    pub points: i64,
}

fn answer_from_row(r: &Row<'_>) -> rusqlite::Result<StoreResult<AnswerRow>> {
    let covered: String = r.get(5)?;
    let verdict: String = r.get(6)?;
    let submitted: i64 = r.get(8)?;
    let id = r.get(0)?;
    let user_id = r.get(1)?;
    let user_name = r.get(2)?;
    let body = r.get(3)?;
    let score = r.get(4)?;
    let points = r.get(7)?;
    Ok((|| {
        Ok(AnswerRow {
            id,
            user_id,
            user_name,
            body,
            score,
            covered: serde_json::from_str(&covered)
                .map_err(|_| StoreError::Corrupt(format!("covered {covered:?}")))?,
            verdict: Verdict::from_key(&verdict)
                .ok_or_else(|| StoreError::Corrupt(format!("verdict {verdict:?}")))?,
            points,
            submitted_at: from_ts(submitted)?,
        })
    })())
}

const ANSWER_COLUMNS: &str = "SELECT a.id, a.user_id, u.display_name, a.body, a.score, a.covered, a.verdict, \
     a.points, a.submitted_at FROM answers a JOIN users u ON u.id = a.user_id";

fn round_answers_in(conn: &Connection, round_id: i64) -> StoreResult<Vec<AnswerRow>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{ANSWER_COLUMNS} WHERE a.round_id = ?1 ORDER BY a.submitted_at, a.id"
    ))?;
    let rows = stmt.query_map([round_id], answer_from_row)?;
    rows.map(|r| r?).collect()
}

fn peekers_in(conn: &Connection, round_id: i64) -> StoreResult<Vec<(i64, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT u.id, u.display_name FROM peeks p JOIN users u ON u.id = p.user_id
         WHERE p.round_id = ?1 ORDER BY p.peeked_at, u.id",
    )?;
    let rows = stmt.query_map([round_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

impl Store {
    /// Saves (or replaces) a member's answer and advances their streak, in one transaction that is committed
    /// before this returns: an acknowledged answer is on disk. An answer from a member who has looked at the
    /// model answer is stored as `AfterPeek` with no score (checked in the same transaction as the save).
    pub fn save_answer(&self, a: &NewAnswer<'_>) -> StoreResult<SaveOutcome> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Cached statements: parsing them again for every answer took about a fifth of its time (`cargo bench
        // --bench answers`).
        let open: bool = tx
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM rounds WHERE id = ?1 AND revealed_at IS NULL AND skipped = 0)",
            )?
            .query_row([a.round_id], |r| r.get(0))?;
        if !open {
            return Ok(SaveOutcome::RoundClosed);
        }
        if a.final_pick {
            // Checked inside the write transaction, so two picks at once cannot both count.
            let earlier: Option<String> = tx
                .prepare_cached("SELECT body FROM answers WHERE round_id = ?1 AND user_id = ?2")?
                .query_row(params![a.round_id, a.user_id], |r| r.get(0))
                .optional()?;
            if let Some(earlier) = earlier {
                return Ok(SaveOutcome::AlreadyAnswered { earlier });
            }
        }
        let after_peek: bool = tx
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM peeks WHERE round_id = ?1 AND user_id = ?2)",
            )?
            .query_row(params![a.round_id, a.user_id], |r| r.get(0))?;
        let (verdict, score) = if after_peek {
            (Verdict::AfterPeek, 0)
        } else {
            (a.verdict, a.score)
        };
        let covered = serde_json::to_string(a.covered).expect("a list of numbers serialises");
        let revisions: i64 = tx
            .prepare_cached(
                "INSERT INTO answers (round_id, user_id, chat_id, local_date, body, score, covered, verdict,
                                      submitted_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (round_id, user_id) DO UPDATE SET
                     body = excluded.body, score = excluded.score, covered = excluded.covered,
                     verdict = excluded.verdict, revisions = revisions + 1
                 RETURNING revisions",
            )?
            .query_row(
                params![
                    a.round_id,
                    a.user_id,
                    a.chat_id,
                    date_str(a.local_date),
                    a.body,
                    score,
                    covered,
                    verdict.key(),
                    ts(a.at)
                ],
                |r| r.get(0),
            )?;
        let replaced = revisions > 1;
        if !replaced {
            let streak: Option<(i64, i64, String)> = tx
                .prepare_cached(
                    "SELECT current, best, last_date FROM streaks WHERE chat_id = ?1 AND user_id = ?2",
                )?
                .query_row(params![a.chat_id, a.user_id], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .optional()?;
            let (current, best) = match streak {
                Some((current, best, last)) => {
                    let last = parse_date(&last)?;
                    if last >= a.local_date {
                        (current, best)
                    } else if Some(last) == a.previous_round_date {
                        (current + 1, best.max(current + 1))
                    } else {
                        (1, best.max(1))
                    }
                }
                None => (1, 1),
            };
            tx.prepare_cached(
                "INSERT INTO streaks (chat_id, user_id, current, best, last_date) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (chat_id, user_id) DO UPDATE SET
                     current = excluded.current, best = excluded.best,
                     last_date = max(last_date, excluded.last_date)",
            )?
            .execute(params![
                a.chat_id,
                a.user_id,
                current,
                best,
                date_str(a.local_date)
            ])?;
        }
        tx.commit()?;
        Ok(SaveOutcome::Saved {
            replaced,
            after_peek,
        })
    }

    /// The answers of a round, earliest submission first.
    pub fn round_answers(&self, round_id: i64) -> StoreResult<Vec<AnswerRow>> {
        round_answers_in(&self.read(), round_id)
    }

    /// One member's answer in a round.
    pub fn answer_of(&self, round_id: i64, user_id: i64) -> StoreResult<Option<AnswerRow>> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached(&format!(
            "{ANSWER_COLUMNS} WHERE a.round_id = ?1 AND a.user_id = ?2"
        ))?;
        let row = stmt
            .query_row(params![round_id, user_id], answer_from_row)
            .optional()?;
        row.transpose()
    }

    /// Records that a member looked at the model answer early. Returns whether this is the first look.
    pub fn record_peek(&self, round_id: i64, user_id: i64, at: DateTime<Utc>) -> StoreResult<bool> {
        Ok(self.conn().execute(
            "INSERT INTO peeks (round_id, user_id, peeked_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
            params![round_id, user_id, ts(at)],
        )? == 1)
    }

    /// Whether a member looked early.
    pub fn has_peeked(&self, round_id: i64, user_id: i64) -> StoreResult<bool> {
        Ok(self.read().query_row(
            "SELECT EXISTS (SELECT 1 FROM peeks WHERE round_id = ?1 AND user_id = ?2)",
            params![round_id, user_id],
            |r| r.get(0),
        )?)
    }

    /// Names of members who looked early, in order.
    pub fn peekers(&self, round_id: i64) -> StoreResult<Vec<(i64, String)>> {
        peekers_in(&self.read(), round_id)
    }

    /// Closes a round in one IMMEDIATE transaction: marks it revealed, reads its answers and early looks,
    /// lets `settle` decide every answer's final score and points, stores them, adds them to the all-time,
    /// week and month totals and queues the announcement in the outbox when given. No answer can be saved or
    /// replaced between the read and the settlement: each one is either settled here or refused as
    /// `RoundClosed`.
    /// Returns `None` (and changes nothing) if the round was already revealed or skipped.
    pub fn settle_round<T>(
        &self,
        round_id: i64,
        at: DateTime<Utc>,
        settle: impl FnOnce(&RoundRecord) -> (Settlement, T),
    ) -> StoreResult<Option<T>> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let round: Option<(i64, String)> = tx
            .query_row(
                "UPDATE rounds SET revealed_at = ?2 WHERE id = ?1 AND revealed_at IS NULL AND skipped = 0
                 RETURNING chat_id, local_date",
                params![round_id, ts(at)],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((chat_id, local_date)) = round else {
            return Ok(None);
        };
        let local_date = parse_date(&local_date)?;
        let week = date_str(crate::schedule::week_start(local_date));
        let month = date_str(crate::schedule::month_start(local_date));
        let record = RoundRecord {
            answers: round_answers_in(&tx, round_id)?,
            peekers: peekers_in(&tx, round_id)?,
        };
        let (settlement, value) = settle(&record);
        if settlement.results.len() != record.answers.len()
            || settlement
                .results
                .iter()
                .zip(&record.answers)
                .any(|(s, a)| s.answer_id != a.id)
        {
            // Rolled back: a settlement must cover exactly the answers it was given.
            return Err(StoreError::Corrupt(format!(
                "the settlement of round {round_id} does not match its {} answers",
                record.answers.len()
            )));
        }
        let results = &settlement.results;
        {
            let mut update = tx.prepare(
                "UPDATE answers SET verdict = ?2, score = ?3, points = ?4, counted = 1 WHERE id = ?1",
            )?;
            let mut total = tx.prepare(
                "INSERT INTO totals (chat_id, user_id, points, answered, score_sum) VALUES (?1, ?2, ?3, 1, ?4)
                 ON CONFLICT (chat_id, user_id) DO UPDATE SET
                     points = points + excluded.points, answered = answered + 1,
                     score_sum = score_sum + excluded.score_sum",
            )?;
            // The week's and the month's totals too, which the week and month boards read.
            let mut period = tx.prepare(
                "INSERT INTO period_totals (chat_id, period, start, user_id, points, answered)
                 VALUES (?1, ?2, ?3, ?4, ?5, 1)
                 ON CONFLICT (chat_id, period, start, user_id) DO UPDATE SET
                     points = points + excluded.points, answered = answered + 1",
            )?;
            for s in results {
                update.execute(params![s.answer_id, s.verdict.key(), s.score, s.points])?;
                total.execute(params![chat_id, s.user_id, s.points, s.score])?;
                period.execute(params![chat_id, "week", week, s.user_id, s.points])?;
                period.execute(params![chat_id, "month", month, s.user_id, s.points])?;
            }
        }
        if let Some(outgoing) = &settlement.announce {
            enqueue_in(&tx, chat_id, Some(round_id), "reveal", outgoing, at)?;
        }
        tx.commit()?;
        Ok(Some(value))
    }

    /// Saves a member's self-rating for a round (rating again replaces it).
    pub fn record_rating(
        &self,
        user_id: i64,
        question_id: &str,
        round_id: i64,
        rating: Rating,
        score: Option<u8>,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.conn().execute(
            "INSERT INTO ratings (user_id, question_id, round_id, rating, score, rated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (user_id, round_id) DO UPDATE SET
                 rating = excluded.rating, score = excluded.score, rated_at = excluded.rated_at",
            params![user_id, question_id, round_id, rating as i64, score, ts(at)],
        )?;
        Ok(())
    }

    /// A member's ratings of a question, oldest first: (rating 1-4, when).
    pub fn ratings_of(
        &self,
        user_id: i64,
        question_id: &str,
    ) -> StoreResult<Vec<(i64, DateTime<Utc>)>> {
        let conn = self.read();
        let mut stmt = conn.prepare(
            "SELECT rating, rated_at FROM ratings WHERE user_id = ?1 AND question_id = ?2 ORDER BY rated_at, id",
        )?;
        let rows = stmt.query_map(params![user_id, question_id], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
        })?;
        rows.map(|r| {
            let (rating, at) = r?;
            Ok((rating, from_ts(at)?))
        })
        .collect()
    }
}
