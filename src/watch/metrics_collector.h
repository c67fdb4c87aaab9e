// MetricsCollector: refreshes the database-derived gauges in the background.
//
// Queue depth and lag come from QueueStatsAll, which scans the jobs table.
// Running it per scrape would let any number of scrapers (Prometheus HA
// pairs, curious humans) load the database, so a single thread refreshes the
// gauges every `interval` and scrapes read the cached values.
//
// Each round: Ping -> steward_store_up, QueueStatsAll -> queue gauges,
// CheckList -> check gauges (so Prometheus can alert on them too), the
// optional pool provider -> pool gauges, then a tick of loop "metrics" to the
// health observer (so a hung collector shows up in /livez).
//
// Start/Stop follow the loop contract: Stop without Start and a second Stop
// are harmless; Stop returns once the thread has exited.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "runtime/observer.h"
#include "steward/clock.h"
#include "store/store.h"
#include "watch/metrics.h"

namespace steward {

struct MetricsCollectorOptions {
  std::chrono::milliseconds interval{5000};
  Clock* clock = nullptr;               // default SystemClock(); "now" for due ages
  RuntimeObserver* health = nullptr;    // receives OnLoopTick("metrics"); not owned
  DbPoolStatsProvider pool_stats;       // optional (PostgreSQL pool)
};

class MetricsCollector {
 public:
  static constexpr const char* kLoopName = "metrics";

  // `metrics` must outlive the collector.
  MetricsCollector(std::shared_ptr<Store> store, MetricsObserver* metrics,
                   MetricsCollectorOptions options = {});
  ~MetricsCollector();
  MetricsCollector(const MetricsCollector&) = delete;
  MetricsCollector& operator=(const MetricsCollector&) = delete;

  void Start();
  void Stop();
  // One refresh round on the calling thread (also used by Start's first round).
  void CollectOnce();

 private:
  void Run();

  std::shared_ptr<Store> store_;
  MetricsObserver* metrics_;
  MetricsCollectorOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace steward
