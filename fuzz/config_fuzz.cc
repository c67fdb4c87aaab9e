// libFuzzer target for the steward.toml parser: any input must yield a
// Config or a clear kInvalidArgument, never a crash or an exception.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cli/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = steward::ParseConfig(text, "fuzz.toml");
  if (!config.ok() && config.status().code() != steward::StatusCode::kInvalidArgument) {
    __builtin_trap();  // a parse problem must be reported as invalid input
  }
  return 0;
}
