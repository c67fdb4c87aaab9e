// Client: enqueue jobs, and look at or change them.
//
//   auto client = steward::Client::Open("sqlite://./steward.db");
//   steward::NewJob job{.kind = "send_welcome", .payload = R"({"to":"a@b.c"})"};
//   job.run_at = steward::SystemClock().Now() + std::chrono::hours(24);
//   auto id = client->Enqueue(job);
//
// A job is durable once Enqueue returns OK. Thread-safe. A Worker in the
// same process that shares the Store is woken at once by an enqueue.
//
// Errors every call may return, besides those it lists: kUnavailable when the
// database is busy or unreachable (transient: retry later),
// kResourceExhausted for a full disk or an exhausted connection pool,
// kDataLoss for a corrupt database.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "steward/clock.h"
#include "steward/job.h"
#include "steward/status.h"
#include "steward/store_handle.h"

namespace steward {

class Client {
 public:
  // Opens (and migrates) the store at `url`; URL forms and errors as
  // OpenSharedStore (steward/store_handle.h).
  static Result<std::unique_ptr<Client>> Open(const std::string& url, Clock* clock = nullptr);
  explicit Client(std::shared_ptr<Store> store, Clock* clock = nullptr);

  // Enqueues one job. kInvalidArgument for malformed JSON, bad names or
  // ranges. With a unique_key that matches an unfinished job, returns that
  // job's id (InsertedJob::duplicate = true) and inserts nothing.
  Result<InsertedJob> Enqueue(const NewJob& job);
  // Typed payload: serialised with nlohmann::json's to_json.
  template <typename T>
  Result<InsertedJob> Enqueue(const std::string& kind, const T& payload, NewJob options = {}) {
    options.kind = kind;
    options.payload = nlohmann::json(payload).dump();
    return Enqueue(options);
  }
  // All or nothing, in one transaction. kInvalidArgument names the first bad
  // job ("job 3: ...").
  Result<std::vector<InsertedJob>> EnqueueMany(std::span<const NewJob> jobs);

  // The job with its attempt errors. kNotFound if no job has this id (never
  // enqueued, or deleted by retention).
  Result<Job> Get(int64_t id);
  // Runs a job again now, as a person means it:
  //   scheduled, available, retryable -> available now, attempts kept;
  //   discarded, cancelled            -> available now, attempt count reset;
  //   completed                       -> the same, only with options.force
  //                                      (it already succeeded once).
  // Errors are kept. kNotFound if no job has this id; kFailedPrecondition if
  // it is running, or completed without force; kAlreadyExists if an
  // unfinished job now holds its unique_key.
  struct RetryOptions {
    bool force = false;
  };
  Status Retry(int64_t id, RetryOptions options);
  Status Retry(int64_t id) { return Retry(id, RetryOptions{}); }
  // Cancels a job. A pending job becomes cancelled at once (returns
  // kCancelled); a running one is flagged, its handler sees
  // JobContext::cancelled() within a heartbeat, and it ends cancelled when
  // the handler returns (returns kRunning). kNotFound if no job has this id;
  // kFailedPrecondition if it already finished.
  Result<JobState> Cancel(int64_t id);

  std::shared_ptr<Store> store() const { return store_; }

 private:
  std::shared_ptr<Store> store_;
  Clock* clock_;
};

}  // namespace steward
