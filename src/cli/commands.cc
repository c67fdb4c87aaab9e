// Subcommands that talk to the database directly (no daemon needed).
#include "cli/commands.h"

#include <cstdio>
#include <filesystem>
#include <sstream>

#include <date/date.h>
#include <nlohmann/json.hpp>

#include "core/duration.h"
#include "core/log.h"
#include "core/time_parse.h"
#include "server/api_json.h"

namespace steward::cli {

int Fail(const Status& status, std::string_view what) {
  std::fprintf(stderr, "steward: %.*s: %s\n", static_cast<int>(what.size()), what.data(),
               status.ToString().c_str());
  // Distinct exit codes let scripts tell bad input (2) from other failures (1).
  return status.code() == StatusCode::kInvalidArgument ? 2 : 1;
}

Result<Config> ResolveConfig(const GlobalOptions& g) {
  Config config;
  std::string path = g.config_path;
  if (path.empty()) {
    if (const char* env = std::getenv("STEWARD_CONFIG")) path = env;
  }
  if (!path.empty()) {
    STEWARD_ASSIGN_OR_RETURN(config, LoadConfigFile(path));
  } else if (std::filesystem::exists("steward.toml")) {
    STEWARD_ASSIGN_OR_RETURN(config, LoadConfigFile("steward.toml"));
  }
  STEWARD_RETURN_IF_ERROR(ApplyEnvironment(config));
  if (!g.db.empty()) config.database = g.db;
  log::Configure(config.log_level, config.log_format);
  return config;
}

Result<std::unique_ptr<Store>> OpenConfiguredStore(const Config& config) {
  STEWARD_ASSIGN_OR_RETURN(auto store, OpenStore(config.database));
  STEWARD_RETURN_IF_ERROR(store->Migrate());
  return store;
}

namespace {

std::string Truncate(std::string s, size_t n) {
  if (s.size() > n) s = s.substr(0, n - 3) + "...";
  return s;
}

template <typename F>
int WithStore(const GlobalOptions& g, std::string_view what, F fn) {
  auto config = ResolveConfig(g);
  if (!config.ok()) return Fail(config.status(), "config");
  auto store = OpenConfiguredStore(*config);
  if (!store.ok()) return Fail(store.status(), "database " + log::RedactUrl(config->database));
  return fn(**store, what);
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
  if (!e.run_at.empty() && !e.in.empty()) {
    return Fail(InvalidArgument("give --run-at or --in, not both"), "enqueue");
  }
  if (!e.run_at.empty()) {
    auto t = ParseTimestamp(e.run_at);
    if (!t.ok()) return Fail(t.status(), "enqueue --run-at");
    job.run_at = *t;
  }
  if (!e.in.empty()) {
    auto d = ParseDuration(e.in);
    if (!d.ok()) return Fail(d.status(), "enqueue --in");
    job.run_at = SystemClock().Now() + *d;
  }
  // Validate before touching the database: bad input never opens (or creates) it.
  if (Status st = ValidateNewJob(job); !st.ok()) return Fail(st, "enqueue");
  return WithStore(g, "enqueue", [&](Store& store, std::string_view what) {
    auto r = store.JobInsertMany(std::span<const NewJob>(&job, 1), SystemClock().Now());
    if (!r.ok()) return Fail(r.status(), what);
    const InsertedJob& ins = r->at(0);
    if (g.json) {
      std::printf("%s\n", nlohmann::json({{"id", ins.id}, {"duplicate", ins.duplicate}}).dump().c_str());
    } else {
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
      for (const auto& j : *jobs) out.push_back(server::JobToJson(j, /*with_errors=*/false));
      std::printf("%s\n", out.dump().c_str());
      return 0;
    }
    std::printf("%-10s %-12s %-24s %-10s %-8s %-20s %s\n", "ID", "QUEUE", "KIND", "STATE",
                "ATTEMPT", "RUN AT", "LAST ERROR");
    for (const auto& j : *jobs) {
      std::string attempt = std::to_string(j.attempt) + "/" + std::to_string(j.max_attempts);
      std::string run_at = date::format("%F %T", std::chrono::floor<std::chrono::seconds>(j.run_at));
      std::printf("%-10lld %-12s %-24s %-10s %-8s %-20s %s\n", static_cast<long long>(j.id),
                  Truncate(j.queue, 12).c_str(), Truncate(j.kind, 24).c_str(),
                  std::string(JobStateName(j.state)).c_str(), attempt.c_str(), run_at.c_str(),
                  j.errors.empty() ? "" : Truncate(j.errors.back().message, 60).c_str());
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
    std::printf("%s\n", server::JobToJson(*job, /*with_errors=*/true).dump(g.json ? -1 : 2).c_str());
    return 0;
  });
}

int RunJobsRetry(const GlobalOptions& g, int64_t id) {
  return WithStore(g, "jobs retry", [&](Store& store, std::string_view what) {
    Status st = store.JobRetry(id, SystemClock().Now());
    if (!st.ok()) return Fail(st, what);
    std::printf("job %lld will run again\n", static_cast<long long>(id));
    return 0;
  });
}

int RunJobsCancel(const GlobalOptions& g, int64_t id) {
  return WithStore(g, "jobs cancel", [&](Store& store, std::string_view what) {
    auto st = store.JobCancel(id, SystemClock().Now());
    if (!st.ok()) return Fail(st.status(), what);
    if (*st == JobState::kRunning) {
      std::printf("job %lld is running; its handler was asked to stop\n", static_cast<long long>(id));
    } else {
      std::printf("job %lld cancelled\n", static_cast<long long>(id));
    }
    return 0;
  });
}

int RunQueues(const GlobalOptions& g) {
  return WithStore(g, "queues", [&](Store& store, std::string_view what) {
    auto stats = store.QueueStatsAll(SystemClock().Now());
    if (!stats.ok()) return Fail(stats.status(), what);
    if (g.json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& s : *stats) {
        out.push_back(server::QueueStatsToJson(s));
      }
      std::printf("%s\n", out.dump().c_str());
      return 0;
    }
    std::printf("%-16s %-7s %9s %9s %9s %9s %9s %9s %9s %s\n", "QUEUE", "PAUSED", "SCHEDULED",
                "AVAILABLE", "RUNNING", "RETRYABLE", "COMPLETED", "DISCARDED", "CANCELLED",
                "OLDEST DUE");
    for (const auto& s : *stats) {
      std::string age = s.oldest_due_age ? FormatDuration(std::chrono::floor<std::chrono::seconds>(*s.oldest_due_age)) : "-";
      std::printf("%-16s %-7s %9lld %9lld %9lld %9lld %9lld %9lld %9lld %s\n",
                  Truncate(s.queue, 16).c_str(), s.paused ? "yes" : "no",
                  static_cast<long long>(s.scheduled), static_cast<long long>(s.available),
                  static_cast<long long>(s.running), static_cast<long long>(s.retryable),
                  static_cast<long long>(s.completed), static_cast<long long>(s.discarded),
                  static_cast<long long>(s.cancelled), age.c_str());
    }
    return 0;
  });
}

int RunQueuePause(const GlobalOptions& g, const std::string& queue, bool paused) {
  NewJob probe;
  probe.kind = "probe";
  probe.queue = queue;
  if (Status st = ValidateNewJob(probe); !st.ok()) return Fail(st, "queues");
  return WithStore(g, "queues", [&](Store& store, std::string_view what) {
    Status st = store.QueueSetPaused(queue, paused);
    if (!st.ok()) return Fail(st, what);
    std::printf("queue %s %s\n", queue.c_str(), paused ? "paused" : "resumed");
    return 0;
  });
}

int RunMigrate(const GlobalOptions& g) {
  return WithStore(g, "migrate", [&](Store& store, std::string_view what) {
    auto v = store.SchemaVersion();
    if (!v.ok()) return Fail(v.status(), what);
    std::printf("schema at version %d (latest %d)\n", v->first, v->second);
    return 0;
  });
}

}  // namespace steward::cli
