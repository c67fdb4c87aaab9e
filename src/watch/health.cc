#include "watch/health.h"

#include <algorithm>

namespace steward {

using Steady = std::chrono::steady_clock;

namespace {

double Seconds(Steady::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

HealthRegistry::HealthRegistry(std::shared_ptr<Store> store, HealthOptions options)
    : store_(std::move(store)), options_(options) {}

Steady::time_point HealthRegistry::Now() const {
  return options_.steady_now ? options_.steady_now() : Steady::now();
}

void HealthRegistry::OnLoopTick(std::string_view loop) {
  auto now = Now();
  std::lock_guard lock(mu_);
  auto it = loops_.find(loop);
  if (it == loops_.end()) it = loops_.emplace(std::string(loop), Loop{}).first;
  if (!it->second.ticked) {
    it->second.ticked = true;
    started_.insert(it->first);
  }
  it->second.last_tick = now;
  // A tick after a stop means the loop was restarted: watch it again.
  it->second.stopped = false;
}

void HealthRegistry::OnLoopStopped(std::string_view loop) {
  std::lock_guard lock(mu_);
  auto it = loops_.find(loop);
  // Kept (not erased) so a per-loop stale_after survives a restart.
  if (it != loops_.end()) it->second.stopped = true;
}

void HealthRegistry::ExpectLoops(std::vector<std::string> loops) {
  std::lock_guard lock(mu_);
  for (auto& l : loops) expected_.insert(std::move(l));
}

void HealthRegistry::SetStaleAfter(const std::string& loop, Steady::duration d) {
  std::lock_guard lock(mu_);
  auto it = loops_.find(loop);
  if (it == loops_.end()) {
    // Not ticked yet: registered as stopped so it is not judged before its
    // first tick (Startup() covers loops that never start).
    Loop l;
    l.stopped = true;
    it = loops_.emplace(loop, l).first;
  }
  it->second.stale_after = d;
}

void HealthRegistry::SetExtraReadinessCheck(std::function<std::optional<std::string>()> check) {
  std::lock_guard lock(mu_);
  extra_check_ = std::move(check);
}

void HealthRegistry::BeginDrain() {
  std::lock_guard lock(mu_);
  draining_ = true;
}

bool HealthRegistry::draining() const {
  std::lock_guard lock(mu_);
  return draining_;
}

ProbeResult HealthRegistry::Live() {
  auto now = Now();
  nlohmann::json stuck = nlohmann::json::array();
  {
    std::lock_guard lock(mu_);
    for (const auto& [name, loop] : loops_) {
      if (loop.stopped) continue;
      auto limit = loop.stale_after.value_or(options_.stale_after);
      auto age = now - loop.last_tick;
      if (age > limit) {
        stuck.push_back({{"loop", name},
                         {"seconds_since_tick", Seconds(age)},
                         {"stale_after_seconds", Seconds(limit)}});
      }
    }
  }
  ProbeResult r;
  if (stuck.empty()) {
    r.body = {{"status", "ok"}};
    return r;
  }
  r.ok = false;
  std::string names;
  for (const auto& s : stuck) {
    if (!names.empty()) names += ", ";
    names += s["loop"].get<std::string>();
  }
  r.body = {{"status", "unavailable"},
            {"reason", "loop(s) stuck: " + names},
            {"stuck_loops", std::move(stuck)}};
  return r;
}

HealthRegistry::DbCheck HealthRegistry::CheckDatabase() {
  std::lock_guard lock(db_mu_);
  auto now = Now();
  if (db_cache_ && now - db_cache_->at < options_.db_check_cache) return *db_cache_;
  DbCheck c;
  if (store_) {
    if (Status st = store_->Ping(); !st.ok()) {
      c.problem = "database unreachable: " + st.ToString();
    } else if (auto v = store_->SchemaVersion(); !v.ok()) {
      c.problem = "database unreachable: " + v.status().ToString();
    } else if (v->first < v->second) {
      c.problem = "migrations behind: schema version " + std::to_string(v->first) + " of " +
                  std::to_string(v->second);
    } else {
      c.migrated = true;
    }
  } else {
    c.migrated = true;
  }
  // Stamped after the calls: a slow check is not immediately stale.
  c.at = Now();
  db_cache_ = c;
  return c;
}

ProbeResult HealthRegistry::Ready() {
  ProbeResult r;
  std::function<std::optional<std::string>()> extra;
  {
    std::lock_guard lock(mu_);
    if (draining_) {
      r.ok = false;
      r.body = {{"status", "unavailable"}, {"reason", "draining"}};
      return r;
    }
    extra = extra_check_;
  }
  DbCheck db = CheckDatabase();
  if (db.problem) {
    r.ok = false;
    r.body = {{"status", "unavailable"}, {"reason", *db.problem}};
    return r;
  }
  if (extra) {
    if (auto problem = extra()) {
      r.ok = false;
      r.body = {{"status", "unavailable"}, {"reason", *problem}};
      return r;
    }
  }
  r.body = {{"status", "ok"}};
  return r;
}

ProbeResult HealthRegistry::Startup() {
  ProbeResult r;
  std::vector<std::string> waiting;
  {
    std::lock_guard lock(mu_);
    if (startup_done_) {
      r.body = {{"status", "ok"}};
      return r;
    }
    for (const auto& e : expected_) {
      if (!started_.count(e)) waiting.push_back(e);
    }
    if (expected_.empty() && started_.empty()) waiting.push_back("worker");
  }
  DbCheck db = CheckDatabase();
  if (!db.migrated) {
    r.ok = false;
    r.body = {{"status", "starting"},
              {"reason", db.problem.value_or("migrations not applied")}};
    return r;
  }
  if (!waiting.empty()) {
    r.ok = false;
    std::string names;
    for (const auto& w : waiting) names += (names.empty() ? "" : ", ") + w;
    r.body = {{"status", "starting"},
              {"reason", "waiting for first tick of: " + names},
              {"waiting_for", waiting}};
    return r;
  }
  std::lock_guard lock(mu_);
  startup_done_ = true;
  r.body = {{"status", "ok"}};
  return r;
}

}  // namespace steward
