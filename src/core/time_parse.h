// Parsing RFC 3339 timestamps ("2026-11-26T09:00:00Z", "...09:00:00.5+01:00").
#pragma once

#include <string_view>

#include "steward/clock.h"
#include "steward/status.h"

namespace steward {

// kInvalidArgument naming the text if it is not RFC 3339.
Result<Timestamp> ParseTimestamp(std::string_view text);

}  // namespace steward
