#include "steward/retry.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace steward {

Micros RetryPolicy::DelayAfter(int attempt) const {
  attempt = std::max(attempt, 1);
  // 2^(attempt-1) overflows quickly; cap the exponent before multiplying.
  double factor = std::ldexp(1.0, std::min(attempt - 1, 40));
  double us = std::min(static_cast<double>(base.count()) * factor, static_cast<double>(max.count()));
  if (jitter > 0) {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    std::uniform_real_distribution<double> dist(1.0 - jitter, 1.0 + jitter);
    us *= dist(rng);
  }
  return Micros(static_cast<int64_t>(us));
}

}  // namespace steward
