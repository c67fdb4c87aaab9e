#include "support/test_time.h"

#include <date/date.h>
#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <string>

namespace steward::testing {

// By hand rather than date::parse, which trips GCC 12's
// -Wmaybe-uninitialized inside date.h.
Timestamp T(std::string_view rfc3339) {
  const std::string s(rfc3339);
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0, n = 0;
  if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d%n", &y, &mo, &d, &h, &mi, &se, &n) != 6) {
    ADD_FAILURE() << "not an RFC 3339 timestamp: " << s;
    return Timestamp{};
  }
  int64_t frac = 0;
  int digits = 0;
  std::size_t i = static_cast<std::size_t>(n);
  if (i < s.size() && s[i] == '.') {
    for (++i; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i) {
      if (digits < 6) {
        frac = frac * 10 + (s[i] - '0');
        ++digits;
      }
    }
  }
  for (; digits < 6; ++digits) frac *= 10;
  return Timestamp(date::sys_days(date::year{y} / mo / d)) + std::chrono::hours(h) +
         std::chrono::minutes(mi) + std::chrono::seconds(se) + Micros(frac);
}

}  // namespace steward::testing
