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

void RegisterProbeRoutes(RouteTable& routes, HealthRegistry* health, MetricsObserver* metrics) {
  if (health) {
    routes.Add("GET", "/livez", [health](const auto&, auto& res, const PathParams&) {
      WriteProbe(res, health->Live());
    });
    routes.Add("GET", "/readyz", [health](const auto&, auto& res, const PathParams&) {
      WriteProbe(res, health->Ready());
    });
    routes.Add("GET", "/startupz", [health](const auto&, auto& res, const PathParams&) {
      WriteProbe(res, health->Startup());
    });
  }
  if (metrics) {
    routes.Add("GET", "/metrics", [metrics](const auto&, auto& res, const PathParams&) {
      res.set_header("Cache-Control", "no-store");
      res.set_content(metrics->Render(), MetricsObserver::kContentType);
    });
  }
}

}  // namespace steward::server
