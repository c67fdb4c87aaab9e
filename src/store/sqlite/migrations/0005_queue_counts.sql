-- Queue stats without reading the whole jobs table, version 5.
--
-- QueueStatsAll (/metrics every 5 s, `steward queues`, the Queues page) used
-- to count jobs per queue and state in one pass over the table: 1.5 s at
-- 1,000,000 retained jobs, holding the read connection the dashboard waits
-- on. Now each kind of state is counted where it is cheap:
--   - pending (scheduled, available, retryable) and running: through the
--     partial claim and lease indexes, so the cost follows the jobs waiting
--     and running, never the retained history (widening those indexes to
--     cover the counts cost the hot path 10-15 %: not done);
--   - finished (completed, discarded, cancelled): from job_counts, which the
--     store updates in the transaction that moves jobs into or out of a
--     finished state, once per batch (CountFinished in sqlite_store_impl.h).
--
-- Not triggers: SQLite has only row triggers, and their invocation cost
-- 2-3 us per job even when the WHEN clause was false (steward-bench: drain
-- 80,000 -> 56,000 jobs/s, enqueue 640,000 -> 400,000 jobs/s). Unlike a
-- PostgreSQL database (its enqueue() function, other applications' SQL), a
-- SQLite file has one supported writer, the store's own code, so the store
-- can keep the counts.

CREATE TABLE job_counts (
  queue TEXT    NOT NULL,
  state TEXT    NOT NULL,
  n     INTEGER NOT NULL,
  PRIMARY KEY (queue, state)
) WITHOUT ROWID;

INSERT INTO job_counts (queue, state, n)
SELECT queue, state, count(*) FROM jobs
 WHERE (state = 'completed' OR state = 'discarded' OR state = 'cancelled')
 GROUP BY queue, state;

-- "Discarded in the last 24 h, by kind" (the Now page) reads only recent
-- discards. Off the happy path, like jobs_discarded. The state column
-- makes it covering: SQLite 3.40 reads the row for a WHERE column that
-- only the partial term mentions.
CREATE INDEX jobs_discarded_at ON jobs (finished_at, kind, state) WHERE state = 'discarded';
