#include "runtime/running_jobs.h"

#include <algorithm>

namespace steward {

std::unordered_map<int64_t, RunningJobs::Entry>::iterator RunningJobs::Find(const RunningJob& rj) {
  auto it = jobs_.find(rj.job.id);
  if (it != jobs_.end() && it->second.job.get() != &rj) return jobs_.end();
  return it;
}

void RunningJobs::Add(const std::vector<std::shared_ptr<RunningJob>>& jobs,
                      Steady::time_point lease_end) {
  MutexLock lock(mu_);
  for (const auto& rj : jobs) jobs_[rj->job.id] = Entry{.job = rj, .lease_end = lease_end};
}

RunningJobs::Start RunningJobs::MarkStarted(const RunningJob& rj, Steady::time_point deadline,
                                            Micros margin) {
  MutexLock lock(mu_);
  auto it = Find(rj);
  if (it == jobs_.end()) return Start::kSettled;
  // The heartbeat could not extend it in time (store outage): another node
  // may soon rescue it, so it must not start here.
  if (Steady::now() + margin >= it->second.lease_end) {
    jobs_.erase(it);
    return Start::kLeaseExpiring;
  }
  it->second.started = true;
  it->second.deadline = deadline;
  return Start::kRun;
}

void RunningJobs::LeasesExtended(const std::vector<int64_t>& ids, Steady::time_point lease_end) {
  MutexLock lock(mu_);
  for (int64_t id : ids) {
    auto it = jobs_.find(id);
    if (it != jobs_.end()) it->second.lease_end = std::max(it->second.lease_end, lease_end);
  }
}

std::optional<bool> RunningJobs::Finish(const RunningJob& rj) {
  MutexLock lock(mu_);
  auto it = Find(rj);
  if (it == jobs_.end()) return std::nullopt;
  bool cancel_requested = it->second.cancel_requested;
  jobs_.erase(it);
  return cancel_requested;
}

std::vector<std::shared_ptr<RunningJob>> RunningJobs::TakeTimedOut(Steady::time_point now,
                                                                   std::vector<int64_t>* live) {
  std::vector<std::shared_ptr<RunningJob>> timed_out;
  MutexLock lock(mu_);
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    if (it->second.started && now > it->second.deadline) {
      it->second.job->cancelled.store(true);
      timed_out.push_back(std::move(it->second.job));
      it = jobs_.erase(it);
    } else {
      live->push_back(it->first);
      ++it;
    }
  }
  return timed_out;
}

void RunningJobs::RequestCancel(const std::vector<int64_t>& ids) {
  MutexLock lock(mu_);
  for (int64_t id : ids) {
    auto it = jobs_.find(id);
    if (it == jobs_.end()) continue;
    it->second.cancel_requested = true;
    it->second.job->cancelled.store(true);
  }
}

std::vector<int64_t> RunningJobs::Release(const std::deque<std::shared_ptr<RunningJob>>& jobs) {
  std::vector<int64_t> ids;
  MutexLock lock(mu_);
  for (const auto& rj : jobs) {
    auto it = Find(*rj);
    if (it != jobs_.end()) jobs_.erase(it);
    ids.push_back(rj->job.id);
  }
  return ids;
}

std::vector<int64_t> RunningJobs::ReleaseAll() {
  std::vector<int64_t> ids;
  MutexLock lock(mu_);
  for (auto& [id, entry] : jobs_) {
    entry.job->cancelled.store(true);
    ids.push_back(id);
  }
  jobs_.clear();
  return ids;
}

int RunningJobs::CountStarted() const {
  MutexLock lock(mu_);
  int n = 0;
  for (const auto& [id, entry] : jobs_) n += entry.started ? 1 : 0;
  return n;
}

}  // namespace steward
