-- The dashboard (docs/dashboard.md): nodes, per-minute activity rollups,
-- the audit log, server-wide settings, alert acknowledgement and silencing,
-- and who ran a failed attempt and for how long.
--
-- (Version 8 was once a complete_jobs() rewrite that was dropped before any
-- release; no database carries it.)
--
-- The Jobs and Failures pages find discarded and retryable jobs through
-- jobs_state_id_idx (migration 0006: (state, id) for scheduled, retryable,
-- discarded and cancelled), so no new index on jobs is needed here.

-- One row per process running a Worker, upserted by its heartbeat.
CREATE TABLE nodes (
  id           text        PRIMARY KEY,
  host         text        NOT NULL,
  pid          bigint      NOT NULL,
  version      text        NOT NULL,
  queues       text        NOT NULL DEFAULT '[]',  -- JSON array of queue names
  running      integer     NOT NULL DEFAULT 0,
  started_at   timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  stopped_at   timestamptz
);

-- Additive counters per (minute, queue): every node adds its own deltas
-- (INSERT ... ON CONFLICT DO UPDATE SET n = n + excluded.n), so the rows
-- are the sum over nodes. w0..w23 are the wait-time histogram buckets
-- (store/dashboard_store.h, WaitBucket).
CREATE TABLE job_stats (
  bucket_start timestamptz NOT NULL,
  queue        text        NOT NULL,
  completed    bigint      NOT NULL DEFAULT 0,
  failed       bigint      NOT NULL DEFAULT 0,
  discarded    bigint      NOT NULL DEFAULT 0,
  cancelled    bigint      NOT NULL DEFAULT 0,
  w0  bigint NOT NULL DEFAULT 0, w1  bigint NOT NULL DEFAULT 0,
  w2  bigint NOT NULL DEFAULT 0, w3  bigint NOT NULL DEFAULT 0,
  w4  bigint NOT NULL DEFAULT 0, w5  bigint NOT NULL DEFAULT 0,
  w6  bigint NOT NULL DEFAULT 0, w7  bigint NOT NULL DEFAULT 0,
  w8  bigint NOT NULL DEFAULT 0, w9  bigint NOT NULL DEFAULT 0,
  w10 bigint NOT NULL DEFAULT 0, w11 bigint NOT NULL DEFAULT 0,
  w12 bigint NOT NULL DEFAULT 0, w13 bigint NOT NULL DEFAULT 0,
  w14 bigint NOT NULL DEFAULT 0, w15 bigint NOT NULL DEFAULT 0,
  w16 bigint NOT NULL DEFAULT 0, w17 bigint NOT NULL DEFAULT 0,
  w18 bigint NOT NULL DEFAULT 0, w19 bigint NOT NULL DEFAULT 0,
  w20 bigint NOT NULL DEFAULT 0, w21 bigint NOT NULL DEFAULT 0,
  w22 bigint NOT NULL DEFAULT 0, w23 bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (bucket_start, queue)
);

-- Actions people took. Read per object (the object's page) and newest first.
CREATE TABLE audit_log (
  id          bigserial   PRIMARY KEY,
  at          timestamptz NOT NULL,
  actor       text        NOT NULL,
  action      text        NOT NULL,
  object_type text        NOT NULL,
  object_id   text        NOT NULL,
  detail      text        NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id, id);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TABLE settings (
  key   text PRIMARY KEY,
  value text NOT NULL
);

ALTER TABLE alerts ADD COLUMN acked_at timestamptz,
                   ADD COLUMN acked_by text,
                   ADD COLUMN silenced_until timestamptz;

-- complete_jobs() as in migration 0006, except that an error object also
-- records the worker and how long the attempt ran ("worker", "duration_us"
-- beside "attempt", "at", "message", "detail"). Only the errors expression
-- changes, and only for completions that carry an error: no new join or
-- CTE (a joined CTE once made this function walk the table, see
-- docs/performance.md), so the plan stays the nested loop over the batch.
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
  errors = CASE WHEN f.err IS NULL THEN j.errors
    ELSE j.errors || jsonb_build_array(f.err || jsonb_build_object(
      'worker', f.worker, 'duration_us', f.finished_us - us(j.started_at))) END
FROM first f
WHERE j.id = f.id AND j.state = 'running' AND j.lease_owner = f.worker
  AND j.attempt = f.attempt
RETURNING f.ord, j.state
$$;
