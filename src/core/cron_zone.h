// CronZone: the time-zone lookups CronSchedule needs, over date/tz.
//
// Why not date::time_zone alone: the packaged date library (3.0.1, built with
// USE_OS_TZDB) reads the system TZif files but ignores their POSIX footer,
// the rule that governs every instant after the last listed transition
// (2037 in "fat" files, earlier in "slim" ones). Without it, a Berlin schedule
// would silently stop observing DST in 2038. Past that point CronZone applies
// the footer rule itself with date's Posix::time_zone.
#pragma once

#include <date/tz.h>

#include <memory>
#include <string>

#include "steward/status.h"

namespace Posix {
class time_zone;
}  // namespace Posix

namespace steward {

class CronZone {
 public:
  CronZone() = default;  // UTC

  // "UTC", "Etc/UTC" and "" are UTC without any lookup; anything else must
  // name a zone in the system tz database.
  static Result<CronZone> Locate(const std::string& name);

  bool is_utc() const { return zone_ == nullptr; }
  date::sys_info SysInfo(date::sys_seconds t) const;
  date::local_info LocalInfo(date::local_seconds t) const;

 private:
  const date::time_zone* zone_ = nullptr;  // owned by the tz database (lives forever)
  std::shared_ptr<const Posix::time_zone> tail_;  // the footer rule, if it has DST
  date::sys_seconds tail_from_{};                 // where tail_ takes over
};

}  // namespace steward
