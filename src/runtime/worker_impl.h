// WorkerImpl: the runtime behind steward::Worker: its lifecycle (Start, the
// graceful Stop) over the loops of worker_core.h.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/thread_annotations.h"
#include "steward/worker.h"
#include "store/store.h"

namespace steward {

struct WorkerCore;

class WorkerImpl final : public Worker {
 public:
  WorkerImpl(std::shared_ptr<Store> store, WorkerOptions options);
  ~WorkerImpl() override;

  Status Handle(const std::string& kind, Handler handler, KindOptions options) override
      EXCLUDES(lifecycle_mu_);
  Status Start() override EXCLUDES(lifecycle_mu_);
  void Stop() override EXCLUDES(lifecycle_mu_);
  void Wake() override;
  const std::string& id() const override;
  std::shared_ptr<Store> store() const override;
  int Running() const override;

 private:
  struct QueueThreads {
    std::thread fetcher;
    std::vector<std::thread> executors;
  };
  // Stop()'s steps after the fetchers stopped (see worker_impl.cc).
  void HandBackUnstarted() REQUIRES(lifecycle_mu_);
  void AwaitHandlers() REQUIRES(lifecycle_mu_);
  void StopExecutors() REQUIRES(lifecycle_mu_);
  void ReleaseJobs(const std::vector<int64_t>& ids);
  void MarkNodeStopped();

  // Shared with the threads; outlives this object while a detached executor
  // still runs a handler that ignored cancellation.
  const std::shared_ptr<WorkerCore> core_;

  Mutex lifecycle_mu_;
  bool started_ GUARDED_BY(lifecycle_mu_) = false;
  bool stopped_ GUARDED_BY(lifecycle_mu_) = false;
  int listener_token_ GUARDED_BY(lifecycle_mu_) = 0;
  std::vector<QueueThreads> queue_threads_ GUARDED_BY(lifecycle_mu_);
  std::thread completer_ GUARDED_BY(lifecycle_mu_);
  std::thread heartbeat_ GUARDED_BY(lifecycle_mu_);
  std::thread maintenance_ GUARDED_BY(lifecycle_mu_);
};

// Validates options (queue names, concurrency, durations).
Status ValidateWorkerOptions(const WorkerOptions& options);

}  // namespace steward
