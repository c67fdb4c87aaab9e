// AlertEvaluator: the alert rules judged on a timer rather than on an event
// (watch/alert_rules.h has the table): db_unreachable once the outage has
// lasted long enough, queue lag, the connection pool, the failure-ratio
// window draining, the daily digest, and the resolution of open alerts that
// went quiet (also those opened before a restart or by another node).
//
// Evaluate() reads the store (queue stats, open alerts) and records its
// changes in the write buffer like the event rules do. Not concurrently
// with itself (the alerter's thread, or a test).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "steward/clock.h"
#include "store/store.h"
#include "watch/alert_event_rules.h"
#include "watch/alert_rules.h"
#include "watch/alert_write_buffer.h"
#include "watch/digest.h"
#include "watch/metrics.h"

namespace steward {

struct AlertEvaluatorOptions {
  std::vector<std::string> channels;  // the digest's outbox rows
  DbPoolStatsProvider pool_stats;     // empty = pool rules off
  DigestConfig digest;
  std::function<void()> on_enqueued;  // after the digest was enqueued
};

class AlertEvaluator {
 public:
  // The health loop name store errors found here are reported under.
  static constexpr const char* kLoopName = "alerter";
  // pool_exhausted fires after waiters on this many evaluations in a row: one
  // round with waiters is a burst, two is a pool too small for the load.
  static constexpr int kPoolWaitingRoundsToFire = 2;
  // Open alerts examined per round for quiet resolution.
  static constexpr int kOpenAlertsScanned = 1000;

  // Everything passed by reference must outlive this.
  AlertEvaluator(std::shared_ptr<Store> store, const AlertRulesConfig& rules,
                 AlertEvaluatorOptions options, Clock& clock, AlertEventRules& events,
                 AlertWriteBuffer& buffer);

  void Evaluate();

 private:
  void EvaluatePool();
  void WriteDigest(Timestamp now);
  // Resolves open alerts whose condition is over; `lagging` is valid only
  // when `stats_ok` (queue stats could be read this round).
  void ResolveQuiet(Timestamp now, const std::set<std::string>& lagging, bool stats_ok);

  std::shared_ptr<Store> store_;
  const AlertRulesConfig& rules_;
  AlertEvaluatorOptions options_;
  Clock& clock_;
  AlertEventRules& events_;
  AlertWriteBuffer& buffer_;

  // Evaluation thread only.
  int pool_waiting_rounds_ = 0;
  bool pool_alert_fired_ = false;
  int64_t pool_leaks_seen_ = -1;  // -1: not read yet (a first reading is no leak)
  std::optional<Digest> digest_;
};

}  // namespace steward
