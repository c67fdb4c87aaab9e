// PoolStats: a store's connection-pool numbers (Store::pool_stats()), for
// metrics and readiness. Only a pooled backend (PostgreSQL) has them.
#pragma once

#include <cstdint>

namespace steward {

struct PoolStats {
  int in_use = 0;              // lent out right now
  int idle = 0;                // open and ready
  int waiters = 0;             // callers blocked waiting for a connection
  int max = 0;                 // the hard bound
  int64_t total_wait_us = 0;   // summed time callers spent waiting
  int64_t leaks_detected = 0;  // leases held past the leak threshold
  int64_t acquired_total = 0;  // connections lent so far
};

}  // namespace steward
