// The heartbeat: extends the leases of this worker's jobs, delivers
// cancellation requests, and fails attempts past their timeout.
#include <algorithm>

#include "runtime/completion.h"
#include "runtime/store_outage.h"
#include "runtime/worker_core.h"

namespace steward {

namespace {
using namespace std::chrono_literals;
// A lease is extended this many times before it would expire, so one missed
// beat (a slow store call) does not lose it...
constexpr int kBeatsPerLease = 3;
// ...and at least this often, which bounds how late a handler sees a cancel.
constexpr Micros kMaxBeat = 1s;
}  // namespace

void RunHeartbeat(WorkerCore& core) {
  const Micros tick = std::min<Micros>(core.opts.lease / kBeatsPerLease, kMaxBeat);
  while (core.loops_stop.SleepFor(tick)) {
    core.observer->OnLoopTick("heartbeat");
    std::vector<int64_t> ids;
    auto timed_out = core.running.TakeTimedOut(std::chrono::steady_clock::now(), &ids);
    for (auto& rj : timed_out) {
      Outcome timeout = Outcome::Failure("timeout: handler exceeded its time limit");
      JobCompletion c = CompletionFor(
          AttemptEnd{.job = rj->job,
                     .outcome = timeout,
                     .policy = core.handlers.RetryFor(rj->job.kind, core.opts.default_retry),
                     .cancel_requested = false,
                     .worker_id = core.opts.worker_id,
                     .now = core.clock->Now()});
      core.completions.Put(FinishedAttempt{std::move(c), std::move(rj), Micros(0)});
    }
    if (ids.empty()) continue;
    auto cancels =
        core.store->JobExtendLeases(core.opts.worker_id, ids, core.clock->Now() + core.opts.lease);
    if (!cancels.ok()) {
      core.StoreFailed("heartbeat", "lease extension failed", cancels.status());
      continue;
    }
    StoreOutageLog::Succeeded();
    core.running.RequestCancel(cancels.value());
  }
  core.observer->OnLoopStopped("heartbeat");
}

}  // namespace steward
