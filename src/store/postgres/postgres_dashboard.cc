// PostgresStore: the DashboardStore (store/dashboard_store.h). The SQL and
// its rules are shared with SQLite in store/dashboard_ops.cc; this file
// sends parameters and reads rows.
#include <algorithm>
#include <tuple>
#include <variant>

#include "store/dashboard_ops.h"
#include "store/postgres/pg_conn.h"
#include "store/postgres/pg_job_rows.h"
#include "store/postgres/postgres_store.h"

namespace steward {

using pg::Exec;
using pg::Params;
namespace ops = dashboard_ops;

namespace {

Params ToParams(const std::vector<ops::SqlParam>& values) {
  Params p;
  for (const auto& v : values) std::visit([&](const auto& x) { p.Add(x); }, v);
  return p;
}

// jobs_state_id_idx (migrations 0006) holds these states, by (state, id).
bool StateIndexed(JobState s) {
  return s == JobState::kScheduled || s == JobState::kRetryable || s == JobState::kDiscarded ||
         s == JobState::kCancelled;
}

const ops::SearchDialect& Search() {
  static const ops::SearchDialect sd{
      .d = ops::kPostgres,
      .job_columns = STEWARD_JOB_COLUMNS_NO_ERRORS,
      .latest_error = "(j.errors -> -1 ->> 'message')",
      .latest_error_at = "((j.errors -> -1 ->> 'at')::int8)",
      .state_indexed = &StateIndexed,
  };
  return sd;
}

int Affected(const PGresult* r) { return std::atoi(PQcmdTuples(const_cast<PGresult*>(r))); }

}  // namespace

// --- nodes ------------------------------------------------------------------------

Status PostgresStore::NodeHeartbeat(const NodeInfo& n) {
  STEWARD_RETURN_IF_ERROR(ops::ValidateNode(n));
  static const std::string sql = ops::NodeUpsertSql(ops::kPostgres);
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("NodeHeartbeat"));
  return Exec(conn.get(), "recording node heartbeat", sql.c_str(),
              Params()
                  .Add(n.id)
                  .Add(n.host)
                  .Add(n.pid)
                  .Add(n.version)
                  .Add(ops::QueuesJson(n.queues))
                  .Add(n.running)
                  .Add(n.started_at)
                  .Add(n.last_seen_at))
      .status();
}

Status PostgresStore::NodeStopped(const std::string& id, Timestamp now) {
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("NodeStopped"));
  return Exec(conn.get(), "marking node stopped",
              "UPDATE nodes SET stopped_at = ts($2) WHERE id = $1", Params().Add(id).Add(now))
      .status();
}

Result<std::vector<NodeInfo>> PostgresStore::NodeList() {
  static const std::string sql = ops::NodeSelectSql(ops::kPostgres);
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("NodeList"));
  STEWARD_ASSIGN_OR_RETURN(auto r, Exec(conn.get(), "listing nodes", sql.c_str()));
  std::vector<NodeInfo> out;
  const PGresult* res = r.get();
  for (int i = 0; i < PQntuples(res); ++i) {
    out.push_back(NodeInfo{.id = pg::GetText(res, i, 0),
                           .host = pg::GetText(res, i, 1),
                           .pid = pg::GetInt64(res, i, 2),
                           .version = pg::GetText(res, i, 3),
                           .queues = ops::ParseQueuesJson(pg::GetText(res, i, 4)),
                           .running = pg::GetInt(res, i, 5),
                           .started_at = pg::GetTime(res, i, 6),
                           .last_seen_at = pg::GetTime(res, i, 7),
                           .stopped_at = pg::GetOptTime(res, i, 8)});
  }
  return out;
}

Result<int> PostgresStore::NodeDeleteBefore(Timestamp before) {
  static const std::string sql = ops::DeleteBeforeSql(ops::kPostgres, "nodes", "last_seen_at");
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("NodeDeleteBefore"));
  STEWARD_ASSIGN_OR_RETURN(auto r, Exec(conn.get(), "deleting old nodes", sql.c_str(),
                                        Params().Add(before)));
  return Affected(r.get());
}

// --- activity rollups ---------------------------------------------------------------

Status PostgresStore::StatsMerge(std::span<const JobStatsRow> deltas) {
  for (const JobStatsRow& r : deltas) STEWARD_RETURN_IF_ERROR(ops::ValidateStatsRow(r));
  if (deltas.empty()) return Status::Ok();
  static const std::string sql = ops::StatsUpsertSql(ops::kPostgres);
  // Every node upserts its rows in key order, so two flushes over the same
  // rows wait for each other instead of deadlocking.
  std::vector<const JobStatsRow*> sorted;
  for (const JobStatsRow& r : deltas) sorted.push_back(&r);
  std::sort(sorted.begin(), sorted.end(), [](const JobStatsRow* a, const JobStatsRow* b) {
    return std::tie(a->bucket_start, a->queue) < std::tie(b->bucket_start, b->queue);
  });
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("StatsMerge"));
  PGconn* c = conn.get();
  STEWARD_ASSIGN_OR_RETURN(auto begin, Exec(c, "merging job stats", "BEGIN"));
  for (const JobStatsRow* r : sorted) {
    Params p;
    p.Add(r->bucket_start).Add(r->queue);
    for (int64_t v : ops::StatsCounters(*r)) p.Add(v);
    STEWARD_ASSIGN_OR_RETURN(auto up, Exec(c, "merging job stats", sql.c_str(), p));
  }
  return Exec(c, "merging job stats", "COMMIT").status();
}

Result<std::vector<JobStatsRow>> PostgresStore::StatsQuery(const JobStatsQuery& q_in) {
  STEWARD_ASSIGN_OR_RETURN(JobStatsQuery q, ops::NormalizeStatsQuery(q_in));
  static const std::string all = ops::StatsQuerySql(ops::kPostgres, false);
  static const std::string one = ops::StatsQuerySql(ops::kPostgres, true);
  Params p;
  p.Add(static_cast<int64_t>(q.bucket_width.count())).Add(q.since).Add(q.until);
  if (q.queue) p.Add(*q.queue);
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("StatsQuery"));
  STEWARD_ASSIGN_OR_RETURN(
      auto r, Exec(conn.get(), "querying job stats", (q.queue ? one : all).c_str(), p));
  std::vector<JobStatsRow> out;
  const PGresult* res = r.get();
  for (int i = 0; i < PQntuples(res); ++i) {
    JobStatsRow row;
    row.bucket_start = pg::GetTime(res, i, 0);
    row.queue = pg::GetText(res, i, 1);
    for (int k = 0; k < ops::kStatsCounters; ++k) {
      ops::SetStatsCounter(row, k, pg::GetInt64(res, i, 2 + k));
    }
    out.push_back(std::move(row));
  }
  return out;
}

Result<int> PostgresStore::StatsDeleteBefore(Timestamp before) {
  static const std::string sql = ops::DeleteBeforeSql(ops::kPostgres, "job_stats", "bucket_start");
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("StatsDeleteBefore"));
  STEWARD_ASSIGN_OR_RETURN(auto r, Exec(conn.get(), "deleting old job stats", sql.c_str(),
                                        Params().Add(before)));
  return Affected(r.get());
}

// --- audit log ------------------------------------------------------------------------

Result<int64_t> PostgresStore::AuditAppend(const AuditEntry& e) {
  STEWARD_RETURN_IF_ERROR(ops::ValidateAuditEntry(e));
  static const std::string sql = ops::AuditInsertSql(ops::kPostgres);
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("AuditAppend"));
  STEWARD_ASSIGN_OR_RETURN(
      auto r, Exec(conn.get(), "appending audit entry", sql.c_str(),
                   Params().Add(e.at).Add(e.actor).Add(e.action).Add(e.object_type).Add(e.object_id).Add(e.detail)));
  return pg::GetInt64(r.get(), 0, 0);
}

Result<std::vector<AuditEntry>> PostgresStore::AuditList(const AuditListParams& p) {
  STEWARD_RETURN_IF_ERROR(ops::ValidateAuditList(p));
  const ops::BuiltSql b = ops::AuditListSql(ops::kPostgres, p);
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("AuditList"));
  STEWARD_ASSIGN_OR_RETURN(auto r, Exec(conn.get(), "listing audit entries", b.sql.c_str(),
                                        ToParams(b.params)));
  std::vector<AuditEntry> out;
  const PGresult* res = r.get();
  for (int i = 0; i < PQntuples(res); ++i) {
    out.push_back(AuditEntry{.id = pg::GetInt64(res, i, 0),
                             .at = pg::GetTime(res, i, 1),
                             .actor = pg::GetText(res, i, 2),
                             .action = pg::GetText(res, i, 3),
                             .object_type = pg::GetText(res, i, 4),
                             .object_id = pg::GetText(res, i, 5),
                             .detail = pg::GetText(res, i, 6)});
  }
  return out;
}

Result<int> PostgresStore::AuditDeleteBefore(Timestamp before) {
  static const std::string sql = ops::DeleteBeforeSql(ops::kPostgres, "audit_log", "at");
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("AuditDeleteBefore"));
  STEWARD_ASSIGN_OR_RETURN(auto r, Exec(conn.get(), "deleting old audit entries", sql.c_str(),
                                        Params().Add(before)));
  return Affected(r.get());
}

// --- failures and search --------------------------------------------------------------

Result<std::vector<FailedJob>> PostgresStore::FailedJobList(const FailedJobListParams& p) {
  STEWARD_RETURN_IF_ERROR(ops::ValidateFailedJobList(p));
  const ops::BuiltSql b = ops::FailedJobListSql(p, Search());
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("FailedJobList"));
  STEWARD_ASSIGN_OR_RETURN(auto r, Exec(conn.get(), "listing failed jobs", b.sql.c_str(),
                                        ToParams(b.params)));
  std::vector<FailedJob> out;
  const PGresult* res = r.get();
  for (int i = 0; i < PQntuples(res); ++i) {
    out.push_back(FailedJob{.id = pg::GetInt64(res, i, 0),
                            .queue = pg::GetText(res, i, 1),
                            .kind = pg::GetText(res, i, 2),
                            .state = pg::StateOf(res, i, 3),
                            .attempt = pg::GetInt(res, i, 4),
                            .max_attempts = pg::GetInt(res, i, 5),
                            .last_error = pg::GetOptText(res, i, 6).value_or(""),
                            .failed_at = pg::GetTime(res, i, 7)});
  }
  return out;
}

Result<std::vector<KindCount>> PostgresStore::DiscardedCountByKind(Timestamp since, int limit) {
  if (limit < 1) return InvalidArgument("discarded count limit must be >= 1");
  static const std::string sql = ops::DiscardedCountByKindSql(ops::kPostgres);
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("DiscardedCountByKind"));
  STEWARD_ASSIGN_OR_RETURN(auto r, Exec(conn.get(), "counting discarded jobs", sql.c_str(),
                                        Params().Add(ToMicros(since)).Add(int64_t{limit})));
  std::vector<KindCount> out;
  const PGresult* res = r.get();
  for (int i = 0; i < PQntuples(res); ++i) {
    out.push_back(KindCount{.kind = pg::GetText(res, i, 0), .count = pg::GetInt64(res, i, 1)});
  }
  return out;
}

Result<JobSearchPage> PostgresStore::JobSearch(const JobSearchParams& p) {
  STEWARD_RETURN_IF_ERROR(ops::ValidateJobSearch(p));
  const ops::BuiltSql boundary_sql = ops::BuildBoundary(p, Search());
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("JobSearch"));
  STEWARD_ASSIGN_OR_RETURN(auto br, Exec(conn.get(), "finding search boundary",
                                         boundary_sql.sql.c_str(), ToParams(boundary_sql.params)));
  std::optional<int64_t> boundary;
  if (PQntuples(br.get()) > 0) boundary = pg::GetInt64(br.get(), 0, 0);
  const ops::BuiltSql match = ops::BuildMatch(p, Search(), boundary);
  STEWARD_ASSIGN_OR_RETURN(
      auto r, Exec(conn.get(), "searching jobs", match.sql.c_str(), ToParams(match.params)));
  JobSearchPage page;
  const PGresult* res = r.get();
  for (int i = 0; i < PQntuples(res); ++i) {
    page.jobs.push_back(pg::RowToJob(res, i));
    page.last_errors.push_back(pg::GetOptText(res, i, 17).value_or(""));
  }
  page.next_before_id = ops::NextBeforeId(page, p.limit, boundary);
  return page;
}

// --- settings ---------------------------------------------------------------------------

Result<std::string> PostgresStore::SettingGetOrCreate(const std::string& key,
                                                      const std::string& value_if_absent) {
  if (key.empty()) return InvalidArgument("setting key is empty");
  static const std::string insert = ops::SettingInsertSql(ops::kPostgres);
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("SettingGetOrCreate"));
  // Autocommit: the insert (or the other node's, which it waited for) is
  // committed before the read, so every caller reads the first writer's value.
  STEWARD_ASSIGN_OR_RETURN(auto ins, Exec(conn.get(), "storing setting", insert.c_str(),
                                          Params().Add(key).Add(value_if_absent)));
  STEWARD_ASSIGN_OR_RETURN(auto r, Exec(conn.get(), "reading setting",
                                        "SELECT value FROM settings WHERE key = $1",
                                        Params().Add(key)));
  if (PQntuples(r.get()) == 0) return Internal("setting " + key + " vanished after insert");
  return pg::GetText(r.get(), 0, 0);
}

}  // namespace steward
