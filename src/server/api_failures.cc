// /api/v1/failures: failing jobs grouped by kind and normalized error
// (failure_groups.h), one group with its jobs, and the group actions.
#include <httplib.h>

#include "core/duration.h"
#include "core/log.h"
#include "server/api.h"
#include "server/audit.h"
#include "server/failure_groups.h"
#include "store/job_run_again.h"

namespace steward::server {

namespace {

constexpr Micros kDefaultWindow = std::chrono::hours(24 * 7);
constexpr Micros kMaxWindow = std::chrono::hours(24 * 90);
constexpr size_t kMaxGroupJobsShown = 100;

// ?since=24h|7d|any duration (default 7d, at most 90d) -> the window's start.
Result<Timestamp> Since(const httplib::Request& req, Timestamp now) {
  if (!req.has_param("since") || req.get_param_value("since").empty()) return now - kDefaultWindow;
  auto d = ParseDuration(req.get_param_value("since"));
  if (!d.ok()) return d.status().WithContext("since");
  if (*d > kMaxWindow) return InvalidArgument("since: at most 90d");
  return now - *d;
}

Status OnlyParams(const httplib::Request& req, std::initializer_list<std::string_view> allowed) {
  for (const auto& [name, value] : req.params) {
    (void)value;
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      return InvalidArgument("unknown query parameter \"" + name + "\"");
    }
  }
  return Status::Ok();
}

void List(const ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (Status st = OnlyParams(req, {"since", "kind"}); !st.ok()) return WriteError(res, st);
  auto since = Since(req, ctx.clock->Now());
  if (!since.ok()) return WriteError(res, since.status());
  std::optional<std::string> kind;
  if (!req.get_param_value("kind").empty()) kind = req.get_param_value("kind");
  auto groups = GroupFailures(*ctx.store, *since, kind);
  if (!groups.ok()) return WriteError(res, groups.status());
  nlohmann::json out = nlohmann::json::array();
  for (const auto& g : groups->groups) out.push_back(FailureGroupToJson(g));
  WriteJson(res, 200, {{"groups", std::move(out)}, {"truncated", groups->truncated}});
}

void Show(const ApiContext& ctx, const httplib::Request& req, httplib::Response& res,
          const RouteArgs& a) {
  if (Status st = OnlyParams(req, {"since"}); !st.ok()) return WriteError(res, st);
  auto since = Since(req, ctx.clock->Now());
  if (!since.ok()) return WriteError(res, since.status());
  auto g = FindFailureGroup(*ctx.store, *since, a.at("id"));
  if (!g.ok()) return WriteError(res, g.status());
  nlohmann::json out = FailureGroupToJson(*g);
  nlohmann::json jobs = nlohmann::json::array();
  for (size_t i = 0; i < g->jobs.size() && i < kMaxGroupJobsShown; ++i) {
    const FailedJob& j = g->jobs[i];
    jobs.push_back({{"id", j.id},
                    {"state", JobStateName(j.state)},
                    {"queue", j.queue},
                    {"attempt", j.attempt},
                    {"max_attempts", j.max_attempts},
                    {"failed_at", FormatTimestamp(j.failed_at)},
                    {"last_error", j.last_error}});
  }
  out["jobs"] = std::move(jobs);
  out["audit"] = AuditFor(ctx, "failure_group", g->id);
  WriteJson(res, 200, out);
}

// Retry: every job of the group runs again now (discarded ones from a fresh
// attempt count, retrying ones without waiting for their backoff).
// Discard: the group's retrying jobs stop retrying; discarded ones stay.
void Act(const ApiContext& ctx, const httplib::Request& req, httplib::Response& res,
         const RouteArgs& a, bool retry) {
  if (Status st = OnlyParams(req, {"since"}); !st.ok()) return WriteError(res, st);
  Timestamp now = ctx.clock->Now();
  auto since = Since(req, now);
  if (!since.ok()) return WriteError(res, since.status());
  auto g = FindFailureGroup(*ctx.store, *since, a.at("id"));
  if (!g.ok()) return WriteError(res, g.status());
  int done = 0, skipped = 0;
  for (const auto& j : g->jobs) {
    if (!retry && j.state != JobState::kRetryable) continue;
    Status st = retry ? RunJobAgain(*ctx.store, j.id, now, false).status()
                      : ctx.store->JobDiscard(j.id, now);
    if (st.ok()) {
      ++done;
    } else if (st.code() == StatusCode::kFailedPrecondition || st.code() == StatusCode::kNotFound ||
               st.code() == StatusCode::kAlreadyExists) {
      // It moved on since the list was read (a worker picked it up, it was
      // deleted): nothing to do for this one.
      ++skipped;
    } else {
      if (done > 0) {
        RecordAction(ctx, a.caller, retry ? "failure_group.retry" : "failure_group.discard",
                     "failure_group", g->id,
                     (retry ? "retried " : "discarded ") + std::to_string(done) +
                         " jobs, then stopped: " + st.message());
      }
      return WriteError(res, st);
    }
  }
  std::string verb = retry ? "retried" : "discarded";
  std::string detail = verb + " " + std::to_string(done) + " job" + (done == 1 ? "" : "s") + " of " +
                       g->kind + " \"" + g->message + "\"";
  if (skipped > 0) detail += " (" + std::to_string(skipped) + " had moved on)";
  RecordAction(ctx, a.caller, retry ? "failure_group.retry" : "failure_group.discard",
               "failure_group", g->id, detail);
  WriteJson(res, 200, {{verb, done}});
}

}  // namespace

void RegisterFailureRoutes(RouteTable& routes, ApiContext ctx) {
  if (!ctx.clock) ctx.clock = &SystemClock();
  routes.Add("GET", "/api/v1/failures",
             [ctx](const auto& req, auto& res, const RouteArgs&) { List(ctx, req, res); });
  routes.Add("GET", "/api/v1/failures/{id}",
             [ctx](const auto& req, auto& res, const RouteArgs& a) { Show(ctx, req, res, a); });
  routes.Add("POST", "/api/v1/failures/{id}/retry",
             [ctx](const auto& req, auto& res, const RouteArgs& a) { Act(ctx, req, res, a, true); });
  routes.Add("POST", "/api/v1/failures/{id}/discard",
             [ctx](const auto& req, auto& res, const RouteArgs& a) { Act(ctx, req, res, a, false); });
}

}  // namespace steward::server
