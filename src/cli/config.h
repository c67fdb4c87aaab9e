// Config: what `steward serve` and the CLI read from steward.toml, the
// environment (STEWARD_*) and flags, in increasing order of precedence.
//
// No file is needed: the defaults run the embedded SQLite database
// ./steward.db with the HTTP server on 127.0.0.1:8080. See
// docs/configuration.md for every key.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "builtin/exec_kind.h"
#include "builtin/http_kind.h"
#include "core/log.h"
#include "steward/status.h"
#include "steward/worker.h"

namespace steward {

// A job kind served by the daemon itself (no C++ needed): exec or http.
struct KindConfig {
  std::string name;
  std::string type;  // "exec" | "http"
  ExecKindConfig exec;
  HttpKindConfig http;
  KindOptions options;  // timeout, retry policy
};

struct Config {
  std::string database = "sqlite://./steward.db";
  // Who chose `database`, for messages: "the default", the config file's
  // path, "STEWARD_DATABASE" or "--db".
  std::string database_from = "the default";
  std::string listen = "127.0.0.1:8080";
  log::Level log_level = log::Level::kInfo;
  log::Format log_format = log::Format::kAuto;
  WorkerOptions worker;  // queues, lease, grace, retention...
  std::vector<KindConfig> kinds;
  // Where the file came from, for messages ("" when defaults only).
  std::string source;
  // The whole file. Sections owned by other modules ([schedules.*],
  // [checks.*], [alerts], [notify.*], [server]) are parsed by those modules
  // from this text, so each stays in its own file.
  std::string toml_text;
};

// Parses TOML text. `origin` names the file in error messages. Errors are
// kInvalidArgument naming the key ("worker.lease: duration \"x\": ...").
Result<Config> ParseConfig(std::string_view toml_text, std::string_view origin = "steward.toml");
// Reads and parses a file; kNotFound if it does not exist.
Result<Config> LoadConfigFile(const std::string& path);
// Applies STEWARD_DATABASE, STEWARD_LISTEN, STEWARD_LOG_LEVEL,
// STEWARD_LOG_FORMAT, STEWARD_WORKER_ID, STEWARD_SHUTDOWN_GRACE,
// STEWARD_CONCURRENCY (of the default queue) from `getenv`.
Status ApplyEnvironment(Config& config, const std::map<std::string, std::string>* env = nullptr);

}  // namespace steward
