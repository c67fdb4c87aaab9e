// The fetcher: one per queue; claims due jobs into the queue's free slots
// and its claim-ahead (QueueSlots).
#include <algorithm>

#include "core/log.h"
#include "runtime/store_outage.h"
#include "runtime/worker_core.h"

namespace steward {

namespace {
using namespace std::chrono_literals;
// Backoff between failed claims: doubles from the first to the last.
constexpr Micros kClaimRetryFirst = 100ms;
constexpr Micros kClaimRetryMax = 5s;
}  // namespace

void RunFetcher(WorkerCore& core, QueueSlots& q) {
  const std::string& name = q.fetcher_name();
  Micros backoff = kClaimRetryFirst;
  bool failing = false;
  while (!core.stopping.load()) {
    // Under load, claim only once a useful batch of slots is free (or the
    // executors ran out of work).
    int want = q.AwaitClaim(core.stopping, core.opts.poll_interval,
                            [&] { core.observer->OnLoopTick(name); });
    if (want == 0) break;
    // Leases count from before the round trip: the local view never
    // outlives the store's.
    const auto claimed_at = std::chrono::steady_clock::now();
    Timestamp now = core.clock->Now();
    auto claimed = core.store->JobClaim(JobClaimParams{.queue = q.options().name,
                                                       .limit = want,
                                                       .worker_id = core.opts.worker_id,
                                                       .now = now,
                                                       .lease_until = now + core.opts.lease});
    core.observer->OnLoopTick(name);
    if (!claimed.ok()) {
      core.StoreFailed(name, "claim failed", claimed.status());
      failing = true;
      q.SleepUnlessStopping(backoff, core.stopping);
      backoff = std::min<Micros>(backoff * 2, kClaimRetryMax);
      continue;
    }
    StoreOutageLog::Succeeded();
    if (failing) {
      failing = false;
      backoff = kClaimRetryFirst;
      core.observer->OnStoreRecovered(name);
      log::Info("claims work again", {{"loop", name}});
    }
    auto& jobs = claimed.value();
    const size_t n_claimed = jobs.size();
    if (n_claimed > 0) {
      std::vector<std::shared_ptr<RunningJob>> batch;
      batch.reserve(n_claimed);
      for (auto& j : jobs) batch.push_back(std::make_shared<RunningJob>(std::move(j), claimed_at));
      core.running.Add(batch, claimed_at + core.opts.lease);
      // A full batch means more may be due: claim again at once.
      const bool more_due = static_cast<int>(n_claimed) == want;
      q.Push(std::move(batch), more_due);
      if (more_due) continue;
    }
    // Nothing (more) due now. Sleep until an enqueue wakes us, the next
    // run_at arrives, or the poll interval passes (other processes).
    Micros wait = core.opts.poll_interval;
    auto next = core.store->JobNextRunAt(q.options().name);
    if (next.ok() && next.value()) {
      Micros until = *next.value() - core.clock->Now();
      // A due job we could not claim (paused queue, another node took it):
      // wait a poll interval instead of spinning.
      if (until > Micros(0) || n_claimed > 0) {
        wait = std::clamp(until, Micros(0), core.opts.poll_interval);
      }
    }
    q.SleepUnlessWoken(wait, core.stopping);
  }
  core.observer->OnLoopStopped(name);
}

}  // namespace steward
