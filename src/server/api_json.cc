#include "server/api_json.h"

#include <limits>

#include <date/date.h>

#include "core/duration.h"

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
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(body);
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgument(std::string("malformed JSON: ") + e.what());
  }
  if (!j.is_object()) return InvalidArgument("malformed JSON: expected an object");
  return j;
}

Result<Timestamp> ParseRfc3339(std::string_view text) {
  // Hand-written rather than date::parse: strict about the shape
  // ("YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)") and free of the
  // locale/stream machinery on a path fed by untrusted input.
  auto bad = [&] {
    return InvalidArgument("time \"" + std::string(text) +
                           "\" is not RFC 3339 (e.g. 2026-11-26T09:00:00Z)");
  };
  size_t i = 0;
  auto digits = [&](size_t n, int& out) {
    if (i + n > text.size()) return false;
    out = 0;
    for (size_t k = 0; k < n; ++k) {
      char c = text[i + k];
      if (c < '0' || c > '9') return false;
      out = out * 10 + (c - '0');
    }
    i += n;
    return true;
  };
  auto expect = [&](std::string_view chars) {
    if (i >= text.size() || chars.find(text[i]) == std::string_view::npos) return false;
    ++i;
    return true;
  };
  int y, mo, d, h, mi, s;
  if (!digits(4, y) || !expect("-") || !digits(2, mo) || !expect("-") || !digits(2, d) ||
      !expect("Tt ") || !digits(2, h) || !expect(":") || !digits(2, mi) || !expect(":") ||
      !digits(2, s)) {
    return bad();
  }
  int64_t frac_us = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    int64_t scale = 100000;
    size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      frac_us += (text[i] - '0') * scale;  // digits beyond microseconds are dropped
      scale /= 10;
      ++i;
    }
    if (i == start) return bad();
  }
  int offset_min = 0;
  if (expect("Zz")) {
  } else if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    int sign = text[i] == '-' ? -1 : 1;
    ++i;
    int oh, om;
    if (!digits(2, oh) || !expect(":") || !digits(2, om) || oh > 23 || om > 59) return bad();
    offset_min = sign * (oh * 60 + om);
  } else {
    return bad();
  }
  if (i != text.size()) return bad();
  date::year_month_day ymd{date::year(y), date::month(static_cast<unsigned>(mo)),
                           date::day(static_cast<unsigned>(d))};
  // s == 60 (a leap second) is accepted and lands on the next second.
  if (!ymd.ok() || h > 23 || mi > 59 || s > 60) return bad();
  Timestamp t = date::sys_days(ymd) + std::chrono::hours(h) + std::chrono::minutes(mi) +
                std::chrono::seconds(s) + Micros(frac_us) - std::chrono::minutes(offset_min);
  return t;
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
        auto t = ParseRfc3339(s);
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
  auto payload = nlohmann::json::parse(j.payload, nullptr, false);
  out["payload"] = payload.is_discarded() ? nlohmann::json(j.payload) : payload;
  out["unique_key"] = j.unique_key ? nlohmann::json(*j.unique_key) : nlohmann::json(nullptr);
  auto ts = [](const std::optional<Timestamp>& t) {
    return t ? nlohmann::json(FormatTimestamp(*t)) : nlohmann::json(nullptr);
  };
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
