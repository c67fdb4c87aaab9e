// RuntimeObserver: how the runtime tells the rest of Steward what happened.
//
// The runtime knows nothing of metrics, alerts or HTTP. watch/ implements
// this interface to count, alert and report health. Callbacks run on runtime
// threads: they must be quick, thread-safe and must not throw.
#pragma once

#include <string_view>
#include <vector>

#include "steward/job.h"
#include "steward/status.h"
#include "store/store.h"

namespace steward {

class RuntimeObserver {
 public:
  virtual ~RuntimeObserver() = default;

  // A background loop completed one iteration (health: "still alive").
  virtual void OnLoopTick(std::string_view loop) { (void)loop; }
  // A loop stopped for good (Stop()); it should no longer be expected to tick.
  virtual void OnLoopStopped(std::string_view loop) { (void)loop; }
  // A store call from a loop failed / works again.
  virtual void OnStoreError(std::string_view loop, const Status& status) {
    (void)loop;
    (void)status;
  }
  virtual void OnStoreRecovered(std::string_view loop) { (void)loop; }

  // A handler is about to run. `wait` is now - max(run_at, created_at).
  virtual void OnJobStarted(const Job& job, Micros wait) {
    (void)job;
    (void)wait;
  }
  // An attempt's outcome was recorded. `new_state` is the stored state
  // (completed, retryable, scheduled (snoozed), discarded, cancelled).
  // `error` is set for failures.
  virtual void OnJobFinished(const Job& job, JobState new_state, Micros duration,
                             const AttemptError* error) {
    (void)job;
    (void)new_state;
    (void)duration;
    (void)error;
  }
  // The rescuer returned jobs whose worker stopped heartbeating.
  virtual void OnJobsRescued(const std::vector<RescuedJob>& jobs) { (void)jobs; }
};

// Forwards every event to several observers (metrics + alerts + health).
class ObserverFanout final : public RuntimeObserver {
 public:
  explicit ObserverFanout(std::vector<RuntimeObserver*> targets) : targets_(std::move(targets)) {}
  void OnLoopTick(std::string_view loop) override {
    for (auto* t : targets_) t->OnLoopTick(loop);
  }
  void OnLoopStopped(std::string_view loop) override {
    for (auto* t : targets_) t->OnLoopStopped(loop);
  }
  void OnStoreError(std::string_view loop, const Status& s) override {
    for (auto* t : targets_) t->OnStoreError(loop, s);
  }
  void OnStoreRecovered(std::string_view loop) override {
    for (auto* t : targets_) t->OnStoreRecovered(loop);
  }
  void OnJobStarted(const Job& job, Micros wait) override {
    for (auto* t : targets_) t->OnJobStarted(job, wait);
  }
  void OnJobFinished(const Job& job, JobState st, Micros d, const AttemptError* e) override {
    for (auto* t : targets_) t->OnJobFinished(job, st, d, e);
  }
  void OnJobsRescued(const std::vector<RescuedJob>& jobs) override {
    for (auto* t : targets_) t->OnJobsRescued(jobs);
  }

 private:
  std::vector<RuntimeObserver*> targets_;
};

}  // namespace steward
