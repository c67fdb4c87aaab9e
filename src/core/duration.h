// Human durations, one grammar for the config file, the CLI, the API and
// cron's `@every` (docs/configuration.md, "Durations"):
//
//   duration := part+          e.g. "90s", "1h30m", "1.5h", "500ms", "14d"
//   part     := number unit
//   number   := digits [ "." digits ]
//   unit     := "ms" | "s" | "m" | "h" | "d"   (case-insensitive)
//
// Units appear at most once, largest first ("1h30m", not "30m1h"); no
// spaces, no sign. The value lies in [0s, 100 years] and is exact to the
// microsecond.
#pragma once

#include <string>
#include <string_view>

#include "steward/clock.h"
#include "steward/status.h"

namespace steward {

// Longest accepted duration: 100 years (36500d).
inline constexpr Micros kMaxDuration{int64_t{36500} * 86'400'000'000};

// kInvalidArgument, message `duration "TEXT": WHAT`, on empty input, a
// sign, spaces, a missing or unknown unit, units out of order or repeated,
// precision below a microsecond, or more than kMaxDuration.
Result<Micros> ParseDuration(std::string_view text);
// Inverse, shortest exact form: "1h30m", "250ms", "0s". Sub-millisecond
// remainders are written as a decimal fraction ("1.5ms") so the result
// parses back to the same value.
std::string FormatDuration(Micros d);

}  // namespace steward
