// Alert rules: which conditions open an alert, how it is identified, and
// when it resolves. Pure logic and configuration; watch/alerter.h applies
// them to runtime events and writes the alerts.
//
// | rule             | fires when                                  | fingerprint labels | resolves                 |
// |------------------|---------------------------------------------|--------------------|--------------------------|
// | job_discarded    | a job is discarded                          | kind               | quiet_period w/o repeats |
// | kind_failing     | N consecutive failed attempts of a kind     | kind               | a success of the kind, or quiet_period |
// | kind_failure_ratio | >= ratio of a kind's attempts failed over the window (min attempts) | kind | ratio below the threshold |
// | queue_lag        | oldest due job older than the threshold     | queue              | lag below the threshold  |
// | db_unreachable   | store errors for longer than the threshold  | -                  | the store works again    |
// | pool_exhausted   | pool waiters on two evaluations in a row    | -                  | no waiters               |
// | pool_leak        | the pool reported a leaked connection        | -                  | quiet_period             |
// | worker_lost      | the rescuer returned a dead worker's jobs   | worker             | quiet_period             |
// | check_down       | a check/schedule reported down (OnCheckDown) | check              | OnCheckUp                |
// | schedule_broken  | a schedule's cron no longer parses          | schedule           | quiet_period             |
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "steward/clock.h"

namespace steward {

struct AlertRulesConfig {
  bool job_discarded = true;
  bool kind_failing = true;
  int kind_failing_consecutive = 5;  // failed attempts in a row (retries included)
  // kind_failure_ratio: at least this share of a kind's finished attempts
  // failed within the window, over at least min_attempts attempts.
  bool kind_failure_ratio = true;
  double failure_ratio = 0.5;
  Micros failure_ratio_window = std::chrono::minutes(10);
  int failure_ratio_min_attempts = 20;
  bool queue_lag = true;
  Micros queue_lag_threshold = std::chrono::minutes(5);
  bool db_unreachable = true;
  Micros db_unreachable_after = std::chrono::seconds(60);
  bool pool = true;
  bool worker_lost = true;
  bool check_down = true;  // also schedule_broken
  // Alerts that fire per occurrence (discards, failing kinds, lost workers,
  // leaks) resolve after this long without a repeat.
  Micros quiet_period = std::chrono::hours(1);
  // Distinct values per label (kind, queue, worker); later ones become
  // "other", so a bug that invents kinds cannot create unbounded alerts.
  size_t max_label_values = 200;
};

using AlertLabels = std::vector<std::pair<std::string, std::string>>;

// "job_discarded:kind=email" (labels in the given order).
std::string AlertFingerprint(const std::string& rule, const AlertLabels& labels);
// {"kind":"email"}
std::string AlertLabelsJson(const AlertLabels& labels);
// Rules resolved by quiet_period rather than by an explicit condition.
bool ResolvesWhenQuiet(const std::string& rule);
// "7m12s", "3h0m", "45s".
std::string HumanDuration(Micros d);
// The part of an error a person needs first: its last non-empty line (an
// exception's type and message end a stack trace), cut to its last
// `max_bytes` bytes (on a UTF-8 boundary, led by "…") when longer.
inline constexpr size_t kErrorTailBytes = 200;
std::string ErrorTail(std::string_view error, size_t max_bytes = kErrorTailBytes);

// Caps the distinct values of each label name. Thread-safe.
class LabelCap {
 public:
  explicit LabelCap(size_t max) : max_(max) {}
  std::string Apply(const std::string& name, const std::string& value);

 private:
  size_t max_;
  std::mutex mu_;
  std::map<std::string, std::set<std::string>> seen_;
};

// Consecutive failed attempts per kind. Not thread-safe (alerter thread).
class FailureStreaks {
 public:
  // Returns the streak after this outcome (0 after a success).
  int Record(const std::string& kind, bool failed);

 private:
  std::map<std::string, int> streak_;
};

// Finished attempts and failures per kind over a sliding window, counted in
// 60 buckets of window/60 each, so memory per kind is bounded whatever the
// throughput (the window's edge is accurate to one bucket). Kinds are
// bounded by the caller (LabelCap). Not thread-safe (alerter lock).
class FailureWindow {
 public:
  static constexpr int64_t kBuckets = 60;
  struct Counts {
    int64_t attempts = 0;
    int64_t failures = 0;
    double ratio() const { return attempts == 0 ? 0.0 : static_cast<double>(failures) / static_cast<double>(attempts); }
  };

  explicit FailureWindow(Micros window);
  void Record(const std::string& kind, bool failed, Timestamp at);
  // The counts of the window ending at `now`; forgets older buckets.
  Counts Get(const std::string& kind, Timestamp now);

 private:
  struct Bucket {
    int64_t index = 0;  // at / bucket_
    int64_t attempts = 0;
    int64_t failures = 0;
  };
  int64_t bucket_us_;
  std::map<std::string, std::vector<Bucket>> kinds_;  // oldest first, at most kBuckets
};

}  // namespace steward
