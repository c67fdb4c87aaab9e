-- Queue stats without reading the whole jobs table, version 5.
--
-- QueueStatsAll (/metrics every 5 s, `steward queues`, the Queues page) used
-- to count jobs per queue and state in one pass over the table: 1.5 s at
-- 1,000,000 retained jobs, holding the read connection the dashboard waits
-- on. Now each kind of state is counted where it is cheap:
--   - pending (scheduled, available, retryable): from the claim index, which
--     gains a trailing state column so the count never reads a row;
--   - running: from the lease index, which gains the queue;
--   - finished (completed, discarded, cancelled): from job_counts, kept by
--     the triggers below in the transaction that changes the job.
-- Only transitions into or out of a finished state fire a trigger body, so
-- the hot path pays one small upsert per completed job (the claim's
-- available -> running update only evaluates the WHEN clause). OR chains,
-- not IN lists: SQLite builds an IN list's lookup table on every trigger
-- invocation, which tripled the cost of every insert and update.

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

CREATE TRIGGER jobs_count_insert AFTER INSERT ON jobs
  WHEN (NEW.state = 'completed' OR NEW.state = 'discarded' OR NEW.state = 'cancelled')
BEGIN
  INSERT INTO job_counts (queue, state, n) VALUES (NEW.queue, NEW.state, 1)
    ON CONFLICT (queue, state) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER jobs_count_delete AFTER DELETE ON jobs
  WHEN (OLD.state = 'completed' OR OLD.state = 'discarded' OR OLD.state = 'cancelled')
BEGIN
  UPDATE job_counts SET n = n - 1 WHERE queue = OLD.queue AND state = OLD.state;
END;

CREATE TRIGGER jobs_count_update AFTER UPDATE OF state, queue ON jobs
  WHEN (NEW.state IS NOT OLD.state OR NEW.queue IS NOT OLD.queue)
   AND ((NEW.state = 'completed' OR NEW.state = 'discarded' OR NEW.state = 'cancelled')
        OR (OLD.state = 'completed' OR OLD.state = 'discarded' OR OLD.state = 'cancelled'))
BEGIN
  UPDATE job_counts SET n = n - 1
   WHERE queue = OLD.queue AND state = OLD.state
     AND (OLD.state = 'completed' OR OLD.state = 'discarded' OR OLD.state = 'cancelled');
  INSERT INTO job_counts (queue, state, n)
  SELECT NEW.queue, NEW.state, 1
   WHERE (NEW.state = 'completed' OR NEW.state = 'discarded' OR NEW.state = 'cancelled')
    ON CONFLICT (queue, state) DO UPDATE SET n = n + 1;
END;

-- The claim index, covering the pending counts (same WHERE term: the claim
-- query must keep using it).
DROP INDEX jobs_claim;
CREATE INDEX jobs_claim ON jobs (queue, priority, run_at, id, state)
  WHERE (state = 'scheduled' OR state = 'available' OR state = 'retryable');

-- The lease index, covering the running counts.
DROP INDEX jobs_lease;
CREATE INDEX jobs_lease ON jobs (lease_expires_at, queue, state) WHERE state = 'running';

-- "Discarded in the last 24 h, by kind" (the Now page) reads only recent
-- discards. Off the happy path, like jobs_discarded. The state column
-- makes it covering: SQLite 3.40 reads the row for a WHERE column that
-- only the partial term mentions. Same reason for jobs_claim's and
-- jobs_lease's trailing columns.
CREATE INDEX jobs_discarded_at ON jobs (finished_at, kind, state) WHERE state = 'discarded';
