// `steward enqueue` and `steward jobs list|show|retry|cancel`: talk to the
// database directly (no daemon needed).
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/duration.h"
#include "core/time_parse.h"
#include "server/api_json.h"
#include "store/job_run_again.h"

namespace steward::cli {

namespace {

// Whether a listed job may have an error worth showing. JobList does not
// load errors, so each of these costs one JobGet: never-tried and completed
// jobs (most of a list) cost nothing.
bool MayHaveError(const Job& j) {
  return j.state == JobState::kRetryable || j.state == JobState::kDiscarded ||
         (j.attempt > 0 && j.state != JobState::kCompleted && j.state != JobState::kRunning);
}

std::optional<AttemptError> LastError(Store& store, const Job& j) {
  if (!MayHaveError(j)) return std::nullopt;
  auto full = store.JobGet(j.id);
  if (!full.ok() || full->errors.empty()) return std::nullopt;
  return full->errors.back();
}

nlohmann::json ErrorToJson(const std::optional<AttemptError>& e) {
  if (!e) return nullptr;
  return {{"attempt", e->attempt}, {"at", FormatTimestamp(e->at)}, {"message", e->message}};
}

void PrintField(const char* name, const std::string& value) {
  std::printf("  %-13s %s\n", name, value.c_str());
}

void PrintJob(const Job& j) {
  std::printf("job %lld\n", static_cast<long long>(j.id));
  PrintField("kind", j.kind);
  PrintField("queue", j.queue);
  PrintField("state", std::string(JobStateName(j.state)) +
                          (j.cancel_requested ? " (cancel requested)" : ""));
  PrintField("attempt", std::to_string(j.attempt) + " of " + std::to_string(j.max_attempts));
  PrintField("priority", std::to_string(j.priority));
  PrintField("run at", FormatUtc(j.run_at));
  PrintField("created at", FormatUtc(j.created_at));
  PrintField("started at", FormatUtc(j.started_at));
  PrintField("finished at", FormatUtc(j.finished_at));
  if (j.lease_owner) {
    PrintField("lease", *j.lease_owner + " until " + FormatUtc(j.lease_expires_at));
  }
  if (j.unique_key) PrintField("unique key", *j.unique_key);
  PrintField("payload", Truncate(j.payload, 2000));
  if (j.errors.empty()) {
    std::printf("errors: none\n");
    return;
  }
  std::printf("errors (oldest first):\n");
  for (const AttemptError& e : j.errors) {
    std::printf("  attempt %d at %s: %s\n", e.attempt, FormatUtc(e.at).c_str(), e.message.c_str());
    size_t start = 0;
    while (start < e.detail.size()) {  // the detail indented, line by line
      size_t end = e.detail.find('\n', start);
      if (end == std::string::npos) end = e.detail.size();
      std::printf("      %s\n", e.detail.substr(start, end - start).c_str());
      start = end + 1;
    }
  }
}

}  // namespace

int RunEnqueue(const GlobalOptions& g, const EnqueueOptions& e) {
  NewJob job;
  job.kind = e.kind;
  job.payload = e.payload;
  job.queue = e.queue;
  job.priority = e.priority;
  job.max_attempts = e.max_attempts;
  if (!e.unique_key.empty()) job.unique_key = e.unique_key;
  if (e.run_at_given && e.in_given) {
    return Fail(InvalidArgument("give --run-at or --in, not both"), "enqueue");
  }
  if (e.run_at_given) {
    auto t = ParseTimestamp(e.run_at);
    if (!t.ok()) return Fail(t.status(), "enqueue --run-at");
    job.run_at = *t;
  }
  if (e.in_given) {
    auto d = ParseDuration(e.in);
    if (!d.ok()) return Fail(d.status(), "enqueue --in");
    job.run_at = SystemClock().Now() + *d;
  }
  // Validate before touching the database: bad input never opens it.
  if (Status st = ValidateNewJob(job); !st.ok()) return Fail(st, "enqueue");
  return WithStore(g, "enqueue", [&](Store& store, std::string_view what, const Config& config) {
    auto r = store.JobInsertMany(std::span<const NewJob>(&job, 1), SystemClock().Now());
    if (!r.ok()) return Fail(r.status(), what);
    const InsertedJob& ins = r->at(0);
    const std::optional<std::string> warning =
        ins.duplicate ? std::nullopt : NoHandlerWarning(config, job.kind);
    if (g.json) {
      nlohmann::json out = {{"id", ins.id}, {"duplicate", ins.duplicate}};
      if (warning) out["warning"] = *warning;
      std::printf("%s\n", out.dump().c_str());
    } else {
      PrintWarning(warning, what);
      std::printf("%s job %lld\n", ins.duplicate ? "existing" : "enqueued",
                  static_cast<long long>(ins.id));
    }
    return 0;
  });
}

int RunJobsList(const GlobalOptions& g, const JobsListOptions& o) {
  JobListParams p;
  if (!o.queue.empty()) p.queue = o.queue;
  if (!o.kind.empty()) p.kind = o.kind;
  if (!o.state.empty()) {
    p.state = ParseJobState(o.state);
    if (!p.state) return Fail(InvalidArgument("unknown state \"" + o.state + "\""), "jobs list");
  }
  if (o.limit < 1 || o.limit > 1000) {
    return Fail(InvalidArgument("--limit must be in 1..1000"), "jobs list");
  }
  p.limit = o.limit;
  if (o.before > 0) p.before_id = o.before;
  return WithStore(g, "jobs list", [&](Store& store, std::string_view what) {
    auto jobs = store.JobList(p);
    if (!jobs.ok()) return Fail(jobs.status(), what);
    if (g.json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& j : *jobs) {
        nlohmann::json row = server::JobToJson(j, /*with_errors=*/false);
        row["last_error"] = ErrorToJson(LastError(store, j));
        out.push_back(std::move(row));
      }
      std::printf("%s\n", out.dump().c_str());
      return 0;
    }
    std::printf("%-10s %-12s %-24s %-10s %-8s %-23s %s\n", "ID", "QUEUE", "KIND", "STATE",
                "ATTEMPT", "RUN AT", "LAST ERROR");
    for (const auto& j : *jobs) {
      std::string attempt = std::to_string(j.attempt) + "/" + std::to_string(j.max_attempts);
      std::optional<AttemptError> error = LastError(store, j);
      std::printf("%-10lld %-12s %-24s %-10s %-8s %-23s %s\n", static_cast<long long>(j.id),
                  Truncate(j.queue, 12).c_str(), Truncate(j.kind, 24).c_str(),
                  std::string(JobStateName(j.state)).c_str(), attempt.c_str(),
                  FormatUtc(j.run_at).c_str(), error ? Truncate(error->message, 60).c_str() : "");
    }
    if (!jobs->empty() && static_cast<int>(jobs->size()) == p.limit) {
      std::printf("(more: --before %lld)\n", static_cast<long long>(jobs->back().id));
    }
    return 0;
  });
}

int RunJobsShow(const GlobalOptions& g, int64_t id) {
  return WithStore(g, "jobs show", [&](Store& store, std::string_view what) {
    auto job = store.JobGet(id);
    if (!job.ok()) return Fail(job.status(), what);
    if (g.json) {
      std::printf("%s\n", server::JobToJson(*job, /*with_errors=*/true).dump().c_str());
    } else {
      PrintJob(*job);
    }
    return 0;
  });
}

int RunJobsRetry(const GlobalOptions& g, int64_t id, const JobsRetryOptions& o) {
  return WithStore(g, "jobs retry", [&](Store& store, std::string_view what) {
    auto was = RunJobAgain(store, id, SystemClock().Now(), o.force);
    if (!was.ok()) return Fail(was.status(), what);
    if (g.json) {
      std::printf("%s\n", nlohmann::json({{"id", id}, {"state", "available"}}).dump().c_str());
    } else {
      std::printf("job %lld is available now (was %s)\n", static_cast<long long>(id),
                  std::string(JobStateName(*was)).c_str());
    }
    return 0;
  });
}

int RunJobsCancel(const GlobalOptions& g, int64_t id) {
  return WithStore(g, "jobs cancel", [&](Store& store, std::string_view what) {
    auto st = store.JobCancel(id, SystemClock().Now());
    if (!st.ok()) return Fail(st.status(), what);
    if (*st == JobState::kRunning) {
      std::printf("job %lld is running; its handler was asked to stop\n",
                  static_cast<long long>(id));
    } else {
      std::printf("job %lld cancelled\n", static_cast<long long>(id));
    }
    return 0;
  });
}

}  // namespace steward::cli
