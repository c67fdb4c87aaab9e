#include "core/json_limits.h"

#include <string>

namespace steward {

size_t JsonNestingDepth(std::string_view text, size_t stop_above) {
  size_t depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > deepest) {
          deepest = depth;
          if (deepest > stop_above) return deepest;
        }
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;  // unbalanced: malformed, nlohmann reports it
        break;
      default:
        break;
    }
  }
  return deepest;
}

Status CheckJsonDepth(std::string_view text, JsonLimits limits) {
  if (JsonNestingDepth(text, limits.max_depth) > limits.max_depth) {
    return InvalidArgument("JSON nested deeper than " + std::to_string(limits.max_depth) +
                           " levels");
  }
  return Status::Ok();
}

Result<nlohmann::json> ParseJsonLimited(std::string_view text, JsonLimits limits) {
  STEWARD_RETURN_IF_ERROR(CheckJsonDepth(text, limits));
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgument(std::string("malformed JSON: ") + e.what());
  }
}

nlohmann::json ParseJsonOrDiscarded(std::string_view text, JsonLimits limits) {
  if (!CheckJsonDepth(text, limits).ok()) return nlohmann::json(nlohmann::json::value_t::discarded);
  return nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
}

}  // namespace steward
