// What a worker's heartbeat says about its process on the dashboard's Nodes
// page (store/dashboard_store.h NodeInfo). Plain values in, so it is tested
// without a worker.
#pragma once

#include <string>

#include "steward/worker.h"
#include "store/dashboard_store.h"

namespace steward {

// Steward's version as the build knows it.
const char* StewardVersion();

// This process (host name, pid, version) running `opts` (worker_id filled
// in) with `running` handlers now.
NodeInfo DescribeNode(const WorkerOptions& opts, int running, Timestamp started_at, Timestamp now);

}  // namespace steward
