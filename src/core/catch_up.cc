#include "core/catch_up.h"

#include <fmt/format.h>

#include <algorithm>

namespace steward {

namespace {

// The newest due fire <= bound, where next_fire <= bound. Bisects on Next()
// instead of walking forward, so the cost grows with log(bound - next_fire)
// rather than with the number of missed fires.
Timestamp NewestAtOrBefore(const CronSchedule& schedule, Timestamp next_fire, Timestamp bound) {
  std::optional<Timestamp> second = schedule.Next(next_fire);
  if (!second || *second > bound) return next_fire;
  // Invariant: Next(lo) <= bound and Next(hi) > bound (or none). Next is
  // monotone, so at hi == lo + 1us, Next(lo) is the newest fire <= bound.
  Timestamp lo = next_fire;
  Timestamp hi = bound;
  while (hi - lo > Micros(1)) {
    Timestamp mid = lo + (hi - lo) / 2;
    std::optional<Timestamp> n = schedule.Next(mid);
    if (n && *n <= bound) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return *schedule.Next(lo);
}

}  // namespace

std::string_view CatchUpPolicyName(CatchUpPolicy policy) {
  switch (policy) {
    case CatchUpPolicy::kSkip:
      return "skip";
    case CatchUpPolicy::kLatest:
      return "latest";
    case CatchUpPolicy::kAll:
      return "all";
  }
  return "latest";
}

Result<CatchUpPolicy> ParseCatchUpPolicy(std::string_view name) {
  for (CatchUpPolicy p : {CatchUpPolicy::kSkip, CatchUpPolicy::kLatest, CatchUpPolicy::kAll}) {
    if (CatchUpPolicyName(p) == name) return p;
  }
  return InvalidArgument(
      fmt::format("unknown catch-up policy \"{}\" (expected skip, latest or all)", name));
}

CatchUpPlan PlanCatchUp(const CronSchedule& schedule, Timestamp next_fire, Timestamp now,
                        const CatchUpOptions& options) {
  CatchUpPlan plan;
  plan.next_fire = next_fire;
  if (next_fire > now) return plan;  // nothing due yet

  switch (options.policy) {
    case CatchUpPolicy::kSkip: {
      Timestamp newest = NewestAtOrBefore(schedule, next_fire, now);
      if (now - newest <= options.tolerance) plan.fire_times.push_back(newest);
      break;
    }
    case CatchUpPolicy::kLatest:
      plan.fire_times.push_back(NewestAtOrBefore(schedule, next_fire, now));
      break;
    case CatchUpPolicy::kAll: {
      // Collect newest first so only the kept fires are ever computed.
      bool reached_oldest = false;
      Timestamp bound = now;
      while (plan.fire_times.size() < options.max_catch_up) {
        Timestamp f = NewestAtOrBefore(schedule, next_fire, bound);
        plan.fire_times.push_back(f);
        if (f == next_fire) {
          reached_oldest = true;
          break;
        }
        bound = f - Micros(1);
      }
      plan.truncated = !reached_oldest;
      std::reverse(plan.fire_times.begin(), plan.fire_times.end());
      break;
    }
  }
  plan.next_fire = schedule.Next(now).value_or(kNeverFires);
  return plan;
}

}  // namespace steward
