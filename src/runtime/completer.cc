// The completer: writes finished attempts to the store in batches.
#include "runtime/completer.h"

#include <algorithm>
#include <thread>

#include "core/log.h"
#include "runtime/store_outage.h"
#include "runtime/worker_core.h"

namespace steward {

namespace {
using namespace std::chrono_literals;
// Longest wait for outcomes between health ticks.
constexpr Micros kIdleTick = 1s;
// Backoff between failed writes: doubles from the first to the last.
constexpr Micros kWriteRetryFirst = 50ms;
constexpr Micros kWriteRetryMax = 5s;
// At shutdown, stop retrying once the backoff passed this: the leases expire
// and the rescuer runs the jobs again.
constexpr Micros kGiveUpAtShutdownAfter = 2s;

// kAborted: a deadlock or serialization conflict that outlived the store's
// own retries; the database is up, so writing the batch again will succeed.
bool IsTransient(const Status& s) {
  return s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kResourceExhausted ||
         s.code() == StatusCode::kAborted;
}

// Tells the observer and the log how each applied attempt ended.
void Report(WorkerCore& core, const std::vector<FinishedAttempt>& batch,
            const std::vector<JobCompletionResult>& results) {
  for (size_t i = 0; i < batch.size() && i < results.size(); ++i) {
    if (!results[i].applied) continue;
    const FinishedAttempt& a = batch[i];
    const Job& job = a.job->job;
    const AttemptError* err = a.completion.error ? &*a.completion.error : nullptr;
    core.observer->OnJobFinished(job, results[i].new_state, a.duration, err);
    if (err && log::Enabled(log::Level::kWarn)) {
      log::Warn(results[i].new_state == JobState::kDiscarded ? "job discarded" : "job failed",
                {{"kind", job.kind},
                 {"job_id", job.id},
                 {"queue", job.queue},
                 {"attempt", job.attempt},
                 {"state", JobStateName(results[i].new_state)},
                 {"error", err->message}});
    }
  }
}

}  // namespace

void CompletionInbox::Put(FinishedAttempt attempt) {
  {
    MutexLock lock(mu_);
    attempts_.push_back(std::move(attempt));
  }
  cv_.notify_one();
}

bool CompletionInbox::Take(std::vector<FinishedAttempt>* batch, Micros timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  MutexLock lock(mu_);
  while (attempts_.empty() && !closed_) {
    if (!lock.WaitUntil(cv_, deadline)) break;
  }
  if (attempts_.empty()) return !closed_;
  batch->swap(attempts_);
  return true;
}

void CompletionInbox::PutBack(std::vector<FinishedAttempt>* batch) {
  MutexLock lock(mu_);
  attempts_.insert(attempts_.begin(), std::make_move_iterator(batch->begin()),
                   std::make_move_iterator(batch->end()));
  batch->clear();
}

void CompletionInbox::Close() {
  {
    MutexLock lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

bool CompletionInbox::closed() const {
  MutexLock lock(mu_);
  return closed_;
}

void RunCompleter(WorkerCore& core) {
  Micros backoff = kWriteRetryFirst;
  std::vector<FinishedAttempt> batch;
  std::vector<JobCompletion> completions;
  for (;;) {
    // Whatever accumulated while the last batch was written goes in one
    // transaction.
    bool open = core.completions.Take(&batch, kIdleTick);
    core.observer->OnLoopTick("completer");
    if (!open) break;
    if (batch.empty()) continue;
    completions.clear();
    for (auto& a : batch) completions.push_back(a.completion);
    auto results = core.store->JobCompleteMany(completions);
    if (!results.ok()) {
      const Status& st = results.status();
      core.observer->OnStoreError("completer", st);
      bool giving_up = core.completions.closed() && backoff > kGiveUpAtShutdownAfter;
      if (IsTransient(st) && !giving_up) {
        (StoreOutageLog::Failed("completer", st) ? log::Warn : log::Debug)(
            "recording outcomes failed; will retry",
            {{"loop", "completer"}, {"error", st.ToString()}, {"jobs", batch.size()}});
        core.completions.PutBack(&batch);
        std::this_thread::sleep_for(backoff);
        backoff = std::min<Micros>(backoff * 2, kWriteRetryMax);
        continue;
      }
      // Not transient (or giving up at shutdown): the leases expire and the
      // rescuer runs these jobs again, so nothing is lost.
      log::Error("dropping outcomes; jobs will be rescued after their lease",
                 {{"loop", "completer"}, {"error", st.ToString()}, {"jobs", batch.size()}});
      batch.clear();
      continue;
    }
    backoff = kWriteRetryFirst;
    StoreOutageLog::Succeeded();
    Report(core, batch, results.value());
    // Retries and snoozes may be due soon; let fetchers recompute their sleep.
    bool rescheduled = std::any_of(batch.begin(), batch.end(), [](const FinishedAttempt& a) {
      return a.completion.kind == JobCompletion::Kind::kRetry ||
             a.completion.kind == JobCompletion::Kind::kSnooze;
    });
    if (rescheduled) core.WakeAll();
    batch.clear();
  }
  core.observer->OnLoopStopped("completer");
}

}  // namespace steward
