// RunningJobs: the jobs this worker claimed and has not settled yet.
//
// A job is settled once its fate is decided: its outcome went to the
// completer, or it was handed back to the store. Three parties may try —
// the executor when the handler returns, the heartbeat when the job's timeout
// passes, Stop() when it hands jobs back — and the first one wins: settling
// removes the job from this table, and the others find it gone and leave it.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "core/thread_annotations.h"
#include "steward/clock.h"
#include "steward/job.h"

namespace steward {

// A claimed job while this worker holds its lease.
struct RunningJob {
  RunningJob(Job j, std::chrono::steady_clock::time_point claimed)
      : job(std::move(j)), claimed_at(claimed) {}
  const Job job;
  // When the claim was sent: the hold of a prefetched job counts from here.
  const std::chrono::steady_clock::time_point claimed_at;
  std::atomic<bool> cancelled{false};  // what the handler polls (JobContext::cancelled)
};

class RunningJobs {
 public:
  using Steady = std::chrono::steady_clock;

  // `lease_end`: when the claimed leases end, by this process's clock.
  void Add(const std::vector<std::shared_ptr<RunningJob>>& jobs, Steady::time_point lease_end)
      EXCLUDES(mu_);
  enum class Start {
    kRun,           // run the handler
    kSettled,       // handed back meanwhile (shutdown, pause, hold): not ours to run
    kLeaseExpiring  // held so long its lease ends within `margin`: settled now,
                    // the caller hands it back instead of running it
  };
  // The executor is about to run the handler, which must end by `deadline`.
  Start MarkStarted(const RunningJob& rj, Steady::time_point deadline, Micros margin)
      EXCLUDES(mu_);
  // The heartbeat extended these leases to `lease_end`.
  void LeasesExtended(const std::vector<int64_t>& ids, Steady::time_point lease_end)
      EXCLUDES(mu_);
  // The handler returned: settles the job and says whether cancellation was
  // requested while it ran; nullopt if it was already settled (the handler's
  // outcome is ignored).
  std::optional<bool> Finish(const RunningJob& rj) EXCLUDES(mu_);
  // Heartbeat: settles the started jobs past their deadline, tells their
  // handlers to stop, and returns them. `live` receives the ids of the rest,
  // whose leases are to be extended.
  std::vector<std::shared_ptr<RunningJob>> TakeTimedOut(Steady::time_point now,
                                                        std::vector<int64_t>* live) EXCLUDES(mu_);
  // Delivers cancellation requests (read from the store) to their handlers.
  void RequestCancel(const std::vector<int64_t>& ids) EXCLUDES(mu_);
  // Settles jobs claimed but never started (shutdown, pause, hold); returns
  // their ids.
  std::vector<int64_t> Release(const std::deque<std::shared_ptr<RunningJob>>& jobs) EXCLUDES(mu_);
  // Stop(): settles every job left, telling running handlers to stop;
  // returns their ids.
  std::vector<int64_t> ReleaseAll() EXCLUDES(mu_);
  // Handlers running now.
  int CountStarted() const EXCLUDES(mu_);

 private:
  struct Entry {
    std::shared_ptr<RunningJob> job;
    bool started = false;
    bool cancel_requested = false;  // by a person (API, CLI), not a timeout or shutdown
    Steady::time_point deadline{};
    Steady::time_point lease_end{};
  };
  // The entry of `rj` if it is not settled. By identity, not id: a job whose
  // timeout settled it may be claimed again while its old handler still runs.
  std::unordered_map<int64_t, Entry>::iterator Find(const RunningJob& rj) REQUIRES(mu_);

  mutable Mutex mu_;
  std::unordered_map<int64_t, Entry> jobs_ GUARDED_BY(mu_);
};

}  // namespace steward
