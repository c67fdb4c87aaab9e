// RetryPolicy: how long to wait before the next attempt of a failed job.
#pragma once

#include <chrono>
#include <random>

#include "steward/clock.h"

namespace steward {

// Exponential backoff with jitter: delay(n) = min(base * 2^(n-1), max),
// then multiplied by a random factor in [1 - jitter, 1 + jitter]. With the
// defaults: ~15 s, 30 s, 1 min, ... capped at 6 h; 20 attempts span ~4 days.
struct RetryPolicy {
  Micros base = std::chrono::seconds(15);
  Micros max = std::chrono::hours(6);
  double jitter = 0.2;  // 0 disables jitter (useful in tests)

  // `attempt` is the attempt that just failed (1-based).
  Micros DelayAfter(int attempt) const;
};

}  // namespace steward
