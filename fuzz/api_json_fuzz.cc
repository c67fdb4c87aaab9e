// libFuzzer target: the JSON API's request parsing (POST /api/v1/jobs and
// /api/v1/jobs/batch bodies). Any input must yield a NewJob that passes
// ValidateNewJob or a kInvalidArgument status; never a crash, a hang or
// another error code. Bodies nested deeper than JsonLimits::max_depth are
// refused before nlohmann parses them (deep_nesting* in the corpus; 100,000
// levels once crashed the server in a recursive dump).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/json_limits.h"
#include "server/api_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace steward;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const Timestamp now = FromMicros(1'800'000'000'000'000);
  auto body = server::ParseJsonBody(text);
  if (!body.ok()) {
    if (body.status().code() != StatusCode::kInvalidArgument) std::abort();
    return 0;
  }
  if (JsonNestingDepth(text) > JsonLimits{}.max_depth) std::abort();
  auto one = server::ParseNewJob(*body, now);
  if (one.ok()) {
    if (!ValidateNewJob(*one).ok()) std::abort();
  } else if (one.status().code() != StatusCode::kInvalidArgument) {
    std::abort();
  }
  auto many = server::ParseNewJobBatch(*body, now);
  if (many.ok()) {
    if (many->empty() || many->size() > server::kMaxBatchJobs) std::abort();
    for (const auto& j : *many) {
      if (!ValidateNewJob(j).ok()) std::abort();
    }
  } else if (many.status().code() != StatusCode::kInvalidArgument) {
    std::abort();
  }
  // The response side must render whatever the parser accepted.
  if (one.ok()) {
    Job j;
    j.kind = one->kind;
    j.queue = one->queue;
    j.payload = one->payload;
    (void)server::JobToJson(j, true).dump();
  }
  return 0;
}
