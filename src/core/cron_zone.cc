#include "core/cron_zone.h"

#include <date/date.h>

// date/ptz.h (3.0.1) names `hh_mm_ss` unqualified under both
// `using namespace date` and `using namespace std::chrono`, which is ambiguous
// in C++20. Route that one spelling to a date-only alias while including it.
namespace date {
template <class Duration>
using steward_ptz_hh_mm_ss = hh_mm_ss<Duration>;
}  // namespace date
#define hh_mm_ss steward_ptz_hh_mm_ss
#include <date/ptz.h>
#undef hh_mm_ss

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

namespace steward {

namespace {

// Both libraries agree for months around the last transition (DST changes
// are months apart), so switching over with a margin avoids edge effects of
// how either one reports the period that straddles the switch.
constexpr std::chrono::hours kMargin{72};

// The POSIX TZ string at the end of a version 2+ TZif file ("CET-1CEST,M3.5.0,
// M10.5.0/3"), or "" if there is none.
std::string ReadFooter(const std::string& zone_name) {
  const char* dir = std::getenv("TZDIR");
  std::string path = std::string(dir != nullptr && *dir != '\0' ? dir : "/usr/share/zoneinfo") + "/" + zone_name;
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (data.size() < 6 || data.compare(0, 4, "TZif") != 0 || data[4] < '2') return "";
  if (data.back() != '\n') return "";
  size_t start = data.rfind('\n', data.size() - 2);
  if (start == std::string::npos) return "";
  return data.substr(start + 1, data.size() - start - 2);
}

}  // namespace

Result<CronZone> CronZone::Locate(const std::string& name) {
  CronZone z;
  if (name.empty() || name == "UTC" || name == "Etc/UTC") return z;
  try {
    z.zone_ = date::locate_zone(name);
    // The library reads the zone file lazily; do it now so Next() never does I/O.
    (void)z.zone_->get_info(date::sys_seconds{});
  } catch (const std::exception&) {
    return InvalidArgument(fmt::format("unknown time zone \"{}\"", name));
  }
  std::string footer = ReadFooter(z.zone_->name());
  if (footer.find(',') != std::string::npos) {  // only rules with DST need help
    try {
      z.tail_ = std::make_shared<const Posix::time_zone>(footer);
      // The start of the last period the tz library knows about.
      z.tail_from_ = z.zone_->get_info(date::sys_days(date::year{9999} / 1 / 1)).begin;
    } catch (const std::exception&) {
      z.tail_.reset();  // a footer ptz cannot read: keep the library's answer
    }
  }
  return z;
}

date::sys_info CronZone::SysInfo(date::sys_seconds t) const {
  if (tail_ && t >= tail_from_ + kMargin) return tail_->get_info(t);
  return zone_->get_info(t);
}

date::local_info CronZone::LocalInfo(date::local_seconds t) const {
  if (tail_ && t.time_since_epoch() >= tail_from_.time_since_epoch() + 2 * kMargin) {
    return tail_->get_info(t);
  }
  return zone_->get_info(t);
}

}  // namespace steward
