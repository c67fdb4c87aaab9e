-- Alerts and the notification outbox (docs/alerts.md).
--
-- An alert change and its outbox rows are written in one transaction, so a
-- notification is never lost to a crash between the two. Times are integer
-- microseconds UTC like every other table.

CREATE TABLE alerts (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  fingerprint      TEXT    NOT NULL,
  rule             TEXT    NOT NULL,
  labels           TEXT    NOT NULL DEFAULT '{}',
  severity         TEXT    NOT NULL DEFAULT 'error',
  summary          TEXT    NOT NULL DEFAULT '',
  detail           TEXT    NOT NULL DEFAULT '',
  job_id           INTEGER,
  state            TEXT    NOT NULL CHECK (state IN ('open', 'resolved')),
  count            INTEGER NOT NULL,
  first_seen       INTEGER NOT NULL,
  last_seen        INTEGER NOT NULL,
  last_notified_at INTEGER NOT NULL,
  resolved_at      INTEGER
);
-- At most one open alert per fingerprint; resolved ones are history.
CREATE UNIQUE INDEX alerts_open_fingerprint ON alerts (fingerprint) WHERE state = 'open';

CREATE TABLE alert_outbox (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  alert_id        INTEGER REFERENCES alerts (id) ON DELETE CASCADE,
  channel         TEXT    NOT NULL,
  event           TEXT    NOT NULL,
  payload         TEXT    NOT NULL,
  created_at      INTEGER NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  lease_owner     TEXT,
  lease_until     INTEGER,
  delivered_at    INTEGER,
  failed_at       INTEGER,
  last_error      TEXT
);
-- The notifier's claim scans pending rows only.
CREATE INDEX alert_outbox_pending ON alert_outbox (next_attempt_at)
  WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE INDEX alert_outbox_alert ON alert_outbox (alert_id, channel);
