#include "steward/job.h"

#include <array>

#include <nlohmann/json.hpp>

#include "core/json_limits.h"

namespace steward {

namespace {
constexpr std::array<std::string_view, 7> kStateNames = {
    "scheduled", "available", "running", "retryable", "completed", "discarded", "cancelled"};

Status ValidateName(std::string_view field, std::string_view value) {
  if (value.empty() || value.size() > 128) {
    return InvalidArgument(std::string(field) + " must be 1-128 characters, got " +
                           std::to_string(value.size()));
  }
  for (char c : value) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == ':' || c == '-';
    if (!ok) {
      return InvalidArgument(std::string(field) + " \"" + std::string(value) +
                             "\" may only contain letters, digits and _ . : -");
    }
  }
  return Status::Ok();
}
}  // namespace

std::string_view JobStateName(JobState s) { return kStateNames[static_cast<size_t>(s)]; }

std::optional<JobState> ParseJobState(std::string_view name) {
  for (size_t i = 0; i < kStateNames.size(); ++i) {
    if (kStateNames[i] == name) return static_cast<JobState>(i);
  }
  return std::nullopt;
}

Status ValidateNewJob(const NewJob& job) {
  STEWARD_RETURN_IF_ERROR(ValidateName("kind", job.kind));
  STEWARD_RETURN_IF_ERROR(ValidateName("queue", job.queue));
  if (job.priority < -1000 || job.priority > 1000) {
    return InvalidArgument("priority must be in -1000..1000, got " + std::to_string(job.priority));
  }
  if (job.max_attempts < 1 || job.max_attempts > 1000) {
    return InvalidArgument("max_attempts must be in 1..1000, got " +
                           std::to_string(job.max_attempts));
  }
  if (job.unique_key && (job.unique_key->empty() || job.unique_key->size() > 512)) {
    return InvalidArgument("unique_key must be 1-512 characters");
  }
  if (job.payload.size() > 16 * 1024 * 1024) {
    return InvalidArgument("payload exceeds 16 MiB");
  }
  // Before accept(): the handler, the API and the stores walk the payload
  // recursively later.
  STEWARD_RETURN_IF_ERROR(CheckJsonDepth(job.payload).WithContext("payload"));
  if (!nlohmann::json::accept(job.payload)) {
    // Parse again only on failure, to name the position for the user.
    try {
      auto parsed = nlohmann::json::parse(job.payload);
      (void)parsed;
    } catch (const nlohmann::json::exception& e) {
      return InvalidArgument(std::string("payload is not valid JSON: ") + e.what());
    }
    return InvalidArgument("payload is not valid JSON");
  }
  return Status::Ok();
}

}  // namespace steward
