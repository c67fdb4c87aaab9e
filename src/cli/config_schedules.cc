#include "cli/config_schedules.h"

#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "cli/config_keys.h"
#include "core/duration.h"
#include "store/schedule_ops.h"

namespace steward {

namespace {

Status KeyError(const std::string& path, const std::string& msg) {
  return InvalidArgument(path + ": " + msg);
}

Result<std::string> GetString(const toml::node& n, const std::string& path) {
  auto v = n.value<std::string>();
  if (!v) return KeyError(path, "expected a string");
  return *v;
}

Result<int> GetInt(const toml::node& n, const std::string& path, int lo, int hi) {
  auto v = n.value<int64_t>();
  if (!v) return KeyError(path, "expected an integer");
  if (*v < lo || *v > hi) {
    return KeyError(path, "must be in " + std::to_string(lo) + ".." + std::to_string(hi));
  }
  return static_cast<int>(*v);
}

Result<Micros> GetDuration(const toml::node& n, const std::string& path) {
  STEWARD_ASSIGN_OR_RETURN(std::string s, GetString(n, path));
  auto d = ParseDuration(s);
  if (!d.ok()) return KeyError(path, d.status().message());
  return *d;
}

// An inline table becomes its JSON text; a string must already be JSON.
Result<std::string> GetPayload(const toml::node& n, const std::string& path) {
  if (const toml::table* t = n.as_table()) {
    std::ostringstream out;
    out << toml::json_formatter{*t};
    return out.str();
  }
  auto s = n.value<std::string>();
  if (!s) return KeyError(path, "expected an inline table or a JSON object string");
  return *s;
}

Result<ScheduleSpec> ParseSchedule(const std::string& name, const toml::table& t) {
  ScheduleSpec s;
  s.name = name;
  s.source = "config";
  const std::string base = "schedules." + name;
  for (const auto& [k, v] : t) {
    const std::string key(k.str());
    const std::string path = base + "." + key;
    if (key == "cron") {
      STEWARD_ASSIGN_OR_RETURN(s.cron, GetString(v, path));
    } else if (key == "timezone" || key == "time_zone") {
      STEWARD_ASSIGN_OR_RETURN(s.time_zone, GetString(v, path));
    } else if (key == "kind") {
      STEWARD_ASSIGN_OR_RETURN(s.kind, GetString(v, path));
    } else if (key == "queue") {
      STEWARD_ASSIGN_OR_RETURN(s.queue, GetString(v, path));
    } else if (key == "payload") {
      STEWARD_ASSIGN_OR_RETURN(s.payload, GetPayload(v, path));
    } else if (key == "priority") {
      STEWARD_ASSIGN_OR_RETURN(s.priority, GetInt(v, path, -1000, 1000));
    } else if (key == "max_attempts") {
      STEWARD_ASSIGN_OR_RETURN(s.max_attempts, GetInt(v, path, 1, 1000));
    } else if (key == "catch_up") {
      STEWARD_ASSIGN_OR_RETURN(std::string p, GetString(v, path));
      auto policy = ParseCatchUpPolicy(p);
      if (!policy.ok()) return KeyError(path, policy.status().message());
      s.catch_up = *policy;
    } else if (key == "max_catch_up") {
      STEWARD_ASSIGN_OR_RETURN(s.max_catch_up, GetInt(v, path, 1, 10000));
    } else if (key == "overlap") {
      STEWARD_ASSIGN_OR_RETURN(std::string p, GetString(v, path));
      auto policy = ParseOverlapPolicy(p);
      if (!policy.ok()) return KeyError(path, policy.status().message());
      s.overlap = *policy;
    } else if (key == "enabled") {
      auto b = v.value<bool>();
      if (!b) return KeyError(path, "expected true or false");
      s.enabled = *b;
    } else if (key == "grace") {
      STEWARD_ASSIGN_OR_RETURN(s.grace, GetDuration(v, path));
    } else {
      return cli::UnknownKey(base, key,
                             {"cron", "timezone", "time_zone", "kind", "queue", "payload",
                              "priority", "max_attempts", "catch_up", "max_catch_up", "overlap",
                              "enabled", "grace"});
    }
  }
  if (s.cron.empty()) return KeyError(base + ".cron", "required");
  if (s.kind.empty()) return KeyError(base + ".kind", "required");
  if (Status st = schedule_ops::ValidateScheduleSpec(s); !st.ok()) {
    return KeyError(base, st.message());
  }
  return s;
}

Result<CheckSpec> ParseCheck(const std::string& name, const toml::table& t) {
  CheckSpec c;
  c.name = name;
  c.source = "config";
  const std::string base = "checks." + name;
  for (const auto& [k, v] : t) {
    const std::string key(k.str());
    const std::string path = base + "." + key;
    if (key == "period") {
      STEWARD_ASSIGN_OR_RETURN(Micros d, GetDuration(v, path));
      c.period = d;
    } else if (key == "cron") {
      STEWARD_ASSIGN_OR_RETURN(c.cron, GetString(v, path));
    } else if (key == "timezone" || key == "time_zone") {
      STEWARD_ASSIGN_OR_RETURN(c.time_zone, GetString(v, path));
    } else if (key == "grace") {
      STEWARD_ASSIGN_OR_RETURN(c.grace, GetDuration(v, path));
    } else {
      return cli::UnknownKey(base, key, {"period", "cron", "timezone", "time_zone", "grace"});
    }
  }
  if (Status st = schedule_ops::ValidateCheckSpec(c); !st.ok()) return KeyError(base, st.message());
  return c;
}

}  // namespace

Result<ScheduleConfig> ParseScheduleConfig(std::string_view toml_text, std::string_view origin) {
  toml::table root;
  try {
    root = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& err) {
    return InvalidArgument(std::string(origin) + ":" + std::to_string(err.source().begin.line) +
                           ": " + std::string(err.description()));
  }
  ScheduleConfig out;
  for (const char* section : {"schedules", "checks"}) {
    const toml::node* n = root.get(section);
    if (!n) continue;
    const toml::table* sec = n->as_table();
    if (!sec) return KeyError(section, "expected a table of [" + std::string(section) + ".NAME]");
    for (const auto& [k, v] : *sec) {
      const std::string name(k.str());
      const toml::table* t = v.as_table();
      if (!t) return KeyError(std::string(section) + "." + name, "expected a table");
      if (std::string_view(section) == "schedules") {
        STEWARD_ASSIGN_OR_RETURN(ScheduleSpec s, ParseSchedule(name, *t));
        out.schedules.push_back(std::move(s));
      } else {
        STEWARD_ASSIGN_OR_RETURN(CheckSpec c, ParseCheck(name, *t));
        out.checks.push_back(std::move(c));
      }
    }
  }
  return out;
}

Status ApplyScheduleConfig(Store& store, const ScheduleConfig& config, Timestamp now) {
  std::vector<std::string> schedule_names, check_names;
  for (const ScheduleSpec& s : config.schedules) {
    STEWARD_RETURN_IF_ERROR(store.ScheduleUpsert(s, now).status().WithContext("schedule " + s.name));
    schedule_names.push_back(s.name);
  }
  for (const CheckSpec& c : config.checks) {
    STEWARD_RETURN_IF_ERROR(store.CheckUpsert(c, now).status().WithContext("check " + c.name));
    check_names.push_back(c.name);
  }
  STEWARD_RETURN_IF_ERROR(store.ScheduleDisableMissing("config", schedule_names, now).status());
  STEWARD_RETURN_IF_ERROR(store.CheckDisableMissing("config", check_names, now).status());
  return Status::Ok();
}

}  // namespace steward
