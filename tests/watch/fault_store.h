// FaultStore: a forwarding wrapper around a real Store that injects faults
// on command (LevelDB's EnvWrapper idea): Ping fails as if the database were
// unreachable, claims block as if a query hung. Everything else is the real
// store's behaviour.
//
// If the Store interface grows, add the forwarders here (a candidate for
// tests/support once other suites need it).
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>

#include "store/store.h"

namespace steward::testing {

class FaultStore final : public Store {
 public:
  explicit FaultStore(std::shared_ptr<Store> inner) : inner_(std::move(inner)) {
    // Wake-ups of the real store reach listeners of the wrapper.
    token_ = inner_->AddJobsAddedListener([this](const std::string& q) { NotifyJobsAdded(q); });
  }
  ~FaultStore() override {
    UnblockClaims();
    inner_->RemoveJobsAddedListener(token_);
  }

  // Ping, SchemaVersion and QueueStatsAll fail with kUnavailable while set.
  void SetUnreachable(bool on) { unreachable_ = on; }
  // JobClaim blocks until UnblockClaims (a hung query).
  void BlockClaims() {
    std::lock_guard lock(mu_);
    block_claims_ = true;
  }
  void UnblockClaims() {
    {
      std::lock_guard lock(mu_);
      block_claims_ = false;
    }
    cv_.notify_all();
  }
  int ping_count() const { return pings_.load(); }
  int blocked_claims() const { return blocked_.load(); }

  StoreCapabilities Capabilities() const override { return inner_->Capabilities(); }
  Status Migrate() override { return inner_->Migrate(); }
  Result<std::pair<int, int>> SchemaVersion() override {
    if (unreachable_) return Unavailable("injected: database unreachable");
    return inner_->SchemaVersion();
  }
  Status Ping() override {
    ++pings_;
    if (unreachable_) return Unavailable("injected: database unreachable");
    return inner_->Ping();
  }
  Result<std::vector<InsertedJob>> JobInsertMany(std::span<const NewJob> jobs,
                                                 Timestamp now) override {
    return inner_->JobInsertMany(jobs, now);
  }
  Result<std::vector<Job>> JobClaim(const JobClaimParams& p) override {
    {
      std::unique_lock lock(mu_);
      if (block_claims_) {
        ++blocked_;
        cv_.wait(lock, [&] { return !block_claims_; });
      }
    }
    return inner_->JobClaim(p);
  }
  Result<std::vector<JobCompletionResult>> JobCompleteMany(
      std::span<const JobCompletion> completions) override {
    return inner_->JobCompleteMany(completions);
  }
  Result<std::vector<int64_t>> JobExtendLeases(const std::string& worker_id,
                                               std::span<const int64_t> ids,
                                               Timestamp lease_until) override {
    return inner_->JobExtendLeases(worker_id, ids, lease_until);
  }
  Result<int> JobRelease(const std::string& worker_id, std::span<const int64_t> ids,
                         Timestamp now) override {
    return inner_->JobRelease(worker_id, ids, now);
  }
  Result<std::vector<RescuedJob>> JobRescueExpired(const JobRescueParams& p) override {
    return inner_->JobRescueExpired(p);
  }
  Result<std::optional<Timestamp>> JobNextRunAt(const std::string& queue) override {
    return inner_->JobNextRunAt(queue);
  }
  Result<Job> JobGet(int64_t id) override { return inner_->JobGet(id); }
  Result<std::vector<Job>> JobList(const JobListParams& p) override { return inner_->JobList(p); }
  Status JobRetry(int64_t id, Timestamp now) override { return inner_->JobRetry(id, now); }
  Result<JobState> JobCancel(int64_t id, Timestamp now) override {
    return inner_->JobCancel(id, now);
  }
  Result<int> JobDeleteFinished(const JobDeleteFinishedParams& p) override {
    return inner_->JobDeleteFinished(p);
  }
  Result<std::vector<QueueStats>> QueueStatsAll(Timestamp now) override {
    if (unreachable_) return Unavailable("injected: database unreachable");
    return inner_->QueueStatsAll(now);
  }
  Status QueueSetPaused(const std::string& queue, bool paused) override {
    return inner_->QueueSetPaused(queue, paused);
  }

 private:
  std::shared_ptr<Store> inner_;
  int token_ = 0;
  std::atomic<bool> unreachable_{false};
  std::atomic<int> pings_{0};
  std::atomic<int> blocked_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool block_claims_ = false;
};

}  // namespace steward::testing
