// http-enqueue-bench: single-job POST /api/v1/jobs from N concurrent
// keep-alive clients against an in-process Steward HTTP server on loopback,
// with the same routes `steward serve` uses (group commit included). Every
// 201 is acknowledged only after its transaction committed.
//
//   http-enqueue-bench [--db URL] [--clients 16] [--seconds 10] [--server-threads 32]
//
// (GET /metrics' render time is measured by metrics-render-bench.)
// Prints a human summary, then one JSON line.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <string>
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
  std::mutex error_mu;
  std::vector<std::string> error_samples;  // the first few failures
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
          if (errors++ < 5) {
            std::lock_guard lock(error_mu);
            error_samples.push_back(r ? std::to_string(r->status) + " " + r->body
                                      : "transport: " + httplib::to_string(r.error()));
          }
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

  std::printf("backend=%s clients=%d seconds=%.1f requests=%zu errors=%lld\n", backend.c_str(),
              clients, elapsed, all.size(), static_cast<long long>(errors.load()));
  std::printf("enqueue: %.0f req/s  p50 %.2f ms  p99 %.2f ms\n", rps, p50, p99);
  for (const auto& e : error_samples) std::printf("error: %s\n", e.c_str());
  nlohmann::json j = {{"backend", backend},       {"clients", clients},
                      {"requests", all.size()},   {"errors", errors.load()},
                      {"req_per_s", rps},         {"p50_ms", p50},
                      {"p99_ms", p99}};
  std::printf("%s\n", j.dump().c_str());
  if (!tmp.empty()) std::filesystem::remove_all(tmp);
  return errors.load() == 0 ? 0 : 1;
}
