-- The claim and the completion as functions, so that their plans do not
-- depend on statistics.
--
-- The jobs table changes faster than ANALYZE follows: a queue that was empty
-- when autovacuum last analyzed it may hold 100,000 jobs a second later. With
-- stale statistics the planner expects two pending rows and picks a bitmap
-- scan of every pending job plus a sort, instead of walking jobs_claim_idx in
-- claim order and stopping after LIMIT rows: measured on a 100,000-job drain,
-- 70-100 ms per claim instead of under 1 ms. Likewise the completion joined
-- its batch to a bitmap scan of every running job's (mostly dead) lease index
-- entries instead of looking each id up in the primary key. The SET clauses
-- apply only while a function runs and leave the index walk (claim) and the
-- primary-key nested loop (completion) as the sensible plans; the rest of the
-- session keeps the planner's defaults.
--
-- ts() and us() were declared IMMUTABLE in migration 1, but their bodies use
-- timestamptz arithmetic, which PostgreSQL rates STABLE (it may depend on
-- the time zone; for whole microseconds it does not). The planner inlines a
-- SQL function only if its body is no more volatile than its declaration, so
-- every call was a full SQL-function call: 2.5-3.5 us each, several per job
-- on every claim, completion and read (measured: 1,000,000 ts() calls took
-- 2.6 s, the inlined expression 0.26 s). Declared STABLE, they are inlined.
ALTER FUNCTION ts(bigint) STABLE;
ALTER FUNCTION us(timestamptz) STABLE;

-- The lease index used to be partial on state = 'running'. Any statement
-- that looks jobs up by id with "state = 'running'" (completion, lease
-- extension) could then walk the whole lease index instead of probing the
-- primary key, and with stale statistics the planner sometimes did: a drain
-- of 100,000 jobs slowed to 1,000 jobs/s (completions of 600 ms each) until
-- leases expired. lease_expires_at is set exactly while a job runs (claim
-- sets it; completion, release, rescue, retry and cancel clear it), so this
-- predicate indexes the same rows, serves the rescuer's
-- "lease_expires_at < now" and is not implied by "state = 'running'".
DROP INDEX jobs_lease_idx;
CREATE INDEX jobs_lease_idx ON jobs (lease_expires_at) WHERE lease_expires_at IS NOT NULL;

-- Listing by state, newest first, only for the states a person looks for
-- among many others: failures, retries, cancellations and future jobs. The
-- happy path (available -> running -> completed) no longer inserts into it:
-- every claim and completion is a non-HOT update that adds an entry to each
-- index whose predicate the new row version matches, and this one matched
-- all of them (measured: 5-15 % of a drain's database CPU). Lists of the
-- other states use other indexes: running jobs the lease index, available
-- jobs the claim index, completed jobs (the bulk of the table) the primary
-- key backwards.
DROP INDEX jobs_state_id_idx;
CREATE INDEX jobs_state_id_idx ON jobs (state, id)
  WHERE state IN ('scheduled', 'retryable', 'discarded', 'cancelled');

-- Parameters of claim_jobs(), by position (the body uses $n so that bench/pg_explain.cc can
-- PREPARE the body from pg_proc.prosrc and EXPLAIN it as it is):
--   $1 queue, $2 now (microseconds since the epoch), $3 limit,
--   $4 worker id (lease owner), $5 lease expiry (microseconds).
CREATE FUNCTION claim_jobs(text, bigint, integer, text, bigint)
  RETURNS SETOF jobs
  LANGUAGE sql VOLATILE
  SET search_path FROM CURRENT
  SET enable_bitmapscan = off
  SET enable_seqscan = off
  SET enable_sort = off
AS $$
WITH picked AS (
  SELECT id FROM jobs
   WHERE queue = $1 AND state IN ('scheduled', 'available', 'retryable') AND run_at <= ts($2)
     AND NOT EXISTS (SELECT 1 FROM queues q WHERE q.name = $1 AND q.paused)
   ORDER BY priority, run_at, id
   LIMIT $3
   FOR UPDATE SKIP LOCKED
)
UPDATE jobs AS j
   SET state = 'running', attempt = j.attempt + 1, started_at = ts($2), lease_owner = $4,
       lease_expires_at = ts($5), cancel_requested = false
  FROM picked WHERE j.id = picked.id
RETURNING j.*
$$;

-- Applies a batch of completions (PostgresStore::JobCompleteMany). Arrays of
-- equal length, one element per completion: $1 id, $2 worker id, $3 attempt,
-- $4 outcome ('completed', 'retry', 'snooze', 'discard', 'cancelled'),
-- $5 finished_at and $6 retry run_at (microseconds), $7 error object or NULL.
-- Returns (ord, state) for each completion that applied: the job was still
-- running under that worker and attempt. A repeated id applies once (the
-- first). An absent ord did not apply (stale lease, already rescued).
CREATE FUNCTION complete_jobs(bigint[], text[], integer[], text[], bigint[], bigint[], jsonb[])
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
FROM first f
WHERE j.id = f.id AND j.state = 'running' AND j.lease_owner = f.worker
  AND j.attempt = f.attempt
RETURNING f.ord, j.state
$$;
