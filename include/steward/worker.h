// Worker: runs handlers for jobs of registered kinds.
//
//   steward::WorkerOptions opts;
//   opts.queues = {{"default", 8}, {"email", 2}};
//   auto worker = steward::Worker::Open("sqlite://./steward.db", opts);
//   auto st = worker->Handle<Welcome>("send_welcome", [](steward::JobContext& ctx, const Welcome&
//   w) {
//     mailer.Send(w.to, ctx.idempotency_key());
//     return steward::Outcome::Success();
//   });
//   worker->Start();   // returns at once; work runs on background threads
//   ...
//   worker->Stop();    // graceful: stop claiming, wait up to shutdown_grace, hand back the rest
//
// Thread safety: handlers are registered before Start() (Handle() after it is
// refused: running jobs read the handler table without a lock). Start/Stop may
// be called from any thread; Stop without Start and a second Stop are
// harmless. Handlers run concurrently on executor threads (up to each queue's
// concurrency) and must be thread-safe.
//
// Every worker on a queue must handle every kind enqueued to it: a worker
// that claims a job of a kind it has no handler for discards it at once, with
// an error naming the kind, the worker and the kinds it handles.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "steward/clock.h"
#include "steward/job.h"
#include "steward/observer.h"
#include "steward/retry.h"
#include "steward/status.h"
#include "steward/store_handle.h"

namespace steward {

// How a handler's attempt ended. An exception thrown by a handler is treated
// as Failure(e.what()).
class Outcome {
 public:
  enum class Kind { kSuccess, kRetry, kSnooze, kDiscard };
  static Outcome Success() { return Outcome(Kind::kSuccess); }
  // Failed; try again after `delay` (default: the kind's RetryPolicy), unless
  // attempts are exhausted, in which case the job is discarded.
  static Outcome Retry(std::string message, std::optional<Micros> delay = std::nullopt,
                       std::string detail = {});
  static Outcome Failure(std::string message, std::string detail = {}) {
    return Retry(std::move(message), std::nullopt, std::move(detail));
  }
  // Not now: run again after `delay`; this attempt is not counted.
  static Outcome Snooze(Micros delay);
  // Failed permanently; never retried automatically.
  static Outcome Discard(std::string message, std::string detail = {});

  Kind kind() const { return kind_; }
  const std::string& message() const { return message_; }
  const std::string& detail() const { return detail_; }
  std::optional<Micros> delay() const { return delay_; }

 private:
  explicit Outcome(Kind k) : kind_(k) {}
  Kind kind_;
  std::string message_, detail_;
  std::optional<Micros> delay_;
};

// What a handler sees. Valid only during the handler call.
class JobContext {
 public:
  JobContext(const Job& job, nlohmann::json payload, const std::atomic<bool>* cancelled)
      : job_(job), payload_(std::move(payload)), cancelled_(cancelled) {}

  int64_t id() const { return job_.id; }
  int attempt() const { return job_.attempt; }
  int max_attempts() const { return job_.max_attempts; }
  const std::string& kind() const { return job_.kind; }
  const std::string& queue() const { return job_.queue; }
  Timestamp run_at() const { return job_.run_at; }
  const nlohmann::json& payload() const { return payload_; }
  const Job& job() const { return job_; }
  // "steward-<id>": stable across attempts; store it with the side effect
  // to make a handler idempotent under at-least-once delivery.
  std::string idempotency_key() const { return "steward-" + std::to_string(job_.id); }
  // True once the job was cancelled, its timeout passed, or the worker is
  // shutting down past its grace period. Long handlers should poll it.
  bool cancelled() const { return cancelled_->load(std::memory_order_relaxed); }

 private:
  const Job& job_;
  nlohmann::json payload_;
  const std::atomic<bool>* cancelled_;
};

using Handler = std::function<Outcome(JobContext&)>;

// Per-kind settings. Zero values mean "use the worker default".
struct KindOptions {
  std::optional<RetryPolicy> retry;
  Micros timeout{0};  // 0: WorkerOptions::default_timeout
};

struct QueueOptions {
  std::string name = "default";
  int concurrency = 8;  // handlers of this queue running at once, 1..10000
};

struct WorkerOptions {
  std::vector<QueueOptions> queues = {QueueOptions{}};
  // Identity written as lease_owner; default "<hostname>:<pid>:<random>".
  std::string worker_id;
  // A running job's lease; extended every lease/3 by the heartbeat. A dead
  // worker's jobs are rescued once the lease expires (+ rescue_interval).
  Micros lease = std::chrono::seconds(30);
  Micros rescue_interval = std::chrono::seconds(15);
  // Fallback poll when no wake-up arrives (other processes enqueueing into
  // SQLite, lost NOTIFY).
  Micros poll_interval = std::chrono::seconds(1);
  // Longest a handler may run before it is cancelled and the attempt fails.
  Micros default_timeout = std::chrono::minutes(30);
  // On Stop(): how long running handlers may finish before their jobs are
  // handed back (released) for another worker.
  Micros shutdown_grace = std::chrono::seconds(25);
  RetryPolicy default_retry;
  // Retention of finished jobs (0 disables cleanup).
  Micros keep_completed = std::chrono::hours(24);
  Micros keep_failed = std::chrono::hours(24 * 14);
  // Retention of what the dashboard shows (0 disables cleanup): nodes not
  // seen for this long, the per-minute activity rollups (the charts reach
  // back 7 days), and the audit log of actions people took.
  Micros keep_nodes = std::chrono::hours(24 * 7);
  Micros keep_stats = std::chrono::hours(24 * 8);
  Micros keep_audit = std::chrono::hours(24 * 90);
  // Jobs claimed per fetch at most (also bounded by free slots + prefetch).
  int claim_batch = 256;
  // Claim-ahead: jobs each queue holds claimed beyond its free slots, so a
  // freed slot starts the next job without waiting for a claim round trip.
  // Held jobs are leased (state running) like started ones; 0 claims only
  // into free slots. 0..100000, default 256.
  int prefetch = 256;
  // A held job not started within this is handed back (attempt not
  // counted) and the queue's claim-ahead halves, so a slow node does not
  // keep jobs a faster one could run. Also bounds priority inversion: a
  // job enqueued behind held ones waits at most about this (+ one
  // heartbeat, <= 1 s) for them. Capped at lease/2; default 2 s.
  Micros prefetch_hold = std::chrono::seconds(2);
  Clock* clock = nullptr;  // default: SystemClock()
  // Receives runtime events (metrics, alerts, health). Not owned.
  RuntimeObserver* observer = nullptr;
};

class Worker {
 public:
  // Opens the store at `url` and migrates it (errors as OpenSharedStore), then
  // as Create.
  static Result<std::unique_ptr<Worker>> Open(const std::string& url, WorkerOptions options = {});
  // Uses an existing store (shared, e.g. with a Client in the same process).
  // kInvalidArgument for a null store or invalid options (empty or duplicate
  // queue names, concurrency outside 1..10000, lease < 1s, ...), naming the
  // field.
  static Result<std::unique_ptr<Worker>> Create(std::shared_ptr<Store> store,
                                                WorkerOptions options = {});
  // Stops the worker (as Stop()) if it runs.
  virtual ~Worker() = default;

  // Registers the handler for `kind`, replacing an earlier one. Errors:
  // kFailedPrecondition once Start() was called (handlers are fixed while
  // jobs run); kInvalidArgument for a malformed kind name or an empty handler.
  virtual Status Handle(const std::string& kind, Handler handler, KindOptions options = {}) = 0;

  // Typed convenience: the payload is converted with nlohmann::json's
  // from_json; a payload that does not convert discards the job (retrying
  // cannot fix it). Errors as above.
  template <typename T, typename F>
  Status Handle(const std::string& kind, F fn, KindOptions options = {}) {
    return Handle(
        kind,
        [fn = std::move(fn)](JobContext& ctx) -> Outcome {
          T value;
          try {
            value = ctx.payload().get<T>();
          } catch (const std::exception& e) {
            return Outcome::Discard(std::string("payload does not match type: ") + e.what());
          }
          return fn(ctx, value);
        },
        options);
  }

  // Starts the background threads and returns at once. A second Start()
  // (also after Stop(): a worker runs once) returns kFailedPrecondition and
  // changes nothing.
  virtual Status Start() = 0;
  // Graceful shutdown: stops claiming, hands back claimed jobs that have not
  // started, lets running handlers finish for up to shutdown_grace, then
  // cancels and hands back the rest. Blocks until done. Harmless without
  // Start() and when called again.
  virtual void Stop() = 0;
  // Wakes fetchers now (an enqueue happened that this process cannot see).
  virtual void Wake() = 0;
  virtual const std::string& id() const = 0;
  virtual std::shared_ptr<Store> store() const = 0;
  // Number of handlers running now.
  virtual int Running() const = 0;
};

}  // namespace steward
