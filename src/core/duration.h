// Human durations: "90s", "1h30m", "500ms", "14d", "250us". Used by the
// config file, the CLI and the API.
#pragma once

#include <string>
#include <string_view>

#include "steward/clock.h"
#include "steward/status.h"

namespace steward {

// kInvalidArgument on empty input, unknown units, overflow or a negative sign.
Result<Micros> ParseDuration(std::string_view text);
// Inverse, shortest exact form: "1h30m", "250ms", "0s".
std::string FormatDuration(Micros d);

}  // namespace steward
