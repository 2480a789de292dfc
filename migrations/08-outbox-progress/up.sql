-- A message may take several API calls (a long text in parts, then a quiz poll, then closing polls). The
-- worker records how many of them the platform accepted, so a retry after a 429 on part 2 starts at part 2
-- instead of sending part 1 again.
ALTER TABLE outbox ADD COLUMN parts_done INTEGER NOT NULL DEFAULT 0 CHECK (parts_done >= 0);
