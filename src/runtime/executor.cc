// Executors: <concurrency> per queue; each runs one handler at a time.
#include <algorithm>

#include "core/json_limits.h"
#include "runtime/completion.h"
#include "runtime/worker_core.h"

namespace steward {

namespace {

using Steady = std::chrono::steady_clock;

Outcome RunHandler(const HandlerTable::Entry& entry, const RunningJob& rj) {
  auto payload = ParseJsonOrDiscarded(rj.job.payload);
  if (payload.is_discarded()) return Outcome::Discard("payload is not valid JSON");
  JobContext ctx(rj.job, std::move(payload), &rj.cancelled);
  try {
    return entry.handler(ctx);
  } catch (const std::exception& e) {
    return Outcome::Failure(e.what(), "exception");
  } catch (...) {
    return Outcome::Failure("handler threw a non-standard exception");
  }
}

void RunJob(WorkerCore& core, const std::shared_ptr<RunningJob>& rj) {
  const Job& job = rj->job;
  const HandlerTable::Entry* entry = core.handlers.Find(job.kind);
  Micros timeout = entry && entry->options.timeout > Micros(0) ? entry->options.timeout
                                                               : core.opts.default_timeout;
  switch (core.running.MarkStarted(*rj, Steady::now() + timeout, HeartbeatTick(core.opts))) {
    case RunningJobs::Start::kRun:
      break;
    case RunningJobs::Start::kSettled:  // handed back before it started
      return;
    case RunningJobs::Start::kLeaseExpiring:
      core.HandBack({job.id});
      return;
  }
  Timestamp start = core.clock->Now();
  core.observer->OnJobStarted(job, start - std::max(job.run_at, job.created_at));
  auto steady_start = Steady::now();

  // No handler: retrying on this worker cannot help, and burning every
  // attempt hides the misconfiguration for hours. Fail at once and say what
  // this worker knows.
  // Cancelled by a person while it was held ahead: it never runs.
  Outcome outcome =
      rj->cancelled.load() ? Outcome::Discard("cancelled before it started")
      : entry ? RunHandler(*entry, *rj)
              : Outcome::Discard(core.handlers.UnknownKindMessage(job.kind, core.opts.worker_id));
  auto duration = std::chrono::duration_cast<Micros>(Steady::now() - steady_start);

  // Already settled (its timeout passed): the heartbeat reported it.
  std::optional<bool> cancel_requested = core.running.Finish(*rj);
  if (!cancel_requested) return;
  JobCompletion c =
      CompletionFor(AttemptEnd{.job = job,
                               .outcome = outcome,
                               .policy = core.handlers.RetryFor(job.kind, core.opts.default_retry),
                               .cancel_requested = *cancel_requested,
                               .worker_id = core.opts.worker_id,
                               .now = core.clock->Now(),
                               .duration = duration});
  core.completions.Put(FinishedAttempt{std::move(c), rj, duration});
}

}  // namespace

void RunExecutor(WorkerCore& core, QueueSlots& q) {
  for (auto rj = q.Take(); rj; rj = q.FinishAndTake()) RunJob(core, rj);
  q.ExecutorExited();
}

}  // namespace steward
