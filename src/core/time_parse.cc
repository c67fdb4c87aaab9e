#include "core/time_parse.h"

#include <sstream>
#include <string>

// date::parse trips GCC 12's -Wmaybe-uninitialized inside <chrono> at -O2
// (a false positive in the library's template code, not ours).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <date/date.h>

namespace steward {

Result<Timestamp> ParseTimestamp(std::string_view text) {
  for (const char* fmt : {"%FT%T%Ez", "%FT%TZ", "%F %T%Ez", "%F %TZ"}) {
    std::istringstream in{std::string(text)};
    date::sys_time<Micros> t{};
    in >> date::parse(fmt, t);
    if (!in.fail() && in.peek() == EOF) return t;
  }
  return InvalidArgument("time \"" + std::string(text) +
                         "\" is not RFC 3339 (e.g. 2026-11-26T09:00:00Z)");
}

}  // namespace steward
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
