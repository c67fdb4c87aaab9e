#include "watch/alert_rules.h"

#include <nlohmann/json.hpp>

namespace steward {

std::string AlertFingerprint(const std::string& rule, const AlertLabels& labels) {
  std::string out = rule;
  for (size_t i = 0; i < labels.size(); ++i) {
    out += (i == 0 ? ":" : ",") + labels[i].first + "=" + labels[i].second;
  }
  return out;
}

std::string AlertLabelsJson(const AlertLabels& labels) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : labels) j[k] = v;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool ResolvesWhenQuiet(const std::string& rule) {
  return rule == "job_discarded" || rule == "kind_failing" || rule == "worker_lost" ||
         rule == "pool_leak" || rule == "schedule_broken";
}

std::string HumanDuration(Micros d) {
  int64_t s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return std::to_string(s / 60) + "m" + std::to_string(s % 60) + "s";
  return std::to_string(s / 3600) + "h" + std::to_string((s % 3600) / 60) + "m";
}

std::string LabelCap::Apply(const std::string& name, const std::string& value) {
  std::lock_guard lock(mu_);
  auto& seen = seen_[name];
  if (seen.count(value)) return value;
  if (seen.size() >= max_) return "other";
  seen.insert(value);
  return value;
}

int FailureStreaks::Record(const std::string& kind, bool failed) {
  if (!failed) {
    streak_.erase(kind);
    return 0;
  }
  return ++streak_[kind];
}

}  // namespace steward
