// QueueSlots: one queue's claimed jobs on their way to its executors, and the
// count that decides when its fetcher claims more.
//
// The fetcher claims up to the free slots plus a claim-ahead (concurrency +
// ahead - in flight) and pushes the jobs here; each executor takes one, runs
// it and gives the slot back, so a freed slot never waits for a claim round
// trip. The heartbeat takes back held jobs that waited past the hold (and
// halves the claim-ahead: this node is slower than its buffer), and all held
// jobs of a paused queue. Stop() drains what no executor took, waits for the
// running handlers and stops the executors. One mutex guards it all.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/thread_annotations.h"
#include "runtime/running_jobs.h"
#include "steward/worker.h"

namespace steward {

class QueueSlots {
 public:
  using Steady = std::chrono::steady_clock;

  // `prefetch`: the most jobs held beyond the free slots (claim-ahead).
  QueueSlots(QueueOptions options, int claim_batch, int prefetch);

  const QueueOptions& options() const { return options_; }
  const std::string& fetcher_name() const { return fetcher_name_; }

  // --- fetcher ----------------------------------------------------------
  // Blocks until a claim is worth making, calling `tick` every `poll` while
  // it waits (a saturated queue is not a stuck fetcher). Returns how many jobs
  // to claim, or 0 once `stopping` is set.
  int AwaitClaim(const std::atomic<bool>& stopping, Micros poll, const std::function<void()>& tick)
      EXCLUDES(mu_);
  // Hands claimed jobs to the executors. `more_due`: the claim was full, so
  // the store may hold more; if an executor sat idle meanwhile, the
  // claim-ahead was too small and doubles (up to prefetch).
  void Push(std::vector<std::shared_ptr<RunningJob>> jobs, bool more_due) EXCLUDES(mu_);
  // Sleeps up to `wait`; returns early once woken (Wake) or `stopping` is set.
  void SleepUnlessWoken(Micros wait, const std::atomic<bool>& stopping) EXCLUDES(mu_);
  // Sleeps up to `wait`; returns early only once `stopping` is set (backoff).
  void SleepUnlessStopping(Micros wait, const std::atomic<bool>& stopping) EXCLUDES(mu_);
  // Jobs may be due: the fetcher claims again now.
  void Wake() EXCLUDES(mu_);
  // `stopping` was set: the fetcher returns from any wait.
  void WakeForStop() EXCLUDES(mu_);

  // --- executors --------------------------------------------------------
  void SetExecutors(int n) EXCLUDES(mu_);
  // The next job to run; null once the executors are stopped and none waits.
  std::shared_ptr<RunningJob> Take() EXCLUDES(mu_);
  // A handler returned: frees its slot (waking the fetcher if a claim is now
  // worth it) and takes the next job in the same lock, as Take().
  std::shared_ptr<RunningJob> FinishAndTake() EXCLUDES(mu_);
  void ExecutorExited() EXCLUDES(mu_);

  // --- heartbeat ----------------------------------------------------------
  // Takes the held jobs claimed before `cutoff` and halves the claim-ahead.
  std::deque<std::shared_ptr<RunningJob>> TakeHeldSince(Steady::time_point cutoff) EXCLUDES(mu_);
  bool HoldsJobs() const EXCLUDES(mu_);
  int ahead() const EXCLUDES(mu_);

  // --- Stop(), pause ------------------------------------------------------
  // Takes the jobs no executor started (their slots are freed).
  std::deque<std::shared_ptr<RunningJob>> DrainReady() EXCLUDES(mu_);
  // Waits until no handler runs; false if `deadline` came first.
  bool AwaitIdle(Steady::time_point deadline) EXCLUDES(mu_);
  // Executors exit once the queue is empty.
  void StopExecutors() EXCLUDES(mu_);
  // Waits until every executor exited; false if `deadline` came first.
  bool AwaitExecutorsExited(Steady::time_point deadline) EXCLUDES(mu_);

 private:
  int Free() const REQUIRES(mu_);
  bool ShouldClaim() const REQUIRES(mu_);
  // Take()'s body: waits for a job (or stop), pops it, passes the wake on.
  std::shared_ptr<RunningJob> TakeLocked(MutexLock& lock) REQUIRES(mu_);
  // Notifies one idle executor if jobs wait and no wake-up is in flight.
  void WakeOneIfNeeded() REQUIRES(mu_);

  const QueueOptions options_;
  const std::string fetcher_name_;
  const int claim_batch_;
  const int prefetch_;

  mutable Mutex mu_;
  std::condition_variable fetch_cv_;  // fetcher: a slot freed, a wake-up, stop
  std::condition_variable exec_cv_;   // executors: a job is ready, stop
  std::condition_variable idle_cv_;   // Stop(): a handler returned, an executor exited
  std::deque<std::shared_ptr<RunningJob>> ready_ GUARDED_BY(mu_);
  int in_flight_ GUARDED_BY(mu_) = 0;  // claimed and not finished: ready + running
  int ahead_ GUARDED_BY(mu_);          // claim-ahead now: 0..prefetch_
  int live_executors_ GUARDED_BY(mu_) = 0;
  int idle_executors_ GUARDED_BY(mu_) = 0;  // waiting in Take()
  // Idle executors notified and not yet awake. At most one at a time: a
  // woken executor that leaves jobs behind wakes the next (a chain), so a
  // burst of no-op jobs is run by the executors already awake instead of
  // costing a thread wake-up per job.
  int waking_ GUARDED_BY(mu_) = 0;
  bool wake_ GUARDED_BY(mu_) = false;
  bool exec_stop_ GUARDED_BY(mu_) = false;
};

}  // namespace steward
