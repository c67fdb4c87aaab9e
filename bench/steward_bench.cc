// steward-bench: for each concurrency, enqueue N no-op jobs in batches,
// drain them with a worker, then measure enqueue-to-start latency on an idle
// queue and idle CPU.
//
//   steward-bench --db sqlite:///tmp/bench.db --jobs 50000 --concurrency 1,10,50,256
//
// Each concurrency runs on its own queue ("bench_c<N>") in the same
// database, with new workers. A line per concurrency; the last line is one
// JSON object with the figures ("runs", one per concurrency), for scripts.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "runtime/observer.h"
#include "steward/client.h"
#include "steward/worker.h"
#include "store/store.h"

namespace {

using Steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

class Counter final : public steward::RuntimeObserver {
 public:
  void OnJobFinished(const steward::Job&, steward::JobState, steward::Micros,
                     const steward::AttemptError*) override {
    if (++finished_ >= target_.load()) {
      std::lock_guard l(mu_);
      cv_.notify_all();
    }
  }
  void Expect(int64_t n) { target_ = n; }
  bool Wait(std::chrono::seconds timeout) {
    std::unique_lock l(mu_);
    return cv_.wait_for(l, timeout, [&] { return finished_.load() >= target_.load(); });
  }
  int64_t finished() const { return finished_.load(); }

 private:
  std::atomic<int64_t> finished_{0};
  std::atomic<int64_t> target_{INT64_MAX};
  std::mutex mu_;
  std::condition_variable cv_;
};

double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t idx = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5));
  return v[idx];
}

steward::NewJob BenchJob(const char* kind, const std::string& queue) {
  steward::NewJob j;
  j.kind = kind;
  j.queue = queue;
  return j;
}

int Die(const steward::Status& st, const char* what) {
  std::fprintf(stderr, "steward-bench: %s: %s\n", what, st.ToString().c_str());
  return 1;
}

struct Settings {
  std::string db;
  int64_t jobs = 100000;
  int batch = 1000;
  int latency_samples = 300;
  double idle_seconds = 3;
  int nodes = 1;
  int prefetch = -1;  // -1: the WorkerOptions default
};

// Enqueues, drains, samples latency and idle CPU at one concurrency; the
// figures as JSON, or an error.
steward::Result<nlohmann::json> RunOne(const Settings& s, const std::shared_ptr<steward::Store>& store,
                                       int concurrency) {
  const std::string queue = "bench_c" + std::to_string(concurrency);
  steward::Client client(store);

  // 1. Enqueue in batches.
  std::vector<steward::NewJob> chunk;
  auto t0 = Steady::now();
  for (int64_t done = 0; done < s.jobs;) {
    int64_t n = std::min<int64_t>(s.batch, s.jobs - done);
    chunk.assign(static_cast<size_t>(n), BenchJob("noop", queue));
    auto r = client.EnqueueMany(chunk);
    if (!r.ok()) return r.status().WithContext("enqueue");
    done += n;
  }
  double enqueue_s = std::chrono::duration<double>(Steady::now() - t0).count();
  double enqueue_rate = static_cast<double>(s.jobs) / enqueue_s;

  // 2. Drain.
  Counter counter;
  steward::WorkerOptions wo;
  wo.queues = {{queue, concurrency}};
  wo.observer = &counter;
  wo.keep_completed = steward::Micros(0);  // no retention pass mid-benchmark
  wo.keep_failed = steward::Micros(0);
  if (s.prefetch >= 0) wo.prefetch = s.prefetch;
  std::mutex lat_mu;
  std::condition_variable lat_cv;
  Steady::time_point started_at{};
  bool started = false;
  std::vector<std::unique_ptr<steward::Worker>> workers;
  for (int n = 0; n < s.nodes; ++n) {
    std::shared_ptr<steward::Store> node_store = store;
    if (n > 0) {
      auto other = steward::OpenStore(s.db);
      if (!other.ok()) return other.status().WithContext("open");
      node_store = std::move(other).value();
    }
    auto worker = steward::Worker::Create(node_store, wo);
    if (!worker.ok()) return worker.status().WithContext("worker");
    auto st = (*worker)->Handle("noop", [](steward::JobContext&) { return steward::Outcome::Success(); });
    if (!st.ok()) return st.WithContext("handler");
    st = (*worker)->Handle("probe", [&](steward::JobContext&) {
      std::lock_guard l(lat_mu);
      started_at = Steady::now();
      started = true;
      lat_cv.notify_all();
      return steward::Outcome::Success();
    });
    if (!st.ok()) return st.WithContext("handler");
    workers.push_back(std::move(worker).value());
  }
  counter.Expect(s.jobs);
  auto t1 = Steady::now();
  for (auto& w : workers) {
    if (auto st = w->Start(); !st.ok()) return st.WithContext("start");
  }
  if (!counter.Wait(600s)) {
    return steward::Internal("drain timed out after " + std::to_string(counter.finished()) + " jobs");
  }
  double drain_s = std::chrono::duration<double>(Steady::now() - t1).count();
  double drain_rate = static_cast<double>(s.jobs) / drain_s;

  // 3. Enqueue-to-start latency on an idle queue, one job at a time.
  std::vector<double> lat_ms;
  std::this_thread::sleep_for(200ms);  // let the fetcher go idle: that is the case measured
  for (int i = 0; i < s.latency_samples; ++i) {
    {
      std::lock_guard l(lat_mu);
      started = false;
    }
    counter.Expect(s.jobs + i + 1);
    auto before = Steady::now();
    auto r = client.Enqueue(BenchJob("probe", queue));
    if (!r.ok()) return r.status().WithContext("enqueue probe");
    std::unique_lock l(lat_mu);
    if (!lat_cv.wait_for(l, 10s, [&] { return started; })) {
      return steward::Internal("probe job did not start");
    }
    lat_ms.push_back(std::chrono::duration<double, std::milli>(started_at - before).count());
    l.unlock();
    counter.Wait(10s);  // finished and recorded before the next sample
  }
  double p50 = Percentile(lat_ms, 0.5), p99 = Percentile(lat_ms, 0.99);

  // 4. Idle CPU with an empty queue.
  double cpu0 = CpuSeconds();
  auto w0 = Steady::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(s.idle_seconds));
  double idle_cpu =
      100.0 * (CpuSeconds() - cpu0) / std::chrono::duration<double>(Steady::now() - w0).count();
  for (auto& w : workers) w->Stop();

  std::printf("concurrency %4d: enqueue %.0f jobs/s; drain %lld jobs in %.3f s = %.0f jobs/s "
              "(%d node(s)); latency p50 %.3f ms, p99 %.3f ms (%d samples); idle %.2f%% of a core\n",
              concurrency, enqueue_rate, static_cast<long long>(s.jobs), drain_s, drain_rate, s.nodes,
              p50, p99, s.latency_samples, idle_cpu);
  std::fflush(stdout);
  return nlohmann::json{{"concurrency", concurrency},
                        {"enqueue_jobs_per_s", static_cast<int64_t>(enqueue_rate)},
                        {"drain_jobs_per_s", static_cast<int64_t>(drain_rate)},
                        {"latency_p50_ms", p50},
                        {"latency_p99_ms", p99},
                        {"idle_cpu_percent", idle_cpu}};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"steward-bench: Steward throughput and latency"};
  Settings s;
  std::vector<int> concurrencies = {256};
  app.add_option("--db", s.db, "Database URL (a fresh database is best)")->required();
  app.add_option("--jobs", s.jobs, "Jobs to enqueue and drain at each concurrency");
  app.add_option("--concurrency", concurrencies, "Worker concurrency, or a list to sweep: 1,10,50,256")
      ->delimiter(',')
      ->check(CLI::Range(1, 10000));
  app.add_option("--batch", s.batch, "Jobs per enqueue batch");
  app.add_option("--latency-samples", s.latency_samples, "Enqueue-to-start samples on an idle queue");
  app.add_option("--idle-seconds", s.idle_seconds, "How long to measure idle CPU");
  app.add_option("--nodes", s.nodes,
                 "Workers draining together, each with its own store (connections, "
                 "LISTEN), as separate nodes on one database would")
      ->check(CLI::Range(1, 16));
  app.add_option("--prefetch", s.prefetch, "WorkerOptions::prefetch (default: the worker's)")
      ->check(CLI::Range(0, 100000));
  CLI11_PARSE(app, argc, argv);

  auto opened = steward::OpenStore(s.db);
  if (!opened.ok()) return Die(opened.status(), "open");
  std::shared_ptr<steward::Store> store(std::move(opened).value());
  if (auto st = store->Migrate(); !st.ok()) return Die(st, "migrate");

  nlohmann::json runs = nlohmann::json::array();
  for (int c : concurrencies) {
    auto run = RunOne(s, store, c);
    if (!run.ok()) return Die(run.status(), "run");
    runs.push_back(std::move(run).value());
  }
  nlohmann::json out = {{"backend", store->Capabilities().backend},
                        {"jobs", s.jobs},
                        {"nodes", s.nodes},
                        {"prefetch", s.prefetch >= 0 ? s.prefetch : steward::WorkerOptions{}.prefetch},
                        {"runs", runs}};
  // One concurrency: its figures also at the top level, as before the sweep.
  if (runs.size() == 1) out.update(runs[0]);
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
