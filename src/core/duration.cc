#include "core/duration.h"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <cstdint>

namespace steward {

namespace {

struct Unit {
  std::string_view name;
  int64_t micros;
};

// Largest first: the order parts must appear in.
constexpr std::array<Unit, 5> kUnits{{{"d", 86'400'000'000},
                                      {"h", 3'600'000'000},
                                      {"m", 60'000'000},
                                      {"s", 1'000'000},
                                      {"ms", 1'000}}};

constexpr std::string_view kUnitList = "ms, s, m, h or d";

bool IsDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
bool IsAlpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

Result<Micros> ParseDuration(std::string_view text) {
  auto err = [&](std::string_view detail) {
    return InvalidArgument(fmt::format("duration \"{}\": {}", text, detail));
  };
  if (text.empty()) return InvalidArgument("duration is empty (e.g. 90s, 1h30m, 1.5h)");
  const std::string too_large =
      fmt::format("too large (max 100 years, {}d)", kMaxDuration.count() / kUnits[0].micros);
  int64_t total = 0;
  size_t next_unit = 0;  // index into kUnits of the largest unit still allowed
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '-') return err("must not be negative");
    if (std::isspace(static_cast<unsigned char>(text[i]))) {
      return err("no spaces allowed (write 1h30m)");
    }
    const size_t start = i;
    while (i < text.size() && IsDigit(text[i])) ++i;
    std::string_view whole = text.substr(start, i - start);
    std::string_view frac;
    if (whole.empty())
      return err(fmt::format("expected a number at position {} (e.g. 90s, 1h30m, 1.5h)", start));
    if (i < text.size() && text[i] == '.') {
      const size_t fstart = ++i;
      while (i < text.size() && IsDigit(text[i])) ++i;
      frac = text.substr(fstart, i - fstart);
      if (frac.empty()) return err("expected digits after the decimal point");
    }
    const size_t ustart = i;
    while (i < text.size() && IsAlpha(text[i])) ++i;
    const std::string unit = Lower(text.substr(ustart, i - ustart));
    if (unit.empty())
      return err(fmt::format("missing unit after \"{}\" (use {})", text.substr(start, i - start),
                             kUnitList));
    size_t u = 0;
    while (u < kUnits.size() && kUnits[u].name != unit) ++u;
    if (u == kUnits.size())
      return err(fmt::format("unknown unit \"{}\" (use {})", unit, kUnitList));
    if (u < next_unit) {
      return err("units must go from largest to smallest, each at most once (e.g. 1h30m)");
    }
    next_unit = u + 1;
    const int64_t unit_us = kUnits[u].micros;
    // Over 12 digits exceeds 100 years in every unit; this also keeps stoll in range.
    if (whole.size() > 12) return err(too_large);
    const int64_t n = std::stoll(std::string(whole));
    if (n > kMaxDuration.count() / unit_us) return err(too_large);
    int64_t part = n * unit_us;
    int64_t scale = unit_us;
    for (char c : frac) {
      if (scale % 10 != 0) {
        if (c != '0') return err("more precise than a microsecond");
        continue;
      }
      scale /= 10;
      part += (c - '0') * scale;
    }
    total += part;
    if (total > kMaxDuration.count()) return err(too_large);
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
  for (const Unit& u : kUnits) {
    if (u.micros < 1'000'000) break;
    if (us >= u.micros) {
      out += fmt::format("{}{}", us / u.micros, u.name);
      us %= u.micros;
    }
  }
  if (us > 0) {
    // Below a second: whole milliseconds, or a decimal fraction of one.
    out += fmt::format("{}", us / 1000);
    if (us % 1000 != 0) {
      std::string frac = fmt::format("{:03}", us % 1000);
      while (frac.back() == '0') frac.pop_back();
      out += "." + frac;
    }
    out += "ms";
  }
  return out;
}

}  // namespace steward
