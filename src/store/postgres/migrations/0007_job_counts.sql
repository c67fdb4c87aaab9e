-- Queue stats without reading the whole jobs table.
--
-- QueueStatsAll (`steward queues`, the API, /metrics, the alert rules) used
-- to count jobs per queue and state with one pass over the table: 339 ms at
-- 1,000,000 finished jobs, growing with retention. Now statement-level
-- triggers keep per-(queue, state) counts in job_counts, in the transaction
-- that changes the jobs, so the counts are exact and every writer (Steward,
-- the enqueue() function, plain SQL from other applications, retention) is
-- covered. Only the due count and the oldest due job still read jobs, and
-- through the partial claim index: pending jobs, never finished ones.
--
-- Each backend adds into its own shard row (pg_backend_pid() % 32), so
-- nodes claiming and completing at once do not queue on one counter row;
-- a shard's count may go negative (a job claimed by one connection and
-- completed by another), only the sum over shards means anything. Rows
-- are upserted in (queue, state) order, so two transactions that share a
-- shard wait for each other but cannot deadlock.

-- No job may change while the counts are filled in below.
LOCK TABLE jobs IN SHARE ROW EXCLUSIVE MODE;

CREATE TABLE job_counts (
  queue text    NOT NULL,
  state text    NOT NULL,
  shard integer NOT NULL,
  n     bigint  NOT NULL,
  PRIMARY KEY (queue, state, shard)
);
-- Updated all the time, never in an indexed column: leave room for HOT
-- updates and vacuum it often (it is tiny).
ALTER TABLE job_counts SET (fillfactor = 50, autovacuum_vacuum_cost_delay = 0,
                            autovacuum_vacuum_scale_factor = 0,
                            autovacuum_vacuum_threshold = 1000);

INSERT INTO job_counts (queue, state, shard, n)
SELECT queue, state, 0, count(*) FROM jobs GROUP BY queue, state;

-- The trigger fires inside claim_jobs() and complete_jobs(), whose SET
-- clauses disable sequential scans and hash joins; under those settings the
-- planner picks a plan for these small aggregates that took 110 ms per
-- batch. Its own SET clauses give it the defaults back, whoever fires it.
CREATE FUNCTION job_counts_add() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path FROM CURRENT
  SET enable_seqscan = on
  SET enable_bitmapscan = on
  SET enable_sort = on
  SET enable_hashjoin = on
  SET enable_mergejoin = on
AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO job_counts AS c (queue, state, shard, n)
    SELECT d.queue, d.state, pg_backend_pid() % 32, d.n
      FROM (SELECT queue, state, count(*) AS n FROM new_rows GROUP BY queue, state) d
     ORDER BY d.queue, d.state
    ON CONFLICT (queue, state, shard) DO UPDATE SET n = c.n + excluded.n;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO job_counts AS c (queue, state, shard, n)
    SELECT d.queue, d.state, pg_backend_pid() % 32, -d.n
      FROM (SELECT queue, state, count(*) AS n FROM old_rows GROUP BY queue, state) d
     ORDER BY d.queue, d.state
    ON CONFLICT (queue, state, shard) DO UPDATE SET n = c.n + excluded.n;
  ELSE
    INSERT INTO job_counts AS c (queue, state, shard, n)
    SELECT d.queue, d.state, pg_backend_pid() % 32, d.n
      FROM (SELECT queue, state, sum(delta) AS n
              FROM (SELECT queue, state, 1 AS delta FROM new_rows
                    UNION ALL
                    SELECT queue, state, -1 FROM old_rows) x
             GROUP BY queue, state) d
     WHERE d.n <> 0
     ORDER BY d.queue, d.state
    ON CONFLICT (queue, state, shard) DO UPDATE SET n = c.n + excluded.n;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER jobs_count_insert AFTER INSERT ON jobs
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION job_counts_add();
CREATE TRIGGER jobs_count_update AFTER UPDATE ON jobs
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION job_counts_add();
CREATE TRIGGER jobs_count_delete AFTER DELETE ON jobs
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION job_counts_add();

CREATE FUNCTION job_counts_clear() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path FROM CURRENT
AS $$
BEGIN
  DELETE FROM job_counts;
  RETURN NULL;
END
$$;
CREATE TRIGGER jobs_count_truncate AFTER TRUNCATE ON jobs
  FOR EACH STATEMENT EXECUTE FUNCTION job_counts_clear();

-- Stats per queue (PostgresStore::QueueStatsAll): counts from job_counts,
-- due jobs and the oldest due run_at from the claim index (sequential scans
-- off, so stale statistics cannot send it through the finished jobs). A
-- queue is listed while it has any job, or while it is paused.
-- $1: now, microseconds since the epoch.
CREATE FUNCTION queue_stats(bigint)
  RETURNS TABLE (queue text, scheduled bigint, available bigint, running bigint,
                 retryable bigint, completed bigint, discarded bigint, cancelled bigint,
                 due bigint, oldest bigint, paused boolean)
  LANGUAGE sql STABLE
  SET search_path FROM CURRENT
  SET enable_seqscan = off
AS $$
WITH per_state AS (
  SELECT c.queue, c.state, sum(c.n)::bigint AS n FROM job_counts c GROUP BY c.queue, c.state
), counts AS (
  SELECT p.queue,
         coalesce(sum(p.n) FILTER (WHERE p.state = 'scheduled'), 0)::bigint AS scheduled,
         coalesce(sum(p.n) FILTER (WHERE p.state = 'available'), 0)::bigint AS available,
         coalesce(sum(p.n) FILTER (WHERE p.state = 'running'), 0)::bigint AS running,
         coalesce(sum(p.n) FILTER (WHERE p.state = 'retryable'), 0)::bigint AS retryable,
         coalesce(sum(p.n) FILTER (WHERE p.state = 'completed'), 0)::bigint AS completed,
         coalesce(sum(p.n) FILTER (WHERE p.state = 'discarded'), 0)::bigint AS discarded,
         coalesce(sum(p.n) FILTER (WHERE p.state = 'cancelled'), 0)::bigint AS cancelled
    FROM per_state p GROUP BY p.queue HAVING bool_or(p.n <> 0)
), due AS (
  SELECT j.queue, count(*) AS due, us(min(j.run_at)) AS oldest FROM jobs j
   WHERE j.state IN ('scheduled', 'available', 'retryable') AND j.run_at <= ts($1)
   GROUP BY j.queue
)
SELECT coalesce(s.queue, q.name), coalesce(s.scheduled, 0), coalesce(s.available, 0),
       coalesce(s.running, 0), coalesce(s.retryable, 0), coalesce(s.completed, 0),
       coalesce(s.discarded, 0), coalesce(s.cancelled, 0), coalesce(d.due, 0), d.oldest,
       coalesce(q.paused, false)
  FROM counts s
  LEFT JOIN due d ON d.queue = s.queue
  FULL JOIN queues q ON q.name = s.queue
 WHERE s.queue IS NOT NULL OR q.paused
 ORDER BY 1
$$;
