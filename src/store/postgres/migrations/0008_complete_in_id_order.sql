-- complete_jobs() locks its jobs in ascending id order.
--
-- The heartbeat's lease extension and complete_jobs() update overlapping
-- sets of running jobs. Each UPDATE locked rows in the order its plan
-- visited them, so under load (a heartbeat and a completion batch over the
-- same jobs, a 5-connection pool) two of them could lock in opposite orders
-- and deadlock (SQLSTATE 40P01). Every statement that locks several named
-- jobs now locks them first in a MATERIALIZED "ORDER BY id FOR UPDATE" CTE
-- (LockRows runs above the sort, so locks are taken in id order); they then
-- wait for each other instead of deadlocking. The lease extension and the
-- release do the same in postgres_jobs.cc. Same signature, same result; the
-- body differs only in the "locked" CTE and the join to it.
CREATE OR REPLACE FUNCTION complete_jobs(bigint[], text[], integer[], text[], bigint[], bigint[], jsonb[])
  RETURNS TABLE (ord bigint, state text)
  LANGUAGE sql VOLATILE
  SET search_path FROM CURRENT
  SET enable_bitmapscan = off
  SET enable_seqscan = off
  SET enable_hashjoin = off
  SET enable_mergejoin = off
AS $$
WITH input AS (
  SELECT * FROM unnest($1, $2, $3, $4, $5, $6, $7)
    WITH ORDINALITY AS t(id, worker, attempt, outcome, finished_us, retry_us, err, ord)
), first AS (
  SELECT DISTINCT ON (id) * FROM input ORDER BY id, ord
), locked AS MATERIALIZED (
  SELECT jobs.id FROM jobs WHERE jobs.id = ANY($1) AND jobs.state = 'running'
   ORDER BY jobs.id FOR UPDATE
)
UPDATE jobs AS j SET
  state = CASE
    WHEN f.outcome = 'completed' THEN 'completed'
    WHEN f.outcome = 'discard' THEN 'discarded'
    WHEN f.outcome = 'cancelled' THEN 'cancelled'
    -- A person asked to cancel while it ran: it must not come back.
    WHEN j.cancel_requested THEN 'cancelled'
    WHEN f.outcome = 'snooze' THEN 'scheduled'
    WHEN j.attempt >= j.max_attempts THEN 'discarded'
    ELSE 'retryable' END,
  attempt = CASE WHEN f.outcome = 'snooze' AND NOT j.cancel_requested
                 THEN j.attempt - 1 ELSE j.attempt END,
  run_at = CASE
    WHEN f.outcome IN ('snooze', 'retry') AND NOT j.cancel_requested
         AND (f.outcome = 'snooze' OR j.attempt < j.max_attempts)
    THEN ts(f.retry_us) ELSE j.run_at END,
  finished_at = CASE
    WHEN f.outcome IN ('snooze', 'retry') AND NOT j.cancel_requested
         AND (f.outcome = 'snooze' OR j.attempt < j.max_attempts)
    THEN NULL ELSE ts(f.finished_us) END,
  lease_owner = NULL,
  lease_expires_at = NULL,
  errors = CASE WHEN f.err IS NULL THEN j.errors ELSE j.errors || jsonb_build_array(f.err) END
FROM first f JOIN locked l ON l.id = f.id
WHERE j.id = f.id AND j.state = 'running' AND j.lease_owner = f.worker
  AND j.attempt = f.attempt
RETURNING f.ord, j.state
$$;
