#include "cli/serve_hooks.h"

#include <vector>

#include "cli/server_config.h"
#include "core/log.h"
// --- schedules (issue "Schedules that survive downtime") ---
#include "cli/config_schedules.h"
#include "runtime/scheduler.h"
// --- end schedules ---
// --- alerts (issue "Errors reach a person, once") ---
#include "cli/config_alerts.h"
#include "watch/alerter.h"
#include "watch/sentry_cron.h"
#include "watch/notifier.h"
// --- end alerts ---
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
  // --- schedules ---
  // Receivers of schedule and check events (alerts push theirs here before
  // the schedules block in BeforeWorker runs).
  std::vector<ScheduleObserver*> schedule_observers;
  std::unique_ptr<ScheduleObserverFanout> schedule_fanout;
  std::unique_ptr<Scheduler> scheduler;
  // --- end schedules ---
  // --- ops: auth + health listener (begin) ---
  std::unique_ptr<server::HttpServer> health_http;
  // --- ops: auth + health listener (end) ---
  // --- alerts ---
  std::unique_ptr<Alerter> alerter;
  std::unique_ptr<Notifier> notifier;
  std::unique_ptr<SentryCron> sentry_cron;  // [notify.sentry] cron_check_ins
  // --- end alerts ---
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

  // --- alerts: rules -> outbox -> senders (docs/alerts.md) ---
  {
    STEWARD_ASSIGN_OR_RETURN(AlertsConfig ac, ParseAlertsConfig(config));
    if (ac.enabled) {
      const std::string node = wopts.worker_id.empty() ? std::string("steward") : wopts.worker_id;
      STEWARD_ASSIGN_OR_RETURN(auto senders, MakeSenders(ac, node));
      NotifierOptions no;
      no.clock = wopts.clock;
      no.observer = s.health.get();
      no.owner = "notifier:" + node;
      s.notifier = std::make_unique<Notifier>(store, std::move(senders), no);
      AlerterOptions ao;
      ao.rules = ac.rules;
      ao.channels = ac.channels();
      ao.repeat_interval = ac.repeat_interval;
      ao.group_wait = ac.group_wait;
      ao.digest = ac.digest;
      ao.clock = wopts.clock;
      ao.health = s.health.get();
      ao.pool_stats = s.pool_stats;
      ao.on_enqueued = [n = s.notifier.get()] { n->Wake(); };
      s.alerter = std::make_unique<Alerter>(store, ao);
      s.observers.push_back(s.alerter.get());
      s.schedule_observers.push_back(s.alerter.get());  // checks down/up (schedules block below)
      if (ac.sentry && ac.sentry->cron_check_ins) {
        notify::SentryConfig sc = *ac.sentry;
        sc.node = node;
        STEWARD_ASSIGN_OR_RETURN(s.sentry_cron, SentryCron::Create(store, sc));
        s.schedule_observers.push_back(s.sentry_cron.get());
        s.sentry_cron->Start();
      }
      s.alerter->Start();
      s.notifier->Start();
      if (ao.channels.empty()) {
        log::Info("alerts are recorded but no [notify.*] channel is configured");
      }
    }
  }
  // --- end alerts ---
  // --- schedules: apply [schedules.*] / [checks.*], build the scheduler ---
  {
    STEWARD_ASSIGN_OR_RETURN(ScheduleConfig sched_config,
                             ParseScheduleConfig(config.toml_text, config.source.empty()
                                                                       ? std::string("steward.toml")
                                                                       : config.source));
    Clock* clock = wopts.clock ? wopts.clock : &SystemClock();
    STEWARD_RETURN_IF_ERROR(ApplyScheduleConfig(*store, sched_config, clock->Now()));
    s.schedule_fanout = std::make_unique<ScheduleObserverFanout>(s.schedule_observers);
    SchedulerOptions so;
    so.clock = clock;
    so.schedule_observer = s.schedule_fanout.get();
    s.scheduler = std::make_unique<Scheduler>(store, so);
    // Completions of schedule jobs reach the schedule and its check.
    s.observers.push_back(s.scheduler->run_recorder());
  }
  // --- end schedules ---
  std::vector<RuntimeObserver*> targets = {s.health.get(), s.metrics.get()};
  if (wopts.observer) targets.push_back(wopts.observer);
  for (auto* o : s.observers) targets.push_back(o);
  s.fanout = std::make_unique<ObserverFanout>(std::move(targets));
  wopts.observer = s.fanout.get();
  // --- schedules: start firing (every node may; the store keeps it exact) ---
  s.scheduler->set_observer(s.fanout.get());
  STEWARD_RETURN_IF_ERROR(s.scheduler->Start());
  // --- end schedules ---
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
  // --- ops: auth + health listener (begin) ---
  auto sc = ParseServerConfig(config.toml_text);
  if (!sc.ok()) return sc.status();
  ho.threads = sc->threads;
  ho.tokens = sc->tokens;  // set even when empty: non-loopback then refuses the API
  // --- dashboard: sessions, links, payload hiding ---
  {
    ctx.dashboard.url = sc->dashboard.url;
    ctx.dashboard.hide_payloads_from_read_only = sc->dashboard.hide_payloads_from_read_only;
    STEWARD_ASSIGN_OR_RETURN(AlertsConfig ac, ParseAlertsConfig(config));
    ctx.dashboard.queue_lag_threshold = ac.rules.queue_lag_threshold;
    if (ctx.dashboard.url.empty()) ctx.dashboard.url = ac.dashboard_url;
    server::SessionOptions so;
    so.ttl = sc->dashboard.session_ttl;
    // The listener speaks plain HTTP; TLS ends in front of it, which the
    // configured public URL tells.
    so.secure = ctx.dashboard.url.starts_with("https://");
    so.clock = config.worker.clock;
    ho.sessions = std::make_shared<server::SessionSigner>(ctx.store, so);
  }
  // --- end dashboard ---
  auto routes = server::BuildRoutes(ctx, s.health.get(), s.metrics.get(), s.extra_routes);
  // Copied before the API server takes the table (and installs its policy).
  auto health_routes = routes.Subset({"/livez", "/readyz", "/startupz", "/metrics"});
  log::Info("http auth", {{"tokens", sc->tokens.size()}});
  s.http = std::make_unique<server::HttpServer>(ho, std::move(routes));
  STEWARD_RETURN_IF_ERROR(s.http->Start());
  if (!sc->health_listen.empty()) {
    // Probes and metrics without auth on their own port, so Prometheus and
    // the kubelet need no token and the API port can stay private.
    server::HttpServerOptions hh;
    hh.listen = sc->health_listen;
    hh.threads = 4;
    s.health_http = std::make_unique<server::HttpServer>(hh, std::move(health_routes));
    STEWARD_RETURN_IF_ERROR(s.health_http->Start());
  }
  // --- ops: auth + health listener (end) ---
  return Status::Ok();
}

void ServeHooks::BeginDrain() {
  if (state_->health) state_->health->BeginDrain();
}

void ServeHooks::Stop() {
  auto& s = *state_;
  // --- schedules ---
  if (s.scheduler) s.scheduler->Stop();
  // --- end schedules ---
  if (s.http) s.http->Stop();
  if (s.health_http) s.health_http->Stop();  // ops: health listener
  if (s.collector) s.collector->Stop();
  // --- alerts: the alerter writes what is pending, then the notifier stops ---
  if (s.alerter) s.alerter->Stop();
  if (s.notifier) s.notifier->Stop();
  if (s.sentry_cron) s.sentry_cron->Stop();
  // --- end alerts ---
}

// --- alerts ---
Alerter* ServeHooks::alerter() const { return state_->alerter.get(); }
// --- end alerts ---

std::string ServeHooks::http_address() const {
  return state_->http ? state_->http->address() : std::string();
}

}  // namespace steward::cli
