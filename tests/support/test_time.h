// Timestamps written as text in tests: "2026-01-01T00:00:00Z", or with a
// fraction "2026-01-01T00:00:00.5Z". One parser for every test.
#pragma once

#include <string_view>

#include "steward/clock.h"

namespace steward::testing {

// Parses an RFC 3339 UTC instant (the trailing "Z" is optional). A malformed
// string fails the calling test (ADD_FAILURE) and returns the epoch.
Timestamp T(std::string_view rfc3339);

}  // namespace steward::testing
