#include "watch/alert_evaluator.h"

#include <nlohmann/json.hpp>

#include "core/json_limits.h"
#include "core/log.h"
#include "runtime/store_outage.h"

namespace steward {

namespace {

// The value of one label of a stored alert ("" when absent).
std::string StoredLabel(const Alert& a, const char* name) {
  auto labels = ParseJsonOrDiscarded(a.labels_json);
  return labels.is_object() ? labels.value(name, "") : "";
}

}  // namespace

AlertEvaluator::AlertEvaluator(std::shared_ptr<Store> store, const AlertRulesConfig& rules,
                               AlertEvaluatorOptions options, Clock& clock, AlertEventRules& events,
                               AlertWriteBuffer& buffer)
    : store_(std::move(store)),
      rules_(rules),
      options_(std::move(options)),
      clock_(clock),
      events_(events),
      buffer_(buffer) {
  if (options_.digest.enabled) {
    auto d = Digest::Make(options_.digest);
    if (d.ok()) {
      digest_ = std::move(d).value();
    } else {
      log::Error("daily digest disabled: invalid configuration",
                 {{"error", d.status().ToString()}});
    }
  }
}

void AlertEvaluator::Evaluate() {
  const Timestamp now = clock_.Now();
  // db_unreachable: fires once per outage; the write waits for the database.
  if (rules_.db_unreachable) {
    if (auto outage = events_.DbUnreachableDue(now, rules_.db_unreachable_after)) {
      events_.Fire("db_unreachable", {}, "Database unreachable", outage->detail, std::nullopt, 1,
                   "error", outage->since);
    }
  }
  // Queue lag, from pending jobs only (cheap beside millions of finished ones).
  std::set<std::string> lagging;
  bool stats_ok = false;
  if (rules_.queue_lag) {
    auto stats = store_->QueueLagAll(now);
    if (stats.ok()) {
      stats_ok = true;
      for (const QueueStats& q : *stats) {
        if (q.paused || !q.oldest_due_age || *q.oldest_due_age < rules_.queue_lag_threshold)
          continue;
        lagging.insert(q.queue);
        events_.Fire("queue_lag", {{"queue", q.queue}},
                     "Queue " + q.queue + " is behind: oldest due job waiting " +
                         HumanDuration(*q.oldest_due_age),
                     std::to_string(q.due) + " jobs due",
                     std::nullopt, 1, "warning");
      }
    } else {
      events_.OnStoreError(kLoopName, stats.status());
    }
  }
  if (rules_.pool && options_.pool_stats) EvaluatePool();
  events_.RecheckFailureRatios();
  if (digest_) WriteDigest(now);
  ResolveQuiet(now, lagging, stats_ok);
}

void AlertEvaluator::EvaluatePool() {
  auto pool = options_.pool_stats();
  if (!pool) return;
  pool_waiting_rounds_ = pool->waiters > 0 ? pool_waiting_rounds_ + 1 : 0;
  const bool fire_exhausted = pool_waiting_rounds_ >= kPoolWaitingRoundsToFire;
  const bool resolve_exhausted = pool_waiting_rounds_ == 0 && pool_alert_fired_;
  pool_alert_fired_ = fire_exhausted || (pool_alert_fired_ && !resolve_exhausted);
  const bool leak = pool_leaks_seen_ >= 0 && pool->leaks_detected_total > pool_leaks_seen_;
  pool_leaks_seen_ = pool->leaks_detected_total;
  if (fire_exhausted) {
    events_.Fire(
        "pool_exhausted", {}, "Database connection pool exhausted",
        std::to_string(pool->in_use) + " in use, " + std::to_string(pool->waiters) + " waiting");
  }
  if (resolve_exhausted) events_.Resolve("pool_exhausted", {}, "no more waiters");
  if (leak)
    events_.Fire("pool_leak", {}, "Database connection held too long (leak)",
                 "see the log for the holder");
}

void AlertEvaluator::WriteDigest(Timestamp now) {
  // Written once across nodes (the store decides).
  auto written = digest_->Tick(*store_, options_.channels, now);
  if (!written.ok()) {
    if (written.status().code() == StatusCode::kUnavailable)
      events_.OnStoreError(kLoopName, written.status());
    (StoreOutageLog::Failed(kLoopName, written.status()) ? log::Warn : log::Debug)(
        "daily digest not written; will retry", {{"error", written.status().ToString()}});
  } else if (*written > 0) {
    log::Info("daily digest enqueued", {{"rows", *written}});
    if (options_.on_enqueued) options_.on_enqueued();
  }
}

void AlertEvaluator::ResolveQuiet(Timestamp now, const std::set<std::string>& lagging,
                                  bool stats_ok) {
  // What is open in the database (also after a restart, or from another node).
  auto open = store_->AlertList(/*open_only=*/true, kOpenAlertsScanned);
  if (!open.ok()) return;
  for (const Alert& a : *open) {
    if (buffer_.Pending(a.fingerprint)) continue;
    // Recorded under the alert's own fingerprint: labels were capped when it
    // fired, so rebuilding the fingerprint here could differ.
    auto resolve = [&](const std::string& detail) {
      AlertChange change;
      change.resolve = true;
      change.rule = a.rule;
      change.detail = detail;
      change.recorded = std::chrono::steady_clock::now();
      buffer_.Add(a.fingerprint, std::move(change));
    };
    if (ResolvesWhenQuiet(a.rule) && now - a.last_seen >= rules_.quiet_period) {
      resolve("no repeat for " + HumanDuration(rules_.quiet_period));
    } else if (a.rule == "kind_failure_ratio" && now - a.last_seen >= rules_.failure_ratio_window) {
      // Opened before a restart, or by a node that stopped reporting it: no
      // failure at the threshold for a whole window.
      if (!events_.FailureRatioOpenHere(StoredLabel(a, "kind"))) {
        resolve("no failures at the threshold for " + HumanDuration(rules_.failure_ratio_window));
      }
    } else if (a.rule == "queue_lag" && stats_ok) {
      if (!lagging.count(StoredLabel(a, "queue")))
        resolve("lag below " + HumanDuration(rules_.queue_lag_threshold));
    }
  }
}

}  // namespace steward
