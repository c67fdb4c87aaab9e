#include "core/time_parse.h"

#include <chrono>
#include <string>

#include <date/date.h>

namespace steward {

Result<Timestamp> ParseTimestamp(std::string_view text) {
  // Hand-written rather than date::parse: strict about the shape
  // ("YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)"), free of the locale and
  // stream machinery on a path fed by untrusted input (the API), and fuzzed
  // through the API JSON target.
  auto bad = [&] {
    return InvalidArgument("time \"" + std::string(text) +
                           "\" is not RFC 3339 (e.g. 2026-11-26T09:00:00Z)");
  };
  size_t i = 0;
  auto digits = [&](size_t n, int& out) {
    if (i + n > text.size()) return false;
    out = 0;
    for (size_t k = 0; k < n; ++k) {
      char c = text[i + k];
      if (c < '0' || c > '9') return false;
      out = out * 10 + (c - '0');
    }
    i += n;
    return true;
  };
  auto expect = [&](std::string_view chars) {
    if (i >= text.size() || chars.find(text[i]) == std::string_view::npos) return false;
    ++i;
    return true;
  };
  int y, mo, d, h, mi, s;
  if (!digits(4, y) || !expect("-") || !digits(2, mo) || !expect("-") || !digits(2, d) ||
      !expect("Tt ") || !digits(2, h) || !expect(":") || !digits(2, mi) || !expect(":") ||
      !digits(2, s)) {
    return bad();
  }
  int64_t frac_us = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    int64_t scale = 100000;
    size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      frac_us += (text[i] - '0') * scale;  // digits beyond microseconds are dropped
      scale /= 10;
      ++i;
    }
    if (i == start) return bad();
  }
  int offset_min = 0;
  if (expect("Zz")) {
  } else if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    int sign = text[i] == '-' ? -1 : 1;
    ++i;
    int oh, om;
    if (!digits(2, oh) || !expect(":") || !digits(2, om) || oh > 23 || om > 59) return bad();
    offset_min = sign * (oh * 60 + om);
  } else {
    return bad();
  }
  if (i != text.size()) return bad();
  date::year_month_day ymd{date::year(y), date::month(static_cast<unsigned>(mo)),
                           date::day(static_cast<unsigned>(d))};
  // s == 60 (a leap second) is accepted and lands on the next second.
  if (!ymd.ok() || h > 23 || mi > 59 || s > 60) return bad();
  Timestamp t = date::sys_days(ymd) + std::chrono::hours(h) + std::chrono::minutes(mi) +
                std::chrono::seconds(s) + Micros(frac_us) - std::chrono::minutes(offset_min);
  return t;
}

}  // namespace steward
