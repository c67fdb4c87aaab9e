// SqliteStore: ScheduleStore. Each call is one BEGIN IMMEDIATE transaction on
// the writer connection, exposed to the shared algorithms in
// store/schedule_ops.cc as a ScheduleTxn. SQLite has one writer at a time,
// so holding the write lock is the row lock: two stores (or processes) on
// the same file never claim the same due schedule.
#include <set>
#include <string>

#include "store/schedule_ops.h"
#include "store/sqlite/sqlite_store_impl.h"

namespace steward::sqlite {

namespace {

constexpr const char* kScheduleColumns =
    "name, cron, time_zone, kind, queue, payload, priority, max_attempts, catch_up, "
    "max_catch_up, overlap, grace, enabled, paused, source, next_fire_at, last_fired_at, "
    "last_success_at, last_failure_at, consecutive_failures, skipped_count, last_job_id, "
    "created_at, updated_at";
constexpr const char* kCheckColumns =
    "name, period, cron, time_zone, grace, source, schedule, state, notified_state, started, "
    "started_at, last_rid, last_ping_at, last_ping_kind, last_exit_status, last_ping_body, "
    "last_success_at, ping_count, created_at, updated_at";

std::string Placeholders(int n) {
  std::string s;
  for (int i = 1; i <= n; ++i) s += (i == 1 ? "?" : ", ?") + std::to_string(i);
  return s;
}

Result<Schedule> ReadSchedule(const Stmt& s) {
  Schedule r;
  r.spec.name = s.Text(0);
  r.spec.cron = s.Text(1);
  r.spec.time_zone = s.Text(2);
  r.spec.kind = s.Text(3);
  r.spec.queue = s.Text(4);
  r.spec.payload = s.Text(5);
  r.spec.priority = static_cast<int>(s.Int(6));
  r.spec.max_attempts = static_cast<int>(s.Int(7));
  STEWARD_ASSIGN_OR_RETURN(r.spec.catch_up,
                           schedule_ops::StoredEnum(ParseCatchUpPolicy(s.Text(8)), "schedule",
                                                    r.spec.name, "catch_up", s.Text(8)));
  r.spec.max_catch_up = static_cast<int>(s.Int(9));
  STEWARD_ASSIGN_OR_RETURN(r.spec.overlap,
                           schedule_ops::StoredEnum(ParseOverlapPolicy(s.Text(10)), "schedule",
                                                    r.spec.name, "overlap", s.Text(10)));
  r.spec.grace = Micros(s.Int(11));
  r.spec.enabled = s.Int(12) != 0;
  r.paused = s.Int(13) != 0;
  r.spec.source = s.Text(14);
  r.next_fire_at = s.OptTime(15);
  r.last_fired_at = s.OptTime(16);
  r.last_success_at = s.OptTime(17);
  r.last_failure_at = s.OptTime(18);
  r.consecutive_failures = static_cast<int>(s.Int(19));
  r.skipped_count = s.Int(20);
  if (!s.IsNull(21)) r.last_job_id = s.Int(21);
  r.created_at = s.Time(22);
  r.updated_at = s.Time(23);
  return r;
}

Result<Check> ReadCheck(const Stmt& s) {
  Check c;
  c.spec.name = s.Text(0);
  if (!s.IsNull(1)) c.spec.period = Micros(s.Int(1));
  c.spec.cron = s.Text(2);
  c.spec.time_zone = s.Text(3);
  c.spec.grace = Micros(s.Int(4));
  c.spec.source = s.Text(5);
  c.spec.schedule = s.OptText(6);
  STEWARD_ASSIGN_OR_RETURN(c.state, schedule_ops::StoredEnum(ParseCheckState(s.Text(7)), "check",
                                                             c.spec.name, "state", s.Text(7)));
  STEWARD_ASSIGN_OR_RETURN(
      c.notified_state, schedule_ops::StoredEnum(ParseCheckState(s.Text(8)), "check", c.spec.name,
                                                 "notified_state", s.Text(8)));
  c.started = s.Int(9) != 0;
  c.started_at = s.OptTime(10);
  c.last_rid = s.OptText(11);
  c.last_ping_at = s.OptTime(12);
  c.last_ping_kind = s.Text(13);
  if (!s.IsNull(14)) c.last_exit_status = static_cast<int>(s.Int(14));
  c.last_ping_body = s.Text(15);
  c.last_success_at = s.OptTime(16);
  c.ping_count = s.Int(17);
  c.created_at = s.Time(18);
  c.updated_at = s.Time(19);
  return c;
}

class SqliteScheduleTxn final : public ScheduleTxn {
 public:
  explicit SqliteScheduleTxn(Conn& conn)
      : conn_(conn), lock_(conn.mu()), txn_(conn, Txn::Mode::kWrite) {}

  Status Begin() { return txn_.Begin(); }

  Result<std::vector<Schedule>> SelectSchedules(std::optional<std::string_view> name,
                                                bool /*for_update*/) override {
    std::string sql = std::string("SELECT ") + kScheduleColumns + " FROM schedules";
    sql += name ? " WHERE name = ?1" : " ORDER BY name";
    STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn_.Prepare(sql));
    Stmt s(conn_, raw);
    if (name) s.Bind(1, *name);
    return ReadAll<Schedule>(s, ReadSchedule, "select schedules");
  }

  Result<std::vector<Schedule>> SelectDueSchedules(Timestamp now, int limit) override {
    // Repeats the partial index's WHERE so the planner uses it.
    const std::string sql = std::string("SELECT ") + kScheduleColumns +
                            " FROM schedules WHERE enabled = 1 AND paused = 0 AND "
                            "next_fire_at IS NOT NULL AND next_fire_at <= ?1 "
                            "ORDER BY next_fire_at LIMIT ?2";
    STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn_.Prepare(sql));
    Stmt s(conn_, raw);
    s.Bind(1, now);
    s.Bind(2, limit);
    return ReadAll<Schedule>(s, ReadSchedule, "select due schedules");
  }

  Result<std::optional<Timestamp>> MinNextFireAt() override {
    STEWARD_ASSIGN_OR_RETURN(
        sqlite3_stmt * raw,
        conn_.Prepare("SELECT min(next_fire_at) FROM schedules WHERE enabled = 1 AND paused = 0 "
                      "AND next_fire_at IS NOT NULL"));
    Stmt s(conn_, raw);
    STEWARD_ASSIGN_OR_RETURN(bool row, s.Step("next fire time"));
    if (!row || s.IsNull(0)) return std::optional<Timestamp>();
    return std::optional<Timestamp>(s.Time(0));
  }

  Status SaveSchedule(const Schedule& r) override {
    static const std::string sql = std::string("INSERT OR REPLACE INTO schedules (") +
                                   kScheduleColumns + ") VALUES (" + Placeholders(24) + ")";
    STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn_.Prepare(sql));
    Stmt s(conn_, raw);
    s.Bind(1, r.spec.name);
    s.Bind(2, r.spec.cron);
    s.Bind(3, r.spec.time_zone);
    s.Bind(4, r.spec.kind);
    s.Bind(5, r.spec.queue);
    s.Bind(6, r.spec.payload);
    s.Bind(7, r.spec.priority);
    s.Bind(8, r.spec.max_attempts);
    s.Bind(9, CatchUpPolicyName(r.spec.catch_up));
    s.Bind(10, r.spec.max_catch_up);
    s.Bind(11, OverlapPolicyName(r.spec.overlap));
    s.Bind(12, static_cast<int64_t>(r.spec.grace.count()));
    s.Bind(13, r.spec.enabled);
    s.Bind(14, r.paused);
    s.Bind(15, r.spec.source);
    s.Bind(16, r.next_fire_at);
    s.Bind(17, r.last_fired_at);
    s.Bind(18, r.last_success_at);
    s.Bind(19, r.last_failure_at);
    s.Bind(20, r.consecutive_failures);
    s.Bind(21, r.skipped_count);
    s.Bind(22, r.last_job_id);
    s.Bind(23, r.created_at);
    s.Bind(24, r.updated_at);
    return s.Run("save schedule");
  }

  Status DeleteSchedule(std::string_view name) override {
    STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn_.Prepare("DELETE FROM schedules WHERE name = ?1"));
    Stmt s(conn_, raw);
    s.Bind(1, name);
    return s.Run("delete schedule");
  }

  Result<std::vector<std::pair<int64_t, bool>>> UnfinishedJobsByKeyPrefix(
      const std::string& prefix) override {
    // A range on unique_key (prefix .. prefix with its last byte + 1) plus
    // the partial index's WHERE: an index range scan, not a LIKE.
    std::string end = prefix;
    end.back() = static_cast<char>(end.back() + 1);
    static const std::string sql =
        std::string("SELECT id, state = 'running' FROM jobs WHERE unique_key >= ?1 AND "
                    "unique_key < ?2 AND unique_key IS NOT NULL AND ") +
        kUnfinishedStates + " ORDER BY id";
    STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn_.Prepare(sql));
    Stmt s(conn_, raw);
    s.Bind(1, prefix);
    s.Bind(2, end);
    std::vector<std::pair<int64_t, bool>> out;
    while (true) {
      STEWARD_ASSIGN_OR_RETURN(bool row, s.Step("find live schedule jobs"));
      if (!row) break;
      out.emplace_back(s.Int(0), s.Int(1) != 0);
    }
    return out;
  }

  Status CancelJob(int64_t id, Timestamp now) override {
    static const std::string sql =
        std::string(
            "UPDATE jobs SET "
            "state = CASE WHEN state = 'running' THEN 'running' ELSE 'cancelled' END, "
            "cancel_requested = CASE WHEN state = 'running' THEN 1 ELSE cancel_requested END, "
            "finished_at = CASE WHEN state = 'running' THEN finished_at ELSE ?2 END "
            "WHERE id = ?1 AND ") +
        kUnfinishedStates;
    STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn_.Prepare(sql));
    {
      Stmt s(conn_, raw);
      s.Bind(1, id);
      s.Bind(2, now);
      STEWARD_RETURN_IF_ERROR(s.Run("cancel replaced schedule job"));
    }
    if (sqlite3_changes(conn_.db()) != 1) return Status::Ok();
    const int64_t ids[] = {id};
    return CountFinished(conn_, ids, +1);  // nothing if it was running (only flagged)
  }

  Result<std::optional<int64_t>> InsertJob(const NewJob& job, Timestamp now) override {
    STEWARD_RETURN_IF_ERROR(ValidateNewJob(job));
    static const std::string sql =
        "INSERT INTO jobs (queue, kind, payload, priority, run_at, max_attempts, state, "
        "unique_key, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
        "ON CONFLICT DO NOTHING";
    STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn_.Prepare(sql));
    const Timestamp run_at = job.run_at.value_or(now);
    {
      Stmt s(conn_, raw);
      s.Bind(1, job.queue);
      s.Bind(2, job.kind);
      s.Bind(3, job.payload);
      s.Bind(4, job.priority);
      s.Bind(5, run_at);
      s.Bind(6, job.max_attempts);
      s.Bind(7, run_at > now ? "scheduled" : "available");
      s.Bind(8, job.unique_key);
      s.Bind(9, now);
      STEWARD_RETURN_IF_ERROR(s.Run("insert schedule job"));
    }
    if (sqlite3_changes(conn_.db()) != 1) return std::optional<int64_t>();
    return std::optional<int64_t>(sqlite3_last_insert_rowid(conn_.db()));
  }

  Result<std::vector<Check>> SelectChecks(std::optional<std::string_view> name,
                                          bool /*for_update*/) override {
    std::string sql = std::string("SELECT ") + kCheckColumns + " FROM checks";
    sql += name ? " WHERE name = ?1" : " ORDER BY name";
    STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn_.Prepare(sql));
    Stmt s(conn_, raw);
    if (name) s.Bind(1, *name);
    return ReadAll<Check>(s, ReadCheck, "select checks");
  }

  Status SaveCheck(const Check& c) override {
    static const std::string sql = std::string("INSERT OR REPLACE INTO checks (") +
                                   kCheckColumns + ") VALUES (" + Placeholders(20) + ")";
    STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn_.Prepare(sql));
    Stmt s(conn_, raw);
    s.Bind(1, c.spec.name);
    if (c.spec.period) {
      s.Bind(2, static_cast<int64_t>(c.spec.period->count()));
    } else {
      s.BindNull(2);
    }
    s.Bind(3, c.spec.cron);
    s.Bind(4, c.spec.time_zone);
    s.Bind(5, static_cast<int64_t>(c.spec.grace.count()));
    s.Bind(6, c.spec.source);
    s.Bind(7, c.spec.schedule);
    s.Bind(8, CheckStateName(c.state));
    s.Bind(9, CheckStateName(c.notified_state));
    s.Bind(10, c.started);
    s.Bind(11, c.started_at);
    s.Bind(12, c.last_rid);
    s.Bind(13, c.last_ping_at);
    s.Bind(14, c.last_ping_kind);
    s.Bind(15, c.last_exit_status);
    s.Bind(16, c.last_ping_body);
    s.Bind(17, c.last_success_at);
    s.Bind(18, c.ping_count);
    s.Bind(19, c.created_at);
    s.Bind(20, c.updated_at);
    return s.Run("save check");
  }

  Status DeleteCheck(std::string_view name) override {
    STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn_.Prepare("DELETE FROM checks WHERE name = ?1"));
    Stmt s(conn_, raw);
    s.Bind(1, name);
    return s.Run("delete check");
  }

  Status Commit() override { return txn_.Commit(); }

 private:
  template <typename T, typename F>
  static Result<std::vector<T>> ReadAll(Stmt& s, F read, std::string_view what) {
    std::vector<T> out;
    while (true) {
      STEWARD_ASSIGN_OR_RETURN(bool row, s.Step(what));
      if (!row) break;
      STEWARD_ASSIGN_OR_RETURN(T value, read(s));
      out.push_back(std::move(value));
    }
    return out;
  }

  Conn& conn_;
  std::lock_guard<std::mutex> lock_;
  Txn txn_;
};

}  // namespace

Status SqliteStore::RunScheduleTxn(std::string_view /*label*/,
                                   const std::function<Status(ScheduleTxn&)>& fn) {
  SqliteScheduleTxn txn(*writer_);
  STEWARD_RETURN_IF_ERROR(txn.Begin());
  return fn(txn);
}

}  // namespace steward::sqlite
