// /api/v1/schedules, /api/v1/checks and /ping/...: see api_schedules.h.
#include "server/api_schedules.h"

#include <charconv>
#include <optional>

#include "core/json_limits.h"
#include "server/api_json.h"
#include "server/audit.h"
#include "steward/cron.h"

namespace steward::server {

namespace {

// The next fire times of a schedule as UTC instants (the page shows them in
// the schedule's zone and the viewer's): [] for a paused or disabled one.
nlohmann::json NextFires(const Schedule& s, Timestamp now, int n) {
  nlohmann::json out = nlohmann::json::array();
  if (s.paused || !s.spec.enabled) return out;
  auto cron = CronSchedule::Parse(s.spec.cron, s.spec.time_zone);
  if (!cron.ok()) return out;
  Timestamp t = now;
  for (int i = 0; i < n; ++i) {
    auto next = cron->Next(t);
    if (!next) break;
    out.push_back(FormatTimestamp(*next));
    t = *next;
  }
  return out;
}

nlohmann::json ScheduleForDashboard(const ApiContext& ctx, const Schedule& s) {
  nlohmann::json out = ScheduleToJson(s);
  out["next_fires"] = NextFires(s, ctx.clock->Now(), 5);
  return out;
}

nlohmann::json CheckForDashboard(const ApiContext& ctx, const Check& c) {
  nlohmann::json out = CheckToJson(c);
  // Absolute when the public URL is known, so the page can offer it to copy.
  out["ping_url"] = ctx.dashboard.url + "/ping/" + c.spec.name;
  return out;
}

void WriteSchedule(const ApiContext& ctx, std::string_view name, httplib::Response& res) {
  auto s = ctx.store->ScheduleGet(name);
  if (!s.ok()) return WriteError(res, s.status());
  nlohmann::json out = ScheduleForDashboard(ctx, *s);
  out["audit"] = AuditFor(ctx, "schedule", name);
  WriteJson(res, 200, out);
}

void WriteCheck(const ApiContext& ctx, std::string_view name, httplib::Response& res) {
  auto c = ctx.store->CheckGet(name);
  if (!c.ok()) return WriteError(res, c.status());
  nlohmann::json out = CheckForDashboard(ctx, *c);
  out["audit"] = AuditFor(ctx, "check", name);
  WriteJson(res, 200, out);
}

void Ping(const ApiContext& ctx, const httplib::Request& req, httplib::Response& res,
          const std::string& name, PingKind kind, std::optional<int> exit_status) {
  CheckPingParams p;
  p.name = name;
  p.kind = kind;
  p.exit_status = exit_status;
  p.at = ctx.clock->Now();
  p.body = req.body.substr(0, std::min(req.body.size(), kMaxPingBody));
  if (req.has_param("rid")) p.rid = req.get_param_value("rid");
  auto c = ctx.store->CheckPing(p);
  if (!c.ok()) return WriteError(res, c.status());
  WriteJson(res, 200, {{"ok", true}, {"check", name}, {"state", CheckStateName(c->state)}});
}

}  // namespace

nlohmann::json ScheduleToJson(const Schedule& s) {
  nlohmann::json payload = ParseJsonOrDiscarded(s.spec.payload);
  return {
      {"name", s.spec.name},
      {"cron", s.spec.cron},
      {"timezone", s.spec.time_zone},
      {"time_zone", s.spec.time_zone},
      {"kind", s.spec.kind},
      {"queue", s.spec.queue},
      {"payload", payload.is_discarded() ? nlohmann::json::object() : payload},
      {"priority", s.spec.priority},
      {"max_attempts", s.spec.max_attempts},
      {"catch_up", CatchUpPolicyName(s.spec.catch_up)},
      {"max_catch_up", s.spec.max_catch_up},
      {"overlap", OverlapPolicyName(s.spec.overlap)},
      {"enabled", s.spec.enabled},
      {"paused", s.paused},
      {"source", s.spec.source},
      {"grace_seconds", std::chrono::duration_cast<std::chrono::seconds>(s.spec.grace).count()},
      {"next_fire_at", TimeOrNull(s.next_fire_at)},
      {"last_fired_at", TimeOrNull(s.last_fired_at)},
      {"last_success_at", TimeOrNull(s.last_success_at)},
      {"last_failure_at", TimeOrNull(s.last_failure_at)},
      {"consecutive_failures", s.consecutive_failures},
      {"skipped_count", s.skipped_count},
      {"last_job_id", s.last_job_id ? nlohmann::json(*s.last_job_id) : nlohmann::json(nullptr)},
  };
}

nlohmann::json CheckToJson(const Check& c) {
  using std::chrono::duration_cast;
  using std::chrono::seconds;
  return {
      {"name", c.spec.name},
      {"period_seconds",
       c.spec.period ? nlohmann::json(duration_cast<seconds>(*c.spec.period).count())
                     : nlohmann::json(nullptr)},
      {"cron", c.spec.cron.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.spec.cron)},
      {"timezone", c.spec.time_zone},
      {"grace_seconds", duration_cast<seconds>(c.spec.grace).count()},
      {"source", c.spec.source},
      {"schedule", c.spec.schedule ? nlohmann::json(*c.spec.schedule) : nlohmann::json(nullptr)},
      {"state", CheckStateName(c.state)},
      {"started", c.started},
      {"started_at", TimeOrNull(c.started_at)},
      {"last_ping_at", TimeOrNull(c.last_ping_at)},
      {"last_ping_kind", c.last_ping_kind},
      {"last_exit_status",
       c.last_exit_status ? nlohmann::json(*c.last_exit_status) : nlohmann::json(nullptr)},
      {"last_ping_body", c.last_ping_body},
      {"last_success_at", TimeOrNull(c.last_success_at)},
      {"ping_count", c.ping_count},
  };
}

void RegisterScheduleRoutes(RouteTable& routes, ApiContext ctx) {
  if (!ctx.clock) ctx.clock = &SystemClock();
  routes.Add("GET", "/api/v1/schedules", [ctx](const auto&, auto& res, const RouteArgs&) {
    auto all = ctx.store->ScheduleList();
    if (!all.ok()) return WriteError(res, all.status());
    nlohmann::json out = nlohmann::json::array();
    for (const auto& s : *all) out.push_back(ScheduleForDashboard(ctx, s));
    WriteJson(res, 200, {{"schedules", std::move(out)}});
  });
  routes.Add("GET", "/api/v1/schedules/{name}",
             [ctx](const auto&, auto& res, const RouteArgs& p) {
               WriteSchedule(ctx, p.at("name"), res);
             });
  routes.Add("POST", "/api/v1/schedules/{name}/trigger",
             [ctx](const auto&, auto& res, const RouteArgs& p) {
               auto id = ctx.store->ScheduleTrigger(p.at("name"), ctx.clock->Now());
               if (!id.ok()) return WriteError(res, id.status());
               RecordAction(ctx, p.caller, "schedule.trigger", "schedule", p.at("name"),
                            "ran schedule " + p.at("name") + " now: job " + std::to_string(*id));
               WriteJson(res, 201, {{"schedule", p.at("name")}, {"job_id", *id}});
             });
  for (bool paused : {true, false}) {
    const char* verb = paused ? "pause" : "resume";
    routes.Add("POST", std::string("/api/v1/schedules/{name}/") + verb,
               [ctx, paused, verb](const auto&, auto& res, const RouteArgs& p) {
                 Status st = ctx.store->ScheduleSetPaused(p.at("name"), paused, ctx.clock->Now());
                 if (!st.ok()) return WriteError(res, st);
                 RecordAction(ctx, p.caller, std::string("schedule.") + verb, "schedule", p.at("name"),
                              std::string(paused ? "paused" : "resumed") + " schedule " + p.at("name"));
                 WriteSchedule(ctx, p.at("name"), res);
               });
    routes.Add("POST", std::string("/api/v1/checks/{name}/") + verb,
               [ctx, paused, verb](const auto&, auto& res, const RouteArgs& p) {
                 Status st = ctx.store->CheckSetPaused(p.at("name"), paused, ctx.clock->Now());
                 if (!st.ok()) return WriteError(res, st);
                 RecordAction(ctx, p.caller, std::string("check.") + verb, "check", p.at("name"),
                              std::string(paused ? "paused" : "resumed") + " check " + p.at("name"));
                 WriteCheck(ctx, p.at("name"), res);
               });
  }
  routes.Add("GET", "/api/v1/checks", [ctx](const auto&, auto& res, const RouteArgs&) {
    auto all = ctx.store->CheckList();
    if (!all.ok()) return WriteError(res, all.status());
    nlohmann::json out = nlohmann::json::array();
    for (const auto& c : *all) out.push_back(CheckForDashboard(ctx, c));
    WriteJson(res, 200, {{"checks", std::move(out)}});
  });
  routes.Add("GET", "/api/v1/checks/{name}", [ctx](const auto&, auto& res, const RouteArgs& p) {
    WriteCheck(ctx, p.at("name"), res);
  });

  // Healthchecks-style pings; a crontab line can use curl with GET, HEAD or
  // POST (the POST body is kept as the ping's log). Public, like the probes:
  // a crontab line carries no token (docs/operations.md). /start and /fail
  // are registered before /{exit_status} so they match first.
  for (const char* method : {"GET", "POST"}) {
    routes.AddPublic(method, "/ping/{name}", [ctx](const auto& req, auto& res, const RouteArgs& p) {
      Ping(ctx, req, res, p.at("name"), PingKind::kSuccess, std::nullopt);
    });
    routes.AddPublic(method, "/ping/{name}/start",
               [ctx](const auto& req, auto& res, const RouteArgs& p) {
                 Ping(ctx, req, res, p.at("name"), PingKind::kStart, std::nullopt);
               });
    routes.AddPublic(method, "/ping/{name}/fail",
               [ctx](const auto& req, auto& res, const RouteArgs& p) {
                 Ping(ctx, req, res, p.at("name"), PingKind::kFail, std::nullopt);
               });
    routes.AddPublic(method, "/ping/{name}/{exit_status}",
               [ctx](const auto& req, auto& res, const RouteArgs& p) {
                 const std::string& text = p.at("exit_status");
                 int code = -1;
                 auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), code);
                 if (ec != std::errc() || ptr != text.data() + text.size() || code < 0 ||
                     code > 255) {
                   return WriteError(res, 404, StatusCode::kNotFound,
                                     "unknown ping action \"" + text +
                                         "\" (expected start, fail or an exit status 0-255)");
                 }
                 Ping(ctx, req, res, p.at("name"), PingKind::kSuccess, code);
               });
  }
}

}  // namespace steward::server
