-- Schedules and checks (dead-man's switches). Version 3.
-- Times are timestamptz (converted with ts()/us() from 0001); a NULL
-- next_fire_at means the schedule is disabled or can never fire again.
-- Rules live in src/store/schedule_ops.cc; docs/schedules.md explains them.

CREATE TABLE schedules (
  name                 text        PRIMARY KEY,
  cron                 text        NOT NULL,
  time_zone            text        NOT NULL,
  kind                 text        NOT NULL,
  queue                text        NOT NULL,
  payload              text        NOT NULL,
  priority             integer     NOT NULL,
  max_attempts         integer     NOT NULL,
  catch_up             text        NOT NULL CHECK (catch_up IN ('skip', 'latest', 'all')),
  max_catch_up         integer     NOT NULL,
  overlap              text        NOT NULL CHECK (overlap IN ('allow', 'forbid', 'replace')),
  grace_us             bigint      NOT NULL,  -- for the schedule's check
  enabled              boolean     NOT NULL,  -- owned by the declaring source
  paused               boolean     NOT NULL,  -- owned by operators
  source               text        NOT NULL CHECK (source IN ('config', 'cli')),
  next_fire_at         timestamptz,
  last_fired_at        timestamptz,
  last_success_at      timestamptz,
  last_failure_at      timestamptz,
  consecutive_failures integer     NOT NULL DEFAULT 0,
  skipped_count        bigint      NOT NULL DEFAULT 0,
  last_job_id          bigint,
  created_at           timestamptz NOT NULL,
  updated_at           timestamptz NOT NULL
);

-- Due schedules are claimed with FOR UPDATE SKIP LOCKED in next_fire_at order.
CREATE INDEX schedules_due_idx ON schedules (next_fire_at)
  WHERE enabled AND NOT paused AND next_fire_at IS NOT NULL;

CREATE TABLE checks (
  name             text        PRIMARY KEY,
  period_us        bigint,               -- NULL when cron is used
  cron             text        NOT NULL, -- '' when period is used
  time_zone        text        NOT NULL,
  grace_us         bigint      NOT NULL,
  source           text        NOT NULL CHECK (source IN ('config', 'cli', 'schedule')),
  schedule         text,
  state            text        NOT NULL CHECK (state IN ('new', 'up', 'late', 'down', 'paused')),
  notified_state   text        NOT NULL,  -- what observers were last told
  started          boolean     NOT NULL,
  started_at       timestamptz,
  last_rid         text,
  last_ping_at     timestamptz,
  last_ping_kind   text        NOT NULL,
  last_exit_status integer,
  last_ping_body   text        NOT NULL,  -- at most 10 KiB
  last_success_at  timestamptz,
  ping_count       bigint      NOT NULL,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL
);
