// PostgresStore: ScheduleStore. Each call is one transaction on one pooled
// connection, exposed to the shared algorithms in store/schedule_ops.cc as a
// ScheduleTxn. Due schedules are claimed with FOR UPDATE SKIP LOCKED, so
// nodes firing at the same moment each take different schedules and none
// waits; the job insert, overlap handling and next_fire_at advance commit
// together.
#include <set>
#include <string>

#include "store/postgres/pg_conn.h"
#include "store/postgres/postgres_store.h"
#include "store/schedule_ops.h"

namespace steward {

using pg::Exec;
using pg::Params;

namespace {

constexpr const char* kScheduleSelect =
    "SELECT name, cron, time_zone, kind, queue, payload, priority, max_attempts, catch_up, "
    "max_catch_up, overlap, grace_us, enabled, paused, source, us(next_fire_at), "
    "us(last_fired_at), us(last_success_at), us(last_failure_at), consecutive_failures, "
    "skipped_count, last_job_id, us(created_at), us(updated_at) FROM schedules ";
constexpr const char* kCheckSelect =
    "SELECT name, period_us, cron, time_zone, grace_us, source, schedule, state, "
    "notified_state, started, us(started_at), last_rid, us(last_ping_at), last_ping_kind, "
    "last_exit_status, last_ping_body, us(last_success_at), ping_count, us(created_at), "
    "us(updated_at) FROM checks ";

Result<std::vector<Schedule>> RowsToSchedules(const PGresult* r) {
  std::vector<Schedule> out;
  for (int i = 0; i < PQntuples(r); ++i) {
    Schedule s;
    s.spec.name = pg::GetText(r, i, 0);
    s.spec.cron = pg::GetText(r, i, 1);
    s.spec.time_zone = pg::GetText(r, i, 2);
    s.spec.kind = pg::GetText(r, i, 3);
    s.spec.queue = pg::GetText(r, i, 4);
    s.spec.payload = pg::GetText(r, i, 5);
    s.spec.priority = pg::GetInt(r, i, 6);
    s.spec.max_attempts = pg::GetInt(r, i, 7);
    const std::string catch_up = pg::GetText(r, i, 8), overlap = pg::GetText(r, i, 10);
    STEWARD_ASSIGN_OR_RETURN(s.spec.catch_up,
                             schedule_ops::StoredEnum(ParseCatchUpPolicy(catch_up), "schedule",
                                                      s.spec.name, "catch_up", catch_up));
    s.spec.max_catch_up = pg::GetInt(r, i, 9);
    STEWARD_ASSIGN_OR_RETURN(s.spec.overlap,
                             schedule_ops::StoredEnum(ParseOverlapPolicy(overlap), "schedule",
                                                      s.spec.name, "overlap", overlap));
    s.spec.grace = Micros(pg::GetInt64(r, i, 11));
    s.spec.enabled = pg::GetBool(r, i, 12);
    s.paused = pg::GetBool(r, i, 13);
    s.spec.source = pg::GetText(r, i, 14);
    s.next_fire_at = pg::GetOptTime(r, i, 15);
    s.last_fired_at = pg::GetOptTime(r, i, 16);
    s.last_success_at = pg::GetOptTime(r, i, 17);
    s.last_failure_at = pg::GetOptTime(r, i, 18);
    s.consecutive_failures = pg::GetInt(r, i, 19);
    s.skipped_count = pg::GetInt64(r, i, 20);
    s.last_job_id = pg::GetOptInt64(r, i, 21);
    s.created_at = pg::GetTime(r, i, 22);
    s.updated_at = pg::GetTime(r, i, 23);
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<Check>> RowsToChecks(const PGresult* r) {
  std::vector<Check> out;
  for (int i = 0; i < PQntuples(r); ++i) {
    Check c;
    c.spec.name = pg::GetText(r, i, 0);
    if (auto p = pg::GetOptInt64(r, i, 1)) c.spec.period = Micros(*p);
    c.spec.cron = pg::GetText(r, i, 2);
    c.spec.time_zone = pg::GetText(r, i, 3);
    c.spec.grace = Micros(pg::GetInt64(r, i, 4));
    c.spec.source = pg::GetText(r, i, 5);
    c.spec.schedule = pg::GetOptText(r, i, 6);
    const std::string state = pg::GetText(r, i, 7), notified = pg::GetText(r, i, 8);
    STEWARD_ASSIGN_OR_RETURN(c.state, schedule_ops::StoredEnum(ParseCheckState(state), "check",
                                                               c.spec.name, "state", state));
    STEWARD_ASSIGN_OR_RETURN(
        c.notified_state, schedule_ops::StoredEnum(ParseCheckState(notified), "check", c.spec.name,
                                                   "notified_state", notified));
    c.started = pg::GetBool(r, i, 9);
    c.started_at = pg::GetOptTime(r, i, 10);
    c.last_rid = pg::GetOptText(r, i, 11);
    c.last_ping_at = pg::GetOptTime(r, i, 12);
    c.last_ping_kind = pg::GetText(r, i, 13);
    if (auto e = pg::GetOptInt64(r, i, 14)) c.last_exit_status = static_cast<int>(*e);
    c.last_ping_body = pg::GetText(r, i, 15);
    c.last_success_at = pg::GetOptTime(r, i, 16);
    c.ping_count = pg::GetInt64(r, i, 17);
    c.created_at = pg::GetTime(r, i, 18);
    c.updated_at = pg::GetTime(r, i, 19);
    out.push_back(std::move(c));
  }
  return out;
}

class PgScheduleTxn final : public ScheduleTxn {
 public:
  explicit PgScheduleTxn(pg::PooledConn conn) : conn_(std::move(conn)) {}
  // Returning the connection to the pool rolls back an open transaction.

  Status Begin() { return Exec(c(), "schedules: begin", "BEGIN").status(); }

  Result<std::vector<Schedule>> SelectSchedules(std::optional<std::string_view> name,
                                                bool for_update) override {
    std::string sql = kScheduleSelect;
    Params p;
    if (name) {
      sql += "WHERE name = $1";
      p.Add(*name);
    } else {
      sql += "ORDER BY name";
    }
    if (for_update) sql += " FOR UPDATE";
    STEWARD_ASSIGN_OR_RETURN(auto r, Exec(c(), "selecting schedules", sql.c_str(), p));
    return RowsToSchedules(r.get());
  }

  Result<std::vector<Schedule>> SelectDueSchedules(Timestamp now, int limit) override {
    const std::string sql = std::string(kScheduleSelect) +
                            "WHERE enabled AND NOT paused AND next_fire_at IS NOT NULL AND "
                            "next_fire_at <= ts($1) ORDER BY next_fire_at LIMIT $2 "
                            "FOR UPDATE SKIP LOCKED";
    STEWARD_ASSIGN_OR_RETURN(
        auto r, Exec(c(), "claiming due schedules", sql.c_str(), Params().Add(now).Add(limit)));
    return RowsToSchedules(r.get());
  }

  Result<std::optional<Timestamp>> MinNextFireAt() override {
    STEWARD_ASSIGN_OR_RETURN(
        auto r, Exec(c(), "next fire time",
                     "SELECT us(min(next_fire_at)) FROM schedules WHERE enabled AND NOT paused "
                     "AND next_fire_at IS NOT NULL"));
    return pg::GetOptTime(r.get(), 0, 0);
  }

  Status SaveSchedule(const Schedule& s) override {
    static constexpr const char* kSql = R"sql(
INSERT INTO schedules (name, cron, time_zone, kind, queue, payload, priority, max_attempts,
  catch_up, max_catch_up, overlap, grace_us, enabled, paused, source, next_fire_at,
  last_fired_at, last_success_at, last_failure_at, consecutive_failures, skipped_count,
  last_job_id, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, ts($16), ts($17),
  ts($18), ts($19), $20, $21, $22, ts($23), ts($24))
ON CONFLICT (name) DO UPDATE SET cron = EXCLUDED.cron, time_zone = EXCLUDED.time_zone,
  kind = EXCLUDED.kind, queue = EXCLUDED.queue, payload = EXCLUDED.payload,
  priority = EXCLUDED.priority, max_attempts = EXCLUDED.max_attempts,
  catch_up = EXCLUDED.catch_up, max_catch_up = EXCLUDED.max_catch_up,
  overlap = EXCLUDED.overlap, grace_us = EXCLUDED.grace_us, enabled = EXCLUDED.enabled,
  paused = EXCLUDED.paused, source = EXCLUDED.source, next_fire_at = EXCLUDED.next_fire_at,
  last_fired_at = EXCLUDED.last_fired_at, last_success_at = EXCLUDED.last_success_at,
  last_failure_at = EXCLUDED.last_failure_at,
  consecutive_failures = EXCLUDED.consecutive_failures,
  skipped_count = EXCLUDED.skipped_count, last_job_id = EXCLUDED.last_job_id,
  updated_at = EXCLUDED.updated_at
)sql";
    Params p;
    p.Add(s.spec.name).Add(s.spec.cron).Add(s.spec.time_zone).Add(s.spec.kind).Add(s.spec.queue);
    p.Add(s.spec.payload).Add(s.spec.priority).Add(s.spec.max_attempts);
    p.Add(CatchUpPolicyName(s.spec.catch_up)).Add(s.spec.max_catch_up);
    p.Add(OverlapPolicyName(s.spec.overlap)).Add(static_cast<int64_t>(s.spec.grace.count()));
    p.Add(s.spec.enabled).Add(s.paused).Add(s.spec.source).Add(s.next_fire_at);
    p.Add(s.last_fired_at).Add(s.last_success_at).Add(s.last_failure_at);
    p.Add(s.consecutive_failures).Add(s.skipped_count).Add(s.last_job_id);
    p.Add(s.created_at).Add(s.updated_at);
    return Exec(c(), "saving schedule", kSql, p).status();
  }

  Status DeleteSchedule(std::string_view name) override {
    return Exec(c(), "deleting schedule", "DELETE FROM schedules WHERE name = $1",
                Params().Add(name))
        .status();
  }

  Result<std::vector<std::pair<int64_t, bool>>> UnfinishedJobsByKeyPrefix(
      const std::string& prefix) override {
    std::string end = prefix;
    end.back() = static_cast<char>(end.back() + 1);
    // COLLATE "C": a byte-wise range, whatever the database's collation.
    STEWARD_ASSIGN_OR_RETURN(
        auto r, Exec(c(), "finding live schedule jobs",
                     "SELECT id, state = 'running' FROM jobs WHERE unique_key COLLATE \"C\" >= $1 "
                     "AND unique_key COLLATE \"C\" < $2 AND unique_key IS NOT NULL AND state NOT "
                     "IN ('completed', 'discarded', 'cancelled') ORDER BY id FOR UPDATE",
                     Params().Add(prefix).Add(end)));
    std::vector<std::pair<int64_t, bool>> out;
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      out.emplace_back(pg::GetInt64(r.get(), i, 0), pg::GetBool(r.get(), i, 1));
    }
    return out;
  }

  Status CancelJob(int64_t id, Timestamp now) override {
    return Exec(c(), "cancelling replaced schedule job",
                "UPDATE jobs SET state = CASE WHEN state = 'running' THEN 'running' ELSE "
                "'cancelled' END, cancel_requested = (state = 'running') OR cancel_requested, "
                "finished_at = CASE WHEN state = 'running' THEN finished_at ELSE ts($2) END "
                "WHERE id = $1 AND state NOT IN ('completed', 'discarded', 'cancelled')",
                Params().Add(id).Add(now))
        .status();
  }

  Result<std::optional<int64_t>> InsertJob(const NewJob& job, Timestamp now) override {
    STEWARD_RETURN_IF_ERROR(ValidateNewJob(job));
    const Timestamp run_at = job.run_at.value_or(now);
    Params p;
    p.Add(job.queue).Add(job.kind).Add(job.payload).Add(job.priority).Add(run_at);
    p.Add(job.max_attempts).Add(run_at > now ? "scheduled" : "available").Add(job.unique_key);
    p.Add(now);
    STEWARD_ASSIGN_OR_RETURN(
        auto r, Exec(c(), "inserting schedule job",
                     "INSERT INTO jobs (queue, kind, payload, priority, run_at, attempt, "
                     "max_attempts, state, unique_key, created_at) VALUES ($1, $2, $3::json, $4, "
                     "ts($5), 0, $6, $7, $8, ts($9)) ON CONFLICT DO NOTHING RETURNING id",
                     p));
    if (PQntuples(r.get()) == 0) return std::optional<int64_t>();
    return std::optional<int64_t>(pg::GetInt64(r.get(), 0, 0));
  }

  Result<std::vector<Check>> SelectChecks(std::optional<std::string_view> name,
                                          bool for_update) override {
    std::string sql = kCheckSelect;
    Params p;
    if (name) {
      sql += "WHERE name = $1";
      p.Add(*name);
    } else {
      sql += "ORDER BY name";
    }
    // All rows for update is CheckEvaluate, run by every node each second:
    // skip rows another node is evaluating instead of queueing behind it.
    if (for_update) sql += name ? " FOR UPDATE" : " FOR UPDATE SKIP LOCKED";
    STEWARD_ASSIGN_OR_RETURN(auto r, Exec(c(), "selecting checks", sql.c_str(), p));
    return RowsToChecks(r.get());
  }

  Status SaveCheck(const Check& k) override {
    static constexpr const char* kSql = R"sql(
INSERT INTO checks (name, period_us, cron, time_zone, grace_us, source, schedule, state,
  notified_state, started, started_at, last_rid, last_ping_at, last_ping_kind, last_exit_status,
  last_ping_body, last_success_at, ping_count, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, ts($11), $12, ts($13), $14, $15, $16, ts($17),
  $18, ts($19), ts($20))
ON CONFLICT (name) DO UPDATE SET period_us = EXCLUDED.period_us, cron = EXCLUDED.cron,
  time_zone = EXCLUDED.time_zone, grace_us = EXCLUDED.grace_us, source = EXCLUDED.source,
  schedule = EXCLUDED.schedule, state = EXCLUDED.state, notified_state = EXCLUDED.notified_state,
  started = EXCLUDED.started, started_at = EXCLUDED.started_at, last_rid = EXCLUDED.last_rid,
  last_ping_at = EXCLUDED.last_ping_at, last_ping_kind = EXCLUDED.last_ping_kind,
  last_exit_status = EXCLUDED.last_exit_status, last_ping_body = EXCLUDED.last_ping_body,
  last_success_at = EXCLUDED.last_success_at, ping_count = EXCLUDED.ping_count,
  updated_at = EXCLUDED.updated_at
)sql";
    Params p;
    p.Add(k.spec.name);
    if (k.spec.period) {
      p.Add(static_cast<int64_t>(k.spec.period->count()));
    } else {
      p.AddNull();
    }
    p.Add(k.spec.cron).Add(k.spec.time_zone).Add(static_cast<int64_t>(k.spec.grace.count()));
    p.Add(k.spec.source).Add(k.spec.schedule).Add(CheckStateName(k.state));
    p.Add(CheckStateName(k.notified_state)).Add(k.started).Add(k.started_at).Add(k.last_rid);
    p.Add(k.last_ping_at).Add(k.last_ping_kind).Add(k.last_exit_status).Add(k.last_ping_body);
    p.Add(k.last_success_at).Add(k.ping_count).Add(k.created_at).Add(k.updated_at);
    return Exec(c(), "saving check", kSql, p).status();
  }

  Status DeleteCheck(std::string_view name) override {
    return Exec(c(), "deleting check", "DELETE FROM checks WHERE name = $1", Params().Add(name))
        .status();
  }

  Status Commit() override { return Exec(c(), "schedules: commit", "COMMIT").status(); }

 private:
  PGconn* c() const { return conn_.get(); }
  pg::PooledConn conn_;
};

}  // namespace

Status PostgresStore::RunScheduleTxn(std::string_view label,
                                     const std::function<Status(ScheduleTxn&)>& fn) {
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn(label));
  PgScheduleTxn txn(std::move(conn));
  STEWARD_RETURN_IF_ERROR(txn.Begin());
  return fn(txn);
}

}  // namespace steward
