//! The outbox: scheduled messages written with the state change that caused them, delivered later.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use super::{Store, StoreError, StoreResult, ts};
use crate::message::{Outgoing, Platform};

/// One message waiting in (or claimed from) the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxItem {
    /// Row id.
    pub id: i64,
    /// The chat's database id.
    pub chat_id: i64,
    /// What to send where.
    pub outgoing: Outgoing,
    /// Delivery attempts so far, this one included.
    pub attempts: i64,
    /// How many of the message's API calls the platform already accepted (a retry starts after them).
    pub parts_done: usize,
}

/// Counts of outbox rows by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    /// Waiting.
    pub pending: i64,
    /// Claimed by a worker, not confirmed.
    pub sending: i64,
    /// Confirmed sent.
    pub sent: i64,
    /// Given up (permanent error).
    pub failed: i64,
}

/// Messages not yet sent (pending or being sent), and the age in seconds of the oldest of them, on any
/// connection (`db check` reads a file it opened read-only).
pub(super) fn backlog(conn: &Connection, now: DateTime<Utc>) -> StoreResult<(i64, Option<i64>)> {
    Ok(conn.query_row(
        "SELECT COUNT(*), MIN(created_at) FROM outbox WHERE state IN ('pending', 'sending')",
        [],
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Option<i64>>(1)?.map(|t| (ts(now) - t).max(0)),
            ))
        },
    )?)
}

/// Writes an outbox row inside an open transaction. A second row for the same round and kind is ignored.
pub(super) fn enqueue_in(
    conn: &Connection,
    chat_id: i64,
    round_id: Option<i64>,
    kind: &str,
    outgoing: &Outgoing,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let payload = serde_json::to_string(outgoing).expect("an outgoing message serialises");
    Ok(conn.execute(
        "INSERT INTO outbox (chat_id, round_id, kind, payload, not_before, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT DO NOTHING",
        params![chat_id, round_id, kind, payload, ts(now)],
    )? == 1)
}

/// Claims due messages of a platform: `?1` platform, `?2` now, `?3` how many. The inner query walks the
/// partial index `outbox_pending` in due order (checked by a test with `EXPLAIN QUERY PLAN`).
const CLAIM: &str = "UPDATE outbox SET state = 'sending', attempts = attempts + 1, claimed_by = ?4, claimed_at = ?2
     WHERE id IN (
         SELECT o.id FROM outbox o JOIN chats c ON c.id = o.chat_id
         WHERE o.state = 'pending' AND o.not_before <= ?2 AND c.platform = ?1 AND c.paused_reason IS NULL
         ORDER BY o.not_before, o.id LIMIT ?3)
     RETURNING id, chat_id, payload, attempts, parts_done";

impl Store {
    /// Queues a message that belongs to no round (e.g. a notice to a chat).
    pub fn enqueue(
        &self,
        chat_id: i64,
        kind: &str,
        outgoing: &Outgoing,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        enqueue_in(&self.conn(), chat_id, None, kind, outgoing, now)?;
        Ok(())
    }

    /// Claims up to `limit` due messages for a platform (oldest first), skipping paused chats, and marks them
    /// `sending`. Each claim counts as an attempt.
    pub fn claim_due(
        &self,
        platform: Platform,
        now: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<OutboxItem>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(CLAIM)?;
        let rows = stmt.query_map(
            params![platform.key(), ts(now), limit as i64, self.owner],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            },
        )?;
        let mut items = Vec::new();
        for row in rows {
            let (id, chat_id, payload, attempts, parts_done) = row?;
            let outgoing = serde_json::from_str(&payload)
                .map_err(|e| StoreError::Corrupt(format!("outbox payload {id}: {e}")))?;
            items.push(OutboxItem {
                id,
                chat_id,
                outgoing,
                attempts,
                parts_done: usize::try_from(parts_done).unwrap_or(0),
            });
        }
        items.sort_by_key(|i| i.id);
        Ok(items)
    }

    /// Messages of a platform that this store claimed and never confirmed go back to the queue (they may be
    /// sent again; confirmed ones never are). Another process's claims are left alone.
    pub fn requeue_unconfirmed(&self, platform: Platform) -> StoreResult<usize> {
        Ok(self.conn().execute(
            "UPDATE outbox SET state = 'pending'
             WHERE state = 'sending' AND claimed_by = ?2
               AND chat_id IN (SELECT id FROM chats WHERE platform = ?1)",
            params![platform.key(), self.owner],
        )?)
    }

    /// Messages of a platform claimed before `before` by anyone and never confirmed (their worker died) go
    /// back to the queue.
    pub fn requeue_abandoned(
        &self,
        platform: Platform,
        before: DateTime<Utc>,
    ) -> StoreResult<usize> {
        Ok(self.conn().execute(
            "UPDATE outbox SET state = 'pending'
             WHERE state = 'sending' AND (claimed_at IS NULL OR claimed_at < ?2)
               AND chat_id IN (SELECT id FROM chats WHERE platform = ?1)",
            params![platform.key(), ts(before)],
        )?)
    }

    /// Deletes sent messages confirmed before `before` (they are kept a while for inspection, not forever).
    /// Returns how many were deleted.
    pub fn prune_sent(&self, before: DateTime<Utc>) -> StoreResult<usize> {
        Ok(self.conn().execute(
            "DELETE FROM outbox WHERE state = 'sent' AND sent_at < ?1",
            [ts(before)],
        )?)
    }

    /// Confirms a message as sent.
    pub fn mark_sent(&self, id: i64, at: DateTime<Utc>) -> StoreResult<()> {
        self.conn().execute(
            "UPDATE outbox SET state = 'sent', sent_at = ?2, last_error = NULL WHERE id = ?1",
            params![id, ts(at)],
        )?;
        Ok(())
    }

    /// Records that the platform accepted the first `parts_done` API calls of a claimed message, so that a
    /// retry (or another worker after a crash) does not send them again.
    pub fn record_progress(&self, id: i64, parts_done: usize) -> StoreResult<()> {
        self.conn().execute(
            "UPDATE outbox SET parts_done = ?2 WHERE id = ?1",
            params![id, parts_done as i64],
        )?;
        Ok(())
    }

    /// Puts a message back in the queue until `when`, noting why.
    pub fn retry_at(&self, id: i64, when: DateTime<Utc>, error: Option<&str>) -> StoreResult<()> {
        self.conn().execute(
            "UPDATE outbox SET state = 'pending', not_before = ?2, last_error = COALESCE(?3, last_error) WHERE id = ?1",
            params![id, ts(when), error],
        )?;
        Ok(())
    }

    /// Gives up on one message (its chat stays as it is).
    pub fn mark_failed(&self, id: i64, error: &str) -> StoreResult<()> {
        self.conn().execute(
            "UPDATE outbox SET state = 'failed', last_error = ?2 WHERE id = ?1",
            params![id, error],
        )?;
        Ok(())
    }

    /// Gives up on a message after a permanent error and pauses its chat: no more posts, no more deliveries,
    /// until an admin turns the schedule on again.
    pub fn fail_and_pause(&self, id: i64, chat_id: i64, error: &str) -> StoreResult<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "UPDATE outbox SET state = 'failed', last_error = ?2 WHERE id = ?1",
            params![id, error],
        )?;
        tx.execute(
            "UPDATE chats SET paused_reason = ?2, scheduled = 0 WHERE id = ?1",
            params![chat_id, error],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Messages not yet sent (pending or being sent), and the age in seconds of the oldest of them.
    pub fn outbox_backlog(&self, now: DateTime<Utc>) -> StoreResult<(i64, Option<i64>)> {
        backlog(&self.read(), now)
    }

    /// Rows by state.
    pub fn outbox_counts(&self) -> StoreResult<OutboxCounts> {
        let conn = self.read();
        let mut stmt = conn.prepare("SELECT state, COUNT(*) FROM outbox GROUP BY state")?;
        let mut counts = OutboxCounts::default();
        for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
            let (state, n) = row?;
            match state.as_str() {
                "pending" => counts.pending = n,
                "sending" => counts.sending = n,
                "sent" => counts.sent = n,
                _ => counts.failed = n,
            }
        }
        Ok(counts)
    }

    /// Why a chat's delivery is paused, if it is.
    pub fn paused_reason(&self, chat_id: i64) -> StoreResult<Option<String>> {
        Ok(self.read().query_row(
            "SELECT paused_reason FROM chats WHERE id = ?1",
            [chat_id],
            |r| r.get(0),
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_claim_walks_the_pending_index() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("o.db")).unwrap();
        let plan: Vec<String> = store.with_connection(|c| {
            let mut stmt = c.prepare(&format!("EXPLAIN QUERY PLAN {CLAIM}")).unwrap();
            stmt.query_map(params!["telegram", 0, 10, "me"], |r| r.get::<_, String>(3))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        });
        assert!(
            plan.iter()
                .any(|l| l.contains("USING INDEX outbox_pending")),
            "{plan:#?}"
        );
        assert!(
            !plan
                .iter()
                .any(|l| l.starts_with("SCAN o") || l == "SCAN outbox"),
            "{plan:#?}"
        );
    }
}
