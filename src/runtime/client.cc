#include "steward/client.h"

#include "store/job_run_again.h"
#include "store/store.h"

namespace steward {

Result<std::unique_ptr<Client>> Client::Open(const std::string& url, Clock* clock) {
  STEWARD_ASSIGN_OR_RETURN(std::shared_ptr<Store> store, OpenSharedStore(url));
  return std::make_unique<Client>(std::move(store), clock);
}

Client::Client(std::shared_ptr<Store> store, Clock* clock)
    : store_(std::move(store)), clock_(clock ? clock : &SystemClock()) {}

Result<InsertedJob> Client::Enqueue(const NewJob& job) {
  STEWARD_ASSIGN_OR_RETURN(auto ids, EnqueueMany(std::span<const NewJob>(&job, 1)));
  return ids.at(0);
}

Result<std::vector<InsertedJob>> Client::EnqueueMany(std::span<const NewJob> jobs) {
  for (size_t i = 0; i < jobs.size(); ++i) {
    Status st = ValidateNewJob(jobs[i]);
    if (!st.ok()) {
      return jobs.size() == 1 ? st : st.WithContext("job " + std::to_string(i));
    }
  }
  return store_->JobInsertMany(jobs, clock_->Now());
}

Result<Job> Client::Get(int64_t id) { return store_->JobGet(id); }
Status Client::Retry(int64_t id, RetryOptions options) {
  return RunJobAgain(*store_, id, clock_->Now(), options.force).status();
}
Result<JobState> Client::Cancel(int64_t id) { return store_->JobCancel(id, clock_->Now()); }

}  // namespace steward
