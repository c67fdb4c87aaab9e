#include "core/duration.h"

#include <cctype>
#include <cstdint>
#include <limits>

namespace steward {

Result<Micros> ParseDuration(std::string_view text) {
  std::string shown(text);
  if (text.empty()) return InvalidArgument("duration is empty");
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
      return InvalidArgument("duration \"" + shown + "\": expected a number at position " +
                             std::to_string(i) + " (e.g. 90s, 1h30m, 500ms)");
    }
    int64_t n = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      if (n > std::numeric_limits<int64_t>::max() / 10 - 10) {
        return InvalidArgument("duration \"" + shown + "\" is too large");
      }
      n = n * 10 + (text[i] - '0');
      ++i;
    }
    size_t u = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view unit = text.substr(u, i - u);
    int64_t scale = 0;
    if (unit == "us") scale = 1;
    else if (unit == "ms") scale = 1000;
    else if (unit == "s") scale = 1000000;
    else if (unit == "m") scale = 60LL * 1000000;
    else if (unit == "h") scale = 3600LL * 1000000;
    else if (unit == "d") scale = 86400LL * 1000000;
    else {
      return InvalidArgument("duration \"" + shown + "\": unknown unit \"" + std::string(unit) +
                             "\" (use us, ms, s, m, h, d)");
    }
    if (n > (std::numeric_limits<int64_t>::max() - total) / scale) {
      return InvalidArgument("duration \"" + shown + "\" is too large");
    }
    total += n * scale;
  }
  return Micros(total);
}

std::string FormatDuration(Micros d) {
  int64_t us = d.count();
  if (us == 0) return "0s";
  std::string out;
  if (us < 0) {
    out = "-";
    us = -us;
  }
  struct Unit {
    const char* name;
    int64_t scale;
  };
  static constexpr Unit kUnits[] = {{"d", 86400LL * 1000000}, {"h", 3600LL * 1000000},
                                    {"m", 60LL * 1000000},    {"s", 1000000},
                                    {"ms", 1000},             {"us", 1}};
  for (const auto& u : kUnits) {
    if (us >= u.scale) {
      out += std::to_string(us / u.scale) + u.name;
      us %= u.scale;
    }
  }
  return out;
}

}  // namespace steward
