// The `steward` subcommands. Each returns a process exit status and prints
// errors as one line on stderr ("steward: <what>: <why>").
#pragma once

#include <optional>
#include <string>

#include "cli/config.h"
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
// Opens and migrates the configured store.
Result<std::unique_ptr<Store>> OpenConfiguredStore(const Config& config);

int Fail(const Status& status, std::string_view what);

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
  std::string run_at;   // RFC 3339
  std::string in;       // duration from now
};
int RunEnqueue(const GlobalOptions& g, const EnqueueOptions& e);

struct JobsListOptions {
  std::string queue, state, kind;
  int limit = 50;
  int64_t before = 0;
};
int RunJobsList(const GlobalOptions& g, const JobsListOptions& o);
int RunJobsShow(const GlobalOptions& g, int64_t id);
int RunJobsRetry(const GlobalOptions& g, int64_t id);
int RunJobsCancel(const GlobalOptions& g, int64_t id);
int RunQueues(const GlobalOptions& g);
int RunQueuePause(const GlobalOptions& g, const std::string& queue, bool paused);
int RunMigrate(const GlobalOptions& g);


}  // namespace steward::cli
