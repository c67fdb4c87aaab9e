// libFuzzer target for CronSchedule::Parse / Next and PlanCatchUp.
//
// Input: byte 0 picks a time zone and a start instant; the rest is the cron
// expression. Beyond "no crash, no sanitizer report" it checks the invariants
// callers rely on:
//   - a rejected expression is kInvalidArgument with a message;
//   - ToString() parses again to an equivalent schedule;
//   - Next(t) > t, Next is deterministic, and Next(f - 1us) == f for a fire f;
//   - a catch-up plan is ordered, within [next_fire, now], and capped.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <date/date.h>

#include "core/catch_up.h"
#include "steward/cron.h"

namespace {

using steward::Timestamp;

void Check(bool ok) {
  if (!ok) std::abort();
}

constexpr std::string_view kZones[] = {
    "UTC",           "Europe/Berlin", "America/New_York",    "Europe/London",
    "Asia/Kolkata",  "Pacific/Chatham", "Australia/Lord_Howe", "America/Sao_Paulo",
};

Timestamp Start(uint8_t selector) {
  using date::year;
  // Instants just before DST changes and other awkward places.
  static const Timestamp kStarts[] = {
      date::sys_days(year{2026} / 3 / 28),  date::sys_days(year{2026} / 10 / 24),
      date::sys_days(year{2096} / 2 / 28),  date::sys_days(year{1969} / 12 / 31),
  };
  return kStarts[(selector / 8) % 4];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > 512) return 0;
  const std::string_view tz = kZones[data[0] % 8];
  const std::string_view expr(reinterpret_cast<const char*>(data + 1), size - 1);

  steward::Result<steward::CronSchedule> parsed = steward::CronSchedule::Parse(expr, tz);
  if (!parsed.ok()) {
    Check(parsed.status().code() == steward::StatusCode::kInvalidArgument);
    Check(!parsed.status().message().empty());
    return 0;
  }
  const steward::CronSchedule& s = *parsed;
  steward::Result<steward::CronSchedule> again = steward::CronSchedule::Parse(s.ToString(), tz);
  Check(again.ok());
  Check(again->ToString() == s.ToString());

  Timestamp t = Start(data[0]);
  for (int i = 0; i < 16; ++i) {
    std::optional<Timestamp> next = s.Next(t);
    Check(next == again->Next(t));
    if (!next) break;
    Check(*next > t);
    Check(s.Next(*next - steward::Micros(1)) == next);
    t = *next;
  }

  const Timestamp first = Start(data[0]);
  std::optional<Timestamp> next_fire = s.Next(first);
  if (next_fire) {
    steward::CatchUpOptions options;
    options.policy = steward::CatchUpPolicy::kAll;
    options.max_catch_up = 5;
    const Timestamp now = *next_fire + std::chrono::hours(36);
    steward::CatchUpPlan plan = steward::PlanCatchUp(s, *next_fire, now, options);
    Check(!plan.fire_times.empty() && plan.fire_times.size() <= 5);
    Check(plan.fire_times.back() <= now && plan.fire_times.front() >= *next_fire);
    for (size_t i = 1; i < plan.fire_times.size(); ++i) {
      Check(plan.fire_times[i - 1] < plan.fire_times[i]);
    }
    Check(plan.next_fire > now);
  }
  return 0;
}
