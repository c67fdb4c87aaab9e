-- Steward schema for SQLite, version 1.
-- Timestamps are INTEGER microseconds since the Unix epoch (UTC).
-- schema_migrations itself is created by the migrator before this runs.

CREATE TABLE jobs (
  -- AUTOINCREMENT so ids are never reused after retention deletes the newest
  -- rows: an id in a log line must keep naming the same job.
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  queue            TEXT    NOT NULL,
  kind             TEXT    NOT NULL,
  payload          TEXT    NOT NULL,
  priority         INTEGER NOT NULL DEFAULT 0,
  run_at           INTEGER NOT NULL,
  attempt          INTEGER NOT NULL DEFAULT 0,
  max_attempts     INTEGER NOT NULL,
  -- scheduled | available | running | retryable | completed | discarded |
  -- cancelled. No CHECK (state IN (...)): SQLite evaluates an IN list of
  -- more than two constants through a temporary b-tree on every row written,
  -- which cost a third of the claim/complete throughput. For the same reason
  -- the partial indexes below spell their state sets as OR chains.
  state            TEXT    NOT NULL,
  unique_key       TEXT,
  created_at       INTEGER NOT NULL,
  started_at       INTEGER,
  finished_at      INTEGER,
  lease_owner      TEXT,
  lease_expires_at INTEGER,
  cancel_requested INTEGER NOT NULL DEFAULT 0
);

-- Claims: the next due pending jobs of a queue in claim order. Partial, so
-- finished history does not slow the hot path. The WHERE text must match the
-- claim query's term exactly for the planner to use it.
CREATE INDEX jobs_claim ON jobs (queue, priority, run_at, id)
  WHERE (state = 'scheduled' OR state = 'available' OR state = 'retryable');

-- Uniqueness is decided here, never by check-then-insert: at most one
-- unfinished job per key; a finished job's key may be reused.
CREATE UNIQUE INDEX jobs_unique_key ON jobs (unique_key)
  WHERE unique_key IS NOT NULL
    AND (state = 'scheduled' OR state = 'available' OR state = 'running' OR state = 'retryable');

-- Retention walks finished jobs oldest first.
CREATE INDEX jobs_finished ON jobs (finished_at)
  WHERE (state = 'completed' OR state = 'discarded' OR state = 'cancelled');

-- The rescuer looks for running jobs whose lease expired.
CREATE INDEX jobs_lease ON jobs (lease_expires_at) WHERE state = 'running';

-- One row per failed attempt. A job retried by a person starts again at
-- attempt 1, so (job_id, attempt) is not unique; id keeps insertion order.
CREATE TABLE job_errors (
  id       INTEGER PRIMARY KEY,
  job_id   INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  attempt  INTEGER NOT NULL,
  at       INTEGER NOT NULL,
  message  TEXT    NOT NULL,
  detail   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX job_errors_job ON job_errors (job_id);

-- Queues that have settings. A queue exists implicitly once it has jobs.
CREATE TABLE queues (
  name       TEXT PRIMARY KEY,
  paused     INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
