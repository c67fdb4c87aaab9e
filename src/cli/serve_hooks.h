// ServeHooks: where `steward serve` plugs in the parts that sit beside the
// worker (HTTP server, health, metrics, alerts, scheduler). Keeping them here
// keeps serve.cc small.
//
// Lifecycle, as called by RunServe:
//   BeforeWorker  creates health + metrics, starts the metrics collector and
//                 sets wopts.observer to a fanout of health, metrics and any
//                 observers added with AddObserver (alerts later).
//   AfterWorker   builds the routes and starts the HTTP server, so probes
//                 answer (startupz 503) while the worker starts.
//   BeginDrain    SIGTERM: /readyz fails from now on; the server keeps
//                 serving so in-flight traffic drains.
//   Stop          after the worker stopped: stops the server and collector.
//
// Extension points for other modules (call before BeforeWorker):
// AddObserver, AddRoutes, SetExtraReadinessCheck, SetPoolStatsProvider.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "cli/config.h"
#include "runtime/observer.h"
#include "server/route_table.h"
#include "steward/worker.h"
#include "store/store.h"
#include "watch/metrics.h"

namespace steward {
class Alerter;  // watch/alerter.h
}  // namespace steward

namespace steward::cli {

class ServeHooks {
 public:
  ServeHooks();
  ~ServeHooks();
  // Before the worker exists: sets wopts.observer (keeping one already set).
  Status BeforeWorker(const Config& config, std::shared_ptr<Store> store, WorkerOptions& wopts);
  // After handlers are registered, before Start(): starts the HTTP server.
  Status AfterWorker(const Config& config, Worker& worker);
  // SIGTERM received: readiness fails from now on.
  void BeginDrain();
  // Stops the HTTP server and the collector. Harmless twice or without start.
  void Stop();

  // --- extension points (before BeforeWorker) ------------------------------
  // Another receiver of runtime events (alerts). Not owned; must outlive Stop().
  void AddObserver(RuntimeObserver* observer);
  // Another route area (schedules, checks): called when routes are built.
  void AddRoutes(std::function<void(server::RouteTable&)> add);
  // Extra readiness condition, e.g. the PostgreSQL pool being exhausted:
  // returns a reason when not ready.
  void SetExtraReadinessCheck(std::function<std::optional<std::string>()> check);
  // Pool numbers for the steward_db_pool_* metrics (PostgreSQL).
  void SetPoolStatsProvider(DbPoolStatsProvider provider);

  // --- alerts ---
  // The alerter (null before BeforeWorker or when [alerts] enabled = false).
  // Schedules/checks report late or down checks with alerter()->OnCheckDown.
  Alerter* alerter() const;
  // --- end alerts ---

  // The address the HTTP server listens on ("" before AfterWorker).
  std::string http_address() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace steward::cli
