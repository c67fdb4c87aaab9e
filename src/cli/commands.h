// The `steward` subcommands. Each returns a process exit status and prints
// errors as one line on stderr ("steward: <what>: <why>").
#pragma once

#include <optional>
#include <string>
#include <type_traits>

#include "cli/config.h"
#include "core/log.h"
#include "steward/job.h"
#include "store/store.h"

namespace steward::cli {

// Options shared by every subcommand.
struct GlobalOptions {
  std::string config_path;  // --config; "" = $STEWARD_CONFIG or ./steward.toml if present
  std::string db;           // --db; overrides config and environment
  bool json = false;        // --json output for scripts
};

// Loads config (file, environment, flags) and configures logging.
Result<Config> ResolveConfig(const GlobalOptions& g);

// Only `serve` and `migrate` may create a database: any other command run
// in the wrong directory must not leave a fresh ./steward.db behind.
enum class DbAccess { kExisting, kCreate };
// Opens and migrates the configured store. With kExisting, a SQLite file
// that does not exist is kNotFound, naming the path, who chose it and how
// to point at another database.
Result<std::unique_ptr<Store>> OpenConfiguredStore(const Config& config, DbAccess access);
// The file a SQLite database URL names, or nullopt for PostgreSQL.
std::optional<std::string> SqliteFile(const std::string& url);

int Fail(const Status& status, std::string_view what);

// Resolves the config, opens the store and runs fn(store, what), or
// fn(store, what, config) when fn takes the config too.
template <typename F>
int WithStore(const GlobalOptions& g, std::string_view what, F fn,
              DbAccess access = DbAccess::kExisting) {
  auto config = ResolveConfig(g);
  if (!config.ok()) return Fail(config.status(), "config");
  auto store = OpenConfiguredStore(*config, access);
  if (!store.ok()) return Fail(store.status(), "database " + log::RedactUrl(config->database));
  if constexpr (std::is_invocable_v<F, Store&, std::string_view, const Config&>) {
    return fn(**store, what, *config);
  } else {
    return fn(**store, what);
  }
}

// "2026-01-01 10:00:00 UTC" (whole seconds); "-" for nullopt.
std::string FormatUtc(Timestamp t);
std::string FormatUtc(const std::optional<Timestamp>& t);
// At most n characters, "..." marking a cut.
std::string Truncate(std::string s, size_t n);

// A warning when no [kinds.KIND] in the config handles `kind`: the job is
// kept, but only a program that registers a handler for it will run it.
// Commands print it on stderr, or as "warning" in their --json output.
std::optional<std::string> NoHandlerWarning(const Config& config, const std::string& kind);
// Prints `warning` (if any) on stderr as "steward: WHAT: warning: ...".
void PrintWarning(const std::optional<std::string>& warning, std::string_view what);

struct ServeOptions {
  std::string listen;  // --listen overrides config
  bool demo = false;   // register demo kinds and enqueue demo jobs
};
int RunServe(const GlobalOptions& g, const ServeOptions& s);

struct EnqueueOptions {
  std::string kind;
  std::string payload = "{}";
  std::string queue = "default";
  int priority = 0;
  int max_attempts = 20;
  std::string unique_key;
  std::string run_at;  // RFC 3339
  std::string in;      // duration from now
  // Given on the command line, even if empty: `--in ''` is an error.
  bool run_at_given = false, in_given = false;
};
int RunEnqueue(const GlobalOptions& g, const EnqueueOptions& e);

struct JobsListOptions {
  std::string queue, state, kind;
  int limit = 50;
  int64_t before = 0;
};
struct JobsRetryOptions {
  bool force = false;  // also re-run a completed job
};
int RunJobsList(const GlobalOptions& g, const JobsListOptions& o);
int RunJobsShow(const GlobalOptions& g, int64_t id);
// Pending (scheduled, available, retryable): runs now, attempts kept.
// Discarded or cancelled: runs again from attempt 1. Completed: only with
// --force. Running: refused.
int RunJobsRetry(const GlobalOptions& g, int64_t id, const JobsRetryOptions& o);
int RunJobsCancel(const GlobalOptions& g, int64_t id);
int RunQueues(const GlobalOptions& g);
int RunQueuePause(const GlobalOptions& g, const std::string& queue, bool paused);
int RunMigrate(const GlobalOptions& g);

}  // namespace steward::cli
