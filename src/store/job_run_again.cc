#include "store/job_run_again.h"

#include <string>

#include "store/store.h"

namespace steward {

Result<JobState> RunJobAgain(Store& store, int64_t id, Timestamp now, bool force) {
  STEWARD_ASSIGN_OR_RETURN(Job job, store.JobGet(id));
  const std::string name = "job " + std::to_string(id);
  Status st;
  switch (job.state) {
    case JobState::kScheduled:
    case JobState::kAvailable:
    case JobState::kRetryable:
      // "Run now" does not grant more attempts.
      st = store.JobRunNow(id, now);
      break;
    case JobState::kCompleted:
      if (!force) {
        return FailedPrecondition(name + " already completed; running it again needs force "
                                       "(--force in the CLI, ?force=true in the HTTP API)");
      }
      st = store.JobRetry(id, now);
      break;
    case JobState::kDiscarded:
    case JobState::kCancelled:
      st = store.JobRetry(id, now);
      break;
    case JobState::kRunning:
      return FailedPrecondition(name + " is running; it can run again once it ends");
  }
  if (!st.ok()) return st;
  return job.state;
}

}  // namespace steward
