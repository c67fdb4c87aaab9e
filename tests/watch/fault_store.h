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
  std::optional<PoolStats> pool_stats() const override { return inner_->pool_stats(); }
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
  Status JobRunNow(int64_t id, Timestamp now) override { return inner_->JobRunNow(id, now); }
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
  Result<std::vector<QueueStats>> QueueLagAll(Timestamp now) override {
    if (unreachable_) return Unavailable("injected: database unreachable");
    return inner_->QueueLagAll(now);
  }
  Status QueueSetPaused(const std::string& queue, bool paused) override {
    return inner_->QueueSetPaused(queue, paused);
  }
  Result<std::vector<std::string>> QueuesPaused() override { return inner_->QueuesPaused(); }

  // --- AlertStore (alert_store.h) forwarders ---
  // SetUnreachable also fails alert writes and outbox claims, so tests can
  // take the database away from the alerter and the notifier.
  Result<AlertUpsertResult> AlertUpsert(const AlertUpsertParams& p) override {
    if (unreachable_) return Unavailable("injected: database unreachable");
    return inner_->AlertUpsert(p);
  }
  Result<Alert> AlertGetOpen(const std::string& fingerprint) override {
    return inner_->AlertGetOpen(fingerprint);
  }
  Result<std::vector<Alert>> AlertList(bool open_only, int limit) override {
    return inner_->AlertList(open_only, limit);
  }
  Result<int64_t> OutboxEnqueue(const std::string& channel, const std::string& event,
                                const std::string& payload_json, Timestamp now) override {
    return inner_->OutboxEnqueue(channel, event, payload_json, now);
  }
  Result<std::vector<OutboxRow>> OutboxClaim(const OutboxClaimParams& p) override {
    if (unreachable_) return Unavailable("injected: database unreachable");
    return inner_->OutboxClaim(p);
  }
  Result<bool> OutboxMarkDelivered(int64_t id, const std::string& owner, Timestamp now) override {
    return inner_->OutboxMarkDelivered(id, owner, now);
  }
  Result<bool> OutboxMarkFailed(int64_t id, const std::string& owner, Timestamp now,
                                Timestamp next_attempt_at, const std::string& error,
                                bool permanent) override {
    return inner_->OutboxMarkFailed(id, owner, now, next_attempt_at, error, permanent);
  }
  Result<int> OutboxRelease(std::span<const int64_t> ids, const std::string& owner) override {
    return inner_->OutboxRelease(ids, owner);
  }
  Result<std::vector<OutboxRow>> OutboxList(const OutboxListParams& p) override {
    return inner_->OutboxList(p);
  }
  Result<int> OutboxDeleteFinished(Timestamp before, int limit) override {
    return inner_->OutboxDeleteFinished(before, limit);
  }
  Result<ActivitySummary> ActivitySummarize(const ActivitySummarizeParams& p) override {
    if (unreachable_) return Unavailable("injected: database unreachable");
    return inner_->ActivitySummarize(p);
  }
  Result<std::vector<int64_t>> OutboxEnqueueOnce(const OutboxEnqueueOnceParams& p) override {
    if (unreachable_) return Unavailable("injected: database unreachable");
    return inner_->OutboxEnqueueOnce(p);
  }
  // --- end AlertStore forwarders ---

  // --- ScheduleStore (schedule_store.h) forwarders ---
  Result<Schedule> ScheduleUpsert(const ScheduleSpec& spec, Timestamp now) override {
    return inner_->ScheduleUpsert(spec, now);
  }
  Result<std::vector<std::string>> ScheduleDisableMissing(std::string_view source,
                                                          std::span<const std::string> keep,
                                                          Timestamp now) override {
    return inner_->ScheduleDisableMissing(source, keep, now);
  }
  Result<Schedule> ScheduleGet(std::string_view name) override { return inner_->ScheduleGet(name); }
  Result<std::vector<Schedule>> ScheduleList() override { return inner_->ScheduleList(); }
  Status ScheduleSetPaused(std::string_view name, bool paused, Timestamp now) override {
    return inner_->ScheduleSetPaused(name, paused, now);
  }
  Status ScheduleDelete(std::string_view name) override { return inner_->ScheduleDelete(name); }
  Result<int64_t> ScheduleTrigger(std::string_view name, Timestamp now) override {
    return inner_->ScheduleTrigger(name, now);
  }
  Result<std::vector<ScheduleFireResult>> ScheduleFireDue(Timestamp now, int limit) override {
    return inner_->ScheduleFireDue(now, limit);
  }
  Result<std::optional<Timestamp>> ScheduleNextFireAt() override {
    return inner_->ScheduleNextFireAt();
  }
  Status ScheduleRecordRun(std::string_view name, bool success, Timestamp at) override {
    return inner_->ScheduleRecordRun(name, success, at);
  }
  Result<Check> CheckUpsert(const CheckSpec& spec, Timestamp now) override {
    return inner_->CheckUpsert(spec, now);
  }
  Result<std::vector<std::string>> CheckDisableMissing(std::string_view source,
                                                       std::span<const std::string> keep,
                                                       Timestamp now) override {
    return inner_->CheckDisableMissing(source, keep, now);
  }
  Result<Check> CheckGet(std::string_view name) override { return inner_->CheckGet(name); }
  Result<std::vector<Check>> CheckList() override { return inner_->CheckList(); }
  Result<Check> CheckPing(const CheckPingParams& p) override { return inner_->CheckPing(p); }
  Result<std::vector<CheckTransition>> CheckEvaluate(Timestamp now) override {
    return inner_->CheckEvaluate(now);
  }
  // --- end ScheduleStore forwarders ---

  // --- DashboardStore forwarders (the ones the runtime and watch write) ---
  // NodeHeartbeat and StatsMerge fail with kUnavailable while set.
  void SetDashboardWritesFailing(bool on) { dashboard_writes_failing_ = on; }
  int node_beats() const { return node_beats_.load(); }
  int stats_merges() const { return stats_merges_.load(); }
  Status NodeHeartbeat(const NodeInfo& node) override {
    ++node_beats_;
    if (dashboard_writes_failing_) return Unavailable("injected: node heartbeat fails");
    return inner_->NodeHeartbeat(node);
  }
  Status NodeStopped(const std::string& id, Timestamp now) override { return inner_->NodeStopped(id, now); }
  Result<std::vector<NodeInfo>> NodeList() override { return inner_->NodeList(); }
  Status StatsMerge(std::span<const JobStatsRow> deltas) override {
    ++stats_merges_;
    if (dashboard_writes_failing_) return Unavailable("injected: stats merge fails");
    return inner_->StatsMerge(deltas);
  }
  Result<std::vector<JobStatsRow>> StatsQuery(const JobStatsQuery& q) override { return inner_->StatsQuery(q); }
  Result<int> NodeDeleteBefore(Timestamp before) override { return inner_->NodeDeleteBefore(before); }
  Result<int> StatsDeleteBefore(Timestamp before) override { return inner_->StatsDeleteBefore(before); }
  Result<int64_t> AuditAppend(const AuditEntry& e) override { return inner_->AuditAppend(e); }
  Result<std::vector<AuditEntry>> AuditList(const AuditListParams& p) override { return inner_->AuditList(p); }
  Result<int> AuditDeleteBefore(Timestamp before) override { return inner_->AuditDeleteBefore(before); }
  Result<std::vector<FailedJob>> FailedJobList(const FailedJobListParams& p) override {
    return inner_->FailedJobList(p);
  }
  Result<std::vector<KindCount>> DiscardedCountByKind(Timestamp since, int limit) override {
    return inner_->DiscardedCountByKind(since, limit);
  }
  Result<JobSearchPage> JobSearch(const JobSearchParams& p) override { return inner_->JobSearch(p); }
  Result<std::string> SettingGetOrCreate(const std::string& key, const std::string& value_if_absent) override {
    return inner_->SettingGetOrCreate(key, value_if_absent);
  }
  Status JobDiscard(int64_t id, Timestamp now) override { return inner_->JobDiscard(id, now); }
  Result<Alert> AlertGet(int64_t id) override { return inner_->AlertGet(id); }
  Status AlertAcknowledge(int64_t id, const std::string& actor, std::optional<Timestamp> silence_until,
                          Timestamp now) override {
    return inner_->AlertAcknowledge(id, actor, silence_until, now);
  }
  Status CheckSetPaused(std::string_view name, bool paused, Timestamp now) override {
    return inner_->CheckSetPaused(name, paused, now);
  }
  // --- end DashboardStore forwarders ---

 private:
  std::shared_ptr<Store> inner_;
  int token_ = 0;
  std::atomic<bool> unreachable_{false};
  std::atomic<int> pings_{0};
  std::atomic<int> blocked_{0};
  std::atomic<bool> dashboard_writes_failing_{false};
  std::atomic<int> node_beats_{0};
  std::atomic<int> stats_merges_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool block_claims_ = false;
};

}  // namespace steward::testing
