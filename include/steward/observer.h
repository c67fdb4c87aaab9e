// RuntimeObserver: how a Worker tells the program around it what happened.
//
// Set WorkerOptions::observer to receive events for metrics, alerts or health
// checks (Steward's daemon implements it in watch/). Callbacks run on the
// worker's threads: they must be quick, thread-safe and must not throw. Every
// callback has an empty default, so an observer overrides only what it needs.
#pragma once

#include <string_view>
#include <vector>

#include "steward/clock.h"
#include "steward/job.h"
#include "steward/status.h"

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

}  // namespace steward
