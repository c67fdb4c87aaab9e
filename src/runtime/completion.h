// How an attempt's end becomes the record the store applies: the one place
// that turns an Outcome into a JobCompletion (for handlers that returned, and
// for timeouts, which the heartbeat reports as a failure).
#pragma once

#include <string>

#include "steward/worker.h"
#include "store/store.h"

namespace steward {

struct AttemptEnd {
  const Job& job;
  const Outcome& outcome;
  const RetryPolicy& policy;  // delay of a Retry without its own
  bool cancel_requested;      // a person asked to cancel while it ran
  const std::string& worker_id;
  Timestamp now;
  std::optional<Micros> duration;  // how long the handler ran, when known
};

// A failure while cancellation was requested ends the job cancelled (the
// handler most likely stopped because it was asked to); a success stands.
JobCompletion CompletionFor(const AttemptEnd& end);

}  // namespace steward
