// SqliteStore's class, shared by the .cc files that implement it (split by
// area: open/schema, the job hot path, admin reads and writes).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "store/migrations.h"
#include "store/schedule_ops.h"
#include "store/sqlite/sqlite_conn.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"
#include "store/txn_store.h"

namespace steward {

// Generated at build time from src/store/sqlite/migrations/*.sql.
const std::vector<EmbeddedMigration>& SqliteMigrations();

namespace sqlite {

// Columns read by ReadJob, in order; every job query selects exactly these.
inline constexpr const char* kJobColumns =
    "id, queue, kind, payload, priority, run_at, attempt, max_attempts, state, unique_key, "
    "created_at, started_at, finished_at, lease_owner, lease_expires_at, cancel_requested";
// State sets, spelled exactly as in the partial indexes' WHERE clauses
// (migrations/0001_init.sql): SQLite only uses a partial index when the query
// repeats its term. OR chains, not IN lists: see the migration for why.
inline constexpr const char* kPendingStates =
    "(state = 'scheduled' OR state = 'available' OR state = 'retryable')";
inline constexpr const char* kUnfinishedStates =
    "(state = 'scheduled' OR state = 'available' OR state = 'running' OR state = 'retryable')";
inline constexpr const char* kFinishedStates =
    "(state = 'completed' OR state = 'discarded' OR state = 'cancelled')";

// Reads a row selected with kJobColumns starting at column 0 (no errors).
Result<Job> ReadJob(const Stmt& s);

// job_counts upkeep (migrations/0005_queue_counts.sql): adds `sign` (+1 or
// -1) to the finished count of each job in `ids` that is in a finished state
// now, grouped by (queue, state); one statement, in the caller's write
// transaction. Call it with +1 after moving jobs into a finished state and
// with -1 before moving them out or deleting them. Every statement that does
// either calls it: the store's own code is the only writer of a SQLite file.
Status CountFinished(Conn& conn, std::span<const int64_t> ids, int sign);
// The same, from counts the caller already has: n added per (queue, state).
Status AddFinishedCounts(Conn& conn, const std::map<std::pair<std::string, JobState>, int64_t>& counts);
// "[1,2,3]": ids for "id IN (SELECT value FROM json_each(?))".
std::string JsonIdList(std::span<const int64_t> ids);

class SqliteStore final : public TxnStore {
 public:
  static Result<std::unique_ptr<Store>> Open(const SqliteOptions& options);

  StoreCapabilities Capabilities() const override;
  Status Migrate() override;
  Result<std::pair<int, int>> SchemaVersion() override;
  Status Ping() override;

  Result<std::vector<InsertedJob>> JobInsertMany(std::span<const NewJob> jobs,
                                                 Timestamp now) override;
  Result<std::vector<Job>> JobClaim(const JobClaimParams& p) override;
  Result<std::vector<JobCompletionResult>> JobCompleteMany(
      std::span<const JobCompletion> completions) override;
  Result<std::vector<int64_t>> JobExtendLeases(const std::string& worker_id,
                                               std::span<const int64_t> ids,
                                               Timestamp lease_until) override;
  Result<int> JobRelease(const std::string& worker_id, std::span<const int64_t> ids,
                         Timestamp now) override;
  Result<std::vector<RescuedJob>> JobRescueExpired(const JobRescueParams& p) override;
  Result<std::optional<Timestamp>> JobNextRunAt(const std::string& queue) override;
  Result<Job> JobGet(int64_t id) override;
  Result<std::vector<Job>> JobList(const JobListParams& p) override;
  Status JobRetry(int64_t id, Timestamp now) override;
  Status JobRunNow(int64_t id, Timestamp now) override;
  Result<JobState> JobCancel(int64_t id, Timestamp now) override;
  Status JobDiscard(int64_t id, Timestamp now) override;
  Result<int> JobDeleteFinished(const JobDeleteFinishedParams& p) override;

  Result<std::vector<QueueStats>> QueueStatsAll(Timestamp now) override;
  Result<std::vector<QueueStats>> QueueLagAll(Timestamp now) override;
  Status QueueSetPaused(const std::string& queue, bool paused) override;
  Result<std::vector<std::string>> QueuesPaused() override;

  // --- AlertStore (alert_store.h); the writes are TxnStore's ---
  Result<Alert> AlertGetOpen(const std::string& fingerprint) override;
  Result<Alert> AlertGet(int64_t id) override;
  Result<std::vector<Alert>> AlertList(bool open_only, int limit) override;
  Result<std::vector<OutboxRow>> OutboxClaim(const OutboxClaimParams& p) override;
  Result<bool> OutboxMarkDelivered(int64_t id, const std::string& owner, Timestamp now) override;
  Result<int> OutboxRelease(std::span<const int64_t> ids, const std::string& owner) override;
  Result<bool> OutboxMarkFailed(int64_t id, const std::string& owner, Timestamp now,
                                Timestamp next_attempt_at, const std::string& error,
                                bool permanent) override;
  Result<std::vector<OutboxRow>> OutboxList(const OutboxListParams& p) override;
  Result<int> OutboxDeleteFinished(Timestamp before, int limit) override;
  Result<ActivitySummary> ActivitySummarize(const ActivitySummarizeParams& p) override;

  // --- DashboardStore (dashboard_store.h; sqlite_dashboard.cc) ---
  Status NodeHeartbeat(const NodeInfo& node) override;
  Status NodeStopped(const std::string& id, Timestamp now) override;
  Result<std::vector<NodeInfo>> NodeList() override;
  Result<int> NodeDeleteBefore(Timestamp before) override;
  Status StatsMerge(std::span<const JobStatsRow> deltas) override;
  Result<std::vector<JobStatsRow>> StatsQuery(const JobStatsQuery& q) override;
  Result<int> StatsDeleteBefore(Timestamp before) override;
  Result<int64_t> AuditAppend(const AuditEntry& e) override;
  Result<std::vector<AuditEntry>> AuditList(const AuditListParams& p) override;
  Result<int> AuditDeleteBefore(Timestamp before) override;
  Result<std::vector<FailedJob>> FailedJobList(const FailedJobListParams& p) override;
  Result<std::vector<KindCount>> DiscardedCountByKind(Timestamp since, int limit) override;
  Result<JobSearchPage> JobSearch(const JobSearchParams& p) override;
  Result<std::string> SettingGetOrCreate(const std::string& key,
                                         const std::string& value_if_absent) override;

 protected:
  // TxnStore: BEGIN IMMEDIATE on the writer connection (sqlite_schedules.cc,
  // sqlite_alerts.cc).
  Status RunScheduleTxn(std::string_view label,
                        const std::function<Status(ScheduleTxn&)>& fn) override;
  Status RunAlertTxn(std::string_view label, const std::function<Status(AlertTxn&)>& fn) override;

 private:
  SqliteStore(SqliteOptions options, std::unique_ptr<Conn> writer, std::unique_ptr<Conn> reader);

  // Reads the applied schema version (0 if none) on `conn`; fails if the file
  // holds another application's tables (or is not a SQLite file at all).
  static Result<int> CheckSchema(Conn& conn);
  // kFailedPrecondition if `version` is newer than this binary knows.
  static Status CheckNotNewer(const Conn& conn, int version);
  // Runs one write statement on the writer connection; returns changes().
  // Adds every queue with settings to `by_queue` (reader, caller's txn).
  Status ReadQueueSettings(std::map<std::string, QueueStats>& by_queue);
  // Pending counts (per state when `by_state`), due counts and the oldest
  // due job per queue into `by_queue`; on the reader, in the caller's txn.
  Status ReadPendingStats(Timestamp now, bool by_state, std::map<std::string, QueueStats>& by_queue);
  Result<int> WriterRun(const std::string& sql, std::string_view what,
                        const std::function<void(Stmt&)>& bind);
  // Records an attempt's error, run by `worker` until `ended_at`; caller
  // holds the writer lock in a transaction.
  Status InsertError(int64_t job_id, int attempt, Timestamp at, const std::string& message,
                     const std::string& detail, const std::string& worker, Timestamp ended_at);

  SqliteOptions options_;
  std::unique_ptr<Conn> writer_;
  std::unique_ptr<Conn> reader_owned_;  // null for ":memory:" (one private database)
  Conn* reader_;                        // reader_owned_ or writer_
};

}  // namespace sqlite
}  // namespace steward
