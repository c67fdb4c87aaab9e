-- Alerts and the notification outbox (docs/alerts.md).
--
-- An alert change and its outbox rows are written in one transaction, so a
-- notification is never lost to a crash between the two. Notifiers on many
-- nodes claim rows with FOR UPDATE SKIP LOCKED plus a lease.

CREATE TABLE alerts (
  id               bigserial   PRIMARY KEY,
  fingerprint      text        NOT NULL,
  rule             text        NOT NULL,
  labels           jsonb       NOT NULL DEFAULT '{}',
  severity         text        NOT NULL DEFAULT 'error',
  summary          text        NOT NULL DEFAULT '',
  detail           text        NOT NULL DEFAULT '',
  job_id           bigint,
  state            text        NOT NULL CHECK (state IN ('open', 'resolved')),
  count            bigint      NOT NULL,
  first_seen       timestamptz NOT NULL,
  last_seen        timestamptz NOT NULL,
  last_notified_at timestamptz NOT NULL,
  resolved_at      timestamptz
);
-- At most one open alert per fingerprint; resolved ones are history.
CREATE UNIQUE INDEX alerts_open_fingerprint ON alerts (fingerprint) WHERE state = 'open';

CREATE TABLE alert_outbox (
  id              bigserial   PRIMARY KEY,
  alert_id        bigint      REFERENCES alerts (id) ON DELETE CASCADE,
  channel         text        NOT NULL,
  event           text        NOT NULL,
  payload         jsonb       NOT NULL,
  created_at      timestamptz NOT NULL,
  attempts        integer     NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  lease_owner     text,
  lease_until     timestamptz,
  delivered_at    timestamptz,
  failed_at       timestamptz,
  last_error      text
);
CREATE INDEX alert_outbox_pending ON alert_outbox (next_attempt_at)
  WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE INDEX alert_outbox_alert ON alert_outbox (alert_id, channel, id);
