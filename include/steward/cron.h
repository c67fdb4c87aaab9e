// CronSchedule: parses a cron expression and computes its fire times in a
// time zone. Pure logic: no I/O after Parse (the tz database is loaded once).
//
// Syntax (POSIX/Vixie cron; no Quartz extensions):
//   [second] minute hour day-of-month month day-of-week
//   second 0-59 (optional leading field; 0 when absent), minute 0-59,
//   hour 0-23, day-of-month 1-31, month 1-12 or JAN-DEC, day-of-week 0-7 or
//   SUN-SAT (0 and 7 are both Sunday). Names are case-insensitive.
//   Each field is a comma list of `*`, `N`, `A-B`, with an optional `/STEP`:
//   `*/15`, `10-50/5`, and `5/10` meaning `5-<max>/10`.
//   `L`, `W`, `#` and `?` are rejected (kInvalidArgument).
//   Macros: @yearly = @annually = "0 0 1 1 *", @monthly = "0 0 1 * *",
//   @weekly = "0 0 * * 0", @daily = @midnight = "0 0 * * *",
//   @hourly = "0 * * * *", and `@every <duration>` (see below).
//
// Day rule (Vixie): when BOTH day-of-month and day-of-week are restricted, a
// day matches if EITHER matches ("0 0 1 * MON" fires on the 1st and on every
// Monday); otherwise both must match. A field is restricted unless its text
// is exactly `*`, so `*/2` IS restricted (as in robfig/cron; cronie differs).
//
// Time zones and DST (fire times are instants; wall times are matched in the
// schedule's zone):
//   - Gap (spring forward): a wall time that does not exist fires once, at the
//     first valid instant after the gap. "30 2 * * *" in Europe/Berlin on
//     2026-03-29 fires at 03:00 CEST (01:00 UTC).
//   - Overlap (fall back): a wall time that occurs twice fires once, at its
//     first occurrence. This also holds for hourly expressions: "0 * * * *" in
//     America/New_York on 2026-11-01 fires at 01:00 EDT and not at 01:00 EST,
//     so there are two real hours between the 01:00 and 02:00 runs.
//   - `@every D` is absolute time, unaffected by DST and the zone: it fires at
//     the instants that are whole multiples of D since 1970-01-01T00:00:00Z, so
//     every node computes the same fire times no matter when it started.
//     D uses Go-like units ms, s, m, h, d ("90s", "1h30m", "1.5h") and must be
//     at least 1 s and at most 100 years.
//   Rules come from the system tz database; beyond its last listed transition
//   (2037) the zone's POSIX rule keeps DST going (src/core/cron_zone.h).
//
// Never-firing expressions: Parse accepts expressions that name impossible
// dates ("0 0 30 2 *"); Next returns std::nullopt for them. Next looks at most
// ~10 years ahead (Feb 29 can be 8 years away: 2096 -> 2104) and only handles
// years 1..9999; beyond that it returns std::nullopt too.
//
// CronSchedule is an immutable value: cheap to copy, safe to share between
// threads.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "steward/clock.h"
#include "steward/status.h"

namespace steward {

class CronSchedule {
 public:
  // Parses `expr` for the IANA zone `tz_name` ("" means UTC). Errors are
  // kInvalidArgument, naming the field and the offending text, e.g.
  //   minute field "61": value out of range 0-59
  //   expected 5 or 6 fields, got 3
  //   unknown time zone "Mars/Base"
  static Result<CronSchedule> Parse(std::string_view expr, std::string_view tz_name = "UTC");

  // The first fire time strictly after `after`, or std::nullopt if none.
  std::optional<Timestamp> Next(Timestamp after) const;

  // The expression with whitespace collapsed, names upper-cased and macros
  // lower-cased ("0  9 * * mon-fri" -> "0 9 * * MON-FRI"). Parse(ToString())
  // yields an equivalent schedule. The zone is not included.
  const std::string& ToString() const;
  // The zone name as given ("UTC" when empty).
  const std::string& time_zone() const;
  // The period of an `@every` schedule; std::nullopt for calendar schedules.
  std::optional<Micros> interval() const;


 private:
  struct Spec;  // The parsed fields; defined in src/core/cron.cc.
  explicit CronSchedule(std::shared_ptr<const Spec> spec) : spec_(std::move(spec)) {}
  std::shared_ptr<const Spec> spec_;
};

}  // namespace steward
