#include "runtime/completion.h"

namespace steward {

JobCompletion CompletionFor(const AttemptEnd& end) {
  const Outcome& outcome = end.outcome;
  JobCompletion c;
  c.id = end.job.id;
  c.worker_id = end.worker_id;
  c.attempt = end.job.attempt;
  c.finished_at = end.now;
  c.queue = end.job.queue;
  auto error = [&](std::string message) {
    return AttemptError{.attempt = end.job.attempt,
                        .at = end.now,
                        .message = std::move(message),
                        .detail = outcome.detail(),
                        .worker = end.worker_id,
                        .duration = end.duration};
  };
  switch (outcome.kind()) {
    case Outcome::Kind::kSuccess:
      c.kind = JobCompletion::Kind::kCompleted;
      return c;
    case Outcome::Kind::kRetry:
      c.kind = JobCompletion::Kind::kRetry;
      c.retry_at = end.now + outcome.delay().value_or(end.policy.DelayAfter(end.job.attempt));
      c.error = error(outcome.message());
      break;
    case Outcome::Kind::kSnooze:
      c.kind = JobCompletion::Kind::kSnooze;
      c.retry_at = end.now + outcome.delay().value_or(Micros(0));
      break;
    case Outcome::Kind::kDiscard:
      c.kind = JobCompletion::Kind::kDiscard;
      c.error = error(outcome.message());
      break;
  }
  if (end.cancel_requested) {
    c.kind = JobCompletion::Kind::kCancelled;
    c.error = error("cancelled" + (outcome.message().empty() ? "" : ": " + outcome.message()));
  }
  return c;
}

}  // namespace steward
