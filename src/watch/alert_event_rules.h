// AlertEventRules: the alert rules driven by events (watch/alert_rules.h has
// the table): a job finished or discarded, jobs rescued from a lost worker,
// a check going down or up, a schedule that stopped, the store failing and
// recovering. Each event becomes an alert change in the write buffer
// (watch/alert_write_buffer.h); nothing here touches the database, so the
// callbacks are quick and safe on runtime threads.
//
// It also keeps the state the periodic evaluation (watch/alert_evaluator.h)
// reads: the failure-ratio window and the store outage.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/observer.h"
#include "steward/clock.h"
#include "steward/status.h"
#include "store/schedule_store.h"
#include "watch/alert_rules.h"
#include "watch/alert_write_buffer.h"

namespace steward {

class AlertEventRules {
 public:
  // A worker_lost detail lists this many rescued jobs, then "and N more".
  static constexpr size_t kRescuedJobsListed = 20;

  // `buffer` and `clock` must outlive this.
  AlertEventRules(const AlertRulesConfig& rules, Clock& clock, AlertWriteBuffer& buffer);

  // --- runtime events (any thread) -----------------------------------------
  void OnJobFinished(const Job& job, JobState new_state, const AttemptError* error);
  void OnJobsRescued(const std::vector<RescuedJob>& jobs);
  void OnStoreError(std::string_view loop, const Status& status);
  void OnStoreRecovered();

  // --- checks and schedules (any thread) -----------------------------------
  // `at`: when the check went down (default: now).
  void OnCheckDown(const std::string& name, const std::string& detail,
                   std::optional<Timestamp> at = std::nullopt);
  void OnCheckUp(const std::string& name);
  void OnCheckStateChanged(const CheckTransition& t);
  void OnScheduleBroken(const std::string& schedule, const std::string& error);

  // Any rule: records an occurrence / a resolution (labels capped here).
  // `at` is when the occurrence happened (default: now).
  void Fire(const std::string& rule, const AlertLabels& labels, const std::string& summary,
            const std::string& detail, std::optional<int64_t> job_id = std::nullopt,
            int64_t count = 1, const std::string& severity = "error",
            std::optional<Timestamp> at = std::nullopt);
  void Resolve(const std::string& rule, const AlertLabels& labels, const std::string& detail = "");

  // --- for the periodic evaluation -----------------------------------------
  // db_unreachable: once per outage, when the store has been failing for at
  // least `after`: since when, and the detail to fire with.
  struct DbOutage {
    Timestamp since;
    std::string detail;
  };
  std::optional<DbOutage> DbUnreachableDue(Timestamp now, Micros after);
  // Re-judges every kind at or over the ratio: the window drains as time
  // passes, so an idle kind resolves without a new outcome.
  void RecheckFailureRatios();
  // Whether this node holds kind_failure_ratio open for `kind` (then this
  // node resolves it, not the evaluation of stale alerts).
  bool FailureRatioOpenHere(const std::string& kind) const;

 private:
  // kind_failure_ratio: records one outcome (when `failed` is set) and opens
  // or resolves the kind's alert from the window ending now.
  void CheckFailureRatio(const std::string& kind, std::optional<bool> failed,
                         std::optional<int64_t> job_id, const std::string& message,
                         std::optional<Timestamp> at);
  // kind_failing: counts the outcome into the kind's streak.
  void CheckConsecutiveFailures(const Job& job, bool failed, const std::string& message,
                                std::optional<Timestamp> at);
  AlertLabels Capped(const AlertLabels& labels);

  const AlertRulesConfig& rules_;
  Clock& clock_;
  AlertWriteBuffer& buffer_;
  LabelCap labels_;

  mutable std::mutex mu_;  // guards everything below
  // One broken kind is one alert. Both kind rules see it (5 failures in a
  // row, then 20 attempts over the ratio), and two messages a second apart
  // for one cause are noise: whichever of the two opened first speaks for
  // the kind, and the other stays quiet while it is open (this node's view).
  FailureStreaks streaks_;
  std::set<std::string> failing_kinds_;  // kind_failing open
  FailureWindow ratio_window_;
  std::set<std::string> ratio_above_;  // at or over the ratio, with enough attempts
  std::set<std::string> ratio_kinds_;  // kind_failure_ratio open
  std::optional<Timestamp> store_down_since_;
  std::string store_error_;
  bool db_alert_fired_ = false;
};

}  // namespace steward
