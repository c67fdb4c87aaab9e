// SqliteStore: the DashboardStore (store/dashboard_store.h). The SQL and
// its rules are shared with PostgreSQL in store/dashboard_ops.cc; this file
// binds parameters and reads rows. Writes run on the writer connection,
// reads on the reader (WAL: they never wait for the writer).
#include <variant>

#include "store/dashboard_ops.h"
#include "store/sqlite/sqlite_store_impl.h"

namespace steward::sqlite {

namespace ops = dashboard_ops;

namespace {

void BindAll(Stmt& s, const std::vector<ops::SqlParam>& params) {
  for (size_t i = 0; i < params.size(); ++i) {
    std::visit([&](const auto& v) { s.Bind(static_cast<int>(i + 1), v); }, params[i]);
  }
}

bool StateIndexed(JobState s) { return s == JobState::kDiscarded || s == JobState::kRetryable; }

const ops::SearchDialect& Search() {
  static const ops::SearchDialect sd{
      .d = ops::kSqlite,
      .job_columns = kJobColumns,
      .latest_error = "(SELECT e.message FROM job_errors e WHERE e.job_id = j.id "
                      "ORDER BY e.id DESC LIMIT 1)",
      .latest_error_at = "(SELECT e.at FROM job_errors e WHERE e.job_id = j.id "
                         "ORDER BY e.id DESC LIMIT 1)",
      .state_indexed = &StateIndexed,
  };
  return sd;
}

// Runs `sql` on `conn` with `params`, calling on_row for each row.
template <typename F>
Status EachRow(Conn& conn, const std::string& sql, const std::vector<ops::SqlParam>& params,
               std::string_view what, const F& on_row) {
  STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn.Prepare(sql));
  Stmt s(conn, raw);
  BindAll(s, params);
  while (true) {
    STEWARD_ASSIGN_OR_RETURN(bool row, s.Step(what));
    if (!row) return Status::Ok();
    STEWARD_RETURN_IF_ERROR(on_row(s));
  }
}

}  // namespace

Result<int> SqliteStore::WriterRun(const std::string& sql, std::string_view what,
                                   const std::function<void(Stmt&)>& bind) {
  std::lock_guard lock(writer_->mu());
  STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, writer_->Prepare(sql));
  Stmt s(*writer_, raw);
  bind(s);
  STEWARD_RETURN_IF_ERROR(s.Run(what));
  return sqlite3_changes(writer_->db());
}

// --- nodes ------------------------------------------------------------------------

Status SqliteStore::NodeHeartbeat(const NodeInfo& n) {
  STEWARD_RETURN_IF_ERROR(ops::ValidateNode(n));
  static const std::string sql = ops::NodeUpsertSql(ops::kSqlite);
  return WriterRun(sql, "record node heartbeat", [&](Stmt& s) {
           s.Bind(1, n.id);
           s.Bind(2, n.host);
           s.Bind(3, n.pid);
           s.Bind(4, n.version);
           s.Bind(5, ops::QueuesJson(n.queues));
           s.Bind(6, n.running);
           s.Bind(7, n.started_at);
           s.Bind(8, n.last_seen_at);
         }).status();
}

Status SqliteStore::NodeStopped(const std::string& id, Timestamp now) {
  return WriterRun("UPDATE nodes SET stopped_at = ?2 WHERE id = ?1", "mark node stopped",
                   [&](Stmt& s) {
                     s.Bind(1, id);
                     s.Bind(2, now);
                   })
      .status();
}

Result<std::vector<NodeInfo>> SqliteStore::NodeList() {
  static const std::string sql = ops::NodeSelectSql(ops::kSqlite);
  std::vector<NodeInfo> out;
  std::lock_guard lock(reader_->mu());
  STEWARD_RETURN_IF_ERROR(EachRow(*reader_, sql, {}, "list nodes", [&](const Stmt& s) {
    out.push_back(NodeInfo{.id = s.Text(0),
                           .host = s.Text(1),
                           .pid = s.Int(2),
                           .version = s.Text(3),
                           .queues = ops::ParseQueuesJson(s.Text(4)),
                           .running = static_cast<int>(s.Int(5)),
                           .started_at = s.Time(6),
                           .last_seen_at = s.Time(7),
                           .stopped_at = s.OptTime(8)});
    return Status::Ok();
  }));
  return out;
}

Result<int> SqliteStore::NodeDeleteBefore(Timestamp before) {
  static const std::string sql = ops::DeleteBeforeSql(ops::kSqlite, "nodes", "last_seen_at");
  return WriterRun(sql, "delete old nodes", [&](Stmt& s) { s.Bind(1, before); });
}

// --- activity rollups ---------------------------------------------------------------

Status SqliteStore::StatsMerge(std::span<const JobStatsRow> deltas) {
  for (const JobStatsRow& r : deltas) STEWARD_RETURN_IF_ERROR(ops::ValidateStatsRow(r));
  if (deltas.empty()) return Status::Ok();
  static const std::string sql = ops::StatsUpsertSql(ops::kSqlite);
  std::lock_guard lock(writer_->mu());
  Txn txn(*writer_, Txn::Mode::kWrite);
  STEWARD_RETURN_IF_ERROR(txn.Begin());
  STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, writer_->Prepare(sql));
  for (const JobStatsRow& r : deltas) {
    Stmt s(*writer_, raw);
    s.Bind(1, r.bucket_start);
    s.Bind(2, r.queue);
    const auto counters = ops::StatsCounters(r);
    for (int i = 0; i < ops::kStatsCounters; ++i) s.Bind(3 + i, counters[i]);
    STEWARD_RETURN_IF_ERROR(s.Run("merge job stats"));
  }
  return txn.Commit();
}

Result<std::vector<JobStatsRow>> SqliteStore::StatsQuery(const JobStatsQuery& q_in) {
  STEWARD_ASSIGN_OR_RETURN(JobStatsQuery q, ops::NormalizeStatsQuery(q_in));
  static const std::string all = ops::StatsQuerySql(ops::kSqlite, false);
  static const std::string one = ops::StatsQuerySql(ops::kSqlite, true);
  std::vector<ops::SqlParam> params{q.bucket_width.count(), ToMicros(q.since), ToMicros(q.until)};
  if (q.queue) params.emplace_back(*q.queue);
  std::vector<JobStatsRow> out;
  std::lock_guard lock(reader_->mu());
  STEWARD_RETURN_IF_ERROR(
      EachRow(*reader_, q.queue ? one : all, params, "query job stats", [&](const Stmt& s) {
        JobStatsRow r;
        r.bucket_start = s.Time(0);
        r.queue = s.Text(1);
        for (int i = 0; i < ops::kStatsCounters; ++i) ops::SetStatsCounter(r, i, s.Int(2 + i));
        out.push_back(std::move(r));
        return Status::Ok();
      }));
  return out;
}

Result<int> SqliteStore::StatsDeleteBefore(Timestamp before) {
  static const std::string sql = ops::DeleteBeforeSql(ops::kSqlite, "job_stats", "bucket_start");
  return WriterRun(sql, "delete old job stats", [&](Stmt& s) { s.Bind(1, before); });
}

// --- audit log ------------------------------------------------------------------------

Result<int64_t> SqliteStore::AuditAppend(const AuditEntry& e) {
  STEWARD_RETURN_IF_ERROR(ops::ValidateAuditEntry(e));
  static const std::string sql = ops::AuditInsertSql(ops::kSqlite);
  std::lock_guard lock(writer_->mu());
  STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, writer_->Prepare(sql));
  Stmt s(*writer_, raw);
  s.Bind(1, e.at);
  s.Bind(2, e.actor);
  s.Bind(3, e.action);
  s.Bind(4, e.object_type);
  s.Bind(5, e.object_id);
  s.Bind(6, e.detail);
  STEWARD_ASSIGN_OR_RETURN(bool row, s.Step("append audit entry"));
  if (!row) return Internal("audit insert returned no id");
  return s.Int(0);
}

Result<std::vector<AuditEntry>> SqliteStore::AuditList(const AuditListParams& p) {
  STEWARD_RETURN_IF_ERROR(ops::ValidateAuditList(p));
  const ops::BuiltSql b = ops::AuditListSql(ops::kSqlite, p);
  std::vector<AuditEntry> out;
  std::lock_guard lock(reader_->mu());
  STEWARD_RETURN_IF_ERROR(EachRow(*reader_, b.sql, b.params, "list audit entries", [&](const Stmt& s) {
    out.push_back(AuditEntry{.id = s.Int(0),
                             .at = s.Time(1),
                             .actor = s.Text(2),
                             .action = s.Text(3),
                             .object_type = s.Text(4),
                             .object_id = s.Text(5),
                             .detail = s.Text(6)});
    return Status::Ok();
  }));
  return out;
}

Result<int> SqliteStore::AuditDeleteBefore(Timestamp before) {
  static const std::string sql = ops::DeleteBeforeSql(ops::kSqlite, "audit_log", "at");
  return WriterRun(sql, "delete old audit entries", [&](Stmt& s) { s.Bind(1, before); });
}

// --- failures and search --------------------------------------------------------------

Result<std::vector<FailedJob>> SqliteStore::FailedJobList(const FailedJobListParams& p) {
  STEWARD_RETURN_IF_ERROR(ops::ValidateFailedJobList(p));
  const ops::BuiltSql b = ops::FailedJobListSql(p, Search());
  std::vector<FailedJob> out;
  std::lock_guard lock(reader_->mu());
  STEWARD_RETURN_IF_ERROR(EachRow(*reader_, b.sql, b.params, "list failed jobs", [&](const Stmt& s) -> Status {
    auto state = ParseJobState(s.Text(3));
    if (!state) return Internal("job " + std::to_string(s.Int(0)) + " has unknown state " + s.Text(3));
    out.push_back(FailedJob{.id = s.Int(0),
                            .queue = s.Text(1),
                            .kind = s.Text(2),
                            .state = *state,
                            .attempt = static_cast<int>(s.Int(4)),
                            .max_attempts = static_cast<int>(s.Int(5)),
                            .last_error = s.OptText(6).value_or(""),
                            .failed_at = s.Time(7)});
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<KindCount>> SqliteStore::DiscardedCountByKind(Timestamp since, int limit) {
  if (limit < 1) return InvalidArgument("discarded count limit must be >= 1");
  static const std::string sql = ops::DiscardedCountByKindSql(ops::kSqlite);
  std::vector<KindCount> out;
  std::lock_guard lock(reader_->mu());
  STEWARD_RETURN_IF_ERROR(EachRow(*reader_, sql, {ToMicros(since), int64_t{limit}},
                                  "count discarded jobs", [&](const Stmt& s) {
                                    out.push_back(KindCount{.kind = s.Text(0), .count = s.Int(1)});
                                    return Status::Ok();
                                  }));
  return out;
}

Result<JobSearchPage> SqliteStore::JobSearch(const JobSearchParams& p) {
  STEWARD_RETURN_IF_ERROR(ops::ValidateJobSearch(p));
  const ops::BuiltSql boundary_sql = ops::BuildBoundary(p, Search());
  JobSearchPage page;
  std::optional<int64_t> boundary;
  std::lock_guard lock(reader_->mu());
  Txn txn(*reader_, Txn::Mode::kRead);  // the boundary and the page from one snapshot
  STEWARD_RETURN_IF_ERROR(txn.Begin());
  STEWARD_RETURN_IF_ERROR(EachRow(*reader_, boundary_sql.sql, boundary_sql.params,
                                  "find search boundary", [&](const Stmt& s) {
                                    boundary = s.Int(0);
                                    return Status::Ok();
                                  }));
  const ops::BuiltSql match = ops::BuildMatch(p, Search(), boundary);
  STEWARD_RETURN_IF_ERROR(EachRow(*reader_, match.sql, match.params, "search jobs", [&](const Stmt& s) -> Status {
    STEWARD_ASSIGN_OR_RETURN(Job job, ReadJob(s));
    page.jobs.push_back(std::move(job));
    page.last_errors.push_back(s.OptText(16).value_or(""));
    return Status::Ok();
  }));
  STEWARD_RETURN_IF_ERROR(txn.Commit());
  page.next_before_id = ops::NextBeforeId(page, p.limit, boundary);
  return page;
}

// --- settings ---------------------------------------------------------------------------

Result<std::string> SqliteStore::SettingGetOrCreate(const std::string& key,
                                                    const std::string& value_if_absent) {
  if (key.empty()) return InvalidArgument("setting key is empty");
  static const std::string insert = ops::SettingInsertSql(ops::kSqlite);
  std::lock_guard lock(writer_->mu());
  Txn txn(*writer_, Txn::Mode::kWrite);
  STEWARD_RETURN_IF_ERROR(txn.Begin());
  {
    STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, writer_->Prepare(insert));
    Stmt s(*writer_, raw);
    s.Bind(1, key);
    s.Bind(2, value_if_absent);
    STEWARD_RETURN_IF_ERROR(s.Run("store setting"));
  }
  std::string value;
  STEWARD_RETURN_IF_ERROR(EachRow(*writer_, "SELECT value FROM settings WHERE key = ?1", {key},
                                  "read setting", [&](const Stmt& s) {
                                    value = s.Text(0);
                                    return Status::Ok();
                                  }));
  STEWARD_RETURN_IF_ERROR(txn.Commit());
  return value;
}

}  // namespace steward::sqlite
