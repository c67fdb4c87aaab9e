// /api/v1/nodes (the processes running workers, from their heartbeats) and
// /api/v1/audit (every action people took, newest first).
#include <httplib.h>

#include <charconv>

#include "server/api.h"
#include "server/api_json.h"
#include "server/audit.h"

namespace steward::server {

namespace {

std::string_view NodeStatus(const NodeInfo& n, Timestamp now, Micros stale_after) {
  if (n.stopped_at) return "stopped";
  return n.last_seen_at + stale_after < now ? "stale" : "alive";
}

Result<int64_t> PositiveParam(const std::string& name, const std::string& value, int64_t max) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || ptr != value.data() + value.size() || v <= 0 || v > max) {
    return InvalidArgument(name + ": expected an integer in 1.." + std::to_string(max));
  }
  return v;
}

void Nodes(const ApiContext& ctx, httplib::Response& res) {
  auto nodes = ctx.store->NodeList();
  if (!nodes.ok()) return WriteError(res, nodes.status());
  Timestamp now = ctx.clock->Now();
  nlohmann::json out = nlohmann::json::array();
  for (const auto& n : *nodes) {
    out.push_back({{"id", n.id},
                   {"host", n.host},
                   {"pid", n.pid},
                   {"version", n.version},
                   {"queues", n.queues},
                   {"running", n.running},
                   {"started_at", FormatTimestamp(n.started_at)},
                   {"last_seen_at", FormatTimestamp(n.last_seen_at)},
                   {"stopped_at", TimeOrNull(n.stopped_at)},
                   {"status", NodeStatus(n, now, ctx.dashboard.node_stale_after)}});
  }
  WriteJson(res, 200, {{"nodes", std::move(out)}});
}

void Audit(const ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  AuditListParams p;
  for (const auto& [name, value] : req.params) {
    if (name == "object_type") {
      if (!value.empty()) p.object_type = value;
    } else if (name == "object_id") {
      if (!value.empty()) p.object_id = value;
    } else if (name == "before") {
      if (value.empty()) continue;
      auto v = PositiveParam(name, value, INT64_MAX);
      if (!v.ok()) return WriteError(res, v.status());
      p.before_id = *v;
    } else if (name == "limit") {
      auto v = PositiveParam(name, value, 1000);
      if (!v.ok()) return WriteError(res, v.status());
      p.limit = static_cast<int>(*v);
    } else {
      return WriteError(res, InvalidArgument("unknown query parameter \"" + name +
                                             "\" (object_type, object_id, before, limit)"));
    }
  }
  auto entries = ctx.store->AuditList(p);
  if (!entries.ok()) return WriteError(res, entries.status());
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : *entries) out.push_back(AuditEntryToJson(e));
  nlohmann::json next = nullptr;
  if (static_cast<int>(entries->size()) == p.limit && !entries->empty()) next = entries->back().id;
  WriteJson(res, 200, {{"entries", std::move(out)}, {"next_cursor", next}});
}

}  // namespace

void RegisterNodeRoutes(RouteTable& routes, ApiContext ctx) {
  if (!ctx.clock) ctx.clock = &SystemClock();
  routes.Add("GET", "/api/v1/nodes", [ctx](const auto&, auto& res, const RouteArgs&) { Nodes(ctx, res); });
  routes.Add("GET", "/api/v1/audit",
             [ctx](const auto& req, auto& res, const RouteArgs&) { Audit(ctx, req, res); });
}

}  // namespace steward::server
