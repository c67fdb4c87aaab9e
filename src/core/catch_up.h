// Catch-up: which missed fire times of a schedule run after downtime.
//
// Pure computation; the scheduler applies the plan in the transaction that
// claims the schedule (one job per fire time, keyed schedule:<name>:<time>).
//
// Definitions. `next_fire` is the schedule's stored next fire time and `now`
// the current time. The due fires D are next_fire itself followed by every
// fire time f of the schedule with next_fire < f <= now, oldest first
// (next_fire counts even if the expression was edited since it was stored).
//   - D empty (next_fire > now): nothing fires and next_fire is unchanged.
//   - kSkip:   fire the newest element of D only if it is on time
//              (now - newest <= tolerance); otherwise fire nothing.
//   - kLatest: fire the newest element of D (the default).
//   - kAll:    fire all of D, oldest first, but at most max_catch_up of them:
//              the most recent ones are kept and `truncated` is set so the
//              caller can log a warning.
// In every non-empty case next_fire becomes the first fire time > now, or
// kNeverFires if the schedule cannot fire again.
//
// Cost: independent of the length of the downtime. The newest due fire is
// found by bisecting on Next() (~40 calls for two weeks at microsecond
// resolution), so `@every 1s` after two weeks (1.2 M missed fires) is cheap;
// kAll repeats that once per kept fire.
#pragma once

#include <chrono>
#include <cstddef>
#include <string_view>
#include <vector>

#include "steward/clock.h"
#include "steward/cron.h"
#include "steward/status.h"

namespace steward {

enum class CatchUpPolicy { kSkip, kLatest, kAll };

// "skip", "latest", "all".
std::string_view CatchUpPolicyName(CatchUpPolicy policy);
// Inverse of CatchUpPolicyName (case-sensitive); kInvalidArgument otherwise.
Result<CatchUpPolicy> ParseCatchUpPolicy(std::string_view name);

struct CatchUpOptions {
  CatchUpPolicy policy = CatchUpPolicy::kLatest;
  Micros tolerance = std::chrono::seconds(60);  // kSkip: how late still counts as on time
  std::size_t max_catch_up = 100;              // kAll: cap on fires per plan
};

// next_fire value for a schedule that will never fire again.
inline constexpr Timestamp kNeverFires = Timestamp::max();

struct CatchUpPlan {
  std::vector<Timestamp> fire_times;  // oldest first
  Timestamp next_fire;
  bool truncated = false;  // kAll dropped older fires because of max_catch_up
};

CatchUpPlan PlanCatchUp(const CronSchedule& schedule, Timestamp next_fire, Timestamp now,
                        const CatchUpOptions& options = {});

}  // namespace steward
