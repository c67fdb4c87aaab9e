#include "runtime/node_info.h"

#include <unistd.h>

#ifndef STEWARD_VERSION
#define STEWARD_VERSION "0.1.0"
#endif

namespace steward {

const char* StewardVersion() { return STEWARD_VERSION; }

NodeInfo DescribeNode(const WorkerOptions& opts, int running, Timestamp started_at, Timestamp now) {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  NodeInfo n;
  n.id = opts.worker_id;
  n.host = host[0] ? host : "unknown";
  n.pid = static_cast<int64_t>(getpid());
  n.version = StewardVersion();
  for (const auto& q : opts.queues) n.queues.push_back(q.name);
  n.running = running;
  n.started_at = started_at;
  n.last_seen_at = now;
  return n;
}

}  // namespace steward
