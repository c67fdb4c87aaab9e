// ScheduleStore: the part of the Store that keeps schedules and checks
// (dead-man's switches). Store inherits it, so every backend implements it
// and the conformance suite (tests/store/schedule_store_test.cc) covers it.
// Semantics are documented for users in docs/schedules.md.
//
// Every backend implements these calls the same way: it opens one write
// transaction as a ScheduleTxn (store/schedule_ops.h) and runs the shared
// algorithm in store/schedule_ops.cc, so catch-up, overlap and check state
// rules exist exactly once. Times are passed in (never read from a clock).
//
// Errors: kInvalidArgument for a bad spec (cron, zone, names, payload not a
// JSON object), kNotFound for an unknown schedule or check, kUnavailable for
// transient database failures (retry).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/catch_up.h"
#include "steward/clock.h"
#include "steward/status.h"

namespace steward {

// What happens when a fire time comes while an earlier job of the same
// schedule is still pending or running (Kubernetes' concurrencyPolicy).
enum class OverlapPolicy {
  kAllow,    // fire anyway
  kForbid,   // skip this fire and count it in skipped_count
  kReplace,  // cancel the earlier job (running: cancel_requested), then fire
};
std::string_view OverlapPolicyName(OverlapPolicy p);  // "allow" | "forbid" | "replace"
Result<OverlapPolicy> ParseOverlapPolicy(std::string_view name);

// A schedule as declared by config, the CLI or the API.
struct ScheduleSpec {
  std::string name;            // [A-Za-z0-9_.-]{1,128}
  std::string cron;            // see include/steward/cron.h
  std::string time_zone = "UTC";
  // The job template.
  std::string kind;
  std::string queue = "default";
  std::string payload = "{}";  // a JSON object; "_steward" is added per fire
  int priority = 0;
  int max_attempts = 20;
  CatchUpPolicy catch_up = CatchUpPolicy::kLatest;
  int max_catch_up = 100;      // kAll: most missed fires enqueued at once, 1..10000
  OverlapPolicy overlap = OverlapPolicy::kAllow;
  bool enabled = true;         // owned by the declaring source (config)
  std::string source = "cli";  // "config" | "cli": config apply only touches its own
  // The schedule's own check goes late when a fire has no successful run
  // yet, and down this long after that.
  Micros grace = std::chrono::minutes(10);
};

struct Schedule {
  ScheduleSpec spec;
  bool paused = false;  // owned by operators (pause/resume); survives config apply
  std::optional<Timestamp> next_fire_at;  // nullopt: disabled or never fires again
  std::optional<Timestamp> last_fired_at;   // newest fire time that got a job
  std::optional<Timestamp> last_success_at; // a job of this schedule completed
  std::optional<Timestamp> last_failure_at; // a job failed its final attempt
  int consecutive_failures = 0;
  int64_t skipped_count = 0;  // fires skipped by overlap kForbid or catch-up kSkip
  std::optional<int64_t> last_job_id;
  Timestamp created_at{}, updated_at{};
};

// One schedule's outcome in ScheduleFireDue.
struct ScheduleFireResult {
  std::string name;
  std::vector<Timestamp> fire_times;  // fires that got a job, oldest first
  std::vector<int64_t> job_ids;       // parallel to fire_times
  int skipped = 0;                    // fires dropped (kSkip lateness, overlap)
  int cancelled = 0;                  // earlier jobs cancelled by kReplace
  bool truncated = false;             // kAll hit max_catch_up
  std::optional<Timestamp> next_fire_at;
  std::string error;                  // set when the stored cron no longer parses
};

// --- checks ----------------------------------------------------------------

enum class CheckState { kNew, kUp, kLate, kDown, kPaused };
std::string_view CheckStateName(CheckState s);  // "new" "up" "late" "down" "paused"
Result<CheckState> ParseCheckState(std::string_view name);

struct CheckSpec {
  std::string name;                // [A-Za-z0-9_.-]{1,128}
  std::optional<Micros> period;    // expected ping interval, or:
  std::string cron;                // expected ping times (with time_zone)
  std::string time_zone = "UTC";
  Micros grace = std::chrono::hours(1);  // late for this long before down
  std::string source = "cli";      // "config" | "cli" | "schedule"
  std::optional<std::string> schedule;  // the owning schedule (source "schedule")
};

struct Check {
  CheckSpec spec;
  CheckState state = CheckState::kNew;
  bool started = false;                  // a start ping without its end yet
  std::optional<Timestamp> started_at;
  std::optional<std::string> last_rid;   // run id of the last start ping
  std::optional<Timestamp> last_ping_at;
  std::string last_ping_kind;            // "success" | "start" | "fail" | ""
  std::optional<int> last_exit_status;
  std::string last_ping_body;            // at most kMaxPingBody bytes
  std::optional<Timestamp> last_success_at;
  int64_t ping_count = 0;
  // The state observers were last told about (see CheckEvaluate).
  CheckState notified_state = CheckState::kNew;
  Timestamp created_at{}, updated_at{};
};

inline constexpr size_t kMaxPingBody = 10 * 1024;

enum class PingKind { kSuccess, kStart, kFail };

struct CheckPingParams {
  std::string name;
  PingKind kind = PingKind::kSuccess;
  std::optional<int> exit_status;   // 0 is success, 1..255 fail (overrides kind)
  std::string body;                 // kept, truncated to kMaxPingBody
  std::optional<std::string> rid;   // pairs a start with its end
  Timestamp at{};
};

// A state change observers have not yet heard of.
struct CheckTransition {
  std::string name;
  std::optional<std::string> schedule;  // set for a schedule's own check
  CheckState from = CheckState::kNew;
  CheckState to = CheckState::kNew;
  Timestamp at{};
  std::string reason;  // "ping", "fail ping", "overdue", "grace expired", ...
};

class ScheduleStore {
 public:
  virtual ~ScheduleStore() = default;

  // --- schedules -------------------------------------------------------------
  // Creates or updates a schedule and its check. next_fire_at is kept when
  // cron and zone are unchanged and the schedule stays enabled, so downtime
  // across a restart is caught up; otherwise it becomes the first fire after
  // `now`. `paused` is never changed by an upsert.
  virtual Result<Schedule> ScheduleUpsert(const ScheduleSpec& spec, Timestamp now) = 0;
  // Disables every schedule of `source` whose name is not in `keep` (config
  // apply: removed from the file). Returns the names disabled.
  virtual Result<std::vector<std::string>> ScheduleDisableMissing(
      std::string_view source, std::span<const std::string> keep, Timestamp now) = 0;
  virtual Result<Schedule> ScheduleGet(std::string_view name) = 0;
  virtual Result<std::vector<Schedule>> ScheduleList() = 0;  // by name
  // A paused schedule does not fire; resuming continues from the first fire
  // after `now` (paused time is not caught up).
  virtual Status ScheduleSetPaused(std::string_view name, bool paused, Timestamp now) = 0;
  // Deletes the schedule and its check; its jobs stay.
  virtual Status ScheduleDelete(std::string_view name) = 0;
  // Enqueues one job now (fire time `now`), ignoring pause and overlap.
  virtual Result<int64_t> ScheduleTrigger(std::string_view name, Timestamp now) = 0;
  // The core: in one transaction, claims up to `limit` enabled, unpaused
  // schedules with next_fire_at <= now (row locks; other nodes skip them),
  // plans catch-up, applies the overlap policy, inserts one job per fire
  // time (unique_key "schedule:<name>:<RFC 3339 fire time>"), and advances
  // next_fire_at. Only schedules that had something due are returned.
  virtual Result<std::vector<ScheduleFireResult>> ScheduleFireDue(Timestamp now,
                                                                  int limit = 100) = 0;
  // Earliest next_fire_at of an enabled, unpaused schedule.
  virtual Result<std::optional<Timestamp>> ScheduleNextFireAt() = 0;
  // A job of the schedule finished for good: success (completed) or a
  // failed final attempt. Updates last_success_at / last_failure_at and pings
  // the schedule's check. kNotFound if the schedule is gone.
  virtual Status ScheduleRecordRun(std::string_view name, bool success, Timestamp at) = 0;

  // --- checks ------------------------------------------------------------------
  // Creates or updates a check (state and ping history are kept).
  virtual Result<Check> CheckUpsert(const CheckSpec& spec, Timestamp now) = 0;
  // Pauses every check of `source` not in `keep`; returns their names.
  virtual Result<std::vector<std::string>> CheckDisableMissing(std::string_view source,
                                                               std::span<const std::string> keep,
                                                               Timestamp now) = 0;
  virtual Result<Check> CheckGet(std::string_view name) = 0;
  virtual Result<std::vector<Check>> CheckList() = 0;  // by name
  // Records a ping: success -> up, fail -> down, start -> started. A paused
  // check is resumed by any ping. Returns the updated check.
  virtual Result<Check> CheckPing(const CheckPingParams& p) = 0;
  // Pauses (state paused: never late or down, no alerts) or resumes (state
  // new: the period counts from `now`) a check. kNotFound if missing.
  virtual Status CheckSetPaused(std::string_view name, bool paused, Timestamp now) = 0;
  // Applies time-based transitions (up -> late when the expected ping is
  // overdue, late -> down after grace, a start without an end for longer
  // than grace -> down) and returns every check whose state differs from
  // what observers were last told, marking it told. Each transition is
  // returned once across all nodes.
  virtual Result<std::vector<CheckTransition>> CheckEvaluate(Timestamp now) = 0;
};

}  // namespace steward
