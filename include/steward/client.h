// Client: enqueue jobs, and look at or change them.
//
//   auto client = steward::Client::Open("sqlite://./steward.db");
//   steward::NewJob job{.kind = "send_welcome", .payload = R"({"to":"a@b.c"})"};
//   job.run_at = steward::SystemClock().Now() + std::chrono::hours(24);
//   auto id = client->Enqueue(job);
//
// A job is durable once Enqueue returns OK. Thread-safe. A Worker in the
// same process that shares the Store is woken at once by an enqueue.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "steward/clock.h"
#include "steward/job.h"
#include "steward/status.h"

namespace steward {

class Store;

class Client {
 public:
  // Opens (and migrates) the store at `url`; see OpenStore for URL forms.
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
  // All or nothing, in one transaction.
  Result<std::vector<InsertedJob>> EnqueueMany(std::span<const NewJob> jobs);

  Result<Job> Get(int64_t id);
  Status Retry(int64_t id);
  Result<JobState> Cancel(int64_t id);

  std::shared_ptr<Store> store() const { return store_; }

 private:
  std::shared_ptr<Store> store_;
  Clock* clock_;
};

}  // namespace steward
