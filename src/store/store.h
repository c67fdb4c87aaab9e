// Store: the one interface between Steward and its database.
//
// Implemented by SqliteStore (store/sqlite) and PostgresStore
// (store/postgres). Every implementation passes the same conformance suite
// (tests/store/), so the runtime never branches on the backend; where
// backends differ, they say so through Capabilities() and pool_stats().
//
// Naming follows entity-then-verb with one params struct per call. All calls
// are thread-safe. Times are passed in explicitly (never read from a clock
// inside the store), so tests can drive weeks of simulated time.
//
// Errors: kUnavailable for transient failures (busy, connection lost,
// serialization failure; callers retry), kResourceExhausted for a full disk or
// an exhausted pool, kFailedPrecondition for a schema newer than this binary
// or a file that is not a Steward database, kInvalidArgument for bad params,
// kNotFound for a missing id.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "steward/clock.h"
#include "steward/job.h"
#include "steward/status.h"
#include "store/alert_store.h"
#include "store/dashboard_store.h"
#include "store/pool_stats.h"
#include "store/schedule_store.h"

namespace steward {

// What differs between backends and callers may show. Nothing branches on
// it: every backend gives the same guarantees (the conformance suite), and
// what only one has (a connection pool) is asked for directly (pool_stats).
struct StoreCapabilities {
  std::string backend;  // "sqlite" | "postgres" (for display only)
};

struct JobClaimParams {
  std::string queue;
  int limit = 1;            // > 0
  std::string worker_id;    // becomes lease_owner
  Timestamp now{};          // claims jobs with run_at <= now
  Timestamp lease_until{};  // lease_expires_at of claimed jobs
};

// How one attempt ended, reported by the runtime.
struct JobCompletion {
  enum class Kind {
    kCompleted,  // success
    kRetry,      // failed; retryable at retry_at, or discarded if attempts are exhausted
    kSnooze,     // run again at retry_at; the attempt is not counted
    kDiscard,    // failed permanently
    kCancelled,  // the handler stopped because cancellation was requested
  };
  int64_t id = 0;
  std::string worker_id;  // must still own the lease, or the completion is ignored
  int attempt = 0;        // must match the job's attempt, or the completion is ignored
  Kind kind = Kind::kCompleted;
  Timestamp finished_at{};
  Timestamp retry_at{};             // kRetry, kSnooze
  std::optional<AttemptError> error;  // kRetry, kDiscard (and kCancelled if given)
  // The job's queue, if the caller knows it (the runtime does): lets SQLite
  // keep its per-queue finished counts without reading the row back. Empty:
  // the store reads it.
  std::string queue;
};

struct JobCompletionResult {
  int64_t id = 0;
  bool applied = false;       // false when the lease was lost (rescued, cancelled, re-claimed)
  JobState new_state = JobState::kCompleted;
};

struct JobListParams {
  std::optional<std::string> queue;
  std::optional<JobState> state;
  std::optional<std::string> kind;
  std::optional<int64_t> before_id;  // cursor: return jobs with id < before_id (newest first)
  int limit = 50;                    // 1..1000
};

struct JobRescueParams {
  Timestamp now{};
  int limit = 1000;
  std::string rescue_message = "lease expired: worker lost";
};

// RescuedJob (what JobRescueExpired returns) is public: steward/job.h.

struct JobDeleteFinishedParams {
  Timestamp completed_before{};  // completed jobs finished before this are deleted
  Timestamp failed_before{};     // discarded and cancelled jobs finished before this
  int limit = 1000;              // bounded batch so no long lock is held
};

struct QueueStats {
  std::string queue;
  int64_t scheduled = 0, available = 0, running = 0, retryable = 0;
  int64_t completed = 0, discarded = 0, cancelled = 0;
  int64_t due = 0;                         // pending with run_at <= now
  std::optional<Micros> oldest_due_age;    // now - min(run_at) over due jobs
  bool paused = false;
};

class Store : public ScheduleStore, public AlertStore, public DashboardStore {
 public:
  ~Store() override = default;

  virtual StoreCapabilities Capabilities() const = 0;
  // The connection pool's numbers, for metrics and readiness; nullopt for a
  // backend without a pool (SQLite: one writer and one reader connection).
  virtual std::optional<PoolStats> pool_stats() const { return std::nullopt; }

  // --- wake-ups -----------------------------------------------------------
  // Listeners are called (on the inserting thread, or the store's listener
  // thread for LISTEN/NOTIFY) with a queue name after jobs were committed to
  // it, so idle fetchers wake at once instead of waiting for a poll. They
  // must be quick and must not call back into the store.
  using JobsAddedListener = std::function<void(const std::string& queue)>;
  int AddJobsAddedListener(JobsAddedListener listener);
  void RemoveJobsAddedListener(int token);

  // --- schema -------------------------------------------------------------
  // Applies pending migrations (serialised across processes). Fails with
  // kFailedPrecondition if the database has a newer schema than this binary.
  virtual Status Migrate() = 0;
  // (applied version, latest version this binary knows).
  virtual Result<std::pair<int, int>> SchemaVersion() = 0;
  // Cheap round trip, for readiness checks.
  virtual Status Ping() = 0;

  // --- jobs ---------------------------------------------------------------
  // Inserts all jobs in one transaction (all or nothing). Jobs whose
  // unique_key matches an unfinished job are not inserted; their result has
  // duplicate=true and the existing id. `now` fills created_at and a missing
  // run_at; the state is kScheduled if run_at > now, else kAvailable.
  virtual Result<std::vector<InsertedJob>> JobInsertMany(std::span<const NewJob> jobs,
                                                         Timestamp now) = 0;
  // Atomically moves up to `limit` due, pending jobs of an unpaused queue to
  // running, ordered by priority, run_at, id; increments attempt and sets the
  // lease. Two concurrent claimers never receive the same job.
  virtual Result<std::vector<Job>> JobClaim(const JobClaimParams& p) = 0;
  // Applies completions in one transaction. Each is applied only if the job
  // is running with the same lease_owner and attempt.
  virtual Result<std::vector<JobCompletionResult>> JobCompleteMany(
      std::span<const JobCompletion> completions) = 0;
  // Extends the lease of the given running jobs still owned by worker_id.
  // Returns the ids whose cancellation was requested (so the runtime can
  // tell their handlers).
  virtual Result<std::vector<int64_t>> JobExtendLeases(const std::string& worker_id,
                                                       std::span<const int64_t> ids,
                                                       Timestamp lease_until) = 0;
  // Graceful hand-back on shutdown: running jobs owned by worker_id become
  // available again at `now` and the attempt is not counted.
  virtual Result<int> JobRelease(const std::string& worker_id, std::span<const int64_t> ids,
                                 Timestamp now) = 0;
  // Running jobs whose lease expired before p.now: the attempt counts as a
  // failure (error = rescue_message); retryable at now, or discarded when
  // attempts are exhausted.
  virtual Result<std::vector<RescuedJob>> JobRescueExpired(const JobRescueParams& p) = 0;
  // Earliest run_at of a pending job in the queue (any time, past or future).
  virtual Result<std::optional<Timestamp>> JobNextRunAt(const std::string& queue) = 0;
  virtual Result<Job> JobGet(int64_t id) = 0;  // with errors; kNotFound if missing
  virtual Result<std::vector<Job>> JobList(const JobListParams& p) = 0;  // newest first, no errors
  // A discarded, cancelled or completed job becomes available at now with
  // attempt reset to 0 (errors are kept). kFailedPrecondition otherwise.
  virtual Status JobRetry(int64_t id, Timestamp now) = 0;
  // "Run now": a scheduled, available or retryable job becomes available at
  // `now` (an earlier run_at is kept). Its attempt count and errors are
  // kept, so max_attempts still bounds it. kFailedPrecondition for a running
  // or finished job (finished ones use JobRetry); kNotFound if missing.
  virtual Status JobRunNow(int64_t id, Timestamp now) = 0;
  // A pending job becomes cancelled; a running job gets cancel_requested and
  // is cancelled when its handler returns. kFailedPrecondition if finished.
  virtual Result<JobState> JobCancel(int64_t id, Timestamp now) = 0;
  // A pending job (scheduled, available, retryable) stops retrying: it
  // becomes discarded at `now`, its attempts and errors kept (the Failures
  // page's "discard group"). kFailedPrecondition for a running or finished
  // job; kNotFound if missing.
  virtual Status JobDiscard(int64_t id, Timestamp now) = 0;
  // Retention: deletes up to p.limit finished jobs; returns how many.
  virtual Result<int> JobDeleteFinished(const JobDeleteFinishedParams& p) = 0;

  // --- queues -------------------------------------------------------------
  virtual Result<std::vector<QueueStats>> QueueStatsAll(Timestamp now) = 0;
  // Only what lag needs: due, oldest_due_age and paused (the other counts
  // stay 0), read from pending jobs alone, so it stays cheap beside millions
  // of finished jobs (the Now page, the queue_lag rule). A queue without due
  // jobs is listed only if it has settings. The default answers with
  // QueueStatsAll, for a backend whose counts are already cheap.
  virtual Result<std::vector<QueueStats>> QueueLagAll(Timestamp now) { return QueueStatsAll(now); }
  // A paused queue keeps its jobs but nothing is claimed from it.
  virtual Status QueueSetPaused(const std::string& queue, bool paused) = 0;
  // Names of the paused queues (a small settings table; no job rows read).
  virtual Result<std::vector<std::string>> QueuesPaused() = 0;

 protected:
  // Implementations call this after a commit that added jobs to `queue`.
  void NotifyJobsAdded(const std::string& queue);

 private:
  std::mutex listeners_mu_;
  int next_listener_token_ = 1;
  std::vector<std::pair<int, JobsAddedListener>> listeners_;
};

// Opens a store from a URL: "sqlite:///abs/path.db", "sqlite://./rel.db",
// a bare path (SQLite), or "postgres://..." / "postgresql://...".
// Does not migrate. Options in the URL query: for SQLite,
// ?synchronous=normal|full (default normal).
Result<std::unique_ptr<Store>> OpenStore(const std::string& url);

}  // namespace steward
