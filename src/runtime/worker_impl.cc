#include "runtime/worker_impl.h"

#include <algorithm>

#include "core/log.h"
#include "runtime/store_outage.h"
#include "runtime/worker_core.h"

namespace steward {

namespace {
using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

// Handing jobs back at shutdown: attempts, each waiting one step longer.
constexpr int kReleaseAttempts = 5;
constexpr Micros kReleaseRetryStep = 100ms;
// How long executors get to return once their handlers were cancelled; one
// that ignores cancellation longer is detached.
constexpr Micros kExecutorExitWait = 2s;
}  // namespace

Status ValidateWorkerOptions(const WorkerOptions& o) {
  if (o.queues.empty()) return InvalidArgument("at least one queue is required");
  for (const auto& q : o.queues) {
    NewJob probe;
    probe.kind = "probe";
    probe.queue = q.name;
    STEWARD_RETURN_IF_ERROR(ValidateNewJob(probe));
    if (q.concurrency < 1 || q.concurrency > 10000) {
      return InvalidArgument("queue \"" + q.name + "\": concurrency must be in 1..10000, got " +
                             std::to_string(q.concurrency));
    }
  }
  for (size_t i = 0; i < o.queues.size(); ++i) {
    for (size_t j = i + 1; j < o.queues.size(); ++j) {
      if (o.queues[i].name == o.queues[j].name) {
        return InvalidArgument("queue \"" + o.queues[i].name + "\" is listed twice");
      }
    }
  }
  if (o.lease < 1s) return InvalidArgument("lease must be at least 1s");
  if (o.poll_interval < 1ms) return InvalidArgument("poll_interval must be at least 1ms");
  if (o.rescue_interval < 10ms) return InvalidArgument("rescue_interval must be at least 10ms");
  if (o.default_timeout <= Micros(0)) return InvalidArgument("default_timeout must be positive");
  if (o.claim_batch < 1) return InvalidArgument("claim_batch must be positive");
  if (o.prefetch < 0 || o.prefetch > 100000) {
    return InvalidArgument("prefetch must be in 0..100000, got " + std::to_string(o.prefetch));
  }
  if (o.prefetch_hold <= Micros(0)) return InvalidArgument("prefetch_hold must be positive");
  if (o.shutdown_grace < Micros(0)) return InvalidArgument("shutdown_grace must not be negative");
  return Status::Ok();
}

Result<std::unique_ptr<Worker>> Worker::Open(const std::string& url, WorkerOptions options) {
  STEWARD_ASSIGN_OR_RETURN(std::shared_ptr<Store> store, OpenSharedStore(url));
  return Create(std::move(store), std::move(options));
}

Result<std::unique_ptr<Worker>> Worker::Create(std::shared_ptr<Store> store,
                                               WorkerOptions options) {
  if (!store) return InvalidArgument("store is null");
  STEWARD_RETURN_IF_ERROR(ValidateWorkerOptions(options));
  return std::unique_ptr<Worker>(new WorkerImpl(std::move(store), std::move(options)));
}

WorkerImpl::WorkerImpl(std::shared_ptr<Store> store, WorkerOptions options)
    : core_(std::make_shared<WorkerCore>(std::move(store), std::move(options))) {}

WorkerImpl::~WorkerImpl() { Stop(); }

Status WorkerImpl::Handle(const std::string& kind, Handler handler, KindOptions options) {
  NewJob probe;
  probe.kind = kind;
  if (Status st = ValidateNewJob(probe); !st.ok()) return st.WithContext("handler");
  if (!handler) return InvalidArgument("handler for kind \"" + kind + "\" is empty");
  MutexLock lock(lifecycle_mu_);
  // Running jobs read the handler table without a lock: it is fixed at Start.
  if (started_) {
    return FailedPrecondition("cannot register a handler for kind \"" + kind +
                              "\": worker already started");
  }
  core_->handlers.Set(kind, std::move(handler), options);
  return Status::Ok();
}

Status WorkerImpl::Start() {
  MutexLock lock(lifecycle_mu_);
  if (started_) return FailedPrecondition("worker already started");
  started_ = true;
  // Threads capture the shared core: it outlives this object if they must.
  auto core = core_;
  listener_token_ = core->store->AddJobsAddedListener([c = core.get()](const std::string& queue) {
    if (auto* q = c->FindQueue(queue)) q->Wake();
  });
  completer_ = std::thread([core] { RunCompleter(*core); });
  heartbeat_ = std::thread([core] { RunHeartbeat(*core); });
  maintenance_ = std::thread([core] { RunMaintenance(*core); });
  for (auto& qp : core->queues) {
    QueueSlots* q = qp.get();
    QueueThreads& threads = queue_threads_.emplace_back();
    q->SetExecutors(q->options().concurrency);
    for (int i = 0; i < q->options().concurrency; ++i) {
      threads.executors.emplace_back([core, q] { RunExecutor(*core, *q); });
    }
    threads.fetcher = std::thread([core, q] { RunFetcher(*core, *q); });
  }
  log::Info("worker started", {{"worker", core->opts.worker_id},
                               {"queues", core->queues.size()},
                               {"backend", core->store->Capabilities().backend}});
  return Status::Ok();
}

// Graceful shutdown, in order: stop claiming; hand back what no handler
// started; give running handlers the grace period; cancel and hand back the
// rest; write the last outcomes; stop the background loops.
void WorkerImpl::Stop() {
  MutexLock lock(lifecycle_mu_);
  if (!started_ || stopped_) return;
  stopped_ = true;

  core_->stopping.store(true);
  for (auto& q : core_->queues) q->WakeForStop();
  for (auto& t : queue_threads_) t.fetcher.join();

  HandBackUnstarted();
  AwaitHandlers();
  ReleaseJobs(core_->running.ReleaseAll());
  StopExecutors();

  core_->completions.Close();
  completer_.join();
  core_->loops_stop.Stop();
  heartbeat_.join();
  maintenance_.join();
  MarkNodeStopped();
  core_->store->RemoveJobsAddedListener(listener_token_);
  log::Info("worker stopped", {{"worker", core_->opts.worker_id}});
}

// Jobs claimed but not started go back at once.
void WorkerImpl::HandBackUnstarted() {
  std::vector<int64_t> unstarted;
  for (auto& q : core_->queues) {
    auto ids = core_->running.Release(q->DrainReady());
    unstarted.insert(unstarted.end(), ids.begin(), ids.end());
  }
  ReleaseJobs(unstarted);
}

// Running handlers get the grace period to finish.
void WorkerImpl::AwaitHandlers() {
  auto deadline = Steady::now() + core_->opts.shutdown_grace;
  for (auto& q : core_->queues) {
    if (!q->AwaitIdle(deadline)) break;
  }
}

// Executors exit once their handler returns. One that ignores cancellation
// is detached (it holds the core alive); its outcome is ignored.
void WorkerImpl::StopExecutors() {
  for (auto& q : core_->queues) q->StopExecutors();
  auto deadline = Steady::now() + kExecutorExitWait;
  for (size_t i = 0; i < core_->queues.size(); ++i) {
    bool all_done = core_->queues[i]->AwaitExecutorsExited(deadline);
    for (auto& t : queue_threads_[i].executors) {
      if (all_done) {
        t.join();
      } else {
        t.detach();
      }
    }
    if (!all_done) {
      log::Warn("handlers ignored cancellation at shutdown",
                {{"queue", core_->queues[i]->options().name}});
    }
  }
}

void WorkerImpl::ReleaseJobs(const std::vector<int64_t>& ids) {
  if (ids.empty()) return;
  for (int attempt = 0; attempt < kReleaseAttempts; ++attempt) {
    if (core_->HandBack(ids)) {
      log::Info("handed back jobs on shutdown", {{"jobs", ids.size()}});
      return;
    }
    std::this_thread::sleep_for(kReleaseRetryStep * (attempt + 1));
  }
  // The leases expire and the rescuer returns them: a retry, not a loss.
}

// After the heartbeat stopped, so no late beat revives the row: the Nodes
// page then shows "stopped" instead of waiting for the row to go stale.
void WorkerImpl::MarkNodeStopped() {
  Status st = core_->store->NodeStopped(core_->opts.worker_id, core_->clock->Now());
  if (!st.ok()) {
    (StoreOutageLog::Failed("node", st) ? log::Warn : log::Debug)(
        "marking the node stopped failed", {{"error", st.ToString()}});
  }
}

void WorkerImpl::Wake() { core_->WakeAll(); }
const std::string& WorkerImpl::id() const { return core_->opts.worker_id; }
std::shared_ptr<Store> WorkerImpl::store() const { return core_->store; }
int WorkerImpl::Running() const { return core_->running.CountStarted(); }

}  // namespace steward
