// /livez, /readyz, /startupz and /metrics.
#include "server/api.h"

namespace steward::server {

namespace {

void WriteProbe(httplib::Response& res, const ProbeResult& r) {
  // Probes must never be answered from a cache between prober and server.
  res.set_header("Cache-Control", "no-store");
  WriteJson(res, r.ok ? 200 : 503, r.body);
}

}  // namespace

// Probes are public: the kubelet sends no token. /metrics is not (queue
// names); serve it without auth on [server] health_listen instead.
void RegisterProbeRoutes(RouteTable& routes, HealthRegistry* health, MetricsObserver* metrics) {
  if (health) {
    routes.AddPublic("GET", "/livez", [health](const auto&, auto& res, const RouteArgs&) {
      WriteProbe(res, health->Live());
    });
    routes.AddPublic("GET", "/readyz", [health](const auto&, auto& res, const RouteArgs&) {
      WriteProbe(res, health->Ready());
    });
    routes.AddPublic("GET", "/startupz", [health](const auto&, auto& res, const RouteArgs&) {
      WriteProbe(res, health->Startup());
    });
  }
  if (metrics) {
    routes.Add("GET", "/metrics", [metrics](const auto&, auto& res, const RouteArgs&) {
      res.set_header("Cache-Control", "no-store");
      res.set_content(metrics->RenderForScrape(), MetricsObserver::kContentType);
    });
  }
}

}  // namespace steward::server
