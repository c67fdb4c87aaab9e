// SqliteStore: alerts and the notification outbox (store/alert_store.h).
//
// Writes run on the writer connection inside BEGIN IMMEDIATE, so an alert
// change and its outbox rows commit together, and a claim (one UPDATE over
// a subquery) cannot hand one row to two claimers: SQLite has one writer.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "store/sqlite/sqlite_store_impl.h"

namespace steward::sqlite {

namespace {

constexpr const char* kAlertColumns =
    "id, fingerprint, rule, labels, severity, summary, detail, job_id, state, count, "
    "first_seen, last_seen, last_notified_at, resolved_at";

Alert ReadAlert(const Stmt& s) {
  Alert a;
  a.id = s.Int(0);
  a.fingerprint = s.Text(1);
  a.rule = s.Text(2);
  a.labels_json = s.Text(3);
  a.severity = s.Text(4);
  a.summary = s.Text(5);
  a.detail = s.Text(6);
  if (!s.IsNull(7)) a.job_id = s.Int(7);
  a.open = s.Text(8) == "open";
  a.count = s.Int(9);
  a.first_seen = s.Time(10);
  a.last_seen = s.Time(11);
  a.last_notified_at = s.Time(12);
  a.resolved_at = s.OptTime(13);
  return a;
}

// Outbox columns plus the alert's live count and last_seen (LEFT JOIN).
constexpr const char* kOutboxSelect =
    "SELECT o.id, o.alert_id, o.channel, o.event, o.payload, o.created_at, o.attempts, "
    "o.next_attempt_at, o.lease_owner, o.lease_until, o.delivered_at, o.failed_at, "
    "o.last_error, coalesce(a.count, 0), a.last_seen "
    "FROM alert_outbox o LEFT JOIN alerts a ON a.id = o.alert_id ";

OutboxRow ReadOutbox(const Stmt& s) {
  OutboxRow r;
  r.id = s.Int(0);
  if (!s.IsNull(1)) r.alert_id = s.Int(1);
  r.channel = s.Text(2);
  r.event = s.Text(3);
  r.payload_json = s.Text(4);
  r.created_at = s.Time(5);
  r.attempts = static_cast<int>(s.Int(6));
  r.next_attempt_at = s.Time(7);
  r.lease_owner = s.OptText(8);
  r.lease_until = s.OptTime(9);
  r.delivered_at = s.OptTime(10);
  r.failed_at = s.OptTime(11);
  r.last_error = s.OptText(12);
  r.alert_count = s.Int(13);
  r.alert_last_seen = s.OptTime(14);
  return r;
}

// Inserts one outbox row per channel; caller holds the writer in a txn.
Status EnqueueRows(Conn& w, const Alert& a, const std::string& event,
                   const std::vector<std::string>& channels, Timestamp now,
                   std::vector<int64_t>& ids) {
  const std::string payload = AlertPayloadJson(a, event);
  STEWARD_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      w.Prepare("INSERT INTO alert_outbox (alert_id, channel, event, payload, created_at, "
                "next_attempt_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)"));
  for (const std::string& ch : channels) {
    Stmt s(w, raw);
    s.Bind(1, a.id);
    s.Bind(2, ch);
    s.Bind(3, event);
    s.Bind(4, payload);
    s.Bind(5, now);
    STEWARD_RETURN_IF_ERROR(s.Run("enqueue notification"));
    ids.push_back(sqlite3_last_insert_rowid(w.db()));
  }
  return Status::Ok();
}

}  // namespace

Result<AlertUpsertResult> SqliteStore::AlertUpsert(const AlertUpsertParams& p) {
  STEWARD_RETURN_IF_ERROR(ValidateAlertUpsert(p));
  const bool fire = p.action == AlertUpsertParams::Action::kFire;
  AlertUpsertResult out;
  std::lock_guard lock(writer_->mu());
  Txn txn(*writer_, Txn::Mode::kWrite);
  STEWARD_RETURN_IF_ERROR(txn.Begin());
  std::optional<Alert> open;
  {
    static const std::string sql = std::string("SELECT ") + kAlertColumns +
                                   " FROM alerts WHERE fingerprint = ?1 AND state = 'open'";
    STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, writer_->Prepare(sql));
    Stmt s(*writer_, raw);
    s.Bind(1, p.fingerprint);
    STEWARD_ASSIGN_OR_RETURN(bool row, s.Step("read open alert"));
    if (row) open = ReadAlert(s);
  }
  if (!open && !fire) return out;  // nothing to resolve

  if (!open) {
    Alert a;
    a.fingerprint = p.fingerprint;
    a.rule = p.rule;
    a.labels_json = p.labels_json;
    a.severity = p.severity;
    a.summary = p.summary;
    a.detail = p.detail;
    a.job_id = p.job_id;
    a.count = p.count;
    a.last_seen = a.last_notified_at = p.now;
    a.first_seen = std::min(p.occurred_at.value_or(p.now), p.now);
    {
      STEWARD_ASSIGN_OR_RETURN(
          sqlite3_stmt * raw,
          writer_->Prepare("INSERT INTO alerts (fingerprint, rule, labels, severity, summary, "
                           "detail, job_id, state, count, first_seen, last_seen, "
                           "last_notified_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'open', ?8, "
                           "?10, ?9, ?9)"));
      Stmt s(*writer_, raw);
      s.Bind(1, a.fingerprint);
      s.Bind(2, a.rule);
      s.Bind(3, a.labels_json);
      s.Bind(4, a.severity);
      s.Bind(5, a.summary);
      s.Bind(6, a.detail);
      s.Bind(7, a.job_id);
      s.Bind(8, a.count);
      s.Bind(9, p.now);
      s.Bind(10, a.first_seen);
      STEWARD_RETURN_IF_ERROR(s.Run("open alert"));
    }
    a.id = sqlite3_last_insert_rowid(writer_->db());
    STEWARD_RETURN_IF_ERROR(EnqueueRows(*writer_, a, "open", p.channels, p.now, out.enqueued));
    out.change = AlertUpsertResult::Change::kOpened;
    out.alert_id = a.id;
    out.count = a.count;
  } else if (fire) {
    Alert a = *open;
    a.count += p.count;
    a.last_seen = p.now;
    if (!p.summary.empty()) a.summary = p.summary;
    if (!p.detail.empty()) a.detail = p.detail;
    if (p.job_id) a.job_id = p.job_id;
    const bool remind = p.now - a.last_notified_at >= p.repeat_interval;
    if (remind) a.last_notified_at = p.now;
    {
      STEWARD_ASSIGN_OR_RETURN(
          sqlite3_stmt * raw,
          writer_->Prepare("UPDATE alerts SET count = ?2, last_seen = ?3, summary = ?4, "
                           "detail = ?5, job_id = ?6, last_notified_at = ?7 WHERE id = ?1"));
      Stmt s(*writer_, raw);
      s.Bind(1, a.id);
      s.Bind(2, a.count);
      s.Bind(3, a.last_seen);
      s.Bind(4, a.summary);
      s.Bind(5, a.detail);
      s.Bind(6, a.job_id);
      s.Bind(7, a.last_notified_at);
      STEWARD_RETURN_IF_ERROR(s.Run("update alert"));
    }
    if (remind) {
      STEWARD_RETURN_IF_ERROR(EnqueueRows(*writer_, a, "repeat", p.channels, p.now, out.enqueued));
    }
    out.change = remind ? AlertUpsertResult::Change::kReminded
                        : AlertUpsertResult::Change::kRepeated;
    out.alert_id = a.id;
    out.count = a.count;
  } else {
    Alert a = *open;
    a.open = false;
    a.resolved_at = p.now;
    if (!p.detail.empty()) a.detail = p.detail;
    {
      STEWARD_ASSIGN_OR_RETURN(
          sqlite3_stmt * raw,
          writer_->Prepare("UPDATE alerts SET state = 'resolved', resolved_at = ?2, detail = ?3 "
                           "WHERE id = ?1"));
      Stmt s(*writer_, raw);
      s.Bind(1, a.id);
      s.Bind(2, p.now);
      s.Bind(3, a.detail);
      STEWARD_RETURN_IF_ERROR(s.Run("resolve alert"));
    }
    STEWARD_RETURN_IF_ERROR(EnqueueRows(*writer_, a, "resolve", p.channels, p.now, out.enqueued));
    out.change = AlertUpsertResult::Change::kResolved;
    out.alert_id = a.id;
    out.count = a.count;
  }
  STEWARD_RETURN_IF_ERROR(txn.Commit());
  return out;
}

Result<Alert> SqliteStore::AlertGetOpen(const std::string& fingerprint) {
  static const std::string sql = std::string("SELECT ") + kAlertColumns +
                                 " FROM alerts WHERE fingerprint = ?1 AND state = 'open'";
  std::lock_guard lock(reader_->mu());
  STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, reader_->Prepare(sql));
  Stmt s(*reader_, raw);
  s.Bind(1, fingerprint);
  STEWARD_ASSIGN_OR_RETURN(bool row, s.Step("read alert"));
  if (!row) return NotFound("no open alert " + fingerprint);
  return ReadAlert(s);
}

Result<std::vector<Alert>> SqliteStore::AlertList(bool open_only, int limit) {
  static const std::string sql = std::string("SELECT ") + kAlertColumns +
                                 " FROM alerts WHERE (?1 = 0 OR state = 'open') "
                                 "ORDER BY id DESC LIMIT ?2";
  std::lock_guard lock(reader_->mu());
  STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, reader_->Prepare(sql));
  Stmt s(*reader_, raw);
  s.Bind(1, open_only);
  s.Bind(2, limit);
  std::vector<Alert> out;
  while (true) {
    STEWARD_ASSIGN_OR_RETURN(bool row, s.Step("list alerts"));
    if (!row) break;
    out.push_back(ReadAlert(s));
  }
  return out;
}

Result<int64_t> SqliteStore::OutboxEnqueue(const std::string& channel, const std::string& event,
                                           const std::string& payload_json, Timestamp now) {
  std::lock_guard lock(writer_->mu());
  STEWARD_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      writer_->Prepare("INSERT INTO alert_outbox (channel, event, payload, created_at, "
                       "next_attempt_at) VALUES (?1, ?2, ?3, ?4, ?4)"));
  Stmt s(*writer_, raw);
  s.Bind(1, channel);
  s.Bind(2, event);
  s.Bind(3, payload_json);
  s.Bind(4, now);
  STEWARD_RETURN_IF_ERROR(s.Run("enqueue notification"));
  return sqlite3_last_insert_rowid(writer_->db());
}

Result<std::vector<OutboxRow>> SqliteStore::OutboxClaim(const OutboxClaimParams& p) {
  if (p.limit <= 0) return InvalidArgument("outbox claim limit must be > 0");
  // A row waits while an earlier row of the same alert and channel is still
  // pending (even if leased), so an alert's messages arrive in order.
  static const std::string claim =
      "UPDATE alert_outbox SET lease_owner = ?1, lease_until = ?3, attempts = attempts + 1 "
      "WHERE id IN (SELECT o.id FROM alert_outbox o "
      "  WHERE o.delivered_at IS NULL AND o.failed_at IS NULL AND o.next_attempt_at <= ?2 "
      "    AND (o.lease_until IS NULL OR o.lease_until <= ?2) "
      "    AND (o.alert_id IS NULL OR NOT EXISTS (SELECT 1 FROM alert_outbox e "
      "      WHERE e.alert_id = o.alert_id AND e.channel = o.channel AND e.id < o.id "
      "        AND e.delivered_at IS NULL AND e.failed_at IS NULL)) "
      "  ORDER BY o.id LIMIT ?4) RETURNING id";
  static const std::string select = std::string(kOutboxSelect) + "WHERE o.id = ?1";
  std::lock_guard lock(writer_->mu());
  Txn txn(*writer_, Txn::Mode::kWrite);
  STEWARD_RETURN_IF_ERROR(txn.Begin());
  std::vector<int64_t> ids;
  {
    STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, writer_->Prepare(claim));
    Stmt s(*writer_, raw);
    s.Bind(1, p.owner);
    s.Bind(2, p.now);
    s.Bind(3, p.lease_until);
    s.Bind(4, p.limit);
    while (true) {
      STEWARD_ASSIGN_OR_RETURN(bool row, s.Step("claim notifications"));
      if (!row) break;
      ids.push_back(s.Int(0));
    }
  }
  std::sort(ids.begin(), ids.end());
  std::vector<OutboxRow> out;
  STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, writer_->Prepare(select));
  for (int64_t id : ids) {
    Stmt s(*writer_, raw);
    s.Bind(1, id);
    STEWARD_ASSIGN_OR_RETURN(bool row, s.Step("read claimed notification"));
    if (row) out.push_back(ReadOutbox(s));
  }
  STEWARD_RETURN_IF_ERROR(txn.Commit());
  return out;
}

Result<bool> SqliteStore::OutboxMarkDelivered(int64_t id, const std::string& owner,
                                              Timestamp now) {
  std::lock_guard lock(writer_->mu());
  STEWARD_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      writer_->Prepare("UPDATE alert_outbox SET delivered_at = ?3, lease_owner = NULL, "
                       "lease_until = NULL, last_error = NULL "
                       "WHERE id = ?1 AND lease_owner = ?2 AND delivered_at IS NULL"));
  Stmt s(*writer_, raw);
  s.Bind(1, id);
  s.Bind(2, owner);
  s.Bind(3, now);
  STEWARD_RETURN_IF_ERROR(s.Run("mark notification delivered"));
  return sqlite3_changes(writer_->db()) == 1;
}

Result<bool> SqliteStore::OutboxMarkFailed(int64_t id, const std::string& owner, Timestamp now,
                                           Timestamp next_attempt_at, const std::string& error,
                                           bool permanent) {
  std::lock_guard lock(writer_->mu());
  STEWARD_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      writer_->Prepare("UPDATE alert_outbox SET lease_owner = NULL, lease_until = NULL, "
                       "next_attempt_at = ?4, last_error = ?5, "
                       "failed_at = CASE WHEN ?6 THEN ?3 END "
                       "WHERE id = ?1 AND lease_owner = ?2 AND delivered_at IS NULL"));
  Stmt s(*writer_, raw);
  s.Bind(1, id);
  s.Bind(2, owner);
  s.Bind(3, now);
  s.Bind(4, next_attempt_at);
  s.Bind(5, error);
  s.Bind(6, permanent);
  STEWARD_RETURN_IF_ERROR(s.Run("mark notification failed"));
  return sqlite3_changes(writer_->db()) == 1;
}

Result<int> SqliteStore::OutboxRelease(std::span<const int64_t> ids, const std::string& owner) {
  if (ids.empty()) return 0;
  std::lock_guard lock(writer_->mu());
  Txn txn(*writer_, Txn::Mode::kWrite);
  STEWARD_RETURN_IF_ERROR(txn.Begin());
  int released = 0;
  for (int64_t id : ids) {
    STEWARD_ASSIGN_OR_RETURN(
        sqlite3_stmt * raw,
        writer_->Prepare("UPDATE alert_outbox SET lease_owner = NULL, lease_until = NULL, "
                         "attempts = max(attempts - 1, 0) "
                         "WHERE id = ?1 AND lease_owner = ?2 AND delivered_at IS NULL AND failed_at IS NULL"));
    Stmt s(*writer_, raw);
    s.Bind(1, id);
    s.Bind(2, owner);
    STEWARD_RETURN_IF_ERROR(s.Run("release notification"));
    released += sqlite3_changes(writer_->db());
  }
  STEWARD_RETURN_IF_ERROR(txn.Commit());
  return released;
}

Result<std::vector<OutboxRow>> SqliteStore::OutboxList(const OutboxListParams& p) {
  static const std::string sql =
      std::string(kOutboxSelect) +
      "WHERE (?1 IS NULL OR o.channel = ?1) "
      "AND (?2 = 0 OR (o.delivered_at IS NULL AND o.failed_at IS NULL)) ORDER BY o.id LIMIT ?3";
  std::lock_guard lock(reader_->mu());
  STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, reader_->Prepare(sql));
  Stmt s(*reader_, raw);
  s.Bind(1, p.channel);
  s.Bind(2, p.undelivered_only);
  s.Bind(3, p.limit);
  std::vector<OutboxRow> out;
  while (true) {
    STEWARD_ASSIGN_OR_RETURN(bool row, s.Step("list notifications"));
    if (!row) break;
    out.push_back(ReadOutbox(s));
  }
  return out;
}

Result<int> SqliteStore::OutboxDeleteFinished(Timestamp before, int limit) {
  std::lock_guard lock(writer_->mu());
  STEWARD_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      writer_->Prepare("DELETE FROM alert_outbox WHERE id IN (SELECT id FROM alert_outbox "
                       "WHERE coalesce(delivered_at, failed_at) < ?1 LIMIT ?2)"));
  Stmt s(*writer_, raw);
  s.Bind(1, before);
  s.Bind(2, limit);
  STEWARD_RETURN_IF_ERROR(s.Run("delete finished notifications"));
  return sqlite3_changes(writer_->db());
}

// --- daily digest -------------------------------------------------------------

Result<ActivitySummary> SqliteStore::ActivitySummarize(const ActivitySummarizeParams& p) {
  // Finished jobs through the jobs_finished partial index (same state term).
  static const std::string finished =
      std::string("SELECT queue, sum(state = 'completed'), sum(state = 'discarded'), "
                  "sum(state = 'cancelled') FROM jobs WHERE ") +
      kFinishedStates + " AND finished_at >= ?1 AND finished_at < ?2 GROUP BY queue";
  static const std::string errors =
      "SELECT j.queue, count(*) FROM job_errors e JOIN jobs j ON j.id = e.job_id "
      "WHERE e.at >= ?1 AND e.at < ?2 GROUP BY j.queue";
  static const std::string counts =
      "SELECT coalesce(sum(first_seen >= ?1 AND first_seen < ?2), 0), "
      "coalesce(sum(resolved_at >= ?1 AND resolved_at < ?2), 0) FROM alerts";
  static const std::string alerts = std::string("SELECT ") + kAlertColumns +
                                    " FROM alerts WHERE (first_seen >= ?1 AND first_seen < ?2) "
                                    "OR (resolved_at >= ?1 AND resolved_at < ?2) ORDER BY id DESC LIMIT ?3";
  ActivitySummary out;
  std::map<std::string, QueueActivity> queues;
  std::lock_guard lock(reader_->mu());
  Txn txn(*reader_, Txn::Mode::kRead);  // one snapshot for every count
  STEWARD_RETURN_IF_ERROR(txn.Begin());
  // Runs one query over the window (?1, ?2; ?3 = alert_limit where used).
  auto each_row = [&](const std::string& sql, const char* what, const auto& on_row) -> Status {
    STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, reader_->Prepare(sql));
    Stmt s(*reader_, raw);
    s.Bind(1, p.since);
    s.Bind(2, p.until);
    if (sqlite3_bind_parameter_count(raw) >= 3) s.Bind(3, p.alert_limit);
    while (true) {
      STEWARD_ASSIGN_OR_RETURN(bool row, s.Step(what));
      if (!row) return Status::Ok();
      on_row(s);
    }
  };
  STEWARD_RETURN_IF_ERROR(each_row(finished, "summarize finished jobs", [&](const Stmt& s) {
    QueueActivity& q = queues[s.Text(0)];
    q.completed = s.Int(1);
    q.discarded = s.Int(2);
    q.cancelled = s.Int(3);
  }));
  STEWARD_RETURN_IF_ERROR(each_row(errors, "summarize failed attempts", [&](const Stmt& s) {
    queues[s.Text(0)].failed_attempts = s.Int(1);
  }));
  STEWARD_RETURN_IF_ERROR(each_row(counts, "count alerts", [&](const Stmt& s) {
    out.alerts_opened = s.Int(0);
    out.alerts_resolved = s.Int(1);
  }));
  STEWARD_RETURN_IF_ERROR(each_row(alerts, "list alerts of the window",
                                   [&](const Stmt& s) { out.alerts.push_back(ReadAlert(s)); }));
  STEWARD_RETURN_IF_ERROR(txn.Commit());
  for (auto& [name, q] : queues) {
    q.queue = name;
    out.queues.push_back(std::move(q));
  }
  return out;
}

Result<std::vector<int64_t>> SqliteStore::OutboxEnqueueOnce(const OutboxEnqueueOnceParams& p) {
  STEWARD_ASSIGN_OR_RETURN(std::vector<std::string> payloads, OutboxOncePayloads(p));
  std::vector<int64_t> ids;
  // BEGIN IMMEDIATE takes the one write lock: check and insert cannot
  // interleave with another process doing the same.
  std::lock_guard lock(writer_->mu());
  Txn txn(*writer_, Txn::Mode::kWrite);
  STEWARD_RETURN_IF_ERROR(txn.Begin());
  {
    STEWARD_ASSIGN_OR_RETURN(
        sqlite3_stmt * raw,
        writer_->Prepare("SELECT 1 FROM alert_outbox WHERE event = ?1 "
                         "AND json_extract(payload, '$.dedup_key') = ?2 LIMIT 1"));
    Stmt s(*writer_, raw);
    s.Bind(1, p.event);
    s.Bind(2, p.dedup_key);
    STEWARD_ASSIGN_OR_RETURN(bool exists, s.Step("look for a written key"));
    if (exists) return ids;  // rolled back by Txn
  }
  STEWARD_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      writer_->Prepare("INSERT INTO alert_outbox (channel, event, payload, created_at, "
                       "next_attempt_at) VALUES (?1, ?2, ?3, ?4, ?4)"));
  for (size_t i = 0; i < payloads.size(); ++i) {
    Stmt s(*writer_, raw);
    s.Bind(1, p.rows[i].first);
    s.Bind(2, p.event);
    s.Bind(3, payloads[i]);
    s.Bind(4, p.now);
    STEWARD_RETURN_IF_ERROR(s.Run("enqueue notification once"));
    ids.push_back(sqlite3_last_insert_rowid(writer_->db()));
  }
  STEWARD_RETURN_IF_ERROR(txn.Commit());
  return ids;
}

}  // namespace steward::sqlite
