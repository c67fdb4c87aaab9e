-- The dashboard (docs/dashboard.md), version 4: nodes, per-minute activity
-- rollups, the audit log, server-wide settings, alert acknowledgement and
-- silencing, who ran a failed attempt and for how long, and the indexes
-- that let the Jobs and Failures pages find the rare failed jobs among
-- millions of completed ones. Times are integer microseconds UTC.

-- One row per process running a Worker, upserted by its heartbeat.
CREATE TABLE nodes (
  id           TEXT    PRIMARY KEY,
  host         TEXT    NOT NULL,
  pid          INTEGER NOT NULL,
  version      TEXT    NOT NULL,
  queues       TEXT    NOT NULL DEFAULT '[]',  -- JSON array of queue names
  running      INTEGER NOT NULL DEFAULT 0,
  started_at   INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  stopped_at   INTEGER
) WITHOUT ROWID;

-- Additive counters per (minute, queue): every node adds its own deltas
-- (INSERT ... ON CONFLICT DO UPDATE SET n = n + excluded.n), so the rows
-- are the sum over nodes. w0..w23 are the wait-time histogram buckets
-- (store/dashboard_store.h, WaitBucket).
CREATE TABLE job_stats (
  bucket_start INTEGER NOT NULL,
  queue        TEXT    NOT NULL,
  completed    INTEGER NOT NULL DEFAULT 0,
  failed       INTEGER NOT NULL DEFAULT 0,
  discarded    INTEGER NOT NULL DEFAULT 0,
  cancelled    INTEGER NOT NULL DEFAULT 0,
  w0  INTEGER NOT NULL DEFAULT 0, w1  INTEGER NOT NULL DEFAULT 0,
  w2  INTEGER NOT NULL DEFAULT 0, w3  INTEGER NOT NULL DEFAULT 0,
  w4  INTEGER NOT NULL DEFAULT 0, w5  INTEGER NOT NULL DEFAULT 0,
  w6  INTEGER NOT NULL DEFAULT 0, w7  INTEGER NOT NULL DEFAULT 0,
  w8  INTEGER NOT NULL DEFAULT 0, w9  INTEGER NOT NULL DEFAULT 0,
  w10 INTEGER NOT NULL DEFAULT 0, w11 INTEGER NOT NULL DEFAULT 0,
  w12 INTEGER NOT NULL DEFAULT 0, w13 INTEGER NOT NULL DEFAULT 0,
  w14 INTEGER NOT NULL DEFAULT 0, w15 INTEGER NOT NULL DEFAULT 0,
  w16 INTEGER NOT NULL DEFAULT 0, w17 INTEGER NOT NULL DEFAULT 0,
  w18 INTEGER NOT NULL DEFAULT 0, w19 INTEGER NOT NULL DEFAULT 0,
  w20 INTEGER NOT NULL DEFAULT 0, w21 INTEGER NOT NULL DEFAULT 0,
  w22 INTEGER NOT NULL DEFAULT 0, w23 INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (bucket_start, queue)
) WITHOUT ROWID;

-- Actions people took. Read per object (the object's page) and newest first.
CREATE TABLE audit_log (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  at          INTEGER NOT NULL,
  actor       TEXT    NOT NULL,
  action      TEXT    NOT NULL,
  object_type TEXT    NOT NULL,
  object_id   TEXT    NOT NULL,
  detail      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id, id);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

ALTER TABLE alerts ADD COLUMN acked_at INTEGER;
ALTER TABLE alerts ADD COLUMN acked_by TEXT;
ALTER TABLE alerts ADD COLUMN silenced_until INTEGER;

-- NULL for attempts recorded before version 4.
ALTER TABLE job_errors ADD COLUMN worker TEXT;
ALTER TABLE job_errors ADD COLUMN duration_us INTEGER;

-- The failed jobs a person looks for, newest first, without walking the
-- completed ones. Off the happy path (available -> running -> completed),
-- so claims and completions do not maintain them. Queries must spell the
-- term exactly (state = 'discarded') for SQLite to use them.
CREATE INDEX jobs_discarded ON jobs (id) WHERE state = 'discarded';
CREATE INDEX jobs_retryable ON jobs (id) WHERE state = 'retryable';
