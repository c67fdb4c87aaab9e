#include "watch/metrics_collector.h"

#include "core/log.h"
#include "runtime/store_outage.h"

namespace steward {

MetricsCollector::MetricsCollector(std::shared_ptr<Store> store, MetricsObserver* metrics,
                                   MetricsCollectorOptions options)
    : store_(std::move(store)), metrics_(metrics), options_(std::move(options)) {
  if (!options_.clock) options_.clock = &SystemClock();
}

MetricsCollector::~MetricsCollector() { Stop(); }

void MetricsCollector::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void MetricsCollector::Stop() {
  {
    std::lock_guard lock(mu_);
    if (!thread_.joinable()) return;
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  if (options_.health) options_.health->OnLoopStopped(kLoopName);
}

void MetricsCollector::CollectOnce() {
  Status ping = store_->Ping();
  bool up = ping.ok();
  if (up) {
    StoreOutageLog::Succeeded();
    auto stats = store_->QueueStatsAll(options_.clock->Now());
    if (stats.ok()) {
      metrics_->SetQueueStats(*stats);
    } else {
      up = false;
      (StoreOutageLog::Failed("metrics", stats.status()) ? log::Warn : log::Debug)(
          "metrics: queue stats failed", {{"error", stats.status().ToString()}});
    }
    auto checks = store_->CheckList();
    if (checks.ok()) {
      metrics_->SetChecks(*checks);
    } else {
      (StoreOutageLog::Failed("metrics", checks.status()) ? log::Warn : log::Debug)(
          "metrics: listing checks failed", {{"error", checks.status().ToString()}});
    }
  } else {
    (StoreOutageLog::Failed("metrics", ping) ? log::Warn : log::Debug)("metrics: database ping failed",
                                                                      {{"error", ping.ToString()}});
  }
  metrics_->SetStoreUp(up);
  if (options_.pool_stats) {
    if (auto n = options_.pool_stats()) metrics_->SetPoolStats(*n);
  }
}

void MetricsCollector::Run() {
  for (;;) {
    CollectOnce();
    if (options_.health) options_.health->OnLoopTick(kLoopName);
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, options_.interval, [&] { return stop_; })) return;
  }
}

}  // namespace steward
