// Jobs as the runtime hands them to observers, for the alert tests.
#pragma once

#include <cstdint>
#include <string>

#include "steward/job.h"

namespace steward::testing {

// A job of `kind` in queue "default" on its `attempt`-th of `attempt` attempts.
inline Job FinishedJob(int64_t id, const std::string& kind, int attempt = 1) {
  Job j;
  j.id = id;
  j.kind = kind;
  j.queue = "default";
  j.attempt = attempt;
  j.max_attempts = attempt;
  return j;
}

}  // namespace steward::testing
