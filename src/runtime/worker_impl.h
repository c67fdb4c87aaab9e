// WorkerImpl: the runtime behind steward::Worker.
//
// Threads (each a loop that ticks into the observer for health):
//   fetcher:<queue>   claims up to (free slots) due jobs; sleeps until woken by
//                     an enqueue, the next run_at, or the poll interval.
//   executor threads  <concurrency> per queue; run handlers.
//   completer         writes outcomes in batches (one transaction per batch).
//   heartbeat         extends leases of running jobs, delivers cancellation,
//                     enforces per-job timeouts.
//   maintenance       rescues jobs of dead workers; retention cleanup.
//
// All state shared with threads lives in Core, held by shared_ptr, so a
// handler that ignores cancellation past shutdown cannot touch freed memory.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "runtime/observer.h"
#include "steward/worker.h"
#include "store/store.h"

namespace steward {

class WorkerImpl final : public Worker {
 public:
  WorkerImpl(std::shared_ptr<Store> store, WorkerOptions options);
  ~WorkerImpl() override;

  Status Handle(const std::string& kind, Handler handler, KindOptions options) override;
  Status Start() override;
  void Stop() override;
  void Wake() override;
  const std::string& id() const override;
  std::shared_ptr<Store> store() const override;
  int Running() const override;

  struct Core;

 private:
  std::shared_ptr<Core> core_;
};

// Validates options (queue names, concurrency, durations).
Status ValidateWorkerOptions(const WorkerOptions& options);

}  // namespace steward
