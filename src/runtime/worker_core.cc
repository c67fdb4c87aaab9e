#include "runtime/worker_core.h"

#include <unistd.h>

#include <random>

#include "core/log.h"
#include "runtime/store_outage.h"

namespace steward {

namespace {

std::string DefaultWorkerId() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) snprintf(host, sizeof(host), "unknown");
  std::random_device rd;
  char suffix[9];
  snprintf(suffix, sizeof(suffix), "%08x", rd());
  return std::string(host) + ":" + std::to_string(getpid()) + ":" + suffix;
}

WorkerOptions WithWorkerId(WorkerOptions o) {
  if (o.worker_id.empty()) o.worker_id = DefaultWorkerId();
  return o;
}

class NullObserver final : public RuntimeObserver {};
NullObserver g_null_observer;

}  // namespace

bool StopSignal::SleepFor(Micros d) {
  auto deadline = std::chrono::steady_clock::now() + d;
  MutexLock lock(mu_);
  while (!stopped_) {
    if (!lock.WaitUntil(cv_, deadline)) break;
  }
  return !stopped_;
}

void StopSignal::Stop() {
  {
    MutexLock lock(mu_);
    stopped_ = true;
  }
  cv_.notify_all();
}

WorkerCore::WorkerCore(std::shared_ptr<Store> s, WorkerOptions options)
    : store(std::move(s)),
      opts(WithWorkerId(std::move(options))),
      clock(opts.clock ? opts.clock : &SystemClock()),
      observer(opts.observer ? opts.observer : &g_null_observer) {
  for (const auto& q : opts.queues)
    queues.push_back(std::make_unique<QueueSlots>(q, opts.claim_batch, opts.prefetch));
}

QueueSlots* WorkerCore::FindQueue(const std::string& name) {
  for (auto& q : queues) {
    if (q->options().name == name) return q.get();
  }
  return nullptr;
}

void WorkerCore::WakeAll() {
  for (auto& q : queues) q->Wake();
}

void WorkerCore::StoreFailed(std::string_view loop, std::string_view what, const Status& status) {
  observer->OnStoreError(loop, status);
  (StoreOutageLog::Failed(loop, status) ? log::Warn : log::Debug)(
      what, {{"loop", std::string(loop)}, {"error", status.ToString()}});
}

bool WorkerCore::HandBack(const std::vector<int64_t>& ids) {
  if (ids.empty()) return true;
  auto r = store->JobRelease(opts.worker_id, ids, clock->Now());
  if (!r.ok()) {
    StoreFailed("release", "handing back claimed jobs failed", r.status());
    return false;
  }
  StoreOutageLog::Succeeded();
  return true;
}

}  // namespace steward
