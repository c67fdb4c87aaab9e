// http-enqueue-bench: single-job POST /api/v1/jobs from N concurrent
// keep-alive clients against an in-process Steward HTTP server on loopback,
// with the same routes `steward serve` uses (group commit included). Every
// 201 is acknowledged only after its transaction committed.
//
//   http-enqueue-bench [--db URL] [--clients 16] [--seconds 10] [--server-threads 32]
//
// Also times MetricsObserver::Render() with 100 queues (GET /metrics' work).
// Prints a human summary, then one JSON line.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "server/http_server.h"
#include "store/store.h"
#include "watch/health.h"
#include "watch/metrics.h"

using namespace steward;
using Steady = std::chrono::steady_clock;

namespace {

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(i), v.end());
  return v[i];
}

// Median Render() time with 100 queues x 3 kinds worth of series.
double MetricsRenderMs(std::string* sample_size) {
  MetricsOptions mo;
  mo.version = "bench";
  mo.backend = "sqlite";
  MetricsObserver m(mo);
  std::vector<QueueStats> stats;
  for (int q = 0; q < 100; ++q) {
    QueueStats s;
    s.queue = "queue_" + std::to_string(q);
    s.available = q;
    s.running = 2;
    s.completed = 1000 + q;
    s.due = q;
    s.oldest_due_age = std::chrono::seconds(q);
    stats.push_back(s);
    for (int k = 0; k < 3; ++k) {
      Job j;
      j.id = q * 10 + k + 1;
      j.queue = s.queue;
      j.kind = "kind_" + std::to_string(k);
      j.attempt = 1;
      m.CountEnqueued(j.queue);
      m.OnJobStarted(j, std::chrono::milliseconds(5));
      m.OnJobFinished(j, JobState::kCompleted, std::chrono::milliseconds(20), nullptr);
    }
  }
  m.SetQueueStats(stats);
  std::vector<double> ms;
  for (int i = 0; i < 101; ++i) {
    auto t0 = Steady::now();
    std::string text = m.Render();
    ms.push_back(std::chrono::duration<double, std::milli>(Steady::now() - t0).count());
    if (i == 0) *sample_size = std::to_string(text.size());
  }
  return Percentile(ms, 0.5);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"HTTP enqueue throughput"};
  std::string db;
  int clients = 16, seconds = 10, server_threads = 32;
  app.add_option("--db", db, "database URL (default: a fresh SQLite file in /tmp)");
  app.add_option("--clients", clients);
  app.add_option("--seconds", seconds);
  app.add_option("--server-threads", server_threads);
  CLI11_PARSE(app, argc, argv);

  std::filesystem::path tmp;
  if (db.empty()) {
    tmp = std::filesystem::temp_directory_path() /
          ("steward-http-bench-" + std::to_string(getpid()));
    std::filesystem::create_directories(tmp);
    db = "sqlite://" + (tmp / "bench.db").string();
  }
  auto opened = OpenStore(db);
  if (!opened.ok()) {
    std::fprintf(stderr, "open: %s\n", opened.status().ToString().c_str());
    return 1;
  }
  std::shared_ptr<Store> store(std::move(opened).value());
  if (Status st = store->Migrate(); !st.ok()) {
    std::fprintf(stderr, "migrate: %s\n", st.ToString().c_str());
    return 1;
  }
  std::string backend = store->Capabilities().backend;

  MetricsObserver metrics;
  server::ApiContext ctx;
  ctx.store = store;
  ctx.metrics = &metrics;
  server::HttpServerOptions o;
  o.listen = "127.0.0.1:0";
  o.threads = std::max(server_threads, clients + 4);
  server::HttpServer srv(o, server::BuildRoutes(ctx, nullptr, &metrics));
  if (Status st = srv.Start(); !st.ok()) {
    std::fprintf(stderr, "listen: %s\n", st.ToString().c_str());
    return 1;
  }

  std::atomic<bool> stop{false};
  std::atomic<int64_t> errors{0};
  std::vector<std::vector<double>> lat(static_cast<size_t>(clients));
  std::vector<std::thread> threads;
  const std::string body = R"({"kind":"bench.noop","payload":{"n":1}})";
  auto t0 = Steady::now();
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      httplib::Client cli("127.0.0.1", srv.port());
      cli.set_keep_alive(true);
      cli.set_tcp_nodelay(true);
      cli.set_read_timeout(30, 0);
      auto& mine = lat[static_cast<size_t>(c)];
      mine.reserve(200000);
      while (!stop.load(std::memory_order_relaxed)) {
        auto s = Steady::now();
        auto r = cli.Post("/api/v1/jobs", body, "application/json");
        if (!r || r->status != 201) {
          ++errors;
          continue;
        }
        mine.push_back(std::chrono::duration<double, std::milli>(Steady::now() - s).count());
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  double elapsed = std::chrono::duration<double>(Steady::now() - t0).count();
  srv.Stop();

  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  double rps = static_cast<double>(all.size()) / elapsed;
  double p50 = Percentile(all, 0.50), p99 = Percentile(all, 0.99);
  std::string metrics_bytes;
  double render_ms = MetricsRenderMs(&metrics_bytes);

  std::printf("backend=%s clients=%d seconds=%.1f requests=%zu errors=%lld\n", backend.c_str(),
              clients, elapsed, all.size(), static_cast<long long>(errors.load()));
  std::printf("enqueue: %.0f req/s  p50 %.2f ms  p99 %.2f ms\n", rps, p50, p99);
  std::printf("metrics render (100 queues, %s bytes): median %.3f ms\n", metrics_bytes.c_str(),
              render_ms);
  nlohmann::json j = {{"backend", backend},       {"clients", clients},
                      {"requests", all.size()},   {"errors", errors.load()},
                      {"req_per_s", rps},         {"p50_ms", p50},
                      {"p99_ms", p99},            {"metrics_render_ms", render_ms}};
  std::printf("%s\n", j.dump().c_str());
  if (!tmp.empty()) std::filesystem::remove_all(tmp);
  return errors.load() == 0 ? 0 : 1;
}
