-- Steward's PostgreSQL schema, version 1.
--
-- Runs inside one transaction with search_path set to the configured schema
-- (default "steward"), so names here are unqualified. {{schema}} is replaced
-- by the schema name where a literal is needed.
--
-- Times are timestamptz columns so that people and other applications can
-- read them; Steward itself passes int8 microseconds since the Unix epoch and
-- converts with ts() and us() below. Both are exact: extract(epoch) returns
-- numeric since PostgreSQL 14, and int8 * 1 microsecond is exact for dates
-- before the year 2255.

CREATE FUNCTION ts(micros bigint) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT timestamptz '1970-01-01 00:00:00+00' + micros * interval '1 microsecond' $$;

CREATE FUNCTION us(t timestamptz) RETURNS bigint
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT (extract(epoch FROM t) * 1000000)::bigint $$;

CREATE TABLE jobs (
  id               bigserial PRIMARY KEY,
  queue            text        NOT NULL,
  kind             text        NOT NULL,
  -- json (not jsonb) keeps the payload byte for byte as the caller sent it.
  payload          json        NOT NULL,
  priority         integer     NOT NULL DEFAULT 0,
  run_at           timestamptz NOT NULL,
  attempt          integer     NOT NULL DEFAULT 0,
  max_attempts     integer     NOT NULL,
  state            text        NOT NULL CHECK (state IN ('scheduled', 'available', 'running',
                                 'retryable', 'completed', 'discarded', 'cancelled')),
  unique_key       text,
  created_at       timestamptz NOT NULL,
  started_at       timestamptz,
  finished_at      timestamptz,
  lease_owner      text,
  lease_expires_at timestamptz,
  cancel_requested boolean     NOT NULL DEFAULT false,
  -- One object per failed attempt: {"attempt", "at" (micros), "message", "detail"}.
  errors           jsonb       NOT NULL DEFAULT '[]'
);

-- Claims: pending jobs of a queue in claim order. Partial, so finished jobs
-- (the bulk of a busy table) never enter it.
CREATE INDEX jobs_claim_idx ON jobs (queue, priority, run_at, id)
  WHERE state IN ('scheduled', 'available', 'retryable');

-- Uniqueness is decided by this index, not by check-then-insert: inserts use
-- ON CONFLICT DO NOTHING, so concurrent inserts of one key yield one job.
CREATE UNIQUE INDEX jobs_unique_key_idx ON jobs (unique_key)
  WHERE unique_key IS NOT NULL AND state NOT IN ('completed', 'discarded', 'cancelled');

-- Rescue of expired leases.
CREATE INDEX jobs_lease_idx ON jobs (lease_expires_at) WHERE state = 'running';

-- Retention.
CREATE INDEX jobs_finished_idx ON jobs (finished_at)
  WHERE state IN ('completed', 'discarded', 'cancelled');

-- Listing by state, newest first.
CREATE INDEX jobs_state_id_idx ON jobs (state, id);

-- A queue row exists only once someone paused (or unpaused) the queue.
CREATE TABLE queues (
  name       text        PRIMARY KEY,
  paused     boolean     NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Wake-ups: every statement that inserts jobs notifies the channel
-- "<schema>.jobs_added" once per queue, with the queue name as payload.
-- NOTIFY is transactional, so listeners hear of jobs only after the commit,
-- and a trigger covers every writer (Steward, the enqueue() function,
-- plain INSERTs by other applications).
CREATE FUNCTION notify_jobs_added() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify(TG_TABLE_SCHEMA || '.jobs_added', q.queue)
    FROM (SELECT DISTINCT queue FROM new_jobs) AS q;
  RETURN NULL;
END
$$;

CREATE TRIGGER jobs_notify_insert AFTER INSERT ON jobs
  REFERENCING NEW TABLE AS new_jobs
  FOR EACH STATEMENT EXECUTE FUNCTION notify_jobs_added();

-- Busy queue tables bloat when autovacuum falls behind (river #59, que #244);
-- vacuum this one early.
ALTER TABLE jobs SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);
