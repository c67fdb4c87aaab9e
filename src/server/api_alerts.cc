// /api/v1/alerts: open and recent alerts, one alert with its audit, and
// acknowledge (+ silence reminders for a while).
#include <httplib.h>

#include <charconv>

#include "core/json_limits.h"
#include "server/api.h"
#include "server/api_json.h"
#include "server/audit.h"
#include "watch/notify.h"

namespace steward::server {

namespace {

constexpr int kDefaultAlertLimit = 100;
constexpr int kMaxAlertLimit = 1000;

// The dashboard page about what the alert is about: the same page its
// notifications link (watch/notify_links.cc), else the alert's own.
std::string AlertLink(const Alert& a, const nlohmann::json& labels) {
  std::string path = notify::AlertSubjectPath(a.rule, labels);
  return path.empty() ? "/ui/alerts/" + std::to_string(a.id) : path;
}

}  // namespace

nlohmann::json AlertToJson(const Alert& a) {
  nlohmann::json labels = ParseJsonOrDiscarded(a.labels_json);
  if (labels.is_discarded() || !labels.is_object()) labels = nlohmann::json::object();
  return {{"id", a.id},
          {"fingerprint", a.fingerprint},
          {"rule", a.rule},
          {"labels", labels},
          {"severity", a.severity},
          {"summary", a.summary},
          {"detail", a.detail},
          {"job_id", a.job_id ? nlohmann::json(*a.job_id) : nlohmann::json(nullptr)},
          {"state", a.open ? "open" : "resolved"},
          {"count", a.count},
          {"first_seen", FormatTimestamp(a.first_seen)},
          {"last_seen", FormatTimestamp(a.last_seen)},
          {"resolved_at", TimeOrNull(a.resolved_at)},
          {"acked_at", TimeOrNull(a.acked_at)},
          {"acked_by", a.acked_by.empty() ? nlohmann::json(nullptr) : nlohmann::json(a.acked_by)},
          {"silenced_until", TimeOrNull(a.silenced_until)},
          {"link", AlertLink(a, labels)}};
}

namespace {

Result<int64_t> AlertId(const std::string& text) {
  int64_t id = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || ptr != text.data() + text.size() || id <= 0) {
    return InvalidArgument("alert id must be a positive integer, got \"" + text + "\"");
  }
  return id;
}

void List(const ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  bool open_only = true;
  int limit = kDefaultAlertLimit;
  for (const auto& [name, value] : req.params) {
    if (name == "state") {
      if (value != "open" && value != "all" && !value.empty()) {
        return WriteError(res, InvalidArgument("state: expected open or all"));
      }
      open_only = value != "all";
    } else if (name == "limit") {
      int l = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), l);
      if (ec != std::errc() || ptr != value.data() + value.size() || l <= 0 || l > kMaxAlertLimit) {
        return WriteError(res, InvalidArgument("limit: expected 1..1000"));
      }
      limit = l;
    } else {
      return WriteError(res, InvalidArgument("unknown query parameter \"" + name + "\" (state, limit)"));
    }
  }
  auto alerts = ctx.store->AlertList(open_only, limit);
  if (!alerts.ok()) return WriteError(res, alerts.status());
  nlohmann::json out = nlohmann::json::array();
  for (const auto& a : *alerts) out.push_back(AlertToJson(a));
  WriteJson(res, 200, {{"alerts", std::move(out)}});
}

void Show(const ApiContext& ctx, httplib::Response& res, const RouteArgs& a) {
  auto id = AlertId(a.at("id"));
  if (!id.ok()) return WriteError(res, id.status());
  auto alert = ctx.store->AlertGet(*id);
  if (!alert.ok()) return WriteError(res, alert.status());
  nlohmann::json out = AlertToJson(*alert);
  out["audit"] = AuditFor(ctx, "alert", std::to_string(*id));
  WriteJson(res, 200, out);
}

// Body {"silence": "1h" | "1d" | null} (empty body: acknowledge only).
void Ack(const ApiContext& ctx, const httplib::Request& req, httplib::Response& res,
         const RouteArgs& a) {
  auto id = AlertId(a.at("id"));
  if (!id.ok()) return WriteError(res, id.status());
  std::optional<Micros> silence;
  std::string silence_text;
  if (!req.body.empty()) {
    auto body = ParseJsonBody(req.body);
    if (!body.ok()) return WriteError(res, body.status());
    for (const auto& [key, v] : body->items()) {
      if (key != "silence") return WriteError(res, InvalidArgument(key + ": unknown field (silence)"));
      if (v.is_null()) continue;
      if (!v.is_string() || (v != "1h" && v != "1d")) {
        return WriteError(res, InvalidArgument("silence: expected \"1h\", \"1d\" or null"));
      }
      silence_text = v.get<std::string>();
      silence = silence_text == "1h" ? Micros(std::chrono::hours(1)) : Micros(std::chrono::hours(24));
    }
  }
  Timestamp now = ctx.clock->Now();
  std::optional<Timestamp> until;
  if (silence) until = now + *silence;
  Status st = ctx.store->AlertAcknowledge(*id, a.caller.name, until, now);
  if (!st.ok()) return WriteError(res, st);
  RecordAction(ctx, a.caller, silence ? "alert.silence" : "alert.ack", "alert", std::to_string(*id),
               silence ? "acknowledged; reminders silenced for " + silence_text : "acknowledged");
  Show(ctx, res, a);
}

}  // namespace

void RegisterAlertRoutes(RouteTable& routes, ApiContext ctx) {
  if (!ctx.clock) ctx.clock = &SystemClock();
  routes.Add("GET", "/api/v1/alerts",
             [ctx](const auto& req, auto& res, const RouteArgs&) { List(ctx, req, res); });
  routes.Add("GET", "/api/v1/alerts/{id}",
             [ctx](const auto&, auto& res, const RouteArgs& a) { Show(ctx, res, a); });
  routes.Add("POST", "/api/v1/alerts/{id}/ack",
             [ctx](const auto& req, auto& res, const RouteArgs& a) { Ack(ctx, req, res, a); });
}

}  // namespace steward::server
