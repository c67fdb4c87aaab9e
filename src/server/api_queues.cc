// /api/v1/queues: stats, one queue (with its audit), pause, resume.
#include "server/api.h"
#include "server/api_json.h"
#include "server/audit.h"

namespace steward::server {

namespace {

Status ValidQueueName(const std::string& name) {
  // Queue names follow the job field rules; reuse the one validator.
  NewJob probe;
  probe.kind = "probe";
  probe.queue = name;
  return ValidateNewJob(probe);
}

void SetPaused(const ApiContext& ctx, const RouteArgs& a, bool paused, httplib::Response& res) {
  const std::string& name = a.at("name");
  if (Status st = ValidQueueName(name); !st.ok()) return WriteError(res, st);
  if (Status st = ctx.store->QueueSetPaused(name, paused); !st.ok()) return WriteError(res, st);
  RecordAction(ctx, a.caller, paused ? "queue.pause" : "queue.resume", "queue", name,
               std::string(paused ? "paused" : "resumed") + " queue " + name);
  WriteJson(res, 200, {{"name", name}, {"paused", paused}});
}

void ShowQueue(const ApiContext& ctx, const RouteArgs& a, httplib::Response& res) {
  const std::string& name = a.at("name");
  if (Status st = ValidQueueName(name); !st.ok()) return WriteError(res, st);
  auto stats = ctx.store->QueueStatsAll(ctx.clock->Now());
  if (!stats.ok()) return WriteError(res, stats.status());
  for (const auto& s : *stats) {
    if (s.queue != name) continue;
    nlohmann::json out = QueueStatsToJson(s);
    out["audit"] = AuditFor(ctx, "queue", name);
    return WriteJson(res, 200, out);
  }
  WriteError(res, NotFound("no queue \"" + name + "\" (a queue exists once it has a job or was paused)"));
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
  routes.Add("GET", "/api/v1/queues/{name}",
             [ctx](const auto&, auto& res, const RouteArgs& a) { ShowQueue(ctx, a, res); });
  routes.Add("POST", "/api/v1/queues/{name}/pause",
             [ctx](const auto&, auto& res, const RouteArgs& a) { SetPaused(ctx, a, true, res); });
  routes.Add("POST", "/api/v1/queues/{name}/resume",
             [ctx](const auto&, auto& res, const RouteArgs& a) { SetPaused(ctx, a, false, res); });
}

}  // namespace steward::server
