-- The claim query asks for state = 'pending'; SQLite uses a partial index only when the query's WHERE names
-- the index's own condition, so the earlier `state IN ('pending', 'sending')` index was never used and every
-- claim scanned the table. One index per state the worker looks up.
DROP INDEX IF EXISTS outbox_due;
CREATE INDEX outbox_pending ON outbox (not_before, id) WHERE state = 'pending';
CREATE INDEX outbox_sending ON outbox (id) WHERE state = 'sending';
-- Pruning sent rows by age.
CREATE INDEX outbox_sent ON outbox (sent_at) WHERE state = 'sent';
-- Who claimed a message and when: a worker gives back only its own claims when it stops, and another
-- process's claims only once they are older than a lease (that process died), never while it is sending them.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN claimed_at INTEGER;
