// ActivityRollup: the per-minute activity numbers behind the dashboard's
// charts (store/dashboard_store.h JobStatsRow), counted from runtime events.
//
// Every node counts its own jobs in memory and adds its deltas to the shared
// rows with Store::StatsMerge every flush_interval, so the charts need no
// scan of the jobs table and every node (and a restarted one) shows the same
// history. Counted in the minute the event happened on this node's clock:
//   OnJobStarted   the wait, into the histogram of (minute, queue);
//   OnJobFinished  completed; retryable -> failed; discarded -> failed and
//                  discarded; cancelled; a snooze counts nothing;
//   OnJobsRescued  failed per job (+ discarded when it was discarded).
//
// When the store fails the deltas are kept and sent with the next flush.
// While it stays down they are bounded (max_pending_rows, one per queue and
// minute): the oldest go first, counted in a warning. Stop() flushes once
// more, so call it after the worker stopped.
//
// The callbacks take one mutex around a small map: cheap enough for the job
// path. Start/Stop follow the loop contract (Stop without Start and a second
// Stop are harmless).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "steward/clock.h"
#include "steward/observer.h"
#include "store/store.h"

namespace steward {

// The pending deltas, keyed by (minute, queue). Not thread-safe.
class RollupBuffer {
 public:
  explicit RollupBuffer(size_t max_rows) : max_rows_(max_rows) {}

  void AddStarted(Timestamp at, const std::string& queue, Micros wait);
  void AddFinished(Timestamp at, const std::string& queue, JobState new_state);
  void AddRescued(Timestamp at, const std::string& queue, JobState new_state);

  // Every pending row, oldest minute first; the buffer is then empty.
  std::vector<JobStatsRow> Take();
  // Puts rows whose flush failed back, adding them to rows counted since.
  void PutBack(const std::vector<JobStatsRow>& rows);

  size_t size() const { return rows_.size(); }
  // Rows dropped to stay within max_rows, since the last call.
  int64_t TakeDropped() { return std::exchange(dropped_, 0); }

 private:
  // The row of (minute of `at`, queue), created if needed; nullptr when the
  // buffer is full of newer rows.
  JobStatsRow* Row(Timestamp at, const std::string& queue);
  void DropOldestBeyondMax();

  using Key = std::pair<int64_t, std::string>;  // minute (micros), queue
  std::map<Key, JobStatsRow> rows_;
  size_t max_rows_;
  int64_t dropped_ = 0;
};

// Adds `delta` to `into` (every count and histogram bucket).
void AddStats(JobStatsRow& into, const JobStatsRow& delta);

struct ActivityRollupOptions {
  Micros flush_interval = std::chrono::seconds(10);
  size_t max_pending_rows = 10000;
  Clock* clock = nullptr;  // default SystemClock()
};

class ActivityRollup final : public RuntimeObserver {
 public:
  explicit ActivityRollup(std::shared_ptr<Store> store, ActivityRollupOptions options = {});
  ~ActivityRollup() override;
  ActivityRollup(const ActivityRollup&) = delete;
  ActivityRollup& operator=(const ActivityRollup&) = delete;

  // Starts the flush thread.
  void Start();
  // Stops the thread, then flushes what is pending.
  void Stop();
  // Sends the pending deltas now (on the calling thread); on failure they
  // stay pending and the error is returned.
  Status Flush();
  // Rows waiting for a flush.
  size_t pending_rows();

  // --- RuntimeObserver (quick; no database work) ---------------------------
  void OnJobStarted(const Job& job, Micros wait) override;
  void OnJobFinished(const Job& job, JobState new_state, Micros duration,
                     const AttemptError* error) override;
  void OnJobsRescued(const std::vector<RescuedJob>& jobs) override;

 private:
  void Run();

  std::shared_ptr<Store> store_;
  ActivityRollupOptions options_;
  std::mutex mu_;  // guards buffer_
  RollupBuffer buffer_;
  std::mutex flush_mu_;  // one flush at a time, so rows go back in order
  bool failing_ = false;  // guarded by flush_mu_
  std::mutex loop_mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by loop_mu_
  std::thread thread_;
};

}  // namespace steward
