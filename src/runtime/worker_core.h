// WorkerCore: the state the worker's loops share, and the loops themselves
// (one file each).
//
//   fetcher.cc      one per queue: claims due jobs into the free slots plus a
//                   claim-ahead (prefetch); sleeps until an enqueue, the next
//                   run_at or the poll.
//   executor.cc     <concurrency> per queue: run handlers.
//   completer.cc    writes outcomes in batches (one transaction per batch).
//   heartbeat.cc    extends leases of claimed jobs, delivers cancellation,
//                   enforces per-job timeouts, hands back held jobs past
//                   prefetch_hold or of a paused queue.
//   maintenance.cc  rescues jobs of dead workers; retention cleanup.
//
// Each loop ticks into the observer for health. Locks live in small classes
// (QueueSlots, RunningJobs, CompletionInbox, StopSignal), each guarding its
// own state; no loop holds two at once. WorkerCore is held by shared_ptr, so
// a handler that ignores cancellation past shutdown cannot touch freed memory.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <string_view>
#include <vector>

#include "core/thread_annotations.h"
#include "runtime/completer.h"
#include "runtime/handler_table.h"
#include "runtime/queue_slots.h"
#include "runtime/running_jobs.h"
#include "steward/observer.h"
#include "steward/worker.h"
#include "store/store.h"

namespace steward {

// Lets loops sleep between iterations and ends them on Stop().
class StopSignal {
 public:
  // Sleeps for `d`; false once Stop() was called (at once if it was).
  bool SleepFor(Micros d) EXCLUDES(mu_);
  void Stop() EXCLUDES(mu_);

 private:
  Mutex mu_;
  std::condition_variable cv_;
  bool stopped_ GUARDED_BY(mu_) = false;
};

struct WorkerCore {
  WorkerCore(std::shared_ptr<Store> store, WorkerOptions options);

  QueueSlots* FindQueue(const std::string& name);
  void WakeAll();
  // Reports a failed store call of `loop` to the observer and the log (once
  // per outage for connectivity failures; see StoreOutageLog).
  void StoreFailed(std::string_view loop, std::string_view what, const Status& status);
  // Hands claimed, unstarted jobs back to the store (JobRelease: pending
  // again, attempt not counted). False if the store refused; their leases
  // then expire and the rescuer returns them.
  bool HandBack(const std::vector<int64_t>& ids);

  const std::shared_ptr<Store> store;
  const WorkerOptions opts;  // worker_id filled in
  Clock* const clock;
  RuntimeObserver* const observer;
  HandlerTable handlers;  // fixed once Start() runs
  std::vector<std::unique_ptr<QueueSlots>> queues;
  RunningJobs running;
  CompletionInbox completions;
  std::atomic<bool> stopping{false};  // fetchers stop claiming
  StopSignal loops_stop;              // heartbeat and maintenance
};

// How often the heartbeat beats: lease/3, at most 1 s.
Micros HeartbeatTick(const WorkerOptions& opts);

void RunFetcher(WorkerCore& core, QueueSlots& queue);
void RunExecutor(WorkerCore& core, QueueSlots& queue);
void RunCompleter(WorkerCore& core);
void RunHeartbeat(WorkerCore& core);
void RunMaintenance(WorkerCore& core);

}  // namespace steward
