// /api/v1/overview (the Now page: is all well, and if not, what is not, each
// with a link to the page that explains it) and /api/v1/stats (the activity
// charts, from the per-minute rollups, never from the jobs table).
#include <httplib.h>

#include <map>

#include "server/api.h"
#include "server/api_json.h"
#include "watch/notify.h"

namespace steward::server {

namespace {

constexpr int kMaxOverviewAlerts = 100;
// Kinds listed on the Now page; the Failures page has the rest.
constexpr int kMaxDiscardedKinds = 20;

std::string PluralJobs(int64_t n) { return std::to_string(n) + (n == 1 ? " job" : " jobs"); }

nlohmann::json Problem(std::string_view type, std::string_view severity, std::string title,
                       std::string detail, std::string link) {
  return {{"type", type}, {"severity", severity}, {"title", std::move(title)},
          {"detail", std::move(detail)}, {"link", std::move(link)}};
}

void Overview(const ApiContext& ctx, httplib::Response& res) {
  const Timestamp now = ctx.clock->Now();
  nlohmann::json problems = nlohmann::json::array();
  nlohmann::json out = {{"generated_at", FormatTimestamp(now)},
                        {"alerts_open", 0}, {"checks_down", 0}, {"checks_late", 0},
                        {"queues_lagging", 0}, {"discarded_24h", 0}, {"nodes_stale", 0},
                        {"nodes_alive", 0}};
  nlohmann::json database = {{"reachable", true}, {"backend", ctx.store->Capabilities().backend}};
  if (Status st = ctx.store->Ping(); !st.ok()) {
    database["reachable"] = false;
    database["error"] = st.message();
    problems.push_back(Problem("database", "error", "The database is unreachable", st.message(), "/ui/"));
  } else {
    // Each section stands alone: one failing query must not hide the rest.
    auto note = [&](std::string_view what, const Status& st) {
      problems.push_back(Problem("database", "warning", "Could not read " + std::string(what),
                                 st.message(), "/ui/"));
    };
    if (auto alerts = ctx.store->AlertList(true, kMaxOverviewAlerts); alerts.ok()) {
      out["alerts_open"] = alerts->size();
      for (const auto& a : *alerts) {
        // Down checks and lagging queues have their own lines below.
        if (a.rule == "check_down" || a.rule == "queue_lag") continue;
        nlohmann::json j = AlertToJson(a);
        problems.push_back(Problem("alert", a.severity == "error" ? "error" : "warning", a.summary,
                                   a.detail, j["link"].get<std::string>()));
      }
    } else {
      note("alerts", alerts.status());
    }
    if (auto checks = ctx.store->CheckList(); checks.ok()) {
      int down = 0, late = 0;
      for (const auto& c : *checks) {
        bool is_down = c.state == CheckState::kDown;
        if (!is_down && c.state != CheckState::kLate) continue;
        (is_down ? down : late)++;
        problems.push_back(Problem("check", is_down ? "error" : "warning",
                                   "Check " + c.spec.name + (is_down ? " is down" : " is late"),
                                   c.last_ping_at ? "last ping " + FormatTimestamp(*c.last_ping_at)
                                                  : "never pinged",
                                   "/ui/checks/" + notify::PercentEncode(c.spec.name)));
      }
      out["checks_down"] = down;
      out["checks_late"] = late;
    } else {
      note("checks", checks.status());
    }
    if (auto queues = ctx.store->QueueLagAll(now); queues.ok()) {
      int lagging = 0;
      for (const auto& q : *queues) {
        if (q.paused || !q.oldest_due_age || *q.oldest_due_age <= ctx.dashboard.queue_lag_threshold) {
          continue;
        }
        ++lagging;
        auto minutes = std::chrono::duration_cast<std::chrono::minutes>(*q.oldest_due_age).count();
        problems.push_back(Problem("queue", "warning", "Queue " + q.queue + " is lagging",
                                   "oldest due job waited " + std::to_string(minutes) + " min; " +
                                       PluralJobs(q.due) + " due",
                                   "/ui/queues/" + notify::PercentEncode(q.queue)));
      }
      out["queues_lagging"] = lagging;
    } else {
      note("queues", queues.status());
    }
    JobStatsQuery sq;
    sq.since = now - std::chrono::hours(24);
    sq.until = now + std::chrono::minutes(1);
    sq.bucket_width = std::chrono::hours(1);
    if (auto rows = ctx.store->StatsQuery(sq); rows.ok()) {
      int64_t discarded = 0;
      for (const auto& r : *rows) discarded += r.discarded;
      out["discarded_24h"] = discarded;
    } else {
      note("activity", rows.status());
    }
    // Which kinds: the rollups are per queue; an index of recent discards
    // has the kinds.
    if (auto kinds = ctx.store->DiscardedCountByKind(now - std::chrono::hours(24), kMaxDiscardedKinds);
        kinds.ok()) {
      for (const auto& [kind, n] : *kinds) {
        problems.push_back(Problem("discarded", "error",
                                   PluralJobs(n) + " of kind " + kind + " discarded in 24 h",
                                   "they failed every attempt", "/ui/failures?kind=" + notify::PercentEncode(kind)));
      }
    } else {
      note("discarded jobs", kinds.status());
    }
    if (auto nodes = ctx.store->NodeList(); nodes.ok()) {
      int stale = 0, alive = 0;
      for (const auto& n : *nodes) {
        if (n.stopped_at) continue;
        if (n.last_seen_at + ctx.dashboard.node_stale_after >= now) {
          ++alive;
          continue;
        }
        ++stale;
        problems.push_back(Problem("node", "warning", "Node " + n.host + " stopped heartbeating",
                                   "last seen " + FormatTimestamp(n.last_seen_at) + " (" + n.id + ")",
                                   "/ui/nodes"));
      }
      out["nodes_stale"] = stale;
      out["nodes_alive"] = alive;
    } else {
      note("nodes", nodes.status());
    }
  }
  // Errors first, then warnings; within a severity, the order above.
  std::stable_sort(problems.begin(), problems.end(), [](const auto& a, const auto& b) {
    return a["severity"] == "error" && b["severity"] != "error";
  });
  out["ok"] = problems.empty();
  out["headline"] = problems.empty() ? std::string("All is well")
                    : problems.size() == 1 ? std::string("1 problem needs attention")
                                           : std::to_string(problems.size()) + " problems need attention";
  out["database"] = std::move(database);
  out["problems"] = std::move(problems);
  WriteJson(res, 200, out);
}

struct StatsRange {
  Micros span;
  Micros bucket;
};

nlohmann::json MsOrNull(const std::optional<Micros>& d) {
  return d ? nlohmann::json(std::chrono::duration<double, std::milli>(*d).count()) : nullptr;
}

void Stats(const ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  static const std::map<std::string, StatsRange> kRanges = {
      {"1h", {std::chrono::hours(1), std::chrono::minutes(1)}},
      {"24h", {std::chrono::hours(24), std::chrono::minutes(15)}},
      {"7d", {std::chrono::hours(24 * 7), std::chrono::hours(1)}},
  };
  std::string range = "1h";
  std::optional<std::string> queue;
  for (const auto& [name, value] : req.params) {
    if (name == "range") {
      range = value;
    } else if (name == "queue") {
      if (!value.empty()) queue = value;
    } else {
      return WriteError(res, InvalidArgument("unknown query parameter \"" + name + "\" (range, queue)"));
    }
  }
  auto r = kRanges.find(range);
  if (r == kRanges.end()) return WriteError(res, InvalidArgument("range: expected 1h, 24h or 7d"));
  const Micros bucket = r->second.bucket;
  const int64_t n = r->second.span / bucket;
  // Whole buckets, the current (partial) one last.
  const Timestamp now = ctx.clock->Now();
  const Timestamp last = Timestamp(now.time_since_epoch() - now.time_since_epoch() % bucket);
  JobStatsQuery q;
  q.since = last - bucket * (n - 1);
  q.until = last + bucket;
  q.bucket_width = bucket;
  // Every queue: the list offers them as filters; the sums honour `queue`.
  auto rows = ctx.store->StatsQuery(q);
  if (!rows.ok()) return WriteError(res, rows.status());
  std::vector<JobStatsRow> sums(static_cast<size_t>(n));
  std::set<std::string> queues;
  for (const auto& row : *rows) {
    queues.insert(row.queue);
    if (queue && row.queue != *queue) continue;
    int64_t i = (row.bucket_start - q.since) / bucket;
    if (i < 0 || i >= n) continue;
    JobStatsRow& s = sums[static_cast<size_t>(i)];
    s.completed += row.completed;
    s.failed += row.failed;
    s.discarded += row.discarded;
    s.cancelled += row.cancelled;
    for (int b = 0; b < kWaitBuckets; ++b) s.wait[b] += row.wait[b];
  }
  nlohmann::json buckets = nlohmann::json::array();
  for (int64_t i = 0; i < n; ++i) {
    const JobStatsRow& s = sums[static_cast<size_t>(i)];
    buckets.push_back({{"t", FormatTimestamp(q.since + bucket * i)},
                       {"completed", s.completed},
                       {"failed", s.failed},
                       {"discarded", s.discarded},
                       {"cancelled", s.cancelled},
                       {"wait_p50_ms", MsOrNull(WaitQuantile(s.wait, 0.5))},
                       {"wait_p95_ms", MsOrNull(WaitQuantile(s.wait, 0.95))}});
  }
  WriteJson(res, 200,
            {{"range", range},
             {"bucket_seconds", std::chrono::duration_cast<std::chrono::seconds>(bucket).count()},
             {"queues", queues},
             {"buckets", std::move(buckets)}});
}

}  // namespace

void RegisterOverviewRoutes(RouteTable& routes, ApiContext ctx) {
  if (!ctx.clock) ctx.clock = &SystemClock();
  routes.Add("GET", "/api/v1/overview",
             [ctx](const auto&, auto& res, const RouteArgs&) { Overview(ctx, res); });
  routes.Add("GET", "/api/v1/stats",
             [ctx](const auto& req, auto& res, const RouteArgs&) { Stats(ctx, req, res); });
}

}  // namespace steward::server
