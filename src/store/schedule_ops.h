// The ScheduleStore algorithms, written once over a small transaction
// interface that each backend implements (sqlite_schedules.cc,
// postgres_schedules.cc). Backends only move rows; every rule (catch-up,
// overlap, check states, unique keys, payload metadata) lives here, so the
// two backends cannot drift apart.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "steward/job.h"
#include "store/schedule_store.h"

namespace steward {

// One open write transaction. Destroying it without Commit rolls back.
class ScheduleTxn {
 public:
  virtual ~ScheduleTxn() = default;

  // Rows by name (nullopt: all), ordered by name. `for_update` locks them
  // (PostgreSQL: FOR UPDATE; SQLite: the transaction already excludes
  // other writers).
  virtual Result<std::vector<Schedule>> SelectSchedules(std::optional<std::string_view> name,
                                                        bool for_update) = 0;
  // Enabled, unpaused schedules with next_fire_at <= now, oldest first, at
  // most `limit`, locked; rows locked by another node are skipped.
  virtual Result<std::vector<Schedule>> SelectDueSchedules(Timestamp now, int limit) = 0;
  virtual Result<std::optional<Timestamp>> MinNextFireAt() = 0;
  // Insert or replace every column of the row named s.spec.name.
  virtual Status SaveSchedule(const Schedule& s) = 0;
  virtual Status DeleteSchedule(std::string_view name) = 0;

  // Unfinished jobs whose unique_key starts with `prefix` (id, running?).
  virtual Result<std::vector<std::pair<int64_t, bool>>> UnfinishedJobsByKeyPrefix(
      const std::string& prefix) = 0;
  // Pending -> cancelled (finished_at = now); running -> cancel_requested.
  virtual Status CancelJob(int64_t id, Timestamp now) = 0;
  // Inserts unless an unfinished job holds job.unique_key (then nullopt).
  virtual Result<std::optional<int64_t>> InsertJob(const NewJob& job, Timestamp now) = 0;

  virtual Result<std::vector<Check>> SelectChecks(std::optional<std::string_view> name,
                                                  bool for_update) = 0;
  virtual Status SaveCheck(const Check& c) = 0;
  virtual Status DeleteCheck(std::string_view name) = 0;

  virtual Status Commit() = 0;
};

namespace schedule_ops {

// An enum column read back from a row: the parsed value, or kDataLoss
// naming the row, the column and the stored text. Such a value was written
// by something else (hand-edited SQL, a newer binary); guessing a default
// would run the schedule by a rule nobody chose.
//   table: "schedule" | "check"; row: its name.
template <typename T>
Result<T> StoredEnum(Result<T> parsed, std::string_view table, std::string_view row,
                     std::string_view column, std::string_view stored) {
  if (parsed.ok()) return parsed;
  return DataLoss(std::string(table) + " \"" + std::string(row) + "\": column " +
                  std::string(column) + " holds \"" + std::string(stored) +
                  "\", which this version of steward cannot read");
}

// Validation shared by the store, config and API.
Status ValidateScheduleSpec(const ScheduleSpec& spec);
Status ValidateCheckSpec(const CheckSpec& spec);
Status ValidateName(std::string_view name, std::string_view what);

// "schedule:<name>:" and the full key for one fire.
std::string JobKeyPrefix(std::string_view schedule);
std::string JobKey(std::string_view schedule, Timestamp fire_time);
// The job for one fire: the template with
// payload["_steward"] = {"schedule": name, "fire_time": RFC 3339}.
NewJob JobForFire(const ScheduleSpec& spec, Timestamp fire_time);
// The check every schedule owns (same name, source "schedule").
CheckSpec CheckForSchedule(const ScheduleSpec& spec);

// Pure check rules (exposed for tests).
void ApplyPing(Check& c, const CheckPingParams& p);
// The state time alone gives; `reason` says why it changed.
CheckState EvaluateState(const Check& c, Timestamp now, std::string* reason);

// Each function runs the algorithm in `txn` and commits it. Queues that got
// jobs are added to `queues` so the caller can NotifyJobsAdded after commit.
Result<Schedule> Upsert(ScheduleTxn& txn, const ScheduleSpec& spec, Timestamp now);
Result<std::vector<std::string>> DisableMissing(ScheduleTxn& txn, std::string_view source,
                                                std::span<const std::string> keep, Timestamp now);
Result<Schedule> Get(ScheduleTxn& txn, std::string_view name);
Result<std::vector<Schedule>> List(ScheduleTxn& txn);
Status SetPaused(ScheduleTxn& txn, std::string_view name, bool paused, Timestamp now);
Status Delete(ScheduleTxn& txn, std::string_view name);
Result<int64_t> Trigger(ScheduleTxn& txn, std::string_view name, Timestamp now,
                        std::set<std::string>& queues);
Result<std::vector<ScheduleFireResult>> FireDue(ScheduleTxn& txn, Timestamp now, int limit,
                                                std::set<std::string>& queues);
Result<std::optional<Timestamp>> NextFireAt(ScheduleTxn& txn);
Status RecordRun(ScheduleTxn& txn, std::string_view name, bool success, Timestamp at);

Result<Check> CheckUpsert(ScheduleTxn& txn, const CheckSpec& spec, Timestamp now);
Result<std::vector<std::string>> CheckDisableMissing(ScheduleTxn& txn, std::string_view source,
                                                     std::span<const std::string> keep,
                                                     Timestamp now);
Result<Check> CheckGet(ScheduleTxn& txn, std::string_view name);
Result<std::vector<Check>> CheckList(ScheduleTxn& txn);
Result<Check> CheckPing(ScheduleTxn& txn, const CheckPingParams& p);
Status CheckSetPaused(ScheduleTxn& txn, std::string_view name, bool paused, Timestamp now);
Result<std::vector<CheckTransition>> CheckEvaluate(ScheduleTxn& txn, Timestamp now);

}  // namespace schedule_ops
}  // namespace steward
