// Bounded retry of a transaction that lost a deadlock or a serialization
// conflict (kAborted). Such a transaction was rolled back whole, so running
// it again is safe and usually wins; only after kConflictAttempts does the
// store return kAborted (never kUnavailable: the database is up).
#pragma once

#include <chrono>
#include <thread>

#include "steward/status.h"

namespace steward {

inline constexpr int kConflictAttempts = 5;

// Whether the attempt numbered `attempt` (from 1) that ended in `s` should
// run again; if so, first waits a moment, since the winner holds its locks
// until it commits.
inline bool RetryConflict(const Status& s, int attempt) {
  if (s.code() != StatusCode::kAborted || attempt >= kConflictAttempts) return false;
  std::this_thread::sleep_for(std::chrono::milliseconds(attempt));
  return true;
}

}  // namespace steward
