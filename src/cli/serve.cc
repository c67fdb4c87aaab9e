// `steward serve`: the daemon. Runs the worker for the configured queues and
// kinds until SIGTERM/SIGINT, then shuts down gracefully: stop claiming, let
// running jobs finish within the grace period, hand back the rest at once.
#include <signal.h>

#include <chrono>
#include <thread>

#include "cli/commands.h"
#include "cli/serve_hooks.h"
#include "core/log.h"
#include "steward/client.h"
#include "steward/worker.h"
#include "store/store.h"
#include "watch/metrics.h"

namespace steward::cli {

namespace {

using namespace std::chrono_literals;

// demo.flaky fails twice, then succeeds: shows retries with backoff in the log.
Status RegisterDemo(Worker& worker, Client& client) {
  STEWARD_RETURN_IF_ERROR(worker.Handle("demo.hello", [](JobContext& ctx) {
    log::Info("demo.hello ran", {{"job_id", ctx.id()},
                                 {"greeting", ctx.payload().value("greeting", "hello")},
                                 {"scheduled_for", FormatTimestamp(ctx.run_at())}});
    return Outcome::Success();
  }));
  STEWARD_RETURN_IF_ERROR(worker.Handle("demo.flaky", [](JobContext& ctx) {
    if (ctx.attempt() < 3) {
      return Outcome::Retry("demo.flaky fails on attempt " + std::to_string(ctx.attempt()), 2s);
    }
    log::Info("demo.flaky succeeded", {{"job_id", ctx.id()}, {"attempt", ctx.attempt()}});
    return Outcome::Success();
  }));
  auto now = SystemClock().Now();
  std::vector<NewJob> jobs;
  for (int i = 1; i <= 3; ++i) {
    NewJob j;
    j.kind = "demo.hello";
    j.payload = nlohmann::json({{"greeting", "delayed job #" + std::to_string(i)}}).dump();
    j.run_at = now + std::chrono::seconds(2 * i);
    jobs.push_back(j);
  }
  NewJob flaky;
  flaky.kind = "demo.flaky";
  flaky.max_attempts = 5;
  jobs.push_back(flaky);
  auto r = client.EnqueueMany(jobs);
  if (r.ok()) {
    log::Info("demo: enqueued 3 delayed jobs (2s, 4s, 6s) and one failing-then-succeeding job");
  } else {
    log::Error("demo: enqueue failed", {{"error", r.status().ToString()}});
  }
  return Status::Ok();
}

}  // namespace

int RunServe(const GlobalOptions& g, const ServeOptions& s) {
  auto config = ResolveConfig(g);
  if (!config.ok()) return Fail(config.status(), "config");
  if (!s.listen.empty()) config->listen = s.listen;

  // Block the shutdown signals before any thread starts, so they are only
  // ever delivered to the sigwait below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto opened = OpenStore(config->database);
  if (!opened.ok()) return Fail(opened.status(), "database " + log::RedactUrl(config->database));
  std::shared_ptr<Store> store(std::move(opened).value());
  if (Status st = store->Migrate(); !st.ok()) return Fail(st, "migrate " + log::RedactUrl(config->database));

  ServeHooks hooks;
  // A pooled store (PostgreSQL): the pool's numbers feed metrics, and an
  // exhausted pool (all connections lent, callers waiting) fails readiness.
  if (store->pool_stats()) {
    Store* db = store.get();
    hooks.SetPoolStatsProvider([db]() -> std::optional<DbPoolNumbers> {
      std::optional<PoolStats> s = db->pool_stats();
      if (!s) return std::nullopt;
      DbPoolNumbers n;
      n.in_use = s->in_use;
      n.idle = s->idle;
      n.waiters = s->waiters;
      n.wait_seconds_total = static_cast<double>(s->total_wait_us) / 1e6;
      n.leaks_detected_total = s->leaks_detected;
      return n;
    });
    hooks.SetExtraReadinessCheck([db]() -> std::optional<std::string> {
      std::optional<PoolStats> s = db->pool_stats();
      if (s && s->in_use >= s->max && s->waiters > 0) {
        return "connection pool exhausted: " + std::to_string(s->in_use) + "/" +
               std::to_string(s->max) + " in use, " + std::to_string(s->waiters) + " waiting";
      }
      return std::nullopt;
    });
  }
  WorkerOptions wopts = config->worker;
  if (Status st = hooks.BeforeWorker(*config, store, wopts); !st.ok()) return Fail(st, "serve");

  auto worker = Worker::Create(store, wopts);
  if (!worker.ok()) return Fail(worker.status(), "worker");
  for (const auto& k : config->kinds) {
    Handler h = k.type == "exec" ? MakeExecHandler(k.exec) : MakeHttpHandler(k.http);
    if (Status st = (*worker)->Handle(k.name, std::move(h), k.options); !st.ok()) {
      return Fail(st, "kind " + k.name);
    }
  }
  Client client(store);
  if (s.demo) {
    if (Status st = RegisterDemo(**worker, client); !st.ok()) return Fail(st, "demo");
  }
  if (Status st = hooks.AfterWorker(*config, **worker); !st.ok()) return Fail(st, "serve");

  if (Status st = (*worker)->Start(); !st.ok()) return Fail(st, "worker start");
  log::Info("steward serving", {{"database_backend", store->Capabilities().backend},
                                {"listen", config->listen},
                                {"kinds", config->kinds.size()}});

  int sig = 0;
  sigwait(&signals, &sig);
  log::Info("shutting down: draining", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
  hooks.BeginDrain();
  // A second signal while draining means "now": exit without waiting; leases
  // expire and the jobs are rescued (a retry, not a loss).
  std::atomic<bool> done{false};
  std::thread forced([&] {
    timespec ts{0, 200 * 1000 * 1000};
    while (!done.load()) {
      if (sigtimedwait(&signals, nullptr, &ts) > 0) {
        log::Warn("second signal: exiting immediately");
        std::_Exit(130);
      }
    }
  });
  (*worker)->Stop();
  hooks.Stop();
  done.store(true);
  forced.join();
  log::Info("steward stopped");
  return 0;
}

}  // namespace steward::cli
