// CompletionInbox: finished attempts on their way to the completer, which
// writes whatever accumulated in one transaction (batching grows with load;
// latency stays low when idle).
#pragma once

#include <condition_variable>
#include <memory>
#include <vector>

#include "core/thread_annotations.h"
#include "runtime/running_jobs.h"
#include "store/store.h"

namespace steward {

struct FinishedAttempt {
  JobCompletion completion;
  std::shared_ptr<RunningJob> job;
  Micros duration{0};
};

class CompletionInbox {
 public:
  void Put(FinishedAttempt attempt) EXCLUDES(mu_);
  // Waits up to `timeout` for attempts and moves them all into *batch (left
  // empty on a timeout). False once closed and empty: the completer is done.
  bool Take(std::vector<FinishedAttempt>* batch, Micros timeout) EXCLUDES(mu_);
  // Puts a batch that could not be written back in front, to retry it.
  void PutBack(std::vector<FinishedAttempt>* batch) EXCLUDES(mu_);
  // After the last Put: the completer writes what is left and exits.
  void Close() EXCLUDES(mu_);
  bool closed() const EXCLUDES(mu_);

 private:
  mutable Mutex mu_;
  std::condition_variable cv_;
  std::vector<FinishedAttempt> attempts_ GUARDED_BY(mu_);
  bool closed_ GUARDED_BY(mu_) = false;
};

}  // namespace steward
