// /api/v1/queues: stats, pause, resume.
#include "server/api.h"
#include "server/api_json.h"

namespace steward::server {

namespace {

void SetPaused(const ApiContext& ctx, const RouteArgs& p, bool paused, httplib::Response& res) {
  const std::string& name = p.at("name");
  // Queue names follow the job field rules; reuse the one validator.
  NewJob probe;
  probe.kind = "probe";
  probe.queue = name;
  if (Status st = ValidateNewJob(probe); !st.ok()) return WriteError(res, st);
  if (Status st = ctx.store->QueueSetPaused(name, paused); !st.ok()) return WriteError(res, st);
  WriteJson(res, 200, {{"name", name}, {"paused", paused}});
}

}  // namespace

void RegisterQueueRoutes(RouteTable& routes, ApiContext ctx) {
  if (!ctx.clock) ctx.clock = &SystemClock();
  routes.Add("GET", "/api/v1/queues", [ctx](const auto&, auto& res, const RouteArgs&) {
    auto stats = ctx.store->QueueStatsAll(ctx.clock->Now());
    if (!stats.ok()) return WriteError(res, stats.status());
    nlohmann::json out = nlohmann::json::array();
    for (const auto& s : *stats) out.push_back(QueueStatsToJson(s));
    WriteJson(res, 200, {{"queues", std::move(out)}});
  });
  routes.Add("POST", "/api/v1/queues/{name}/pause",
             [ctx](const auto&, auto& res, const RouteArgs& p) { SetPaused(ctx, p, true, res); });
  routes.Add("POST", "/api/v1/queues/{name}/resume",
             [ctx](const auto&, auto& res, const RouteArgs& p) { SetPaused(ctx, p, false, res); });
}

}  // namespace steward::server
