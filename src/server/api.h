// The route areas of Steward's HTTP server. Each Register* function adds one
// area's routes to a RouteTable; a new area (schedules, checks) adds a file
// with its own Register* function and passes it via HttpServerOptions
// (extra_routes) or calls it in BuildRoutes (http_server.cc).
#pragma once

#include <memory>

#include "server/idempotency.h"
#include "server/route_table.h"
#include "steward/clock.h"
#include "store/store.h"
#include "watch/health.h"
#include "watch/metrics.h"

namespace steward::server {

// What API handlers need. Pointers are not owned and must outlive the server.
struct ApiContext {
  // The same Store object the in-process worker uses: inserts through it
  // call the JobsAddedListeners, which wake the worker's fetchers at once.
  std::shared_ptr<Store> store;
  Clock* clock = nullptr;                 // default SystemClock()
  MetricsObserver* metrics = nullptr;     // optional: steward_jobs_enqueued_total
  std::shared_ptr<IdempotencyCache> idempotency;  // created if null
};

// POST /api/v1/jobs, POST /api/v1/jobs/batch, GET /api/v1/jobs,
// GET /api/v1/jobs/{id}, POST /api/v1/jobs/{id}/retry, POST /api/v1/jobs/{id}/cancel.
void RegisterJobRoutes(RouteTable& routes, ApiContext ctx);
// GET /api/v1/queues, POST /api/v1/queues/{name}/pause, POST /api/v1/queues/{name}/resume.
void RegisterQueueRoutes(RouteTable& routes, ApiContext ctx);
// GET /livez, /readyz, /startupz (when health is set) and /metrics (when
// metrics is set).
void RegisterProbeRoutes(RouteTable& routes, HealthRegistry* health, MetricsObserver* metrics);

}  // namespace steward::server
