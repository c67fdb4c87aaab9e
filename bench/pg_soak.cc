// pg-soak: pushes N jobs (default 2,000,000) through one PostgreSQL queue and
// reports how big the jobs table and its indexes get, so docs/postgres.md can
// state a bound for table bloat.
//
//   pg-soak --db postgres://postgres@127.0.0.1:5432/soak --jobs 2000000
//
// A producer enqueues in batches, keeping at most --backlog jobs pending (a
// steady queue, not one giant backlog); a real steward::Worker drains them
// with a no-op handler and runs its own retention (JobDeleteFinished in
// bounded batches from the maintenance loop). Retention runs on the real
// clock, compressed: completed jobs are kept --keep-completed-s (default 10 s
// instead of the 24 h default), and the maintenance tick is
// --maintenance-interval-ms (the worker's rescue_interval, default 15 s).
// Everything else is the default. Sizes are printed every --report-s seconds
// and at the end, after the queue is empty and retention has caught up.
#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
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
    ++finished_;
  }
  int64_t finished() const { return finished_.load(); }

 private:
  std::atomic<int64_t> finished_{0};
};

// Size figures from a separate libpq connection (the store does not expose
// catalog queries).
struct Sizes {
  int64_t total = 0, heap = 0, indexes = 0, rows = 0, live = 0, dead = 0;
  int64_t autovacuums = 0, pending = 0;
};

int64_t QueryInt(PGconn* c, const std::string& sql) {
  PGresult* r = PQexec(c, sql.c_str());
  int64_t v = -1;
  if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0)) {
    v = std::stoll(PQgetvalue(r, 0, 0));
  } else if (PQresultStatus(r) != PGRES_TUPLES_OK) {
    std::fprintf(stderr, "pg-soak: %s: %s", sql.c_str(), PQresultErrorMessage(r));
  }
  PQclear(r);
  return v;
}

Sizes Measure(PGconn* c, const std::string& schema) {
  const std::string t = "'" + schema + ".jobs'";
  Sizes s;
  s.total = QueryInt(c, "SELECT pg_total_relation_size(" + t + ")");
  s.heap = QueryInt(c, "SELECT pg_relation_size(" + t + ")");
  s.indexes = QueryInt(c, "SELECT pg_indexes_size(" + t + ")");
  s.rows = QueryInt(c, "SELECT count(*) FROM " + schema + ".jobs");
  s.pending = QueryInt(c, "SELECT count(*) FROM " + schema +
                              ".jobs WHERE state IN ('scheduled', 'available', 'retryable')");
  const std::string stat =
      " FROM pg_stat_user_tables WHERE schemaname = '" + schema + "' AND relname = 'jobs'";
  s.live = QueryInt(c, "SELECT n_live_tup" + stat);
  s.dead = QueryInt(c, "SELECT n_dead_tup" + stat);
  s.autovacuums = QueryInt(c, "SELECT autovacuum_count" + stat);
  return s;
}

double Mb(int64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

void Print(const char* tag, double secs, int64_t enqueued, int64_t finished, const Sizes& s) {
  std::printf(
      "%-5s t=%6.1fs enq=%8lld done=%8lld | rows=%7lld pending=%6lld live=%7lld dead=%7lld "
      "autovac=%3lld | heap=%7.1f MB idx=%7.1f MB total=%7.1f MB\n",
      tag, secs, static_cast<long long>(enqueued), static_cast<long long>(finished),
      static_cast<long long>(s.rows), static_cast<long long>(s.pending),
      static_cast<long long>(s.live), static_cast<long long>(s.dead),
      static_cast<long long>(s.autovacuums), Mb(s.heap), Mb(s.indexes), Mb(s.total));
  std::fflush(stdout);
}

int Die(const steward::Status& st, const char* what) {
  std::fprintf(stderr, "pg-soak: %s: %s\n", what, st.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"pg-soak: table and index size of the PostgreSQL jobs table under load"};
  std::string db;
  std::string schema = "steward";
  int64_t jobs = 2'000'000;
  int batch = 1000;
  int64_t backlog = 20'000;
  int concurrency = 64;
  double keep_completed_s = 10;
  int maintenance_ms = 15'000;
  double report_s = 10;
  double settle_s = 30;
  app.add_option("--db", db, "postgres:// URL (a fresh database)")->required();
  app.add_option("--schema", schema, "Steward schema in that database (as in the URL)");
  app.add_option("--jobs", jobs, "Jobs to push through the queue");
  app.add_option("--batch", batch, "Jobs per enqueue batch");
  app.add_option("--backlog", backlog, "Most jobs pending at once");
  app.add_option("--concurrency", concurrency, "Worker concurrency");
  app.add_option("--keep-completed-s", keep_completed_s,
                 "Retention of completed jobs (compressed clock)");
  app.add_option("--maintenance-interval-ms", maintenance_ms,
                 "Worker rescue_interval: how often retention runs (default: the default, 15 s)");
  app.add_option("--report-s", report_s, "Seconds between size reports");
  app.add_option("--settle-s", settle_s,
                 "After the last job: wait this long for retention and autovacuum");
  CLI11_PARSE(app, argc, argv);

  auto opened = steward::OpenStore(db);
  if (!opened.ok()) return Die(opened.status(), "open");
  std::shared_ptr<steward::Store> store(std::move(opened).value());
  if (auto st = store->Migrate(); !st.ok()) return Die(st, "migrate");
  // libpq wants the URL without Steward's own options.
  auto q = db.find('?');
  PGconn* admin = PQconnectdb(db.substr(0, q).c_str());
  if (PQstatus(admin) != CONNECTION_OK) {
    std::fprintf(stderr, "pg-soak: admin connection: %s", PQerrorMessage(admin));
    return 1;
  }

  Counter counter;
  steward::WorkerOptions wo;
  wo.queues = {{"soak", concurrency}};
  wo.observer = &counter;
  wo.keep_completed =
      std::chrono::duration_cast<steward::Micros>(std::chrono::duration<double>(keep_completed_s));
  wo.rescue_interval = std::chrono::milliseconds(maintenance_ms);
  auto worker = steward::Worker::Create(store, wo);
  if (!worker.ok()) return Die(worker.status(), "worker");
  if (auto st = (*worker)->Handle("noop",
                                  [](steward::JobContext&) { return steward::Outcome::Success(); });
      !st.ok())
    return Die(st, "handler");
  if (auto st = (*worker)->Start(); !st.ok()) return Die(st, "start");

  steward::Client client(store);
  std::atomic<int64_t> enqueued{0};
  std::atomic<bool> failed{false};
  std::thread producer([&] {
    std::vector<steward::NewJob> chunk;
    while (enqueued.load() < jobs && !failed.load()) {
      if (enqueued.load() - counter.finished() >= backlog) {
        std::this_thread::sleep_for(2ms);  // throttle: keep the backlog bounded
        continue;
      }
      int64_t n = std::min<int64_t>(batch, jobs - enqueued.load());
      steward::NewJob j;
      j.kind = "noop";
      j.queue = "soak";
      chunk.assign(static_cast<size_t>(n), j);
      auto r = client.EnqueueMany(chunk);
      if (!r.ok()) {
        Die(r.status(), "enqueue");
        failed = true;
        return;
      }
      enqueued += n;
    }
  });

  Sizes peak;
  auto track = [&](const Sizes& s) {
    peak.total = std::max(peak.total, s.total);
    peak.heap = std::max(peak.heap, s.heap);
    peak.indexes = std::max(peak.indexes, s.indexes);
    peak.rows = std::max(peak.rows, s.rows);
    peak.dead = std::max(peak.dead, s.dead);
  };
  const auto t0 = Steady::now();
  auto secs = [&] { return std::chrono::duration<double>(Steady::now() - t0).count(); };
  auto next_report = t0;
  while (counter.finished() < jobs && !failed.load()) {
    std::this_thread::sleep_for(100ms);
    if (Steady::now() >= next_report) {
      next_report +=
          std::chrono::duration_cast<Steady::duration>(std::chrono::duration<double>(report_s));
      Sizes s = Measure(admin, schema);
      track(s);
      Print("soak", secs(), enqueued.load(), counter.finished(), s);
    }
  }
  producer.join();
  if (failed.load()) return 1;
  const double run_s = secs();
  std::printf("drained %lld jobs in %.1f s = %.0f jobs/s\n", static_cast<long long>(jobs), run_s,
              static_cast<double>(jobs) / run_s);
  // Let retention delete the last keep_completed window and autovacuum run.
  const auto settle_end = Steady::now() + std::chrono::duration_cast<Steady::duration>(
                                              std::chrono::duration<double>(settle_s));
  while (Steady::now() < settle_end) {
    std::this_thread::sleep_for(std::chrono::duration<double>(std::min(report_s, settle_s)));
    Sizes s = Measure(admin, schema);
    track(s);
    Print("settle", secs(), enqueued.load(), counter.finished(), s);
  }
  (*worker)->Stop();
  Sizes end = Measure(admin, schema);
  Print("end", secs(), enqueued.load(), counter.finished(), end);
  PQfinish(admin);

  nlohmann::json out = {{"jobs", jobs},
                        {"seconds", run_s},
                        {"keep_completed_s", keep_completed_s},
                        {"maintenance_interval_ms", maintenance_ms},
                        {"backlog", backlog},
                        {"peak_total_bytes", peak.total},
                        {"peak_heap_bytes", peak.heap},
                        {"peak_index_bytes", peak.indexes},
                        {"peak_rows", peak.rows},
                        {"peak_dead_tuples", peak.dead},
                        {"end_total_bytes", end.total},
                        {"end_heap_bytes", end.heap},
                        {"end_index_bytes", end.indexes},
                        {"end_rows", end.rows},
                        {"end_dead_tuples", end.dead},
                        {"autovacuum_count", end.autovacuums}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
