// Bounded JSON parsing for text that comes from outside the process: API
// bodies, CLI arguments, configuration values, payloads stored in the
// database (a row may have been written by another tool).
//
// nlohmann::json parses without recursion but copies, compares and dumps
// values recursively, so a body nested 100,000 deep crashed the server with
// a stack overflow after parsing succeeded. The depth is
// therefore checked on the text, by a linear scan that counts brackets
// outside strings, before nlohmann builds anything.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "steward/status.h"

namespace steward {

struct JsonLimits {
  // Deepest nesting of arrays and objects accepted: `[]` and `{}` are depth
  // 1, `{"a":[1]}` is depth 2. No job payload or API body needs more than a
  // handful; 64 leaves room while keeping every recursive walk shallow.
  size_t max_depth = 64;
};

// Deepest nesting of `text`, counting [ and { outside strings; stops
// counting (returns early) once it exceeds `stop_above`. Does not validate
// the text: malformed JSON is nlohmann's to report.
size_t JsonNestingDepth(std::string_view text, size_t stop_above = SIZE_MAX);

// InvalidArgument when `text` nests deeper than `limits.max_depth`, naming
// the limit.
Status CheckJsonDepth(std::string_view text, JsonLimits limits = {});

// Parses `text` after CheckJsonDepth. Errors are InvalidArgument: too deep,
// or "malformed JSON: <nlohmann's message with the byte position>".
Result<nlohmann::json> ParseJsonLimited(std::string_view text, JsonLimits limits = {});

// For stored text a caller tolerates being malformed: the parsed value, or
// a discarded value (is_discarded()) when the text is malformed or too deep.
nlohmann::json ParseJsonOrDiscarded(std::string_view text, JsonLimits limits = {});

}  // namespace steward
