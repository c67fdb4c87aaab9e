#include "cli/serve_hooks.h"

#include <vector>

#include "core/log.h"
#include "server/http_server.h"
#include "watch/health.h"
#include "watch/metrics_collector.h"

#ifndef STEWARD_VERSION
#define STEWARD_VERSION "0.1.0"
#endif

namespace steward::cli {

struct ServeHooks::State {
  std::shared_ptr<Store> store;
  std::unique_ptr<HealthRegistry> health;
  std::unique_ptr<MetricsObserver> metrics;
  std::unique_ptr<MetricsCollector> collector;
  std::vector<RuntimeObserver*> observers;
  std::unique_ptr<ObserverFanout> fanout;
  std::vector<std::function<void(server::RouteTable&)>> extra_routes;
  std::function<std::optional<std::string>()> readiness_check;
  DbPoolStatsProvider pool_stats;
  std::unique_ptr<server::HttpServer> http;
};

ServeHooks::ServeHooks() : state_(std::make_unique<State>()) {}
ServeHooks::~ServeHooks() { Stop(); }

void ServeHooks::AddObserver(RuntimeObserver* observer) { state_->observers.push_back(observer); }
void ServeHooks::AddRoutes(std::function<void(server::RouteTable&)> add) {
  state_->extra_routes.push_back(std::move(add));
}
void ServeHooks::SetExtraReadinessCheck(std::function<std::optional<std::string>()> check) {
  state_->readiness_check = std::move(check);
  if (state_->health) state_->health->SetExtraReadinessCheck(state_->readiness_check);
}
void ServeHooks::SetPoolStatsProvider(DbPoolStatsProvider provider) {
  state_->pool_stats = std::move(provider);
}

Status ServeHooks::BeforeWorker(const Config& config, std::shared_ptr<Store> store,
                                WorkerOptions& wopts) {
  auto& s = *state_;
  s.store = store;
  s.health = std::make_unique<HealthRegistry>(store);
  if (s.readiness_check) s.health->SetExtraReadinessCheck(s.readiness_check);
  std::vector<std::string> fetchers;
  for (const auto& q : config.worker.queues) fetchers.push_back("fetcher:" + q.name);
  s.health->ExpectLoops(std::move(fetchers));

  MetricsOptions mo;
  mo.version = STEWARD_VERSION;
  mo.backend = store->Capabilities().backend;
  s.metrics = std::make_unique<MetricsObserver>(mo);
  MetricsCollectorOptions co;
  co.clock = wopts.clock;
  co.health = s.health.get();
  co.pool_stats = s.pool_stats;
  s.collector = std::make_unique<MetricsCollector>(store, s.metrics.get(), co);
  s.collector->Start();

  std::vector<RuntimeObserver*> targets = {s.health.get(), s.metrics.get()};
  if (wopts.observer) targets.push_back(wopts.observer);
  for (auto* o : s.observers) targets.push_back(o);
  s.fanout = std::make_unique<ObserverFanout>(std::move(targets));
  wopts.observer = s.fanout.get();
  return Status::Ok();
}

Status ServeHooks::AfterWorker(const Config& config, Worker& worker) {
  auto& s = *state_;
  if (!s.health) return FailedPrecondition("ServeHooks::AfterWorker before BeforeWorker");
  server::ApiContext ctx;
  // The worker's own Store object: API inserts wake its fetchers at once.
  ctx.store = worker.store();
  ctx.clock = config.worker.clock;
  ctx.metrics = s.metrics.get();
  server::HttpServerOptions ho;
  ho.listen = config.listen;
  s.http = std::make_unique<server::HttpServer>(
      ho, server::BuildRoutes(ctx, s.health.get(), s.metrics.get(), s.extra_routes));
  return s.http->Start();
}

void ServeHooks::BeginDrain() {
  if (state_->health) state_->health->BeginDrain();
}

void ServeHooks::Stop() {
  auto& s = *state_;
  if (s.http) s.http->Stop();
  if (s.collector) s.collector->Stop();
}

std::string ServeHooks::http_address() const {
  return state_->http ? state_->http->address() : std::string();
}

}  // namespace steward::cli
