#include "cli/config.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <toml++/toml.h>

#include "cli/config_keys.h"
#include "core/duration.h"

namespace steward {

namespace {

Status KeyError(std::string_view key, const std::string& msg) {
  return InvalidArgument(std::string(key) + ": " + msg);
}

// Reads an optional duration string at `key` of `tbl`.
Status ReadDuration(const toml::table& tbl, std::string_view key, std::string_view path, Micros& out) {
  const toml::node* n = tbl.get(key);
  if (!n) return Status::Ok();
  auto s = n->value<std::string>();
  if (!s) return KeyError(path, "expected a duration string such as \"30s\"");
  auto d = ParseDuration(*s);
  if (!d.ok()) return KeyError(path, d.status().message());
  out = *d;
  return Status::Ok();
}

Status ReadInt(const toml::table& tbl, std::string_view key, std::string_view path, int& out) {
  const toml::node* n = tbl.get(key);
  if (!n) return Status::Ok();
  auto v = n->value<int64_t>();
  if (!v) return KeyError(path, "expected an integer");
  if (*v < -1000000000 || *v > 1000000000) return KeyError(path, "integer out of range");
  out = static_cast<int>(*v);
  return Status::Ok();
}

Status ReadString(const toml::table& tbl, std::string_view key, std::string_view path, std::string& out) {
  const toml::node* n = tbl.get(key);
  if (!n) return Status::Ok();
  auto v = n->value<std::string>();
  if (!v) return KeyError(path, "expected a string");
  out = *v;
  return Status::Ok();
}

Status ReadStringMap(const toml::table& tbl, std::string_view key, std::string_view path,
                     std::map<std::string, std::string>& out) {
  const toml::node* n = tbl.get(key);
  if (!n) return Status::Ok();
  const toml::table* t = n->as_table();
  if (!t) return KeyError(path, "expected a table of strings");
  for (const auto& [k, v] : *t) {
    auto s = v.value<std::string>();
    if (!s) return KeyError(std::string(path) + "." + std::string(k.str()), "expected a string");
    out[std::string(k.str())] = *s;
  }
  return Status::Ok();
}

Status ParseLogSettings(const toml::table& root, Config& c) {
  std::string level, format;
  STEWARD_RETURN_IF_ERROR(ReadString(root, "log_level", "log_level", level));
  STEWARD_RETURN_IF_ERROR(ReadString(root, "log_format", "log_format", format));
  if (!level.empty()) {
    auto l = log::ParseLevel(level);
    if (!l) return KeyError("log_level", "expected debug, info, warn or error, got \"" + level + "\"");
    c.log_level = *l;
  }
  if (!format.empty()) {
    if (format == "json") c.log_format = log::Format::kJson;
    else if (format == "text") c.log_format = log::Format::kText;
    else if (format == "auto") c.log_format = log::Format::kAuto;
    else return KeyError("log_format", "expected json, text or auto, got \"" + format + "\"");
  }
  return Status::Ok();
}

Status ParseWorker(const toml::table& root, Config& c) {
  const toml::node* wn = root.get("worker");
  if (!wn) return Status::Ok();
  const toml::table* w = wn->as_table();
  if (!w) return KeyError("worker", "expected a table");
  STEWARD_RETURN_IF_ERROR(cli::CheckKeys(
      *w, "worker",
      {"id", "lease", "rescue_interval", "poll_interval", "default_timeout", "shutdown_grace",
       "keep_completed", "keep_failed", "keep_nodes", "keep_stats", "keep_audit", "retry_base",
       "retry_max", "claim_batch", "prefetch", "prefetch_hold"}));
  WorkerOptions& o = c.worker;
  STEWARD_RETURN_IF_ERROR(ReadString(*w, "id", "worker.id", o.worker_id));
  STEWARD_RETURN_IF_ERROR(ReadDuration(*w, "lease", "worker.lease", o.lease));
  STEWARD_RETURN_IF_ERROR(ReadDuration(*w, "rescue_interval", "worker.rescue_interval", o.rescue_interval));
  STEWARD_RETURN_IF_ERROR(ReadDuration(*w, "poll_interval", "worker.poll_interval", o.poll_interval));
  STEWARD_RETURN_IF_ERROR(ReadDuration(*w, "default_timeout", "worker.default_timeout", o.default_timeout));
  STEWARD_RETURN_IF_ERROR(ReadDuration(*w, "shutdown_grace", "worker.shutdown_grace", o.shutdown_grace));
  STEWARD_RETURN_IF_ERROR(ReadDuration(*w, "keep_completed", "worker.keep_completed", o.keep_completed));
  STEWARD_RETURN_IF_ERROR(ReadDuration(*w, "keep_failed", "worker.keep_failed", o.keep_failed));
  STEWARD_RETURN_IF_ERROR(ReadDuration(*w, "keep_nodes", "worker.keep_nodes", o.keep_nodes));
  STEWARD_RETURN_IF_ERROR(ReadDuration(*w, "keep_stats", "worker.keep_stats", o.keep_stats));
  STEWARD_RETURN_IF_ERROR(ReadDuration(*w, "keep_audit", "worker.keep_audit", o.keep_audit));
  STEWARD_RETURN_IF_ERROR(ReadDuration(*w, "retry_base", "worker.retry_base", o.default_retry.base));
  STEWARD_RETURN_IF_ERROR(ReadDuration(*w, "retry_max", "worker.retry_max", o.default_retry.max));
  STEWARD_RETURN_IF_ERROR(ReadInt(*w, "claim_batch", "worker.claim_batch", o.claim_batch));
  STEWARD_RETURN_IF_ERROR(ReadInt(*w, "prefetch", "worker.prefetch", o.prefetch));
  STEWARD_RETURN_IF_ERROR(ReadDuration(*w, "prefetch_hold", "worker.prefetch_hold", o.prefetch_hold));
  return Status::Ok();
}

Status ParseQueues(const toml::table& root, Config& c) {
  const toml::node* qn = root.get("queues");
  if (!qn) return Status::Ok();
  const toml::table* qs = qn->as_table();
  if (!qs) return KeyError("queues", "expected a table of queues ([queues.NAME])");
  c.worker.queues.clear();
  for (const auto& [name, node] : *qs) {
    std::string path = "queues." + std::string(name.str());
    const toml::table* q = node.as_table();
    if (!q) return KeyError(path, "expected a table");
    STEWARD_RETURN_IF_ERROR(cli::CheckKeys(*q, path, {"concurrency"}));
    QueueOptions qo;
    qo.name = std::string(name.str());
    STEWARD_RETURN_IF_ERROR(ReadInt(*q, "concurrency", path + ".concurrency", qo.concurrency));
    if (qo.concurrency < 1 || qo.concurrency > 10000) {
      return KeyError(path + ".concurrency", "must be in 1..10000, got " + std::to_string(qo.concurrency));
    }
    c.worker.queues.push_back(qo);
  }
  if (c.worker.queues.empty()) return KeyError("queues", "at least one queue is required");
  return Status::Ok();
}

Status ParseKinds(const toml::table& root, Config& c) {
  const toml::node* kn = root.get("kinds");
  if (!kn) return Status::Ok();
  const toml::table* ks = kn->as_table();
  if (!ks) return KeyError("kinds", "expected a table of kinds ([kinds.NAME])");
  for (const auto& [name, node] : *ks) {
    std::string path = "kinds." + std::string(name.str());
    const toml::table* k = node.as_table();
    if (!k) return KeyError(path, "expected a table");
    STEWARD_RETURN_IF_ERROR(cli::CheckKeys(*k, path,
                                           {"type", "command", "env", "workdir", "url", "headers",
                                            "timeout", "retry_base", "retry_max"}));
    KindConfig kc;
    kc.name = std::string(name.str());
    NewJob probe;
    probe.kind = kc.name;
    if (Status st = ValidateNewJob(probe); !st.ok()) return KeyError(path, st.message());
    STEWARD_RETURN_IF_ERROR(ReadString(*k, "type", path + ".type", kc.type));
    STEWARD_RETURN_IF_ERROR(ReadDuration(*k, "timeout", path + ".timeout", kc.options.timeout));
    Micros retry_base{0}, retry_max{0};
    STEWARD_RETURN_IF_ERROR(ReadDuration(*k, "retry_base", path + ".retry_base", retry_base));
    STEWARD_RETURN_IF_ERROR(ReadDuration(*k, "retry_max", path + ".retry_max", retry_max));
    if (retry_base > Micros(0) || retry_max > Micros(0)) {
      RetryPolicy p = c.worker.default_retry;
      if (retry_base > Micros(0)) p.base = retry_base;
      if (retry_max > Micros(0)) p.max = retry_max;
      kc.options.retry = p;
    }
    if (kc.type != "exec" && kc.type != "http") {
      return KeyError(path + ".type", "expected \"exec\" or \"http\", got \"" + kc.type + "\"");
    }
    for (const char* key : {"command", "env", "workdir", "url", "headers"}) {
      const bool exec_key = std::string_view(key) == "command" || std::string_view(key) == "env" ||
                            std::string_view(key) == "workdir";
      if (k->contains(key) && exec_key != (kc.type == "exec")) {
        return KeyError(path + "." + key, std::string("only used with type = \"") +
                                              (exec_key ? "exec" : "http") + "\"");
      }
    }
    if (kc.type == "exec") {
      const toml::node* cmd = k->get("command");
      const toml::array* arr = cmd ? cmd->as_array() : nullptr;
      if (!arr || arr->empty()) {
        return KeyError(path + ".command", "expected a non-empty array of strings (argv)");
      }
      for (const auto& a : *arr) {
        auto s = a.value<std::string>();
        if (!s) return KeyError(path + ".command", "expected strings");
        kc.exec.command.push_back(*s);
      }
      STEWARD_RETURN_IF_ERROR(ReadStringMap(*k, "env", path + ".env", kc.exec.env));
      STEWARD_RETURN_IF_ERROR(ReadString(*k, "workdir", path + ".workdir", kc.exec.workdir));
      if (Status st = ValidateExecKindConfig(kc.exec); !st.ok()) return KeyError(path, st.message());
    } else if (kc.type == "http") {
      STEWARD_RETURN_IF_ERROR(ReadString(*k, "url", path + ".url", kc.http.url));
      STEWARD_RETURN_IF_ERROR(ReadStringMap(*k, "headers", path + ".headers", kc.http.headers));
      if (kc.options.timeout > Micros(0)) kc.http.timeout = kc.options.timeout;
      if (Status st = ValidateHttpKindConfig(kc.http); !st.ok()) return KeyError(path, st.message());
    }
    c.kinds.push_back(std::move(kc));
  }
  return Status::Ok();
}

}  // namespace

Result<Config> ParseConfig(std::string_view toml_text, std::string_view origin) {
  // Debian's toml++ is built with exceptions: a parse error throws.
  toml::table parsed;
  try {
    parsed = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& err) {
    return InvalidArgument(std::string(origin) + ":" + std::to_string(err.source().begin.line) +
                           ":" + std::to_string(err.source().begin.column) + ": " +
                           std::string(err.description()));
  }
  const toml::table& root = parsed;
  // Sections owned by other modules are parsed by them from the same file.
  if (Status st = cli::CheckKeys(root, "",
                                 {"database", "listen", "log_level", "log_format", "worker",
                                  "queues", "kinds", "schedules", "checks", "alerts", "notify",
                                  "server", "dashboard"});
      !st.ok()) {
    return InvalidArgument(std::string(origin) + ": " + st.message());
  }
  Config c;
  c.source = std::string(origin);
  c.toml_text = std::string(toml_text);
  STEWARD_RETURN_IF_ERROR(ReadString(root, "database", "database", c.database));
  if (root.contains("database")) c.database_from = std::string(origin);
  STEWARD_RETURN_IF_ERROR(ReadString(root, "listen", "listen", c.listen));
  STEWARD_RETURN_IF_ERROR(ParseLogSettings(root, c));
  STEWARD_RETURN_IF_ERROR(ParseWorker(root, c));
  STEWARD_RETURN_IF_ERROR(ParseQueues(root, c));
  STEWARD_RETURN_IF_ERROR(ParseKinds(root, c));
  return c;
}

Result<Config> LoadConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound("config file \"" + path + "\" cannot be read");
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseConfig(ss.str(), path);
}

Status ApplyEnvironment(Config& c, const std::map<std::string, std::string>* env) {
  auto get = [&](const char* name) -> std::optional<std::string> {
    if (env) {
      auto it = env->find(name);
      if (it == env->end()) return std::nullopt;
      return it->second;
    }
    const char* v = std::getenv(name);
    if (!v) return std::nullopt;
    return std::string(v);
  };
  if (auto v = get("STEWARD_DATABASE")) {
    c.database = *v;
    c.database_from = "STEWARD_DATABASE";
  }
  if (auto v = get("STEWARD_LISTEN")) c.listen = *v;
  if (auto v = get("STEWARD_WORKER_ID")) c.worker.worker_id = *v;
  if (auto v = get("STEWARD_LOG_LEVEL")) {
    auto l = log::ParseLevel(*v);
    if (!l) return InvalidArgument("STEWARD_LOG_LEVEL: expected debug, info, warn or error");
    c.log_level = *l;
  }
  if (auto v = get("STEWARD_LOG_FORMAT")) {
    if (*v == "json") c.log_format = log::Format::kJson;
    else if (*v == "text") c.log_format = log::Format::kText;
    else if (*v == "auto") c.log_format = log::Format::kAuto;
    else return InvalidArgument("STEWARD_LOG_FORMAT: expected json, text or auto");
  }
  if (auto v = get("STEWARD_SHUTDOWN_GRACE")) {
    auto d = ParseDuration(*v);
    if (!d.ok()) return d.status().WithContext("STEWARD_SHUTDOWN_GRACE");
    c.worker.shutdown_grace = *d;
  }
  if (auto v = get("STEWARD_CONCURRENCY")) {
    char* end = nullptr;
    long n = std::strtol(v->c_str(), &end, 10);
    if (end == v->c_str() || *end != '\0' || n < 1 || n > 10000) {
      return InvalidArgument("STEWARD_CONCURRENCY: expected an integer in 1..10000, got \"" + *v + "\"");
    }
    for (auto& q : c.worker.queues) {
      if (q.name == "default") q.concurrency = static_cast<int>(n);
    }
  }
  return Status::Ok();
}

}  // namespace steward
