// HealthRegistry: the answers behind /livez, /readyz and /startupz.
//
// Kubernetes semantics: a liveness failure restarts the
// container, a readiness failure only takes it out of the load balancer, and
// a startup probe holds both until it passes. So:
//   - Live() fails only when a background loop stopped ticking (a deadlock or
//     a hung thread that a restart cures). It never touches the database: one
//     database hiccup must not restart every pod at once.
//   - Ready() fails when the database is unreachable, migrations are behind,
//     an extra check (connection pool exhausted) fails, or the process is
//     draining after SIGTERM. Database results are cached briefly so that
//     probes from many sources do not hammer it.
//   - Startup() fails until migrations are applied and every expected loop
//     (each queue's fetcher) has ticked once, i.e. the worker really runs.
//
// Loops report through the RuntimeObserver interface (OnLoopTick), so the
// runtime needs no knowledge of HTTP. Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/observer.h"
#include "store/store.h"

namespace steward {

struct HealthOptions {
  // A loop whose last tick is older than this is stuck. The runtime's loops
  // tick at least every ~1 s when healthy, so the default leaves a wide margin
  // for a slow store call before declaring a restart-worthy hang.
  std::chrono::steady_clock::duration stale_after = std::chrono::seconds(30);
  // How long a database check (Ping + SchemaVersion) result is reused.
  std::chrono::steady_clock::duration db_check_cache = std::chrono::seconds(1);
  // The time staleness is measured in; empty = std::chrono::steady_clock.
  // Tests move it forward instead of sleeping past stale_after.
  std::function<std::chrono::steady_clock::time_point()> steady_now;
};

// One probe's answer: HTTP 200 when ok, else 503; body is small JSON.
struct ProbeResult {
  bool ok = true;
  nlohmann::json body;
};

class HealthRegistry final : public RuntimeObserver {
 public:
  // `store` may be null (then readiness skips database checks).
  explicit HealthRegistry(std::shared_ptr<Store> store, HealthOptions options = {});

  // RuntimeObserver: loops announce themselves by ticking.
  void OnLoopTick(std::string_view loop) override;
  void OnLoopStopped(std::string_view loop) override;

  // Loops that must tick once before Startup() passes (e.g. "fetcher:default").
  void ExpectLoops(std::vector<std::string> loops);
  // Overrides stale_after for one loop (a loop with a long natural period).
  void SetStaleAfter(const std::string& loop, std::chrono::steady_clock::duration d);
  // An additional readiness condition: returns a reason when not ready
  // (e.g. "connection pool exhausted: 10/10 in use"). Called on each Ready()
  // that gets past the database checks; it must be quick.
  void SetExtraReadinessCheck(std::function<std::optional<std::string>()> check);
  // From now on Ready() fails with reason "draining" (SIGTERM received).
  void BeginDrain();
  bool draining() const;

  ProbeResult Live();
  ProbeResult Ready();
  ProbeResult Startup();

 private:
  struct Loop {
    std::chrono::steady_clock::time_point last_tick;
    std::optional<std::chrono::steady_clock::duration> stale_after;
    bool stopped = false;
    bool ticked = false;
  };
  struct DbCheck {
    std::chrono::steady_clock::time_point at;
    std::optional<std::string> problem;  // nullopt = ok
    bool migrated = false;
  };
  // Runs Ping + SchemaVersion unless a result younger than db_check_cache exists.
  DbCheck CheckDatabase();

  std::shared_ptr<Store> store_;
  std::chrono::steady_clock::time_point Now() const;

  HealthOptions options_;

  mutable std::mutex mu_;
  std::map<std::string, Loop, std::less<>> loops_;
  std::set<std::string> expected_;
  std::set<std::string> started_;  // loops that ticked at least once
  std::function<std::optional<std::string>()> extra_check_;
  bool draining_ = false;
  bool startup_done_ = false;  // latched: startup never "un-finishes"

  // Separate from mu_ so a slow database check never delays Live().
  std::mutex db_mu_;
  std::optional<DbCheck> db_cache_;
};

}  // namespace steward
