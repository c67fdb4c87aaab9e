// SqliteStore: alerts and the notification outbox (store/alert_store.h).
//
// The alert rules run in store/alert_ops.cc over SqliteAlertTxn. Writes run
// on the writer connection inside BEGIN IMMEDIATE, so an alert change and
// its outbox rows commit together, and a claim (one UPDATE over
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
    "first_seen, last_seen, last_notified_at, resolved_at, acked_at, acked_by, silenced_until";

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
  a.acked_at = s.OptTime(14);
  a.acked_by = s.OptText(15).value_or("");
  a.silenced_until = s.OptTime(16);
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

// One BEGIN IMMEDIATE transaction on the writer connection: holding the
// write lock is the row lock, so nothing else to lock.
class SqliteAlertTxn final : public AlertTxn {
 public:
  explicit SqliteAlertTxn(Conn& conn)
      : conn_(conn), lock_(conn.mu()), txn_(conn, Txn::Mode::kWrite) {}

  Status Begin() { return txn_.Begin(); }

  Result<std::optional<Alert>> SelectOpenAlert(const std::string& fingerprint) override {
    static const std::string sql = std::string("SELECT ") + kAlertColumns +
                                   " FROM alerts WHERE fingerprint = ?1 AND state = 'open'";
    STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn_.Prepare(sql));
    Stmt s(conn_, raw);
    s.Bind(1, fingerprint);
    STEWARD_ASSIGN_OR_RETURN(bool row, s.Step("read open alert"));
    if (!row) return std::optional<Alert>();
    return std::optional<Alert>(ReadAlert(s));
  }

  Result<std::optional<Alert>> SelectAlert(int64_t id) override {
    static const std::string sql = std::string("SELECT ") + kAlertColumns + " FROM alerts WHERE id = ?1";
    STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn_.Prepare(sql));
    Stmt s(conn_, raw);
    s.Bind(1, id);
    STEWARD_ASSIGN_OR_RETURN(bool row, s.Step("read alert"));
    if (!row) return std::optional<Alert>();
    return std::optional<Alert>(ReadAlert(s));
  }

  Result<int64_t> InsertAlert(const Alert& a) override {
    STEWARD_ASSIGN_OR_RETURN(
        sqlite3_stmt * raw,
        conn_.Prepare("INSERT INTO alerts (fingerprint, rule, labels, severity, summary, "
                      "detail, job_id, state, count, first_seen, last_seen, "
                      "last_notified_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'open', ?8, "
                      "?9, ?10, ?11)"));
    Stmt s(conn_, raw);
    s.Bind(1, a.fingerprint);
    s.Bind(2, a.rule);
    s.Bind(3, a.labels_json);
    s.Bind(4, a.severity);
    s.Bind(5, a.summary);
    s.Bind(6, a.detail);
    s.Bind(7, a.job_id);
    s.Bind(8, a.count);
    s.Bind(9, a.first_seen);
    s.Bind(10, a.last_seen);
    s.Bind(11, a.last_notified_at);
    STEWARD_RETURN_IF_ERROR(s.Run("open alert"));
    return static_cast<int64_t>(sqlite3_last_insert_rowid(conn_.db()));
  }

  Status UpdateAlert(const Alert& a) override {
    STEWARD_ASSIGN_OR_RETURN(
        sqlite3_stmt * raw,
        conn_.Prepare("UPDATE alerts SET count = ?2, last_seen = ?3, summary = ?4, detail = ?5, "
                      "job_id = ?6, last_notified_at = ?7, state = ?8, resolved_at = ?9, "
                      "acked_at = ?10, acked_by = ?11, silenced_until = ?12 WHERE id = ?1"));
    Stmt s(conn_, raw);
    s.Bind(1, a.id);
    s.Bind(2, a.count);
    s.Bind(3, a.last_seen);
    s.Bind(4, a.summary);
    s.Bind(5, a.detail);
    s.Bind(6, a.job_id);
    s.Bind(7, a.last_notified_at);
    s.Bind(8, a.open ? "open" : "resolved");
    s.Bind(9, a.resolved_at);
    s.Bind(10, a.acked_at);
    if (a.acked_at) s.Bind(11, a.acked_by);
    s.Bind(12, a.silenced_until);
    return s.Run("update alert");
  }

  Result<std::vector<int64_t>> InsertOutbox(
      std::optional<int64_t> alert_id, const std::string& event,
      std::span<const std::pair<std::string, std::string>> rows, Timestamp now) override {
    STEWARD_ASSIGN_OR_RETURN(
        sqlite3_stmt * raw,
        conn_.Prepare("INSERT INTO alert_outbox (alert_id, channel, event, payload, created_at, "
                      "next_attempt_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)"));
    std::vector<int64_t> ids;
    for (const auto& [channel, payload] : rows) {
      Stmt s(conn_, raw);
      s.Bind(1, alert_id);
      s.Bind(2, channel);
      s.Bind(3, event);
      s.Bind(4, payload);
      s.Bind(5, now);
      STEWARD_RETURN_IF_ERROR(s.Run("enqueue notification"));
      ids.push_back(sqlite3_last_insert_rowid(conn_.db()));
    }
    return ids;
  }

  Status LockDedupKey(const std::string& /*dedup_key*/) override { return Status::Ok(); }

  Result<bool> OutboxKeyWritten(const std::string& event, const std::string& dedup_key) override {
    STEWARD_ASSIGN_OR_RETURN(
        sqlite3_stmt * raw, conn_.Prepare("SELECT 1 FROM alert_outbox WHERE event = ?1 "
                                          "AND json_extract(payload, '$.dedup_key') = ?2 LIMIT 1"));
    Stmt s(conn_, raw);
    s.Bind(1, event);
    s.Bind(2, dedup_key);
    return s.Step("look for a written key");
  }

  Status Commit() override { return txn_.Commit(); }

 private:
  Conn& conn_;
  std::lock_guard<std::mutex> lock_;
  Txn txn_;
};

}  // namespace

Status SqliteStore::RunAlertTxn(std::string_view /*label*/,
                                const std::function<Status(AlertTxn&)>& fn) {
  SqliteAlertTxn txn(*writer_);
  STEWARD_RETURN_IF_ERROR(txn.Begin());
  return fn(txn);
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

Result<Alert> SqliteStore::AlertGet(int64_t id) {
  static const std::string sql = std::string("SELECT ") + kAlertColumns + " FROM alerts WHERE id = ?1";
  std::lock_guard lock(reader_->mu());
  STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, reader_->Prepare(sql));
  Stmt s(*reader_, raw);
  s.Bind(1, id);
  STEWARD_ASSIGN_OR_RETURN(bool row, s.Step("read alert"));
  if (!row) return NotFound("alert " + std::to_string(id) + " does not exist");
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

}  // namespace steward::sqlite
