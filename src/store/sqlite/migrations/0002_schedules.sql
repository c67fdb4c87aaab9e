-- Schedules and checks (dead-man's switches). Version 2.
-- Timestamps are INTEGER microseconds since the Unix epoch (UTC); NULL
-- next_fire_at means the schedule is disabled or can never fire again.
-- Rules live in src/store/schedule_ops.cc; docs/schedules.md explains them.

CREATE TABLE schedules (
  name                 TEXT    PRIMARY KEY,
  cron                 TEXT    NOT NULL,
  time_zone            TEXT    NOT NULL,
  kind                 TEXT    NOT NULL,
  queue                TEXT    NOT NULL,
  payload              TEXT    NOT NULL,
  priority             INTEGER NOT NULL,
  max_attempts         INTEGER NOT NULL,
  catch_up             TEXT    NOT NULL,  -- skip | latest | all
  max_catch_up         INTEGER NOT NULL,
  overlap              TEXT    NOT NULL,  -- allow | forbid | replace
  grace                INTEGER NOT NULL,  -- micros, for the schedule's check
  enabled              INTEGER NOT NULL,  -- owned by the declaring source
  paused               INTEGER NOT NULL,  -- owned by operators
  source               TEXT    NOT NULL,  -- config | cli
  next_fire_at         INTEGER,
  last_fired_at        INTEGER,
  last_success_at      INTEGER,
  last_failure_at      INTEGER,
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  skipped_count        INTEGER NOT NULL DEFAULT 0,
  last_job_id          INTEGER,
  created_at           INTEGER NOT NULL,
  updated_at           INTEGER NOT NULL
) WITHOUT ROWID;

-- The scheduler's two questions: what is due, and when is the next fire.
CREATE INDEX schedules_due ON schedules (next_fire_at)
  WHERE enabled = 1 AND paused = 0 AND next_fire_at IS NOT NULL;

CREATE TABLE checks (
  name             TEXT    PRIMARY KEY,
  period           INTEGER,           -- micros; NULL when cron is used
  cron             TEXT    NOT NULL,  -- '' when period is used
  time_zone        TEXT    NOT NULL,
  grace            INTEGER NOT NULL,  -- micros
  source           TEXT    NOT NULL,  -- config | cli | schedule
  schedule         TEXT,              -- owning schedule (source = schedule)
  state            TEXT    NOT NULL,  -- new | up | late | down | paused
  notified_state   TEXT    NOT NULL,  -- what observers were last told
  started          INTEGER NOT NULL,
  started_at       INTEGER,
  last_rid         TEXT,
  last_ping_at     INTEGER,
  last_ping_kind   TEXT    NOT NULL,
  last_exit_status INTEGER,
  last_ping_body   TEXT    NOT NULL,  -- at most 10 KiB
  last_success_at  INTEGER,
  ping_count       INTEGER NOT NULL,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
) WITHOUT ROWID;
