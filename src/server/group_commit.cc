#include "server/group_commit.h"

#include <span>

namespace steward::server {

GroupCommitter::GroupCommitter(std::shared_ptr<Store> store, Clock* clock,
                               GroupCommitOptions options)
    : store_(std::move(store)),
      clock_(clock ? clock : &SystemClock()),
      options_(options),
      thread_([this] { Run(); }) {}

GroupCommitter::~GroupCommitter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::future<Result<std::vector<InsertedJob>>> GroupCommitter::Submit(std::vector<NewJob> jobs) {
  Pending p;
  p.jobs = std::move(jobs);
  auto fut = p.done.get_future();
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      p.done.set_value(Unavailable("enqueue refused: server is shutting down"));
      return fut;
    }
    queue_.push_back(std::move(p));
  }
  cv_.notify_one();
  return fut;
}

GroupCommitStats GroupCommitter::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void GroupCommitter::Run() {
  std::vector<Pending> group;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      // Take everything queued, up to the bound; a request is never split.
      size_t jobs = 0;
      while (!queue_.empty() &&
             (group.empty() || jobs + queue_.front().jobs.size() <= options_.max_group_jobs)) {
        jobs += queue_.front().jobs.size();
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    Commit(group);
    group.clear();
  }
}

void GroupCommitter::Commit(std::vector<Pending>& group) {
  std::vector<NewJob> all;
  size_t total = 0;
  for (const auto& p : group) total += p.jobs.size();
  all.reserve(total);
  for (auto& p : group) {
    for (auto& j : p.jobs) all.push_back(std::move(j));
  }
  auto inserted = store_->JobInsertMany(std::span<const NewJob>(all), clock_->Now());
  {
    std::lock_guard lock(mu_);
    stats_.groups++;
    stats_.requests += group.size();
    stats_.jobs += total;
  }
  if (!inserted.ok() || inserted->size() != total) {
    Status st = inserted.ok() ? Internal("group commit: store returned " +
                                         std::to_string(inserted->size()) + " results for " +
                                         std::to_string(total) + " jobs")
                              : inserted.status();
    for (auto& p : group) p.done.set_value(st);
    return;
  }
  size_t offset = 0;
  for (auto& p : group) {
    // p.jobs were moved from; their count is unchanged.
    size_t n = p.jobs.size();
    std::vector<InsertedJob> mine(inserted->begin() + static_cast<ptrdiff_t>(offset),
                                  inserted->begin() + static_cast<ptrdiff_t>(offset + n));
    offset += n;
    p.done.set_value(std::move(mine));
  }
}

}  // namespace steward::server
