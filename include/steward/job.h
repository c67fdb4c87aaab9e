// Job: the unit of durable work, and the values that describe it.
//
// Lifecycle (see docs/architecture.md for the diagram):
//
//   scheduled --(run_at passes)--> available --(claimed)--> running
//   running --> completed                      (handler succeeded)
//   running --> retryable --(run_at)--> running (failed, attempts left)
//   running --> discarded                      (attempts exhausted, or permanent)
//   running --> scheduled                      (snoozed; the attempt is not counted)
//   running --> available                      (handed back on graceful shutdown, or
//                                               to `cancelled` if a cancel was requested;
//                                               the attempt is not counted)
//   running --> retryable|discarded            (lease expired: its worker was lost)
//   scheduled|available|retryable|running --> cancelled   (by a person or the API)
//   scheduled|retryable --(run now)--> available    (by a person; attempts kept)
//   discarded|cancelled|completed --(retry)--> available   (by a person; completed
//                                               only when forced)
//
// "scheduled", "available" and "retryable" are all pending: a claim takes any
// of them once run_at <= now. Delivery is at-least-once: a handler sees id and
// attempt so it can make its side effect idempotent.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "steward/clock.h"
#include "steward/status.h"

namespace steward {

enum class JobState {
  kScheduled,
  kAvailable,
  kRunning,
  kRetryable,
  kCompleted,
  kDiscarded,
  kCancelled,
};

std::string_view JobStateName(JobState s);  // "scheduled", "available", ...
std::optional<JobState> ParseJobState(std::string_view name);
inline bool IsFinished(JobState s) {
  return s == JobState::kCompleted || s == JobState::kDiscarded || s == JobState::kCancelled;
}
inline bool IsPending(JobState s) {
  return s == JobState::kScheduled || s == JobState::kAvailable || s == JobState::kRetryable;
}

// One record per failed attempt, kept with the job for a person to read.
struct AttemptError {
  int attempt = 0;
  Timestamp at{};
  std::string message;  // one line: what went wrong
  std::string detail;   // optional: stack, output tail, HTTP body tail
  std::string worker;   // the worker that ran the attempt ("" if unknown)
  std::optional<Micros> duration;  // how long the attempt ran, when known
};

struct Job {
  int64_t id = 0;
  std::string queue;
  std::string kind;
  std::string payload;  // JSON text, validated on insert
  int priority = 0;     // lower runs first; ties by run_at, then id
  Timestamp run_at{};   // not before this time ("wait_until")
  int attempt = 0;      // attempts started so far (1 while the first runs)
  int max_attempts = 0;
  JobState state = JobState::kAvailable;
  std::optional<std::string> unique_key;
  Timestamp created_at{};
  std::optional<Timestamp> started_at;   // start of the latest attempt
  std::optional<Timestamp> finished_at;  // set in a finished state
  std::optional<std::string> lease_owner;
  std::optional<Timestamp> lease_expires_at;
  bool cancel_requested = false;  // a running job asked to stop
  std::vector<AttemptError> errors;
};

// What a caller gives to enqueue a job. Defaults are those of a plain
// Client::Enqueue call.
struct NewJob {
  std::string kind;                        // required, [A-Za-z0-9_.:-]{1,128}
  std::string payload = "{}";              // JSON text; must parse
  std::string queue = "default";           // [A-Za-z0-9_.:-]{1,128}
  int priority = 0;                        // -1000..1000, lower runs first
  std::optional<Timestamp> run_at;         // default: now
  int max_attempts = 20;                   // 1..1000
  std::optional<std::string> unique_key;   // at most one unfinished job per key
};

// Result of inserting one NewJob.
struct InsertedJob {
  int64_t id = 0;
  bool duplicate = false;  // unique_key matched an unfinished job; id is that job
};

// A job the rescuer took back from a worker that stopped heartbeating (its
// lease expired): retryable again, or discarded if its attempts ran out.
struct RescuedJob {
  int64_t id = 0;
  std::string kind;
  std::string queue;
  std::string lost_worker;
  JobState new_state = JobState::kRetryable;  // or kDiscarded if attempts are exhausted
};

// Checks names, ranges and that payload is valid JSON. Returns kInvalidArgument
// naming the field.
Status ValidateNewJob(const NewJob& job);

}  // namespace steward
