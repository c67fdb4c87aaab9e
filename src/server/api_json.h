// JSON <-> values for the /api/v1 routes. Pure functions (no I/O), so the
// request parsers can be fuzzed (fuzz/api_json_fuzz.cc) and unit-tested.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "steward/clock.h"
#include "steward/job.h"
#include "steward/status.h"
#include "store/store.h"

namespace steward::server {

// Most jobs one batch request may insert (one transaction).
inline constexpr size_t kMaxBatchJobs = 1000;

// Parses a request body; kInvalidArgument "malformed JSON: <parser message>"
// when it is not JSON, or is not an object.
Result<nlohmann::json> ParseJsonBody(std::string_view body);

// One job object of POST /api/v1/jobs:
//   {"kind": str (required), "payload": any JSON (default {}), "queue": str,
//    "priority": int, "max_attempts": int, "unique_key": str,
//    "run_at": RFC 3339 str, "run_in": duration str ("10m")}
// run_at and run_in are exclusive; run_in is relative to `now`. Unknown
// fields and wrong types are kInvalidArgument naming the field (a typo such
// as "max_attempt" must not silently fall back to a default). The result is
// also checked with ValidateNewJob.
Result<NewJob> ParseNewJob(const nlohmann::json& j, Timestamp now);
// {"jobs":[<job>, ...]}: 1..kMaxBatchJobs jobs; errors name the index.
Result<std::vector<NewJob>> ParseNewJobBatch(const nlohmann::json& j, Timestamp now);

// Response shapes (documented in docs/openapi.json).
// An RFC 3339 string, or null.
nlohmann::json TimeOrNull(const std::optional<Timestamp>& t);
nlohmann::json JobToJson(const Job& job, bool with_errors);
nlohmann::json QueueStatsToJson(const QueueStats& stats);
// An alert with "state" and "link" (the dashboard page of what it is
// about); defined in api_alerts.cc.
nlohmann::json AlertToJson(const Alert& alert);

}  // namespace steward::server
