// What every subcommand shares (config, opening the database, errors,
// times), and the queue and migrate commands.
#include "cli/commands.h"

#include <date/date.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/duration.h"
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
  if (!g.db.empty()) {
    config.database = g.db;
    config.database_from = "--db";
  }
  log::Configure(config.log_level, config.log_format);
  return config;
}

std::optional<std::string> SqliteFile(const std::string& url) {
  if (url.starts_with("postgres://") || url.starts_with("postgresql://")) return std::nullopt;
  std::string rest = url.starts_with("sqlite://") ? url.substr(9) : url;
  if (rest.find("://") != std::string::npos) return std::nullopt;  // OpenStore names the scheme
  return rest.substr(0, rest.find('?'));
}

Result<std::unique_ptr<Store>> OpenConfiguredStore(const Config& config, DbAccess access) {
  if (access == DbAccess::kExisting) {
    std::optional<std::string> file = SqliteFile(config.database);
    if (file && !file->empty() && !std::filesystem::exists(*file)) {
      return NotFound("no database at " + *file + " (chosen by " + config.database_from +
                      "); only `steward serve` and `steward migrate` create one. Point at "
                      "another with --db, STEWARD_DATABASE or `database` in steward.toml");
    }
  }
  STEWARD_ASSIGN_OR_RETURN(auto store, OpenStore(config.database));
  STEWARD_RETURN_IF_ERROR(store->Migrate());
  return store;
}

std::string FormatUtc(Timestamp t) {
  return date::format("%F %T UTC", std::chrono::floor<std::chrono::seconds>(t));
}

std::string FormatUtc(const std::optional<Timestamp>& t) { return t ? FormatUtc(*t) : "-"; }

std::optional<std::string> NoHandlerWarning(const Config& config, const std::string& kind) {
  for (const KindConfig& k : config.kinds) {
    if (k.name == kind) return std::nullopt;
  }
  return "no [kinds." + kind + "] in " +
         (config.source.empty() ? std::string("the config (no steward.toml found)")
                                : config.source) +
         "; the job waits for a program that registers a handler for \"" + kind +
         "\" (steward serve alone cannot run it)";
}

void PrintWarning(const std::optional<std::string>& warning, std::string_view what) {
  if (!warning) return;
  std::fprintf(stderr, "steward: %.*s: warning: %s\n", static_cast<int>(what.size()), what.data(),
               warning->c_str());
}

std::string Truncate(std::string s, size_t n) {
  if (s.size() > n) s = s.substr(0, n - 3) + "...";
  return s;
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
      std::string age =
          s.oldest_due_age
              ? FormatDuration(std::chrono::floor<std::chrono::seconds>(*s.oldest_due_age))
              : "-";
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
  return WithStore(
      g, "migrate",
      [&](Store& store, std::string_view what) {
        auto v = store.SchemaVersion();
        if (!v.ok()) return Fail(v.status(), what);
        std::printf("schema at version %d (latest %d)\n", v->first, v->second);
        return 0;
      },
      DbAccess::kCreate);
}

}  // namespace steward::cli
