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

// The dashboard's settings ([dashboard] of steward.toml, docs/configuration.md).
struct DashboardOptions {
  // Public base URL ("https://steward.example.com", no trailing slash);
  // "" when unknown. Makes ping URLs absolute.
  std::string url;
  // GET /api/v1/jobs[/{id}] omit "payload" for the read-only role.
  bool hide_payloads_from_read_only = false;
  // A queue lags when its oldest due job is older than this (the queue_lag
  // alert rule's threshold).
  Micros queue_lag_threshold = std::chrono::minutes(5);
  // A node is stale when not stopped and not seen for this long (3 x the
  // worker's 10 s heartbeat).
  Micros node_stale_after = std::chrono::seconds(30);
};

// What API handlers need. Pointers are not owned and must outlive the server.
struct ApiContext {
  // The same Store object the in-process worker uses: inserts through it
  // call the JobsAddedListeners, which wake the worker's fetchers at once.
  std::shared_ptr<Store> store;
  Clock* clock = nullptr;                 // default SystemClock()
  MetricsObserver* metrics = nullptr;     // optional: steward_jobs_enqueued_total
  std::shared_ptr<IdempotencyCache> idempotency;  // created if null
  DashboardOptions dashboard;
};

// POST /api/v1/jobs, POST /api/v1/jobs/batch, GET /api/v1/jobs,
// GET /api/v1/jobs/{id}, POST /api/v1/jobs/{id}/retry, POST /api/v1/jobs/{id}/cancel.
void RegisterJobRoutes(RouteTable& routes, ApiContext ctx);
// GET /api/v1/queues, POST /api/v1/queues/{name}/pause, POST /api/v1/queues/{name}/resume.
void RegisterQueueRoutes(RouteTable& routes, ApiContext ctx);
// POST|GET|DELETE /api/v1/session (api_session.cc).
void RegisterSessionRoutes(RouteTable& routes);
// GET / (redirect) and GET /ui/... (the dashboard's files, api_ui.cc).
void RegisterUiRoutes(RouteTable& routes);
// GET /api/v1/overview, GET /api/v1/stats (api_overview.cc).
void RegisterOverviewRoutes(RouteTable& routes, ApiContext ctx);
// GET /api/v1/failures[/{id}], POST .../retry|discard (api_failures.cc).
void RegisterFailureRoutes(RouteTable& routes, ApiContext ctx);
// GET /api/v1/alerts[/{id}], POST /api/v1/alerts/{id}/ack (api_alerts.cc).
void RegisterAlertRoutes(RouteTable& routes, ApiContext ctx);
// GET /api/v1/nodes, GET /api/v1/audit (api_nodes.cc).
void RegisterNodeRoutes(RouteTable& routes, ApiContext ctx);
// GET /livez, /readyz, /startupz (when health is set) and /metrics (when
// metrics is set).
void RegisterProbeRoutes(RouteTable& routes, HealthRegistry* health, MetricsObserver* metrics);

}  // namespace steward::server
