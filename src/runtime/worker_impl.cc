#include "runtime/worker_impl.h"

#include <unistd.h>

#include <algorithm>
#include <random>

#include "core/log.h"
#include "runtime/store_outage.h"

namespace steward {

namespace {

using Steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

std::string DefaultWorkerId() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) snprintf(host, sizeof(host), "unknown");
  std::random_device rd;
  char suffix[9];
  snprintf(suffix, sizeof(suffix), "%08x", rd());
  return std::string(host) + ":" + std::to_string(getpid()) + ":" + suffix;
}

// Why a running handler was asked to stop; decides how its outcome is stored.
enum class StopReason { kNone, kUserCancel, kTimeout, kShutdown };

struct RunningJob {
  Job job;
  std::atomic<bool> cancelled{false};  // what the handler polls
  // Guarded by Core::running_mu.
  StopReason reason = StopReason::kNone;
  bool started = false;
  bool settled = false;  // outcome already written or job released; ignore the handler's
  Steady::time_point deadline{};
};

class NullObserver final : public RuntimeObserver {};
NullObserver g_null_observer;

Micros ClampWait(Micros d, Micros lo, Micros hi) { return std::clamp(d, lo, hi); }

}  // namespace

struct WorkerImpl::Core {
  std::shared_ptr<Store> store;
  WorkerOptions opts;
  Clock* clock = nullptr;
  RuntimeObserver* observer = nullptr;
  std::map<std::string, std::pair<Handler, KindOptions>> handlers;

  struct Queue {
    QueueOptions opts;
    std::string fetcher_name;
    std::mutex mu;
    std::condition_variable fetch_cv;  // fetcher: a slot freed, a wake-up, stop
    std::condition_variable exec_cv;   // executors: a job is ready, stop
    std::deque<std::shared_ptr<RunningJob>> ready;
    int in_flight = 0;  // claimed and not finished: ready + running handlers
    int live_executors = 0;
    bool wake = false;
    bool exec_stop = false;
    int refill_threshold = 1;  // free slots worth a claim under load

    // Caller holds mu.
    bool ShouldClaim() const {
      int free = opts.concurrency - in_flight;
      return free >= refill_threshold || (free > 0 && ready.empty());
    }
    std::thread fetcher;
    std::vector<std::thread> executors;
  };
  std::vector<std::unique_ptr<Queue>> queues;

  std::mutex running_mu;
  std::unordered_map<int64_t, std::shared_ptr<RunningJob>> running;  // claimed, not settled
  std::condition_variable idle_cv;  // notified when a handler returns

  struct Done {
    JobCompletion completion;
    std::shared_ptr<RunningJob> rj;
    Micros duration{0};
  };
  std::mutex done_mu;
  std::condition_variable done_cv;
  std::vector<Done> done;
  bool completer_stop = false;
  std::thread completer;

  std::mutex loop_mu;
  std::condition_variable loop_cv;
  bool loops_stop = false;
  std::thread heartbeat, maintenance;

  std::atomic<bool> stopping{false};
  std::mutex lifecycle_mu;
  bool started = false, stopped = false;
  int listener_token = 0;

  // --- helpers ------------------------------------------------------------
  Queue* FindQueue(const std::string& name) {
    for (auto& q : queues) {
      if (q->opts.name == name) return q.get();
    }
    return nullptr;
  }
  void WakeQueue(Queue& q) {
    {
      std::lock_guard lock(q.mu);
      q.wake = true;
    }
    q.fetch_cv.notify_one();
  }
  void WakeAll() {
    for (auto& q : queues) WakeQueue(*q);
  }
  // Waits on the loop condition variable; returns false once loops must stop.
  bool LoopSleep(Micros d) {
    std::unique_lock lock(loop_mu);
    loop_cv.wait_for(lock, d, [&] { return loops_stop; });
    return !loops_stop;
  }

  void FetchLoop(Queue& q);
  void ExecLoop(Queue& q);
  void RunJob(Queue& q, const std::shared_ptr<RunningJob>& rj);
  void CompleteLoop();
  void HeartbeatLoop();
  void MaintenanceLoop();
  void Settle(std::shared_ptr<RunningJob> rj, JobCompletion c, Micros duration);
  std::string UnknownKindMessage(const std::string& kind) const;
  void ReleaseIds(const std::vector<int64_t>& ids);
};

// --- fetcher ---------------------------------------------------------------

void WorkerImpl::Core::FetchLoop(Queue& q) {
  Micros backoff = 100ms;
  bool failing = false;
  while (!stopping.load()) {
    int want = 0;
    {
      std::unique_lock lock(q.mu);
      // Under load, claim only once a useful batch of slots is free (or the
      // executors ran out of work): one claim per freed slot would turn a
      // saturated queue into thousands of one-row transactions. Tick while
      // waiting too, so a saturated queue is not mistaken for a stuck fetcher.
      while (!stopping.load() && !q.ShouldClaim()) {
        q.fetch_cv.wait_for(lock, opts.poll_interval);
        observer->OnLoopTick(q.fetcher_name);
      }
      if (stopping.load()) break;
      want = std::min(q.opts.concurrency - q.in_flight, opts.claim_batch);
      q.wake = false;
    }
    Timestamp now = clock->Now();
    auto claimed = store->JobClaim(JobClaimParams{.queue = q.opts.name,
                                                  .limit = want,
                                                  .worker_id = opts.worker_id,
                                                  .now = now,
                                                  .lease_until = now + opts.lease});
    observer->OnLoopTick(q.fetcher_name);
    if (!claimed.ok()) {
      observer->OnStoreError(q.fetcher_name, claimed.status());
      (StoreOutageLog::Failed(q.fetcher_name, claimed.status()) ? log::Warn : log::Debug)(
          "claim failed", {{"loop", q.fetcher_name}, {"error", claimed.status().ToString()}});
      failing = true;
      std::unique_lock lock(q.mu);
      q.fetch_cv.wait_for(lock, backoff, [&] { return stopping.load(); });
      backoff = std::min<Micros>(backoff * 2, 5s);
      continue;
    }
    StoreOutageLog::Succeeded();
    if (failing) {
      failing = false;
      backoff = 100ms;
      observer->OnStoreRecovered(q.fetcher_name);
      log::Info("claims work again", {{"loop", q.fetcher_name}});
    }
    auto& jobs = claimed.value();
    if (!jobs.empty()) {
      std::vector<std::shared_ptr<RunningJob>> batch;
      batch.reserve(jobs.size());
      {
        std::lock_guard lock(running_mu);
        for (auto& j : jobs) {
          auto rj = std::make_shared<RunningJob>();
          rj->job = std::move(j);
          running[rj->job.id] = rj;
          batch.push_back(std::move(rj));
        }
      }
      {
        std::lock_guard lock(q.mu);
        for (auto& rj : batch) q.ready.push_back(std::move(rj));
        q.in_flight += static_cast<int>(jobs.size());
      }
      // One wake-up per job, not a broadcast: a thundering herd of hundreds
      // of executors on one mutex costs more than the jobs themselves.
      for (size_t i = 0; i < jobs.size(); ++i) q.exec_cv.notify_one();
      // A full batch means more may be due: claim again at once.
      if (static_cast<int>(jobs.size()) == want) continue;
    }
    // Nothing (more) due now. Sleep until an enqueue wakes us, the next
    // run_at arrives, or the poll interval passes (other processes).
    Micros wait = opts.poll_interval;
    auto next = store->JobNextRunAt(q.opts.name);
    if (next.ok() && next.value()) {
      Micros until = *next.value() - clock->Now();
      // A due job we could not claim (paused queue, another node took it):
      // wait a poll interval instead of spinning.
      if (until > Micros(0) || !jobs.empty()) {
        wait = ClampWait(until, Micros(0), opts.poll_interval);
      }
    }
    std::unique_lock lock(q.mu);
    q.fetch_cv.wait_for(lock, wait, [&] { return stopping.load() || q.wake; });
  }
  observer->OnLoopStopped(q.fetcher_name);
}

// --- executors -------------------------------------------------------------

void WorkerImpl::Core::ExecLoop(Queue& q) {
  for (;;) {
    std::shared_ptr<RunningJob> rj;
    {
      std::unique_lock lock(q.mu);
      q.exec_cv.wait(lock, [&] { return !q.ready.empty() || q.exec_stop; });
      if (q.ready.empty()) break;
      rj = std::move(q.ready.front());
      q.ready.pop_front();
    }
    RunJob(q, rj);
    bool wake_fetcher;
    {
      std::lock_guard lock(q.mu);
      --q.in_flight;
      wake_fetcher = q.ShouldClaim();
    }
    if (wake_fetcher) q.fetch_cv.notify_one();
    if (stopping.load(std::memory_order_relaxed)) idle_cv.notify_all();
  }
  std::lock_guard lock(q.mu);
  --q.live_executors;
  idle_cv.notify_all();
}

void WorkerImpl::Core::RunJob(Queue& q, const std::shared_ptr<RunningJob>& rj) {
  (void)q;
  const Job& job = rj->job;
  const std::pair<Handler, KindOptions>* entry = nullptr;
  if (auto it = handlers.find(job.kind); it != handlers.end()) entry = &it->second;
  Micros timeout =
      entry && entry->second.timeout > Micros(0) ? entry->second.timeout : opts.default_timeout;
  {
    std::lock_guard lock(running_mu);
    if (rj->settled) return;  // released during shutdown before it started
    rj->started = true;
    rj->deadline = Steady::now() + timeout;
  }
  Timestamp start = clock->Now();
  observer->OnJobStarted(job, start - std::max(job.run_at, job.created_at));
  auto steady_start = Steady::now();

  Outcome outcome = Outcome::Success();
  if (entry == nullptr) {
    // Retrying on this worker cannot help, and burning every attempt hides the
    // misconfiguration for hours: fail at once and say what this worker knows.
    outcome = Outcome::Discard(UnknownKindMessage(job.kind));
  } else {
    auto payload = nlohmann::json::parse(job.payload, nullptr, /*allow_exceptions=*/false);
    if (payload.is_discarded()) {
      outcome = Outcome::Discard("payload is not valid JSON");
    } else {
      JobContext ctx(job, std::move(payload), &rj->cancelled);
      try {
        outcome = entry->first(ctx);
      } catch (const std::exception& e) {
        outcome = Outcome::Failure(e.what(), "exception");
      } catch (...) {
        outcome = Outcome::Failure("handler threw a non-standard exception");
      }
    }
  }
  auto duration = std::chrono::duration_cast<Micros>(Steady::now() - steady_start);
  Timestamp now = clock->Now();

  JobCompletion c;
  c.id = job.id;
  c.worker_id = opts.worker_id;
  c.attempt = job.attempt;
  c.finished_at = now;
  auto error = [&](const std::string& msg, const std::string& detail) {
    return AttemptError{.attempt = job.attempt, .at = now, .message = msg, .detail = detail};
  };
  const RetryPolicy& policy =
      entry && entry->second.retry ? *entry->second.retry : opts.default_retry;
  switch (outcome.kind()) {
    case Outcome::Kind::kSuccess:
      c.kind = JobCompletion::Kind::kCompleted;
      break;
    case Outcome::Kind::kRetry:
      c.kind = JobCompletion::Kind::kRetry;
      c.retry_at = now + outcome.delay().value_or(policy.DelayAfter(job.attempt));
      c.error = error(outcome.message(), outcome.detail());
      break;
    case Outcome::Kind::kSnooze:
      c.kind = JobCompletion::Kind::kSnooze;
      c.retry_at = now + outcome.delay().value_or(Micros(0));
      break;
    case Outcome::Kind::kDiscard:
      c.kind = JobCompletion::Kind::kDiscard;
      c.error = error(outcome.message(), outcome.detail());
      break;
  }
  {
    std::lock_guard lock(running_mu);
    if (rj->reason == StopReason::kUserCancel && outcome.kind() != Outcome::Kind::kSuccess) {
      c.kind = JobCompletion::Kind::kCancelled;
      c.error = error("cancelled" + (outcome.message().empty() ? "" : ": " + outcome.message()),
                      outcome.detail());
    }
  }
  Settle(rj, std::move(c), duration);
}

std::string WorkerImpl::Core::UnknownKindMessage(const std::string& kind) const {
  std::string handled;
  for (const auto& [name, entry] : handlers) handled += (handled.empty() ? "" : ", ") + name;
  return "no handler registered for kind \"" + kind + "\" on worker " + opts.worker_id +
         " (it handles: " + (handled.empty() ? "no kinds" : handled) + ")";
}

// Hands an outcome to the completer unless the job was already settled (its
// timeout fired, or it was released on shutdown).
void WorkerImpl::Core::Settle(std::shared_ptr<RunningJob> rj, JobCompletion c, Micros duration) {
  {
    std::lock_guard lock(running_mu);
    if (rj->settled) return;
    rj->settled = true;
    running.erase(rj->job.id);
  }
  {
    std::lock_guard lock(done_mu);
    done.push_back(Done{std::move(c), std::move(rj), duration});
  }
  done_cv.notify_one();
}

// --- completer -------------------------------------------------------------

void WorkerImpl::Core::CompleteLoop() {
  Micros backoff = 50ms;
  std::vector<Done> batch;
  std::vector<JobCompletion> completions;
  for (;;) {
    {
      std::unique_lock lock(done_mu);
      done_cv.wait_for(lock, 1s, [&] { return !done.empty() || completer_stop; });
      observer->OnLoopTick("completer");
      if (done.empty()) {
        if (completer_stop) break;
        continue;
      }
      // Whatever accumulated while the last batch was written goes in one
      // transaction: batching grows with load, latency stays low when idle.
      batch.swap(done);
    }
    completions.clear();
    for (auto& d : batch) completions.push_back(d.completion);
    auto results = store->JobCompleteMany(completions);
    if (!results.ok()) {
      observer->OnStoreError("completer", results.status());
      bool transient = results.status().code() == StatusCode::kUnavailable ||
                       results.status().code() == StatusCode::kResourceExhausted;
      bool stopping_now;
      {
        std::lock_guard lock(done_mu);
        stopping_now = completer_stop;
      }
      if (transient && !(stopping_now && backoff > 2s)) {
        (StoreOutageLog::Failed("completer", results.status()) ? log::Warn : log::Debug)(
            "recording outcomes failed; will retry", {{"loop", "completer"},
                                                      {"error", results.status().ToString()},
                                                      {"jobs", batch.size()}});
        {
          std::lock_guard lock(done_mu);
          done.insert(done.begin(), std::make_move_iterator(batch.begin()),
                      std::make_move_iterator(batch.end()));
        }
        batch.clear();
        std::this_thread::sleep_for(backoff);
        backoff = std::min<Micros>(backoff * 2, 5s);
        continue;
      }
      // Not transient (or giving up at shutdown): the leases expire and the
      // rescuer runs these jobs again, so nothing is lost.
      log::Error(
          "dropping outcomes; jobs will be rescued after their lease",
          {{"loop", "completer"}, {"error", results.status().ToString()}, {"jobs", batch.size()}});
      batch.clear();
      continue;
    }
    backoff = 50ms;
    StoreOutageLog::Succeeded();
    const auto& res = results.value();
    for (size_t i = 0; i < batch.size() && i < res.size(); ++i) {
      if (!res[i].applied) continue;
      const auto& d = batch[i];
      const AttemptError* err = d.completion.error ? &*d.completion.error : nullptr;
      observer->OnJobFinished(d.rj->job, res[i].new_state, d.duration, err);
      if (err && log::Enabled(log::Level::kWarn)) {
        log::Warn(res[i].new_state == JobState::kDiscarded ? "job discarded" : "job failed",
                  {{"kind", d.rj->job.kind},
                   {"job_id", d.rj->job.id},
                   {"queue", d.rj->job.queue},
                   {"attempt", d.rj->job.attempt},
                   {"state", JobStateName(res[i].new_state)},
                   {"error", err->message}});
      }
    }
    // Retries and snoozes may be due soon; let fetchers recompute their sleep.
    bool rescheduled = std::any_of(batch.begin(), batch.end(), [](const Done& d) {
      return d.completion.kind == JobCompletion::Kind::kRetry ||
             d.completion.kind == JobCompletion::Kind::kSnooze;
    });
    if (rescheduled) WakeAll();
    batch.clear();
  }
  observer->OnLoopStopped("completer");
}

// --- heartbeat: leases, cancellation, timeouts ------------------------------

void WorkerImpl::Core::HeartbeatLoop() {
  const Micros tick = std::min<Micros>(opts.lease / 3, 1s);
  while (LoopSleep(tick)) {
    observer->OnLoopTick("heartbeat");
    std::vector<int64_t> ids;
    std::vector<std::shared_ptr<RunningJob>> timed_out;
    auto steady_now = Steady::now();
    {
      std::lock_guard lock(running_mu);
      for (auto& [id, rj] : running) {
        if (rj->started && steady_now > rj->deadline) {
          timed_out.push_back(rj);
        } else {
          ids.push_back(id);
        }
      }
    }
    for (auto& rj : timed_out) {
      {
        std::lock_guard lock(running_mu);
        rj->reason = StopReason::kTimeout;
      }
      rj->cancelled.store(true);
      Timestamp now = clock->Now();
      JobCompletion c;
      c.id = rj->job.id;
      c.worker_id = opts.worker_id;
      c.attempt = rj->job.attempt;
      c.kind = JobCompletion::Kind::kRetry;
      c.finished_at = now;
      auto it = handlers.find(rj->job.kind);
      const RetryPolicy& policy = it != handlers.end() && it->second.second.retry
                                      ? *it->second.second.retry
                                      : opts.default_retry;
      c.retry_at = now + policy.DelayAfter(rj->job.attempt);
      c.error = AttemptError{.attempt = rj->job.attempt,
                             .at = now,
                             .message = "timeout: handler exceeded its time limit",
                             .detail = ""};
      Settle(rj, std::move(c), Micros(0));
    }
    if (ids.empty()) continue;
    Timestamp now = clock->Now();
    auto cancels = store->JobExtendLeases(opts.worker_id, ids, now + opts.lease);
    if (!cancels.ok()) {
      observer->OnStoreError("heartbeat", cancels.status());
      (StoreOutageLog::Failed("heartbeat", cancels.status()) ? log::Warn : log::Debug)(
          "lease extension failed",
          {{"loop", "heartbeat"}, {"error", cancels.status().ToString()}});
      continue;
    }
    StoreOutageLog::Succeeded();
    std::lock_guard lock(running_mu);
    for (int64_t id : cancels.value()) {
      auto it = running.find(id);
      if (it == running.end()) continue;
      if (it->second->reason == StopReason::kNone) it->second->reason = StopReason::kUserCancel;
      it->second->cancelled.store(true);
    }
  }
  observer->OnLoopStopped("heartbeat");
}

// --- maintenance: rescue and retention -------------------------------------

void WorkerImpl::Core::MaintenanceLoop() {
  // First pass at start: catch up on anything a crash left behind.
  Micros tick = std::min<Micros>(opts.rescue_interval, 5s);
  auto next_rescue = Steady::now();
  do {
    observer->OnLoopTick("maintenance");
    Timestamp now = clock->Now();
    bool rescue_due = Steady::now() >= next_rescue;
    if (rescue_due) next_rescue = Steady::now() + opts.rescue_interval;
    for (int round = 0; rescue_due && round < 10; ++round) {
      auto rescued = store->JobRescueExpired(JobRescueParams{.now = now});
      if (!rescued.ok()) {
        observer->OnStoreError("maintenance", rescued.status());
        (StoreOutageLog::Failed("maintenance", rescued.status()) ? log::Warn : log::Debug)(
            "rescue failed", {{"loop", "maintenance"}, {"error", rescued.status().ToString()}});
        break;
      }
      if (rescued->empty()) break;
      for (const auto& r : rescued.value()) {
        log::Warn("rescued job of lost worker", {{"kind", r.kind},
                                                 {"job_id", r.id},
                                                 {"queue", r.queue},
                                                 {"lost_worker", r.lost_worker},
                                                 {"state", JobStateName(r.new_state)}});
      }
      observer->OnJobsRescued(rescued.value());
      WakeAll();
      if (rescued->size() < 1000) break;
    }
    if (opts.keep_completed > Micros(0) || opts.keep_failed > Micros(0)) {
      JobDeleteFinishedParams p;
      p.completed_before =
          opts.keep_completed > Micros(0) ? now - opts.keep_completed : Timestamp{};
      p.failed_before = opts.keep_failed > Micros(0) ? now - opts.keep_failed : Timestamp{};
      p.limit = 1000;
      // Every tick (<= 5 s), in bounded batches so no long lock is held and
      // the loop keeps ticking: up to 50,000 jobs per tick keeps up with
      // ~10,000 jobs/s per node; a faster node catches up over later ticks.
      for (int round = 0; round < 50; ++round) {
        auto deleted = store->JobDeleteFinished(p);
        if (!deleted.ok()) {
          observer->OnStoreError("maintenance", deleted.status());
          break;
        }
        if (deleted.value() < p.limit) break;
      }
    }
  } while (LoopSleep(tick));
  observer->OnLoopStopped("maintenance");
}

void WorkerImpl::Core::ReleaseIds(const std::vector<int64_t>& ids) {
  if (ids.empty()) return;
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto r = store->JobRelease(opts.worker_id, ids, clock->Now());
    if (r.ok()) {
      log::Info("handed back jobs on shutdown", {{"jobs", r.value()}});
      return;
    }
    (StoreOutageLog::Failed("release", r.status()) ? log::Warn : log::Debug)(
        "release failed", {{"error", r.status().ToString()}});
    std::this_thread::sleep_for(100ms * (attempt + 1));
  }
  // The leases expire and the rescuer returns them: a retry, not a loss.
}

// --- WorkerImpl ------------------------------------------------------------

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
    : core_(std::make_shared<Core>()) {
  core_->store = std::move(store);
  core_->opts = std::move(options);
  if (core_->opts.worker_id.empty()) core_->opts.worker_id = DefaultWorkerId();
  core_->clock = core_->opts.clock ? core_->opts.clock : &SystemClock();
  core_->observer = core_->opts.observer ? core_->opts.observer : &g_null_observer;
  for (const auto& qo : core_->opts.queues) {
    auto q = std::make_unique<Core::Queue>();
    q->opts = qo;
    q->fetcher_name = "fetcher:" + qo.name;
    q->refill_threshold = std::max(1, std::min(qo.concurrency, core_->opts.claim_batch) / 4);
    core_->queues.push_back(std::move(q));
  }
}

WorkerImpl::~WorkerImpl() { Stop(); }

Status WorkerImpl::Handle(const std::string& kind, Handler handler, KindOptions options) {
  NewJob probe;
  probe.kind = kind;
  if (Status st = ValidateNewJob(probe); !st.ok()) return st.WithContext("handler");
  if (!handler) return InvalidArgument("handler for kind \"" + kind + "\" is empty");
  std::lock_guard lock(core_->lifecycle_mu);
  // Running jobs read the handler table without a lock: it is fixed at Start.
  if (core_->started) {
    return FailedPrecondition("cannot register a handler for kind \"" + kind +
                              "\": worker already started");
  }
  core_->handlers[kind] = {std::move(handler), options};
  return Status::Ok();
}

Status WorkerImpl::Start() {
  auto core = core_;
  std::lock_guard lock(core->lifecycle_mu);
  if (core->started) return FailedPrecondition("worker already started");
  core->started = true;
  core->listener_token =
      core->store->AddJobsAddedListener([c = core.get()](const std::string& queue) {
        if (auto* q = c->FindQueue(queue)) c->WakeQueue(*q);
      });
  core->completer = std::thread([core] { core->CompleteLoop(); });
  core->heartbeat = std::thread([core] { core->HeartbeatLoop(); });
  core->maintenance = std::thread([core] { core->MaintenanceLoop(); });
  for (auto& qp : core->queues) {
    Core::Queue* q = qp.get();
    q->live_executors = q->opts.concurrency;
    for (int i = 0; i < q->opts.concurrency; ++i) {
      q->executors.emplace_back([core, q] { core->ExecLoop(*q); });
    }
    q->fetcher = std::thread([core, q] { core->FetchLoop(*q); });
  }
  log::Info("worker started", {{"worker", core->opts.worker_id},
                               {"queues", core->queues.size()},
                               {"backend", core->store->Capabilities().backend}});
  return Status::Ok();
}

void WorkerImpl::Stop() {
  auto core = core_;
  std::lock_guard lifecycle(core->lifecycle_mu);
  if (!core->started || core->stopped) return;
  core->stopped = true;

  // 1. Stop claiming.
  core->stopping.store(true);
  for (auto& q : core->queues) {
    { std::lock_guard lock(q->mu); }
    q->fetch_cv.notify_all();
  }
  for (auto& q : core->queues) q->fetcher.join();

  // 2. Jobs claimed but not started go back at once.
  std::vector<int64_t> unstarted;
  for (auto& q : core->queues) {
    std::deque<std::shared_ptr<RunningJob>> ready;
    {
      std::lock_guard lock(q->mu);
      ready.swap(q->ready);
      q->in_flight -= static_cast<int>(ready.size());
    }
    std::lock_guard lock(core->running_mu);
    for (auto& rj : ready) {
      rj->settled = true;
      core->running.erase(rj->job.id);
      unstarted.push_back(rj->job.id);
    }
  }
  core->ReleaseIds(unstarted);

  // 3. Running handlers get the grace period to finish.
  auto total_in_flight = [&] {
    int n = 0;
    for (auto& q : core->queues) {
      std::lock_guard lock(q->mu);
      n += q->in_flight;
    }
    return n;
  };
  auto deadline = Steady::now() + core->opts.shutdown_grace;
  {
    std::unique_lock lock(core->running_mu);
    while (total_in_flight() > 0 && Steady::now() < deadline) {
      core->idle_cv.wait_until(lock, std::min(deadline, Steady::now() + 50ms));
    }
  }

  // 4. Past the grace period: cancel and hand back what still runs.
  std::vector<int64_t> leftover;
  {
    std::lock_guard lock(core->running_mu);
    for (auto& [id, rj] : core->running) {
      rj->reason = StopReason::kShutdown;
      rj->cancelled.store(true);
      rj->settled = true;
      leftover.push_back(id);
    }
    core->running.clear();
  }
  core->ReleaseIds(leftover);

  // 5. Executors exit once their handler returns. One that ignores
  // cancellation is detached (it holds Core alive); its outcome is ignored.
  for (auto& q : core->queues) {
    {
      std::lock_guard lock(q->mu);
      q->exec_stop = true;
    }
    q->exec_cv.notify_all();
  }
  auto exec_deadline = Steady::now() + 2s;
  for (auto& q : core->queues) {
    std::unique_lock lock(q->mu);
    core->idle_cv.wait_until(lock, exec_deadline, [&] { return q->live_executors == 0; });
    bool all_done = q->live_executors == 0;
    lock.unlock();
    for (auto& t : q->executors) {
      if (all_done) {
        t.join();
      } else {
        t.detach();
      }
    }
    if (!all_done)
      log::Warn("handlers ignored cancellation at shutdown", {{"queue", q->opts.name}});
  }

  // 6. Write the last outcomes, then stop the background loops.
  {
    std::lock_guard lock(core->done_mu);
    core->completer_stop = true;
  }
  core->done_cv.notify_all();
  core->completer.join();
  {
    std::lock_guard lock(core->loop_mu);
    core->loops_stop = true;
  }
  core->loop_cv.notify_all();
  core->heartbeat.join();
  core->maintenance.join();
  core->store->RemoveJobsAddedListener(core->listener_token);
  log::Info("worker stopped", {{"worker", core->opts.worker_id}});
}

void WorkerImpl::Wake() { core_->WakeAll(); }
const std::string& WorkerImpl::id() const { return core_->opts.worker_id; }
std::shared_ptr<Store> WorkerImpl::store() const { return core_->store; }

int WorkerImpl::Running() const {
  std::lock_guard lock(core_->running_mu);
  int n = 0;
  for (auto& [id, rj] : core_->running) n += rj->started ? 1 : 0;
  return n;
}

}  // namespace steward
