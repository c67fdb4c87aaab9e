#include "server/api_json.h"

#include <limits>

#include <date/date.h>

#include "core/duration.h"
#include "core/json_limits.h"
#include "core/time_parse.h"

namespace steward::server {

namespace {

Status FieldError(std::string_view field, std::string_view what) {
  return InvalidArgument(std::string(field) + ": " + std::string(what));
}

Result<int> ReadInt(const nlohmann::json& v, std::string_view field) {
  if (!v.is_number_integer()) return FieldError(field, "expected an integer");
  // Compare as int64 first: a huge value must be rejected, not wrapped.
  if (v.is_number_unsigned()) {
    if (v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int>::max())) {
      return FieldError(field, "out of range");
    }
    return static_cast<int>(v.get<uint64_t>());
  }
  int64_t x = v.get<int64_t>();
  if (x < std::numeric_limits<int>::min() || x > std::numeric_limits<int>::max()) {
    return FieldError(field, "out of range");
  }
  return static_cast<int>(x);
}

Result<std::string> ReadString(const nlohmann::json& v, std::string_view field) {
  if (!v.is_string()) return FieldError(field, "expected a string");
  return v.get<std::string>();
}

}  // namespace

Result<nlohmann::json> ParseJsonBody(std::string_view body) {
  STEWARD_ASSIGN_OR_RETURN(nlohmann::json j, ParseJsonLimited(body));
  if (!j.is_object()) return InvalidArgument("malformed JSON: expected an object");
  return j;
}

Result<NewJob> ParseNewJob(const nlohmann::json& j, Timestamp now) {
  if (!j.is_object()) return InvalidArgument("job: expected an object");
  NewJob job;
  bool has_kind = false, has_run_at = false, has_run_in = false;
  for (const auto& [key, v] : j.items()) {
    if (key == "kind") {
      STEWARD_ASSIGN_OR_RETURN(job.kind, ReadString(v, key));
      has_kind = true;
    } else if (key == "payload") {
      // Any JSON value; stored as text. replace: a payload that is not valid
      // UTF-8 cannot come out of nlohmann's parser, but be safe anyway.
      job.payload = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } else if (key == "queue") {
      STEWARD_ASSIGN_OR_RETURN(job.queue, ReadString(v, key));
    } else if (key == "priority") {
      STEWARD_ASSIGN_OR_RETURN(job.priority, ReadInt(v, key));
    } else if (key == "max_attempts") {
      STEWARD_ASSIGN_OR_RETURN(job.max_attempts, ReadInt(v, key));
    } else if (key == "unique_key") {
      if (!v.is_null()) {
        STEWARD_ASSIGN_OR_RETURN(std::string k, ReadString(v, key));
        if (k.empty() || k.size() > 512) return FieldError(key, "must be 1..512 characters");
        job.unique_key = std::move(k);
      }
    } else if (key == "run_at") {
      if (!v.is_null()) {
        STEWARD_ASSIGN_OR_RETURN(std::string s, ReadString(v, key));
        auto t = ParseTimestamp(s);
        if (!t.ok()) return FieldError(key, t.status().message());
        job.run_at = *t;
        has_run_at = true;
      }
    } else if (key == "run_in") {
      if (!v.is_null()) {
        STEWARD_ASSIGN_OR_RETURN(std::string s, ReadString(v, key));
        auto d = ParseDuration(s);
        if (!d.ok()) return FieldError(key, d.status().message());
        // Guard the addition: a huge duration must not overflow the clock.
        if (*d > std::chrono::hours(24 * 365 * 100)) return FieldError(key, "more than 100 years");
        job.run_at = now + *d;
        has_run_in = true;
      }
    } else {
      return FieldError(key, "unknown field");
    }
  }
  if (!has_kind) return FieldError("kind", "required");
  if (has_run_at && has_run_in) return InvalidArgument("give run_at or run_in, not both");
  STEWARD_RETURN_IF_ERROR(ValidateNewJob(job));
  return job;
}

Result<std::vector<NewJob>> ParseNewJobBatch(const nlohmann::json& j, Timestamp now) {
  if (!j.is_object()) return InvalidArgument("expected an object {\"jobs\": [...]}");
  for (const auto& [key, v] : j.items()) {
    (void)v;
    if (key != "jobs") return FieldError(key, "unknown field");
  }
  auto it = j.find("jobs");
  if (it == j.end() || !it->is_array()) return FieldError("jobs", "expected an array");
  if (it->empty()) return FieldError("jobs", "must not be empty");
  if (it->size() > kMaxBatchJobs) {
    return FieldError("jobs", "at most " + std::to_string(kMaxBatchJobs) + " per batch");
  }
  std::vector<NewJob> jobs;
  jobs.reserve(it->size());
  for (size_t i = 0; i < it->size(); ++i) {
    auto job = ParseNewJob((*it)[i], now);
    if (!job.ok()) return job.status().WithContext("jobs[" + std::to_string(i) + "]");
    jobs.push_back(std::move(job).value());
  }
  return jobs;
}

nlohmann::json TimeOrNull(const std::optional<Timestamp>& t) {
  return t ? nlohmann::json(FormatTimestamp(*t)) : nlohmann::json(nullptr);
}

nlohmann::json JobToJson(const Job& j, bool with_errors) {
  nlohmann::json out = {
      {"id", j.id},
      {"queue", j.queue},
      {"kind", j.kind},
      {"state", JobStateName(j.state)},
      {"priority", j.priority},
      {"attempt", j.attempt},
      {"max_attempts", j.max_attempts},
      {"run_at", FormatTimestamp(j.run_at)},
      {"created_at", FormatTimestamp(j.created_at)},
      {"cancel_requested", j.cancel_requested},
  };
  // The payload was validated as JSON on insert; fall back to a string
  // rather than fail the whole response if a row was edited by hand.
  auto payload = ParseJsonOrDiscarded(j.payload);
  out["payload"] = payload.is_discarded() ? nlohmann::json(j.payload) : payload;
  out["unique_key"] = j.unique_key ? nlohmann::json(*j.unique_key) : nlohmann::json(nullptr);
  const auto& ts = TimeOrNull;
  out["started_at"] = ts(j.started_at);
  out["finished_at"] = ts(j.finished_at);
  out["lease_expires_at"] = ts(j.lease_expires_at);
  out["lease_owner"] = j.lease_owner ? nlohmann::json(*j.lease_owner) : nlohmann::json(nullptr);
  if (with_errors) {
    out["errors"] = nlohmann::json::array();
    for (const auto& e : j.errors) {
      out["errors"].push_back({{"attempt", e.attempt},
                               {"at", FormatTimestamp(e.at)},
                               {"message", e.message},
                               {"detail", e.detail}});
    }
  }
  return out;
}

nlohmann::json QueueStatsToJson(const QueueStats& s) {
  nlohmann::json out = {
      {"name", s.queue},
      {"paused", s.paused},
      {"due", s.due},
      {"jobs",
       {{"scheduled", s.scheduled},
        {"available", s.available},
        {"running", s.running},
        {"retryable", s.retryable},
        {"completed", s.completed},
        {"discarded", s.discarded},
        {"cancelled", s.cancelled}}},
  };
  out["oldest_due_age_seconds"] =
      s.oldest_due_age ? nlohmann::json(std::chrono::duration<double>(*s.oldest_due_age).count())
                       : nlohmann::json(nullptr);
  return out;
}

}  // namespace steward::server
