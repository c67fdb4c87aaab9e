// metrics-render-bench: the cost of GET /metrics' work, MetricsObserver's
// rendering of the Prometheus text format, with many queues and kinds.
//
//   metrics-render-bench [--queues 100] [--kinds 3] [--renders 201] [--all-outcomes]
//
// Every queue x kind pair sees started, completed (and with --all-outcomes
// also retried, discarded, cancelled and rescued) jobs, and every queue has
// database gauges, as the collector would set them. Prints the median and p90
// of an uncached Render(), the median of RenderForScrape() (cached), the size
// of the text and its number of series, then one JSON line.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "watch/metrics.h"

using namespace steward;
using Steady = std::chrono::steady_clock;

namespace {

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(i), v.end());
  return v[i];
}

template <typename F>
std::vector<double> TimeMs(int n, F&& f) {
  std::vector<double> ms;
  ms.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    auto t0 = Steady::now();
    f();
    ms.push_back(std::chrono::duration<double, std::milli>(Steady::now() - t0).count());
  }
  return ms;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"GET /metrics render time"};
  int queues = 100, kinds = 3, renders = 201;
  bool all_outcomes = false;
  app.add_option("--queues", queues);
  app.add_option("--kinds", kinds, "distinct job kinds per queue");
  app.add_option("--renders", renders);
  app.add_flag("--all-outcomes", all_outcomes, "every counter series, not only started/completed");
  CLI11_PARSE(app, argc, argv);

  MetricsOptions mo;
  mo.version = "bench";
  mo.backend = "sqlite";
  MetricsObserver m(mo);
  std::vector<QueueStats> stats;
  std::vector<RescuedJob> rescued;
  for (int q = 0; q < queues; ++q) {
    QueueStats s;
    s.queue = "queue_" + std::to_string(q);
    s.available = q;
    s.running = 2;
    s.completed = 1000 + q;
    s.due = q;
    s.oldest_due_age = std::chrono::seconds(q);
    stats.push_back(s);
    for (int k = 0; k < kinds; ++k) {
      Job j;
      j.id = q * 1000 + k + 1;
      j.queue = s.queue;
      j.kind = "kind_" + std::to_string(k);
      j.attempt = 1;
      m.CountEnqueued(j.queue);
      m.OnJobStarted(j, std::chrono::milliseconds(5 + k));
      m.OnJobFinished(j, JobState::kCompleted, std::chrono::milliseconds(20 * (k + 1)), nullptr);
      if (all_outcomes) {
        for (JobState st : {JobState::kRetryable, JobState::kDiscarded, JobState::kCancelled,
                            JobState::kAvailable}) {
          m.OnJobFinished(j, st, std::chrono::seconds(2), nullptr);
        }
        RescuedJob r;
        r.id = j.id;
        r.kind = j.kind;
        r.queue = j.queue;
        rescued.push_back(r);
      }
    }
  }
  m.SetQueueStats(stats);
  if (!rescued.empty()) m.OnJobsRescued(rescued);
  m.OnStoreError("completer", Unavailable("bench"));

  std::string text = m.Render();
  size_t series = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    if (text[pos] != '#') ++series;
    pos = nl + 1;
  }
  auto uncached = TimeMs(renders, [&] { text = m.Render(); });
  auto cached = TimeMs(renders, [&] { text = m.RenderForScrape(); });

  double p50 = Percentile(uncached, 0.5), p90 = Percentile(uncached, 0.9);
  double cached_p50 = Percentile(cached, 0.5);
  std::printf("metrics render: queues=%d kinds=%d bytes=%zu samples=%zu\n", queues, kinds,
              text.size(), series);
  std::printf("Render(): median %.3f ms  p90 %.3f ms;  RenderForScrape() (cached): median %.4f ms\n",
              p50, p90, cached_p50);
  nlohmann::json j = {{"queues", queues},      {"kinds", kinds},       {"bytes", text.size()},
                      {"samples", series},     {"render_p50_ms", p50}, {"render_p90_ms", p90},
                      {"cached_p50_ms", cached_p50}};
  std::printf("%s\n", j.dump().c_str());
  return 0;
}
