// What the SQLite and PostgreSQL DashboardStores share: validation, the SQL
// of the rollup upsert and query, the Jobs page's bounded search and its
// cursor rule. The backends only bind parameters and read rows, so the two
// cannot drift apart (as store/alert_ops.h and store/schedule_ops.h do for
// alerts and schedules).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "steward/job.h"
#include "store/dashboard_store.h"

namespace steward::dashboard_ops {

// How the two dialects spell what differs. Parameters are numbered from 1.
struct Dialect {
  bool postgres = false;
  // "?3" or "$3".
  std::string Param(int n) const { return (postgres ? "$" : "?") + std::to_string(n); }
  // A time parameter as the column type: "?3" or "ts($3)".
  std::string TimeParam(int n) const { return postgres ? "ts($" + std::to_string(n) + ")" : Param(n); }
  // A time column as integer microseconds: "x" or "us(x)".
  std::string TimeCol(const std::string& col) const { return postgres ? "us(" + col + ")" : col; }
};
inline constexpr Dialect kSqlite{false};
inline constexpr Dialect kPostgres{true};

// A parameter value for a statement built here.
using SqlParam = std::variant<int64_t, std::string>;

// --- activity rollups --------------------------------------------------------
inline constexpr int kStatsCounters = 4 + kWaitBuckets;  // completed..cancelled, w0..w23
std::array<int64_t, kStatsCounters> StatsCounters(const JobStatsRow& r);
void SetStatsCounter(JobStatsRow& r, int index, int64_t value);
// One additive upsert: 1 bucket_start (micros), 2 queue, 3.. the counters.
std::string StatsUpsertSql(const Dialect& d);
// Rows summed per (bucket, queue), oldest first: 1 width (micros), 2 since,
// 3 until, 4 queue when `one_queue`. Columns: bucket (micros), queue, counters.
std::string StatsQuerySql(const Dialect& d, bool one_queue);
// Validates q and rounds since down to a whole bucket.
Result<JobStatsQuery> NormalizeStatsQuery(const JobStatsQuery& q);
Status ValidateStatsRow(const JobStatsRow& r);

// A statement built here and the values of its parameters, in order.
struct BuiltSql {
  std::string sql;
  std::vector<SqlParam> params;
};

// --- nodes, audit, settings ---------------------------------------------------------
Status ValidateNode(const NodeInfo& n);
// 1 id, 2 host, 3 pid, 4 version, 5 queues JSON, 6 running, 7 started_at,
// 8 last_seen_at; a heartbeat clears stopped_at (the node runs again).
std::string NodeUpsertSql(const Dialect& d);
// Columns: id, host, pid, version, queues, running, started_at,
// last_seen_at, stopped_at (times in micros), by id.
std::string NodeSelectSql(const Dialect& d);
// Retention: "DELETE FROM <table> WHERE <time column> < 1".
std::string DeleteBeforeSql(const Dialect& d, const std::string& table, const std::string& column);
// 1 key, 2 value: stores the value unless the key has one.
std::string SettingInsertSql(const Dialect& d);
// 1 at, 2 actor, 3 action, 4 object_type, 5 object_id, 6 detail.
std::string AuditInsertSql(const Dialect& d);
// Columns: id, at (micros), actor, action, object_type, object_id, detail.
BuiltSql AuditListSql(const Dialect& d, const AuditListParams& p);
std::string QueuesJson(const std::vector<std::string>& queues);
std::vector<std::string> ParseQueuesJson(const std::string& json);
Status ValidateAuditEntry(const AuditEntry& e);
Status ValidateAuditList(const AuditListParams& p);
Status ValidateFailedJobList(const FailedJobListParams& p);

// --- job search -------------------------------------------------------------------
// What a backend plugs into the failed-job and search SQL.
struct SearchDialect {
  Dialect d;
  std::string job_columns;    // the backend's job column list over alias j
  std::string latest_error;   // expression: message of j's latest error, NULL if none
  std::string latest_error_at;  // expression: its time in micros, NULL if none
  // Whether `state` has an index ordered by id that holds only (or mostly)
  // jobs of that state, so the scan walks only them.
  bool (*state_indexed)(JobState) = nullptr;
};

// Columns: id, queue, kind, state, attempt, max_attempts, last error
// message, failed_at (micros); newest failure first.
BuiltSql FailedJobListSql(const FailedJobListParams& p, const SearchDialect& sd);

// Columns: kind, count; 1 since (micros), 2 limit. Most first.
std::string DiscardedCountByKindSql(const Dialect& d);

Status ValidateJobSearch(const JobSearchParams& p);
// The lowest id the scan may examine: the scan_limit-th row below the
// cursor (of the filtered state when it is indexed). No row: fewer rows
// than that are left, the scan may go to the bottom. p is validated.
BuiltSql BuildBoundary(const JobSearchParams& p, const SearchDialect& sd);
// The page: filtered rows below the cursor and at or above `boundary`,
// newest first. Columns: job_columns, then the latest error message.
BuiltSql BuildMatch(const JobSearchParams& p, const SearchDialect& sd,
                    std::optional<int64_t> boundary);
// Where the next page starts: after a full page, below its last job; else
// below the lowest id examined; nullopt when the scan reached the lowest id.
std::optional<int64_t> NextBeforeId(const JobSearchPage& page, int limit,
                                    std::optional<int64_t> boundary);

}  // namespace steward::dashboard_ops
