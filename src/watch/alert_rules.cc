#include "watch/alert_rules.h"

#include <algorithm>

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

std::string ErrorTail(std::string_view error, size_t max_bytes) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!error.empty() && is_space(error.back())) error.remove_suffix(1);
  const size_t newline = error.find_last_of('\n');
  std::string_view line = newline == std::string_view::npos ? error : error.substr(newline + 1);
  while (!line.empty() && is_space(line.front())) line.remove_prefix(1);
  if (line.size() <= max_bytes) return std::string(line);
  size_t start = line.size() - max_bytes;
  // Forward to the start of a UTF-8 sequence (continuation bytes are 10xxxxxx).
  while (start < line.size() && (static_cast<unsigned char>(line[start]) & 0xC0) == 0x80) ++start;
  return "\xE2\x80\xA6" + std::string(line.substr(start));  // "…"
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

FailureWindow::FailureWindow(Micros window)
    : bucket_us_(std::max<int64_t>(1, window.count() / kBuckets)) {}

void FailureWindow::Record(const std::string& kind, bool failed, Timestamp at) {
  const int64_t index = ToMicros(at) / bucket_us_;
  auto& buckets = kinds_[kind];
  if (buckets.empty() || buckets.back().index < index) {
    buckets.push_back(Bucket{index, 0, 0});
    if (static_cast<int64_t>(buckets.size()) > kBuckets) buckets.erase(buckets.begin());
  }
  // An outcome reported slightly out of order lands in the newest bucket.
  Bucket& b = buckets.back();
  ++b.attempts;
  if (failed) ++b.failures;
}

FailureWindow::Counts FailureWindow::Get(const std::string& kind, Timestamp now) {
  Counts c;
  auto it = kinds_.find(kind);
  if (it == kinds_.end()) return c;
  const int64_t oldest = ToMicros(now) / bucket_us_ - kBuckets + 1;
  auto& buckets = it->second;
  buckets.erase(buckets.begin(), std::find_if(buckets.begin(), buckets.end(),
                                              [&](const Bucket& b) { return b.index >= oldest; }));
  if (buckets.empty()) {
    kinds_.erase(it);
    return c;
  }
  for (const Bucket& b : buckets) {
    c.attempts += b.attempts;
    c.failures += b.failures;
  }
  return c;
}

}  // namespace steward
