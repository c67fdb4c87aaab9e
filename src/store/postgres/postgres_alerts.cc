// PostgresStore: alerts and the notification outbox (store/alert_store.h).
//
// The alert rules run in store/alert_ops.cc over PgAlertTxn: the open alert
// is locked (FOR UPDATE) so concurrent upserts from many nodes serialise on
// it, and the outbox rows are inserted before COMMIT. Claims use FOR UPDATE
// SKIP LOCKED plus a lease.
#include <algorithm>
#include <string>
#include <vector>

#include "store/postgres/pg_conn.h"
#include "store/postgres/pg_errors.h"
#include "store/postgres/postgres_store.h"

namespace steward {

using pg::Exec;
using pg::Params;

namespace {

constexpr const char* kAlertColumns =
    "id, fingerprint, rule, labels::text, severity, summary, detail, job_id, state, count, "
    "us(first_seen), us(last_seen), us(last_notified_at), us(resolved_at), us(acked_at), "
    "acked_by, us(silenced_until)";

Alert RowToAlert(const PGresult* r, int row) {
  Alert a;
  a.id = pg::GetInt64(r, row, 0);
  a.fingerprint = pg::GetText(r, row, 1);
  a.rule = pg::GetText(r, row, 2);
  a.labels_json = pg::GetText(r, row, 3);
  a.severity = pg::GetText(r, row, 4);
  a.summary = pg::GetText(r, row, 5);
  a.detail = pg::GetText(r, row, 6);
  a.job_id = pg::GetOptInt64(r, row, 7);
  a.open = pg::GetText(r, row, 8) == "open";
  a.count = pg::GetInt64(r, row, 9);
  a.first_seen = pg::GetTime(r, row, 10);
  a.last_seen = pg::GetTime(r, row, 11);
  a.last_notified_at = pg::GetTime(r, row, 12);
  a.resolved_at = pg::GetOptTime(r, row, 13);
  a.acked_at = pg::GetOptTime(r, row, 14);
  a.acked_by = pg::GetOptText(r, row, 15).value_or("");
  a.silenced_until = pg::GetOptTime(r, row, 16);
  return a;
}

constexpr const char* kOutboxColumns =
    "o.id, o.alert_id, o.channel, o.event, o.payload::text, us(o.created_at), o.attempts, "
    "us(o.next_attempt_at), o.lease_owner, us(o.lease_until), us(o.delivered_at), "
    "us(o.failed_at), o.last_error, coalesce(a.count, 0), us(a.last_seen)";

OutboxRow RowToOutbox(const PGresult* r, int row) {
  OutboxRow o;
  o.id = pg::GetInt64(r, row, 0);
  o.alert_id = pg::GetOptInt64(r, row, 1);
  o.channel = pg::GetText(r, row, 2);
  o.event = pg::GetText(r, row, 3);
  o.payload_json = pg::GetText(r, row, 4);
  o.created_at = pg::GetTime(r, row, 5);
  o.attempts = pg::GetInt(r, row, 6);
  o.next_attempt_at = pg::GetTime(r, row, 7);
  o.lease_owner = pg::GetOptText(r, row, 8);
  o.lease_until = pg::GetOptTime(r, row, 9);
  o.delivered_at = pg::GetOptTime(r, row, 10);
  o.failed_at = pg::GetOptTime(r, row, 11);
  o.last_error = pg::GetOptText(r, row, 12);
  o.alert_count = pg::GetInt64(r, row, 13);
  o.alert_last_seen = pg::GetOptTime(r, row, 14);
  return o;
}

class PgAlertTxn final : public AlertTxn {
 public:
  explicit PgAlertTxn(pg::PooledConn conn) : conn_(std::move(conn)) {}
  // Returning the connection to the pool rolls back an open transaction.

  Status Begin() { return Exec(c(), "alerts: begin", "BEGIN").status(); }

  Result<std::optional<Alert>> SelectOpenAlert(const std::string& fingerprint) override {
    // FOR UPDATE: concurrent upserts of one alert from many nodes serialise.
    const std::string sql = std::string("SELECT ") + kAlertColumns +
                            " FROM alerts WHERE fingerprint = $1 AND state = 'open' FOR UPDATE";
    STEWARD_ASSIGN_OR_RETURN(
        auto r, Exec(c(), "reading open alert", sql.c_str(), Params().Add(fingerprint)));
    if (PQntuples(r.get()) == 0) return std::optional<Alert>();
    return std::optional<Alert>(RowToAlert(r.get(), 0));
  }

  Result<std::optional<Alert>> SelectAlert(int64_t id) override {
    const std::string sql = std::string("SELECT ") + kAlertColumns +
                            " FROM alerts WHERE id = $1 FOR UPDATE";
    STEWARD_ASSIGN_OR_RETURN(auto r, Exec(c(), "reading alert", sql.c_str(), Params().Add(id)));
    if (PQntuples(r.get()) == 0) return std::optional<Alert>();
    return std::optional<Alert>(RowToAlert(r.get(), 0));
  }

  Result<int64_t> InsertAlert(const Alert& a) override {
    // A concurrent opener collides on the partial unique index of open
    // alerts: 23505, kAlreadyExists.
    STEWARD_ASSIGN_OR_RETURN(
        auto r, Exec(c(), "opening alert",
                     "INSERT INTO alerts (fingerprint, rule, labels, severity, summary, detail, "
                     "job_id, state, count, first_seen, last_seen, last_notified_at) VALUES "
                     "($1, $2, $3::jsonb, $4, $5, $6, $7, 'open', $8, ts($9), ts($10), ts($11)) "
                     "RETURNING id",
                     Params()
                         .Add(a.fingerprint)
                         .Add(a.rule)
                         .Add(a.labels_json)
                         .Add(a.severity)
                         .Add(a.summary)
                         .Add(a.detail)
                         .Add(a.job_id)
                         .Add(a.count)
                         .Add(a.first_seen)
                         .Add(a.last_seen)
                         .Add(a.last_notified_at)));
    return pg::GetInt64(r.get(), 0, 0);
  }

  Status UpdateAlert(const Alert& a) override {
    return Exec(c(), "updating alert",
                "UPDATE alerts SET count = $2, last_seen = ts($3), summary = $4, detail = $5, "
                "job_id = $6, last_notified_at = ts($7), state = $8, resolved_at = ts($9), "
                "acked_at = ts($10), acked_by = $11, silenced_until = ts($12) WHERE id = $1",
                Params()
                    .Add(a.id)
                    .Add(a.count)
                    .Add(a.last_seen)
                    .Add(a.summary)
                    .Add(a.detail)
                    .Add(a.job_id)
                    .Add(a.last_notified_at)
                    .Add(std::string(a.open ? "open" : "resolved"))
                    .Add(a.resolved_at)
                    .Add(a.acked_at)
                    .Add(a.acked_at ? std::optional<std::string>(a.acked_by) : std::nullopt)
                    .Add(a.silenced_until))
        .status();
  }

  Result<std::vector<int64_t>> InsertOutbox(
      std::optional<int64_t> alert_id, const std::string& event,
      std::span<const std::pair<std::string, std::string>> rows, Timestamp now) override {
    std::vector<int64_t> ids;
    if (rows.empty()) return ids;
    std::vector<std::string> channels, payloads;
    for (const auto& [channel, payload] : rows) {
      channels.push_back(channel);
      payloads.push_back(payload);
    }
    STEWARD_ASSIGN_OR_RETURN(
        auto r, Exec(c(), "enqueueing notifications",
                     "INSERT INTO alert_outbox (alert_id, channel, event, payload, created_at, "
                     "next_attempt_at) SELECT $1::int8, ch, $4, pl::jsonb, ts($5), ts($5) "
                     "FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS t(ch, pl, ord) "
                     "ORDER BY ord RETURNING id",
                     Params()
                         .Add(alert_id)
                         .Add(pg::TextArray(std::span<const std::string>(channels)))
                         .Add(pg::TextArray(std::span<const std::string>(payloads)))
                         .Add(event)
                         .Add(now)));
    for (int i = 0; i < PQntuples(r.get()); ++i) ids.push_back(pg::GetInt64(r.get(), i, 0));
    // Ids come from one sequence in insertion (= row) order; RETURNING's
    // order is not guaranteed.
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  Status LockDedupKey(const std::string& dedup_key) override {
    // Transaction-scoped, in the two-key form (apart from the migration lock).
    return Exec(c(), "locking the dedup key",
                "SELECT pg_advisory_xact_lock(hashtext('steward.outbox_once'), hashtext($1))",
                Params().Add(dedup_key))
        .status();
  }

  Result<bool> OutboxKeyWritten(const std::string& event, const std::string& dedup_key) override {
    STEWARD_ASSIGN_OR_RETURN(
        auto r, Exec(c(), "looking for a written key",
                     "SELECT 1 FROM alert_outbox WHERE event = $1 AND payload->>'dedup_key' = $2 "
                     "LIMIT 1",
                     Params().Add(event).Add(dedup_key)));
    return PQntuples(r.get()) > 0;
  }

  Status Commit() override { return Exec(c(), "alerts: commit", "COMMIT").status(); }

 private:
  PGconn* c() const { return conn_.get(); }
  pg::PooledConn conn_;
};

}  // namespace

Status PostgresStore::RunAlertTxn(std::string_view label,
                                  const std::function<Status(AlertTxn&)>& fn) {
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn(label));
  PgAlertTxn txn(std::move(conn));
  STEWARD_RETURN_IF_ERROR(txn.Begin());
  return fn(txn);
}

Result<Alert> PostgresStore::AlertGet(int64_t id) {
  const std::string sql = std::string("SELECT ") + kAlertColumns + " FROM alerts WHERE id = $1";
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("AlertGet"));
  STEWARD_ASSIGN_OR_RETURN(auto r, Exec(conn.get(), "reading alert", sql.c_str(), Params().Add(id)));
  if (PQntuples(r.get()) == 0) return NotFound("alert " + std::to_string(id) + " does not exist");
  return RowToAlert(r.get(), 0);
}

Result<Alert> PostgresStore::AlertGetOpen(const std::string& fingerprint) {
  const std::string sql = std::string("SELECT ") + kAlertColumns +
                          " FROM alerts WHERE fingerprint = $1 AND state = 'open'";
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("AlertGetOpen"));
  STEWARD_ASSIGN_OR_RETURN(auto r, Exec(conn.get(), "reading alert", sql.c_str(),
                                        Params().Add(fingerprint)));
  if (PQntuples(r.get()) == 0) return NotFound("no open alert " + fingerprint);
  return RowToAlert(r.get(), 0);
}

Result<std::vector<Alert>> PostgresStore::AlertList(bool open_only, int limit) {
  const std::string sql = std::string("SELECT ") + kAlertColumns +
                          " FROM alerts WHERE (NOT $1::bool OR state = 'open') "
                          "ORDER BY id DESC LIMIT $2";
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("AlertList"));
  STEWARD_ASSIGN_OR_RETURN(auto r, Exec(conn.get(), "listing alerts", sql.c_str(),
                                        Params().Add(open_only).Add(limit)));
  std::vector<Alert> out;
  for (int i = 0; i < PQntuples(r.get()); ++i) out.push_back(RowToAlert(r.get(), i));
  return out;
}

Result<std::vector<OutboxRow>> PostgresStore::OutboxClaim(const OutboxClaimParams& p) {
  if (p.limit <= 0) return InvalidArgument("outbox claim limit must be > 0");
  // SKIP LOCKED lets notifiers on many nodes claim side by side; the lease
  // columns (not the row lock) keep a row theirs after the statement. A row
  // waits while an earlier row of the same alert and channel is pending, so
  // an alert's messages arrive in order.
  const std::string sql = std::string(R"sql(
WITH picked AS (
  SELECT o.id FROM alert_outbox o
   WHERE o.delivered_at IS NULL AND o.failed_at IS NULL AND o.next_attempt_at <= ts($2)
     AND (o.lease_until IS NULL OR o.lease_until <= ts($2))
     AND (o.alert_id IS NULL OR NOT EXISTS (
          SELECT 1 FROM alert_outbox e
           WHERE e.alert_id = o.alert_id AND e.channel = o.channel AND e.id < o.id
             AND e.delivered_at IS NULL AND e.failed_at IS NULL))
   ORDER BY o.id
   LIMIT $4
   FOR UPDATE OF o SKIP LOCKED
), claimed AS (
  UPDATE alert_outbox u SET lease_owner = $1, lease_until = ts($3), attempts = u.attempts + 1
    FROM picked WHERE u.id = picked.id
  RETURNING u.*
)
SELECT )sql") + kOutboxColumns +
                          " FROM claimed o LEFT JOIN alerts a ON a.id = o.alert_id ORDER BY o.id";
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("OutboxClaim"));
  STEWARD_ASSIGN_OR_RETURN(
      auto r, Exec(conn.get(), "claiming notifications", sql.c_str(),
                   Params().Add(p.owner).Add(p.now).Add(p.lease_until).Add(p.limit)));
  std::vector<OutboxRow> out;
  for (int i = 0; i < PQntuples(r.get()); ++i) out.push_back(RowToOutbox(r.get(), i));
  return out;
}

Result<bool> PostgresStore::OutboxMarkDelivered(int64_t id, const std::string& owner,
                                                Timestamp now) {
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("OutboxMarkDelivered"));
  STEWARD_ASSIGN_OR_RETURN(
      auto r, Exec(conn.get(), "marking notification delivered",
                   "UPDATE alert_outbox SET delivered_at = ts($3), lease_owner = NULL, "
                   "lease_until = NULL, last_error = NULL "
                   "WHERE id = $1 AND lease_owner = $2 AND delivered_at IS NULL",
                   Params().Add(id).Add(owner).Add(now)));
  return std::string(PQcmdTuples(r.get())) == "1";
}

Result<bool> PostgresStore::OutboxMarkFailed(int64_t id, const std::string& owner, Timestamp now,
                                             Timestamp next_attempt_at, const std::string& error,
                                             bool permanent) {
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("OutboxMarkFailed"));
  STEWARD_ASSIGN_OR_RETURN(
      auto r, Exec(conn.get(), "marking notification failed",
                   "UPDATE alert_outbox SET lease_owner = NULL, lease_until = NULL, "
                   "next_attempt_at = ts($4), last_error = $5, "
                   "failed_at = CASE WHEN $6::bool THEN ts($3) END "
                   "WHERE id = $1 AND lease_owner = $2 AND delivered_at IS NULL",
                   Params().Add(id).Add(owner).Add(now).Add(next_attempt_at).Add(error).Add(
                       permanent)));
  return std::string(PQcmdTuples(r.get())) == "1";
}

Result<int> PostgresStore::OutboxRelease(std::span<const int64_t> ids, const std::string& owner) {
  if (ids.empty()) return 0;
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("OutboxRelease"));
  STEWARD_ASSIGN_OR_RETURN(
      auto r, Exec(conn.get(), "releasing notifications",
                   "UPDATE alert_outbox SET lease_owner = NULL, lease_until = NULL, "
                   "attempts = greatest(attempts - 1, 0) "
                   "WHERE id = ANY($1::int8[]) AND lease_owner = $2 AND delivered_at IS NULL "
                   "AND failed_at IS NULL",
                   Params().Add(pg::IntArray(ids)).Add(owner)));
  return std::stoi(PQcmdTuples(r.get()));
}

Result<std::vector<OutboxRow>> PostgresStore::OutboxList(const OutboxListParams& p) {
  const std::string sql = std::string("SELECT ") + kOutboxColumns +
                          " FROM alert_outbox o LEFT JOIN alerts a ON a.id = o.alert_id "
                          "WHERE ($1::text IS NULL OR o.channel = $1) AND (NOT $2::bool OR "
                          "(o.delivered_at IS NULL AND o.failed_at IS NULL)) "
                          "ORDER BY o.id LIMIT $3";
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("OutboxList"));
  STEWARD_ASSIGN_OR_RETURN(
      auto r, Exec(conn.get(), "listing notifications", sql.c_str(),
                   Params().Add(p.channel).Add(p.undelivered_only).Add(p.limit)));
  std::vector<OutboxRow> out;
  for (int i = 0; i < PQntuples(r.get()); ++i) out.push_back(RowToOutbox(r.get(), i));
  return out;
}

Result<int> PostgresStore::OutboxDeleteFinished(Timestamp before, int limit) {
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("OutboxDeleteFinished"));
  STEWARD_ASSIGN_OR_RETURN(
      auto r, Exec(conn.get(), "deleting finished notifications",
                   "DELETE FROM alert_outbox WHERE id IN (SELECT id FROM alert_outbox "
                   "WHERE coalesce(delivered_at, failed_at) < ts($1) LIMIT $2)",
                   Params().Add(before).Add(limit)));
  return std::atoi(PQcmdTuples(r.get()));
}

// --- daily digest -------------------------------------------------------------

Result<ActivitySummary> PostgresStore::ActivitySummarize(const ActivitySummarizeParams& p) {
  // One statement, so every count comes from one snapshot. Finished jobs go
  // through jobs_finished_idx (the same state predicate).
  const std::string sql = std::string(R"sql(
WITH finished AS (
  SELECT queue, count(*) FILTER (WHERE state = 'completed') AS completed,
         count(*) FILTER (WHERE state = 'discarded') AS discarded,
         count(*) FILTER (WHERE state = 'cancelled') AS cancelled
    FROM jobs WHERE state IN ('completed', 'discarded', 'cancelled')
     AND finished_at >= ts($1) AND finished_at < ts($2) GROUP BY queue
), errors AS (
  -- Attempt errors live in jobs.errors (jsonb, "at" in micros). A job with
  -- an error in the window is unfinished or finished after it.
  SELECT j.queue, count(*) AS failed FROM jobs j, jsonb_array_elements(j.errors) e
   WHERE (j.state NOT IN ('completed', 'discarded', 'cancelled') OR j.finished_at >= ts($1))
     AND j.errors <> '[]'::jsonb
     AND (e->>'at')::bigint >= $1::bigint AND (e->>'at')::bigint < $2::bigint
   GROUP BY j.queue
)
SELECT coalesce(f.queue, e.queue), coalesce(f.completed, 0), coalesce(f.discarded, 0),
       coalesce(f.cancelled, 0), coalesce(e.failed, 0)
  FROM finished f FULL JOIN errors e ON e.queue = f.queue ORDER BY 1)sql");
  const std::string counts =
      "SELECT count(*) FILTER (WHERE first_seen >= ts($1) AND first_seen < ts($2)), "
      "count(*) FILTER (WHERE resolved_at >= ts($1) AND resolved_at < ts($2)) FROM alerts";
  const std::string alerts = std::string("SELECT ") + kAlertColumns +
                             " FROM alerts WHERE (first_seen >= ts($1) AND first_seen < ts($2)) "
                             "OR (resolved_at >= ts($1) AND resolved_at < ts($2)) ORDER BY id DESC LIMIT $3";
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("ActivitySummarize"));
  PGconn* c = conn.get();
  STEWARD_ASSIGN_OR_RETURN(auto begin, Exec(c, "summarizing activity",
                                            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
  ActivitySummary out;
  STEWARD_ASSIGN_OR_RETURN(auto q, Exec(c, "summarizing jobs", sql.c_str(), Params().Add(p.since).Add(p.until)));
  for (int i = 0; i < PQntuples(q.get()); ++i) {
    QueueActivity a;
    a.queue = pg::GetText(q.get(), i, 0);
    a.completed = pg::GetInt64(q.get(), i, 1);
    a.discarded = pg::GetInt64(q.get(), i, 2);
    a.cancelled = pg::GetInt64(q.get(), i, 3);
    a.failed_attempts = pg::GetInt64(q.get(), i, 4);
    out.queues.push_back(std::move(a));
  }
  STEWARD_ASSIGN_OR_RETURN(auto n, Exec(c, "counting alerts", counts.c_str(), Params().Add(p.since).Add(p.until)));
  out.alerts_opened = pg::GetInt64(n.get(), 0, 0);
  out.alerts_resolved = pg::GetInt64(n.get(), 0, 1);
  STEWARD_ASSIGN_OR_RETURN(auto l, Exec(c, "listing alerts of the window", alerts.c_str(),
                                        Params().Add(p.since).Add(p.until).Add(p.alert_limit)));
  for (int i = 0; i < PQntuples(l.get()); ++i) out.alerts.push_back(RowToAlert(l.get(), i));
  STEWARD_ASSIGN_OR_RETURN(auto commit, Exec(c, "summarizing activity", "COMMIT"));
  return out;
}

}  // namespace steward
