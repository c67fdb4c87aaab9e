// The ScheduleStore algorithms shared by every backend (see schedule_ops.h).
#include "store/schedule_ops.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/json_limits.h"
#include "steward/cron.h"

namespace steward {

std::string_view OverlapPolicyName(OverlapPolicy p) {
  switch (p) {
    case OverlapPolicy::kAllow: return "allow";
    case OverlapPolicy::kForbid: return "forbid";
    case OverlapPolicy::kReplace: return "replace";
  }
  return "allow";
}

Result<OverlapPolicy> ParseOverlapPolicy(std::string_view name) {
  if (name == "allow") return OverlapPolicy::kAllow;
  if (name == "forbid") return OverlapPolicy::kForbid;
  if (name == "replace") return OverlapPolicy::kReplace;
  return InvalidArgument("overlap policy must be allow, forbid or replace, got \"" +
                         std::string(name) + "\"");
}

std::string_view CheckStateName(CheckState s) {
  switch (s) {
    case CheckState::kNew: return "new";
    case CheckState::kUp: return "up";
    case CheckState::kLate: return "late";
    case CheckState::kDown: return "down";
    case CheckState::kPaused: return "paused";
  }
  return "new";
}

Result<CheckState> ParseCheckState(std::string_view name) {
  for (CheckState s : {CheckState::kNew, CheckState::kUp, CheckState::kLate, CheckState::kDown,
                       CheckState::kPaused}) {
    if (CheckStateName(s) == name) return s;
  }
  return InvalidArgument("unknown check state \"" + std::string(name) + "\"");
}

namespace schedule_ops {

namespace {

std::optional<Timestamp> NextFire(const CronSchedule& cron, Timestamp after) {
  auto n = cron.Next(after);
  if (!n) return std::nullopt;
  return *n;
}

// A schedule's check follows the schedule: paused while the schedule cannot
// fire, new again when it can (its old lateness would otherwise alert at once).
void SyncScheduleCheck(Check& c, const Schedule& s) {
  const bool active = s.spec.enabled && !s.paused;
  if (!active) {
    c.state = CheckState::kPaused;
  } else if (c.state == CheckState::kPaused) {
    c.state = CheckState::kNew;
    c.started = false;
  }
}

Status UpsertScheduleCheck(ScheduleTxn& txn, const Schedule& s, Timestamp now) {
  CheckSpec spec = CheckForSchedule(s.spec);
  STEWARD_ASSIGN_OR_RETURN(auto rows, txn.SelectChecks(spec.name, true));
  Check c;
  if (!rows.empty()) {
    c = rows[0];
    if (c.spec.source != "schedule") {
      return FailedPrecondition("check \"" + spec.name +
                                "\" already exists and is not owned by a schedule");
    }
  } else {
    c.created_at = now;
  }
  c.spec = spec;
  SyncScheduleCheck(c, s);
  c.updated_at = now;
  return txn.SaveCheck(c);
}

Result<Schedule> LoadOne(ScheduleTxn& txn, std::string_view name, bool for_update) {
  STEWARD_ASSIGN_OR_RETURN(auto rows, txn.SelectSchedules(name, for_update));
  if (rows.empty()) return NotFound("schedule \"" + std::string(name) + "\" not found");
  return rows[0];
}

Result<Check> LoadCheck(ScheduleTxn& txn, std::string_view name, bool for_update) {
  STEWARD_ASSIGN_OR_RETURN(auto rows, txn.SelectChecks(name, for_update));
  if (rows.empty()) return NotFound("check \"" + std::string(name) + "\" not found");
  return rows[0];
}

bool Contains(std::span<const std::string> keep, const std::string& name) {
  return std::find(keep.begin(), keep.end(), name) != keep.end();
}

}  // namespace

Status ValidateName(std::string_view name, std::string_view what) {
  if (name.empty() || name.size() > 128) {
    return InvalidArgument(std::string(what) + " name must be 1..128 characters");
  }
  for (char ch : name) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-';
    // ':' is excluded on purpose: it separates the name in job unique keys.
    if (!ok) {
      return InvalidArgument(std::string(what) + " name \"" + std::string(name) +
                             "\" may only contain letters, digits, '_', '.' and '-'");
    }
  }
  return Status::Ok();
}

Status ValidateScheduleSpec(const ScheduleSpec& spec) {
  STEWARD_RETURN_IF_ERROR(ValidateName(spec.name, "schedule"));
  auto cron = CronSchedule::Parse(spec.cron, spec.time_zone);
  if (!cron.ok()) return cron.status().WithContext("schedule " + spec.name + " cron");
  STEWARD_RETURN_IF_ERROR(
      CheckJsonDepth(spec.payload).WithContext("schedule " + spec.name + " payload"));
  auto payload = ParseJsonOrDiscarded(spec.payload);
  if (!payload.is_object()) {
    return InvalidArgument("schedule " + spec.name + ": payload must be a JSON object");
  }
  if (Status st = ValidateNewJob(JobForFire(spec, Timestamp{})); !st.ok()) {
    return st.WithContext("schedule " + spec.name);
  }
  if (spec.max_catch_up < 1 || spec.max_catch_up > 10000) {
    return InvalidArgument("schedule " + spec.name + ": max_catch_up must be in 1..10000");
  }
  if (spec.source != "config" && spec.source != "cli") {
    return InvalidArgument("schedule source must be config or cli");
  }
  if (spec.grace < std::chrono::seconds(1)) {
    return InvalidArgument("schedule " + spec.name + ": grace must be at least 1s");
  }
  return Status::Ok();
}

Status ValidateCheckSpec(const CheckSpec& spec) {
  STEWARD_RETURN_IF_ERROR(ValidateName(spec.name, "check"));
  if (spec.period.has_value() == !spec.cron.empty()) {
    return InvalidArgument("check " + spec.name + ": give exactly one of period and cron");
  }
  if (spec.period && *spec.period < std::chrono::seconds(1)) {
    return InvalidArgument("check " + spec.name + ": period must be at least 1s");
  }
  if (!spec.cron.empty()) {
    auto cron = CronSchedule::Parse(spec.cron, spec.time_zone);
    if (!cron.ok()) return cron.status().WithContext("check " + spec.name + " cron");
  }
  if (spec.grace < std::chrono::seconds(1)) {
    return InvalidArgument("check " + spec.name + ": grace must be at least 1s");
  }
  return Status::Ok();
}

std::string JobKeyPrefix(std::string_view schedule) {
  return "schedule:" + std::string(schedule) + ":";
}

std::string JobKey(std::string_view schedule, Timestamp fire_time) {
  return JobKeyPrefix(schedule) + FormatTimestamp(fire_time);
}

NewJob JobForFire(const ScheduleSpec& spec, Timestamp fire_time) {
  NewJob j;
  j.kind = spec.kind;
  j.queue = spec.queue;
  j.priority = spec.priority;
  j.max_attempts = spec.max_attempts;
  j.run_at = fire_time;
  j.unique_key = JobKey(spec.name, fire_time);
  auto payload = ParseJsonOrDiscarded(spec.payload);
  if (!payload.is_object()) payload = nlohmann::json::object();
  payload["_steward"] = {{"schedule", spec.name}, {"fire_time", FormatTimestamp(fire_time)}};
  j.payload = payload.dump();
  return j;
}

CheckSpec CheckForSchedule(const ScheduleSpec& spec) {
  CheckSpec c;
  c.name = spec.name;
  c.cron = spec.cron;
  c.time_zone = spec.time_zone;
  c.grace = spec.grace;
  c.source = "schedule";
  c.schedule = spec.name;
  return c;
}

void ApplyPing(Check& c, const CheckPingParams& p) {
  PingKind kind = p.kind;
  c.last_exit_status = p.exit_status;
  if (p.exit_status) kind = *p.exit_status == 0 ? PingKind::kSuccess : PingKind::kFail;
  c.last_ping_at = p.at;
  ++c.ping_count;
  c.last_ping_body = p.body.substr(0, std::min(p.body.size(), kMaxPingBody));
  c.updated_at = p.at;
  // An end whose run id differs from the open start's belongs to another
  // (overlapping) run, so it does not close the open one.
  const bool closes_run = !p.rid || !c.last_rid || *p.rid == *c.last_rid;
  switch (kind) {
    case PingKind::kStart:
      c.last_ping_kind = "start";
      c.started = true;
      c.started_at = p.at;
      c.last_rid = p.rid;
      if (c.state == CheckState::kPaused) c.state = CheckState::kNew;
      break;
    case PingKind::kSuccess:
      c.last_ping_kind = "success";
      if (closes_run) {
        c.started = false;
        c.started_at.reset();
      }
      c.state = CheckState::kUp;
      c.last_success_at = p.at;
      break;
    case PingKind::kFail:
      c.last_ping_kind = "fail";
      if (closes_run) {
        c.started = false;
        c.started_at.reset();
      }
      c.state = CheckState::kDown;
      break;
  }
}

CheckState EvaluateState(const Check& c, Timestamp now, std::string* reason) {
  // new and paused wait for a ping; down only leaves with a successful ping.
  if (c.state != CheckState::kUp && c.state != CheckState::kLate) return c.state;
  if (c.started && c.started_at && now > *c.started_at + c.spec.grace) {
    if (reason) *reason = "run started but did not finish within grace";
    return CheckState::kDown;
  }
  if (!c.last_success_at) return c.state;
  std::optional<Timestamp> expected;
  if (c.spec.period) {
    expected = *c.last_success_at + *c.spec.period;
  } else {
    auto cron = CronSchedule::Parse(c.spec.cron, c.spec.time_zone);
    if (!cron.ok()) return c.state;
    expected = NextFire(*cron, *c.last_success_at);
  }
  if (!expected) return c.state;
  if (now > *expected + c.spec.grace) {
    if (reason) *reason = "no ping within grace after the expected time";
    return CheckState::kDown;
  }
  if (now > *expected) {
    if (reason) *reason = "expected ping is overdue";
    return CheckState::kLate;
  }
  return c.state;
}

// --- schedules ----------------------------------------------------------------

Result<Schedule> Upsert(ScheduleTxn& txn, const ScheduleSpec& spec_in, Timestamp now) {
  STEWARD_RETURN_IF_ERROR(ValidateScheduleSpec(spec_in));
  STEWARD_ASSIGN_OR_RETURN(CronSchedule cron, CronSchedule::Parse(spec_in.cron, spec_in.time_zone));
  ScheduleSpec spec = spec_in;
  spec.cron = cron.ToString();  // normalised, so an edit is detected reliably
  STEWARD_ASSIGN_OR_RETURN(auto rows, txn.SelectSchedules(spec.name, true));
  Schedule s;
  bool recompute = true;
  if (!rows.empty()) {
    s = rows[0];
    recompute = s.spec.cron != spec.cron || s.spec.time_zone != spec.time_zone ||
                !s.spec.enabled || !s.next_fire_at;
  } else {
    s.created_at = now;
  }
  s.spec = spec;
  if (!spec.enabled) {
    s.next_fire_at.reset();
  } else if (recompute && !s.paused) {
    s.next_fire_at = NextFire(cron, now);
  }
  s.updated_at = now;
  STEWARD_RETURN_IF_ERROR(txn.SaveSchedule(s));
  STEWARD_RETURN_IF_ERROR(UpsertScheduleCheck(txn, s, now));
  STEWARD_RETURN_IF_ERROR(txn.Commit());
  return s;
}

Result<std::vector<std::string>> DisableMissing(ScheduleTxn& txn, std::string_view source,
                                                std::span<const std::string> keep,
                                                Timestamp now) {
  STEWARD_ASSIGN_OR_RETURN(auto rows, txn.SelectSchedules(std::nullopt, true));
  std::vector<std::string> disabled;
  for (Schedule& s : rows) {
    if (s.spec.source != source || !s.spec.enabled || Contains(keep, s.spec.name)) continue;
    s.spec.enabled = false;
    s.next_fire_at.reset();
    s.updated_at = now;
    STEWARD_RETURN_IF_ERROR(txn.SaveSchedule(s));
    STEWARD_RETURN_IF_ERROR(UpsertScheduleCheck(txn, s, now));
    disabled.push_back(s.spec.name);
  }
  STEWARD_RETURN_IF_ERROR(txn.Commit());
  return disabled;
}

Result<Schedule> Get(ScheduleTxn& txn, std::string_view name) {
  STEWARD_ASSIGN_OR_RETURN(Schedule s, LoadOne(txn, name, false));
  STEWARD_RETURN_IF_ERROR(txn.Commit());
  return s;
}

Result<std::vector<Schedule>> List(ScheduleTxn& txn) {
  STEWARD_ASSIGN_OR_RETURN(auto rows, txn.SelectSchedules(std::nullopt, false));
  STEWARD_RETURN_IF_ERROR(txn.Commit());
  return rows;
}

Status SetPaused(ScheduleTxn& txn, std::string_view name, bool paused, Timestamp now) {
  STEWARD_ASSIGN_OR_RETURN(Schedule s, LoadOne(txn, name, true));
  if (s.paused != paused) {
    s.paused = paused;
    if (!paused && s.spec.enabled) {
      STEWARD_ASSIGN_OR_RETURN(CronSchedule cron, CronSchedule::Parse(s.spec.cron, s.spec.time_zone));
      s.next_fire_at = NextFire(cron, now);
    }
    s.updated_at = now;
    STEWARD_RETURN_IF_ERROR(txn.SaveSchedule(s));
    STEWARD_RETURN_IF_ERROR(UpsertScheduleCheck(txn, s, now));
  }
  return txn.Commit();
}

Status Delete(ScheduleTxn& txn, std::string_view name) {
  STEWARD_RETURN_IF_ERROR(LoadOne(txn, name, true).status());
  STEWARD_RETURN_IF_ERROR(txn.DeleteSchedule(name));
  STEWARD_ASSIGN_OR_RETURN(auto checks, txn.SelectChecks(name, true));
  if (!checks.empty() && checks[0].spec.source == "schedule") {
    STEWARD_RETURN_IF_ERROR(txn.DeleteCheck(name));
  }
  return txn.Commit();
}

Result<int64_t> Trigger(ScheduleTxn& txn, std::string_view name, Timestamp now,
                        std::set<std::string>& queues) {
  STEWARD_ASSIGN_OR_RETURN(Schedule s, LoadOne(txn, name, true));
  STEWARD_ASSIGN_OR_RETURN(auto id, txn.InsertJob(JobForFire(s.spec, now), now));
  if (!id) return AlreadyExists("schedule " + std::string(name) + " already has a job for this instant");
  s.last_job_id = *id;
  s.updated_at = now;
  STEWARD_RETURN_IF_ERROR(txn.SaveSchedule(s));
  STEWARD_RETURN_IF_ERROR(txn.Commit());
  queues.insert(s.spec.queue);
  return *id;
}

Result<std::vector<ScheduleFireResult>> FireDue(ScheduleTxn& txn, Timestamp now, int limit,
                                                std::set<std::string>& queues) {
  STEWARD_ASSIGN_OR_RETURN(auto due, txn.SelectDueSchedules(now, limit));
  std::vector<ScheduleFireResult> results;
  std::set<std::string> touched;
  for (Schedule& s : due) {
    ScheduleFireResult r;
    r.name = s.spec.name;
    auto cron = CronSchedule::Parse(s.spec.cron, s.spec.time_zone);
    if (!cron.ok() || !s.next_fire_at) {
      // Only possible if the tz database changed under a stored schedule:
      // stop it rather than retrying every second.
      r.error = cron.ok() ? "no next fire time" : cron.status().ToString();
      s.next_fire_at.reset();
      s.updated_at = now;
      STEWARD_RETURN_IF_ERROR(txn.SaveSchedule(s));
      results.push_back(std::move(r));
      continue;
    }
    CatchUpOptions opts;
    opts.policy = s.spec.catch_up;
    opts.max_catch_up = static_cast<size_t>(s.spec.max_catch_up);
    CatchUpPlan plan = PlanCatchUp(*cron, *s.next_fire_at, now, opts);
    std::vector<Timestamp> fires = std::move(plan.fire_times);
    r.truncated = plan.truncated;
    if (!fires.empty() && s.spec.overlap != OverlapPolicy::kAllow) {
      // With forbid or replace at most one job of the schedule may be live,
      // so of several caught-up fires only the newest can run.
      r.skipped += static_cast<int>(fires.size()) - 1;
      fires.erase(fires.begin(), fires.end() - 1);
      STEWARD_ASSIGN_OR_RETURN(auto live, txn.UnfinishedJobsByKeyPrefix(JobKeyPrefix(s.spec.name)));
      if (!live.empty()) {
        if (s.spec.overlap == OverlapPolicy::kForbid) {
          r.skipped += 1;
          fires.clear();
        } else {
          for (const auto& [id, running] : live) {
            STEWARD_RETURN_IF_ERROR(txn.CancelJob(id, now));
            ++r.cancelled;
          }
        }
      }
    }
    for (Timestamp f : fires) {
      STEWARD_ASSIGN_OR_RETURN(auto id, txn.InsertJob(JobForFire(s.spec, f), now));
      // nullopt: this fire already has an unfinished job (inserted by
      // another node or a previous run that crashed after insert): one job
      // per fire time either way.
      if (!id) continue;
      r.fire_times.push_back(f);
      r.job_ids.push_back(*id);
      s.last_fired_at = f;
      s.last_job_id = *id;
      queues.insert(s.spec.queue);
    }
    s.skipped_count += r.skipped;
    s.next_fire_at = plan.next_fire == kNeverFires ? std::nullopt
                                                   : std::optional<Timestamp>(plan.next_fire);
    r.next_fire_at = s.next_fire_at;
    s.updated_at = now;
    STEWARD_RETURN_IF_ERROR(txn.SaveSchedule(s));
    results.push_back(std::move(r));
  }
  STEWARD_RETURN_IF_ERROR(txn.Commit());
  return results;
}

Result<std::optional<Timestamp>> NextFireAt(ScheduleTxn& txn) {
  STEWARD_ASSIGN_OR_RETURN(auto t, txn.MinNextFireAt());
  STEWARD_RETURN_IF_ERROR(txn.Commit());
  return t;
}

Status RecordRun(ScheduleTxn& txn, std::string_view name, bool success, Timestamp at) {
  STEWARD_ASSIGN_OR_RETURN(Schedule s, LoadOne(txn, name, true));
  if (success) {
    s.last_success_at = at;
    s.consecutive_failures = 0;
  } else {
    s.last_failure_at = at;
    ++s.consecutive_failures;
  }
  s.updated_at = std::max(s.updated_at, at);
  STEWARD_RETURN_IF_ERROR(txn.SaveSchedule(s));
  STEWARD_ASSIGN_OR_RETURN(auto checks, txn.SelectChecks(name, true));
  if (!checks.empty() && checks[0].spec.source == "schedule" &&
      checks[0].state != CheckState::kPaused) {
    CheckPingParams p;
    p.name = std::string(name);
    p.kind = success ? PingKind::kSuccess : PingKind::kFail;
    p.at = at;
    p.body = success ? "job completed" : "job failed its final attempt";
    ApplyPing(checks[0], p);
    STEWARD_RETURN_IF_ERROR(txn.SaveCheck(checks[0]));
  }
  return txn.Commit();
}

// --- checks -------------------------------------------------------------------

Result<Check> CheckUpsert(ScheduleTxn& txn, const CheckSpec& spec, Timestamp now) {
  STEWARD_RETURN_IF_ERROR(ValidateCheckSpec(spec));
  if (spec.source == "schedule") return InvalidArgument("checks of schedules are managed by the schedule");
  STEWARD_ASSIGN_OR_RETURN(auto rows, txn.SelectChecks(spec.name, true));
  Check c;
  if (!rows.empty()) {
    c = rows[0];
    if (c.spec.source == "schedule") {
      return FailedPrecondition("check \"" + spec.name + "\" belongs to the schedule of that name");
    }
    // A config check that was removed and comes back starts over.
    if (c.state == CheckState::kPaused && c.spec.source == "config") c.state = CheckState::kNew;
  } else {
    c.created_at = now;
  }
  c.spec = spec;
  c.updated_at = now;
  STEWARD_RETURN_IF_ERROR(txn.SaveCheck(c));
  STEWARD_RETURN_IF_ERROR(txn.Commit());
  return c;
}

Result<std::vector<std::string>> CheckDisableMissing(ScheduleTxn& txn, std::string_view source,
                                                     std::span<const std::string> keep,
                                                     Timestamp now) {
  STEWARD_ASSIGN_OR_RETURN(auto rows, txn.SelectChecks(std::nullopt, true));
  std::vector<std::string> paused;
  for (Check& c : rows) {
    if (c.spec.source != source || c.state == CheckState::kPaused || Contains(keep, c.spec.name)) {
      continue;
    }
    c.state = CheckState::kPaused;
    c.updated_at = now;
    STEWARD_RETURN_IF_ERROR(txn.SaveCheck(c));
    paused.push_back(c.spec.name);
  }
  STEWARD_RETURN_IF_ERROR(txn.Commit());
  return paused;
}

Result<Check> CheckGet(ScheduleTxn& txn, std::string_view name) {
  STEWARD_ASSIGN_OR_RETURN(Check c, LoadCheck(txn, name, false));
  STEWARD_RETURN_IF_ERROR(txn.Commit());
  return c;
}

Result<std::vector<Check>> CheckList(ScheduleTxn& txn) {
  STEWARD_ASSIGN_OR_RETURN(auto rows, txn.SelectChecks(std::nullopt, false));
  STEWARD_RETURN_IF_ERROR(txn.Commit());
  return rows;
}

Result<Check> CheckPing(ScheduleTxn& txn, const CheckPingParams& p) {
  if (p.exit_status && (*p.exit_status < 0 || *p.exit_status > 255)) {
    return InvalidArgument("exit status must be in 0..255");
  }
  STEWARD_ASSIGN_OR_RETURN(Check c, LoadCheck(txn, p.name, true));
  ApplyPing(c, p);
  STEWARD_RETURN_IF_ERROR(txn.SaveCheck(c));
  STEWARD_RETURN_IF_ERROR(txn.Commit());
  return c;
}

Status CheckSetPaused(ScheduleTxn& txn, std::string_view name, bool paused, Timestamp now) {
  STEWARD_ASSIGN_OR_RETURN(Check c, LoadCheck(txn, name, true));
  // Resuming starts over as new (waiting for a ping), so time spent paused
  // never makes it late; resuming a check that is not paused changes
  // nothing (it must not clear a down state).
  if (paused == (c.state == CheckState::kPaused)) return txn.Commit();
  c.state = paused ? CheckState::kPaused : CheckState::kNew;
  c.started = false;
  c.updated_at = now;
  STEWARD_RETURN_IF_ERROR(txn.SaveCheck(c));
  return txn.Commit();
}

Result<std::vector<CheckTransition>> CheckEvaluate(ScheduleTxn& txn, Timestamp now) {
  STEWARD_ASSIGN_OR_RETURN(auto rows, txn.SelectChecks(std::nullopt, true));
  std::vector<CheckTransition> out;
  for (Check& c : rows) {
    std::string reason;
    CheckState next = EvaluateState(c, now, &reason);
    bool dirty = false;
    if (next != c.state) {
      c.state = next;
      c.updated_at = now;
      dirty = true;
    } else {
      reason = c.last_ping_kind.empty() ? "changed" : c.last_ping_kind + " ping";
    }
    if (c.state != c.notified_state) {
      CheckTransition t;
      t.name = c.spec.name;
      t.schedule = c.spec.schedule;
      t.from = c.notified_state;
      t.to = c.state;
      t.at = now;
      t.reason = reason;
      out.push_back(std::move(t));
      c.notified_state = c.state;
      dirty = true;
    }
    if (dirty) STEWARD_RETURN_IF_ERROR(txn.SaveCheck(c));
  }
  STEWARD_RETURN_IF_ERROR(txn.Commit());
  return out;
}

}  // namespace schedule_ops
}  // namespace steward
