// MetricsObserver: Steward's Prometheus metrics.
//
// Counts runtime events (it is a RuntimeObserver), holds the gauges that the
// MetricsCollector refreshes from the database, and renders everything in
// the Prometheus text format for GET /metrics.
//
// Naming follows Prometheus conventions: prefix steward_, base units
// (seconds), counters end in _total, no unbounded labels. Labels are queue
// and kind only; job ids never become labels. Because queue and kind names
// come from callers (the API accepts any valid name), each label keeps at
// most `max_label_values` distinct values and folds the rest into "other", so
// a misbehaving client cannot explode the number of series.
//
// Thread-safe; runtime callbacks do a hash lookup and an atomic add.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "runtime/observer.h"
#include "steward/clock.h"
#include "store/store.h"

namespace steward {

// Connection-pool numbers, as reported by a backend that has a pool
// (PostgreSQL). Totals are cumulative since the pool was created.
struct DbPoolNumbers {
  int64_t in_use = 0;
  int64_t idle = 0;
  int64_t waiters = 0;
  double wait_seconds_total = 0;
  int64_t leaks_detected_total = 0;
};
using DbPoolStatsProvider = std::function<std::optional<DbPoolNumbers>()>;

struct MetricsOptions {
  std::string version = "0.0.0";  // steward_build_info{version}
  std::string backend;            // steward_build_info{backend}: "sqlite" | "postgres"
  size_t max_label_values = 200;  // queue label values; the rest become "other"
  size_t max_kinds = 50;          // kind label values; the rest become "other"
  // RenderForScrape() serves text at most this old, so a burst of scrapes
  // (several Prometheus replicas, a dashboard) costs one render. 0: never cached.
  Micros scrape_cache{std::chrono::seconds(1)};
  const Clock* clock = nullptr;  // for the scrape cache; nullptr: SystemClock()
};

// Keeps at most `cap` distinct values of one label; later ones map to "other".
class LabelLimiter {
 public:
  explicit LabelLimiter(size_t cap) : cap_(cap) {}
  std::string operator()(const std::string& value);

 private:
  size_t cap_;
  std::mutex mu_;
  std::set<std::string, std::less<>> seen_;
};

class MetricsObserver final : public RuntimeObserver {
 public:
  explicit MetricsObserver(MetricsOptions options = {});

  // --- RuntimeObserver ---------------------------------------------------
  void OnJobStarted(const Job& job, Micros wait) override;
  void OnJobFinished(const Job& job, JobState new_state, Micros duration,
                     const AttemptError* error) override;
  void OnJobsRescued(const std::vector<RescuedJob>& jobs) override;
  void OnStoreError(std::string_view loop, const Status& status) override;

  // --- fed by the API and the collector -----------------------------------
  // Jobs newly inserted through the API (duplicates are not counted).
  void CountEnqueued(const std::string& queue, int64_t n = 1);
  // Replaces the database-derived queue gauges. Queues that disappeared
  // from the stats are reset to zero rather than left at stale values.
  void SetQueueStats(const std::vector<QueueStats>& stats);
  // Replaces the check gauges (dead-man's switches, including schedules'
  // checks): steward_check_state{check,state} and the last success time.
  // Checks that disappeared lose their series.
  void SetChecks(const std::vector<Check>& checks);
  void SetStoreUp(bool up);
  void SetPoolStats(const DbPoolNumbers& n);

  // The text exposition format (Content-Type: kContentType), rendered now.
  std::string Render() const;
  // What GET /metrics serves: Render()'s text, reused while younger than
  // `scrape_cache`. Concurrent callers wait for one render instead of each
  // doing their own.
  std::string RenderForScrape();
  static constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

  prometheus::Registry& registry() { return *registry_; }

 private:
  prometheus::Labels JobLabels(const std::string& queue, const std::string& kind);

  MetricsOptions options_;
  std::shared_ptr<prometheus::Registry> registry_;
  LabelLimiter queues_, kinds_;

  prometheus::Family<prometheus::Counter>& started_;
  prometheus::Family<prometheus::Counter>& completed_;
  prometheus::Family<prometheus::Counter>& failed_;
  prometheus::Family<prometheus::Counter>& retried_;
  prometheus::Family<prometheus::Counter>& discarded_;
  prometheus::Family<prometheus::Counter>& cancelled_;
  prometheus::Family<prometheus::Counter>& snoozed_;
  prometheus::Family<prometheus::Counter>& rescued_;
  prometheus::Family<prometheus::Counter>& enqueued_;
  prometheus::Family<prometheus::Counter>& store_errors_;
  prometheus::Family<prometheus::Histogram>& duration_;
  prometheus::Family<prometheus::Histogram>& wait_;

  prometheus::Family<prometheus::Gauge>& queue_jobs_;
  prometheus::Family<prometheus::Gauge>& queue_oldest_due_age_;
  prometheus::Family<prometheus::Gauge>& queue_paused_;
  prometheus::Gauge& store_up_;

  prometheus::Family<prometheus::Gauge>& pool_connections_;
  prometheus::Gauge& pool_waiters_;
  prometheus::Counter& pool_wait_seconds_;
  prometheus::Counter& pool_leaks_;

  prometheus::Family<prometheus::Gauge>& check_state_;
  prometheus::Family<prometheus::Gauge>& check_last_success_;

  std::mutex scrape_mu_;  // guards the two below; held while rendering
  std::string scrape_text_;
  std::optional<Timestamp> scrape_at_;

  std::mutex gauges_mu_;  // serialises SetQueueStats / SetChecks / SetPoolStats
  std::set<std::string> gauge_queues_;
  std::set<std::string> gauge_checks_;
  DbPoolNumbers last_pool_;
};

}  // namespace steward
