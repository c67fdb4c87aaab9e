#include "store/dashboard_ops.h"

#include <nlohmann/json.hpp>

#include <limits>

#include "core/json_limits.h"

namespace steward::dashboard_ops {

namespace {

const char* const kCounterNames[4] = {"completed", "failed", "discarded", "cancelled"};

std::string CounterName(int i) {
  return i < 4 ? kCounterNames[i] : "w" + std::to_string(i - 4);
}

// A payload path's segments: "customer.id" -> {"customer", "id"}.
Result<std::vector<std::string>> PathSegments(const std::string& path) {
  std::vector<std::string> out(1);
  for (char c : path) {
    if (c == '.') {
      out.emplace_back();
    } else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '_') {
      out.back() += c;
    } else {
      out.clear();
      break;
    }
  }
  for (const std::string& s : out) {
    if (s.empty()) out.clear();
  }
  if (out.empty() || path.size() > 200) {
    return InvalidArgument("payload path \"" + path +
                           "\" must be field names of letters, digits and _ joined by dots");
  }
  return out;
}

// The payload field at the path as text (42 and "42" both give 42), for
// an equality test against a parameter.
std::string PayloadField(const Dialect& d, const std::vector<std::string>& segs,
                         std::vector<SqlParam>& params) {
  if (d.postgres) {
    std::string arr = "{";
    for (size_t i = 0; i < segs.size(); ++i) arr += (i ? "," : "") + segs[i];
    params.emplace_back(arr + "}");
    return "(j.payload::jsonb #>> " + d.Param(static_cast<int>(params.size())) + "::text[])";
  }
  std::string path = "$";
  for (const std::string& s : segs) path += "." + s;
  params.emplace_back(path);
  const std::string p = d.Param(static_cast<int>(params.size()));
  // json_extract gives true/false as 1/0; spell them as PostgreSQL does.
  return "(CASE json_type(j.payload, " + p + ") WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' "
         "ELSE CAST(json_extract(j.payload, " + p + ") AS TEXT) END)";
}

std::string Next(const Dialect& d, std::vector<SqlParam>& params, SqlParam v) {
  params.push_back(std::move(v));
  return d.Param(static_cast<int>(params.size()));
}

// State names come from JobStateName, so they are safe as literals; SQLite
// uses a partial index only when the query spells its term literally.
std::string StateTerm(JobState s) { return "j.state = '" + std::string(JobStateName(s)) + "'"; }

}  // namespace

std::array<int64_t, kStatsCounters> StatsCounters(const JobStatsRow& r) {
  std::array<int64_t, kStatsCounters> out{};
  out[0] = r.completed;
  out[1] = r.failed;
  out[2] = r.discarded;
  out[3] = r.cancelled;
  for (int i = 0; i < kWaitBuckets; ++i) out[4 + i] = r.wait[i];
  return out;
}

void SetStatsCounter(JobStatsRow& r, int index, int64_t value) {
  switch (index) {
    case 0: r.completed = value; break;
    case 1: r.failed = value; break;
    case 2: r.discarded = value; break;
    case 3: r.cancelled = value; break;
    default:
      if (index >= 4 && index < kStatsCounters) r.wait[index - 4] = value;
  }
}

std::string StatsUpsertSql(const Dialect& d) {
  std::string cols = "bucket_start, queue", values = d.TimeParam(1) + ", " + d.Param(2), sets;
  for (int i = 0; i < kStatsCounters; ++i) {
    const std::string c = CounterName(i);
    cols += ", " + c;
    values += ", " + d.Param(3 + i);
    sets += std::string(i ? ", " : "") + c + " = s." + c + " + excluded." + c;
  }
  return "INSERT INTO job_stats AS s (" + cols + ") VALUES (" + values +
         ") ON CONFLICT (bucket_start, queue) DO UPDATE SET " + sets;
}

std::string StatsQuerySql(const Dialect& d, bool one_queue) {
  const std::string bucket = "(" + d.TimeCol("bucket_start") + " / " + d.Param(1) + ") * " + d.Param(1);
  std::string sql = "SELECT " + bucket + " AS b, queue";
  for (int i = 0; i < kStatsCounters; ++i) sql += ", sum(" + CounterName(i) + ")";
  sql += " FROM job_stats WHERE bucket_start >= " + d.TimeParam(2) + " AND bucket_start < " +
         d.TimeParam(3);
  if (one_queue) sql += " AND queue = " + d.Param(4);
  return sql + " GROUP BY b, queue ORDER BY b, queue";
}

Result<JobStatsQuery> NormalizeStatsQuery(const JobStatsQuery& q) {
  const int64_t width = q.bucket_width.count();
  if (width <= 0 || width % 60'000'000 != 0) {
    return InvalidArgument("stats bucket width must be whole minutes");
  }
  if (q.until < q.since) return InvalidArgument("stats range ends before it starts");
  JobStatsQuery out = q;
  int64_t since = ToMicros(q.since);
  // Round towards minus infinity, also before 1970.
  int64_t rounded = since / width * width;
  if (rounded > since) rounded -= width;
  out.since = FromMicros(rounded);
  return out;
}

Status ValidateStatsRow(const JobStatsRow& r) {
  if (r.queue.empty()) return InvalidArgument("stats row without a queue");
  if (ToMicros(r.bucket_start) % 60'000'000 != 0) {
    return InvalidArgument("stats bucket_start must be a whole minute");
  }
  return Status::Ok();
}

Status ValidateNode(const NodeInfo& n) {
  if (n.id.empty()) return InvalidArgument("node id is empty");
  return Status::Ok();
}

std::string QueuesJson(const std::vector<std::string>& queues) {
  return nlohmann::json(queues).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<std::string> ParseQueuesJson(const std::string& json) {
  std::vector<std::string> out;
  auto j = ParseJsonOrDiscarded(json);
  if (!j.is_array()) return out;
  for (const auto& q : j) {
    if (q.is_string()) out.push_back(q.get<std::string>());
  }
  return out;
}

std::string NodeUpsertSql(const Dialect& d) {
  return "INSERT INTO nodes (id, host, pid, version, queues, running, started_at, last_seen_at) "
         "VALUES (" + d.Param(1) + ", " + d.Param(2) + ", " + d.Param(3) + ", " + d.Param(4) + ", " +
         d.Param(5) + ", " + d.Param(6) + ", " + d.TimeParam(7) + ", " + d.TimeParam(8) +
         ") ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, "
         "version = excluded.version, queues = excluded.queues, running = excluded.running, "
         "started_at = excluded.started_at, last_seen_at = excluded.last_seen_at, stopped_at = NULL";
}

std::string NodeSelectSql(const Dialect& d) {
  return "SELECT id, host, pid, version, queues, running, " + d.TimeCol("started_at") + ", " +
         d.TimeCol("last_seen_at") + ", " + d.TimeCol("stopped_at") + " FROM nodes ORDER BY id";
}

std::string DeleteBeforeSql(const Dialect& d, const std::string& table, const std::string& column) {
  return "DELETE FROM " + table + " WHERE " + column + " < " + d.TimeParam(1);
}

std::string SettingInsertSql(const Dialect& d) {
  return "INSERT INTO settings (key, value) VALUES (" + d.Param(1) + ", " + d.Param(2) +
         ") ON CONFLICT (key) DO NOTHING";
}

std::string AuditInsertSql(const Dialect& d) {
  return "INSERT INTO audit_log (at, actor, action, object_type, object_id, detail) VALUES (" +
         d.TimeParam(1) + ", " + d.Param(2) + ", " + d.Param(3) + ", " + d.Param(4) + ", " +
         d.Param(5) + ", " + d.Param(6) + ") RETURNING id";
}

BuiltSql AuditListSql(const Dialect& d, const AuditListParams& p) {
  BuiltSql b;
  b.sql = "SELECT id, " + d.TimeCol("at") +
          ", actor, action, object_type, object_id, detail FROM audit_log WHERE true";
  if (p.object_type) b.sql += " AND object_type = " + Next(d, b.params, *p.object_type);
  if (p.object_id) b.sql += " AND object_id = " + Next(d, b.params, *p.object_id);
  if (p.before_id) b.sql += " AND id < " + Next(d, b.params, *p.before_id);
  b.sql += " ORDER BY id DESC LIMIT " + Next(d, b.params, static_cast<int64_t>(p.limit));
  return b;
}

BuiltSql FailedJobListSql(const FailedJobListParams& p, const SearchDialect& sd) {
  const Dialect& d = sd.d;
  BuiltSql b;
  const std::string since = Next(d, b.params, ToMicros(p.since));
  std::string kind;
  if (p.kind) kind = " AND j.kind = " + Next(d, b.params, *p.kind);
  // Each state through its own index on id (discarded: jobs_discarded in
  // SQLite, jobs_state_id_idx in PostgreSQL). A discarded job failed at or
  // before it finished, so finished_at >= since is a necessary condition;
  // SQLite's unary + keeps it from choosing the finished_at index, which
  // also holds every completed job.
  const std::string finished =
      d.postgres ? "j.finished_at >= ts(" + since + ")" : "+j.finished_at >= " + since;
  const std::string cols = "j.id, j.queue, j.kind, j.state, j.attempt, j.max_attempts, " +
                           sd.latest_error + " AS message, coalesce(" + sd.latest_error_at +
                           ", " + d.TimeCol("j.finished_at") + ") AS failed_at";
  b.sql = "SELECT * FROM (SELECT " + cols + " FROM jobs j WHERE j.state = 'discarded' AND " +
          finished + kind + " UNION ALL SELECT " + cols +
          " FROM jobs j WHERE j.state = 'retryable'" + kind + ") f WHERE f.failed_at >= " + since +
          " ORDER BY f.failed_at DESC, f.id DESC LIMIT " +
          Next(d, b.params, static_cast<int64_t>(p.limit));
  return b;
}

std::string DiscardedCountByKindSql(const Dialect& d) {
  // The term spells the partial index's: state = 'discarded', ordered by
  // finished_at, holding kind. SQLite is told the index: without statistics
  // its planner prefers jobs_finished, which also holds every completed job.
  return std::string("SELECT kind, count(*) FROM jobs ") +
         (d.postgres ? "" : "INDEXED BY jobs_discarded_at ") +
         "WHERE state = 'discarded' AND finished_at >= " +
         d.TimeParam(1) + " GROUP BY kind ORDER BY count(*) DESC, kind LIMIT " + d.Param(2);
}

Status ValidateAuditEntry(const AuditEntry& e) {
  if (e.actor.empty()) return InvalidArgument("audit entry without an actor");
  if (e.action.empty()) return InvalidArgument("audit entry without an action");
  if (e.object_type.empty()) return InvalidArgument("audit entry without an object type");
  return Status::Ok();
}

Status ValidateAuditList(const AuditListParams& p) {
  if (p.limit < 1 || p.limit > 1000) {
    return InvalidArgument("audit list limit must be in 1..1000, got " + std::to_string(p.limit));
  }
  return Status::Ok();
}

Status ValidateFailedJobList(const FailedJobListParams& p) {
  if (p.limit < 1) return InvalidArgument("failed job list limit must be >= 1");
  return Status::Ok();
}

Status ValidateJobSearch(const JobSearchParams& p) {
  if (p.limit < 1 || p.limit > 500) {
    return InvalidArgument("search limit must be in 1..500, got " + std::to_string(p.limit));
  }
  if (p.scan_limit < 1) return InvalidArgument("search scan_limit must be >= 1");
  if (p.payload_path.has_value() != p.payload_value.has_value()) {
    return InvalidArgument("a payload filter needs both a path and a value (path=value)");
  }
  if (p.payload_path) STEWARD_RETURN_IF_ERROR(PathSegments(*p.payload_path).status());
  return Status::Ok();
}

BuiltSql BuildBoundary(const JobSearchParams& p, const SearchDialect& sd) {
  BuiltSql b;
  const int64_t before = p.before_id.value_or(std::numeric_limits<int64_t>::max());
  b.sql = "SELECT j.id FROM jobs j WHERE j.id < " + Next(sd.d, b.params, before);
  if (p.state && sd.state_indexed(*p.state)) b.sql += " AND " + StateTerm(*p.state);
  b.sql += " ORDER BY j.id DESC LIMIT 1 OFFSET " +
           Next(sd.d, b.params, static_cast<int64_t>(p.scan_limit) - 1);
  return b;
}

BuiltSql BuildMatch(const JobSearchParams& p, const SearchDialect& sd,
                    std::optional<int64_t> boundary) {
  BuiltSql b;
  const Dialect& d = sd.d;
  const int64_t before = p.before_id.value_or(std::numeric_limits<int64_t>::max());
  b.sql = "SELECT " + sd.job_columns + ", " + sd.latest_error +
          " FROM jobs j WHERE j.id < " + Next(d, b.params, before);
  if (boundary) b.sql += " AND j.id >= " + Next(d, b.params, *boundary);
  if (p.state) b.sql += " AND " + StateTerm(*p.state);
  if (p.queue) b.sql += " AND j.queue = " + Next(d, b.params, *p.queue);
  if (p.kind) b.sql += " AND j.kind = " + Next(d, b.params, *p.kind);
  if (p.error_contains) {
    const std::string needle = Next(d, b.params, *p.error_contains);
    b.sql += std::string(" AND ") + (d.postgres ? "strpos" : "instr") + "(lower(" +
             sd.latest_error + "), lower(" + needle + ")) > 0";
  }
  if (p.payload_path && p.payload_value) {
    auto segs = PathSegments(*p.payload_path);
    if (segs.ok()) {
      const std::string field = PayloadField(d, *segs, b.params);
      b.sql += " AND " + field + " = " + Next(d, b.params, *p.payload_value);
    }
  }
  b.sql += " ORDER BY j.id DESC LIMIT " + Next(d, b.params, static_cast<int64_t>(p.limit));
  return b;
}

std::optional<int64_t> NextBeforeId(const JobSearchPage& page, int limit,
                                    std::optional<int64_t> boundary) {
  if (static_cast<int>(page.jobs.size()) >= limit && !page.jobs.empty()) {
    return page.jobs.back().id;
  }
  return boundary;
}

}  // namespace steward::dashboard_ops
