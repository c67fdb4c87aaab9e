// MetricsObserver and MetricsCollector with a real Worker on SQLite; the
// exposition is validated by the real promtool.
#include "watch/metrics.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>

#include "steward/client.h"
#include "steward/worker.h"
#include "support/eventually.h"
#include "support/temp_dir.h"
#include "watch/fault_store.h"
#include "watch/health.h"
#include "watch/metrics_collector.h"
#include "watch/promtool.h"

namespace steward {
namespace {

using namespace std::chrono_literals;

// The value of the sample `series` (exact name and labels as rendered), or -1.
double Sample(const std::string& text, const std::string& series) {
  size_t pos = 0;
  while ((pos = text.find(series + " ", pos)) != std::string::npos) {
    if (pos == 0 || text[pos - 1] == '\n') {
      return std::stod(text.substr(pos + series.size() + 1));
    }
    pos += series.size();
  }
  return -1;
}

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = OpenStore("sqlite://" + dir_.File("m.db"));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    ASSERT_TRUE((*s)->Migrate().ok());
    store_ = std::shared_ptr<Store>(std::move(s).value());
  }

  Job AwaitFinished(Client& c, int64_t id) {
    Job last;
    const bool finished = testing::Eventually([&] {
      auto j = c.Get(id);
      if (j.ok()) last = *j;
      return j.ok() && IsFinished(last.state);
    });
    if (finished) return last;
    ADD_FAILURE() << "job " << id << " did not finish; state " << JobStateName(last.state);
    return last;
  }

  testing::TempDir dir_;
  std::shared_ptr<Store> store_;
};

TEST_F(MetricsTest, CountsJobOutcomesFromARealWorker) {
  MetricsOptions mo;
  mo.version = "1.2.3";
  mo.backend = "sqlite";
  MetricsObserver m(mo);
  WorkerOptions wo;
  wo.queues = {{"default", 4}};
  wo.default_retry = RetryPolicy{.base = 10ms, .max = 20ms, .jitter = 0};
  wo.observer = &m;
  auto w = Worker::Create(store_, wo);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Handle("ok", [](JobContext&) { return Outcome::Success(); }).ok());
  ASSERT_TRUE((*w)->Handle("flaky",
                           [](JobContext& ctx) {
                             return ctx.attempt() < 2 ? Outcome::Failure("first try fails")
                                                      : Outcome::Success();
                           })
                  .ok());
  ASSERT_TRUE((*w)->Handle("bad", [](JobContext&) { return Outcome::Discard("permanent"); }).ok());
  ASSERT_TRUE((*w)->Start().ok());
  Client c(store_);
  std::vector<int64_t> ids;
  for (const char* kind : {"ok", "ok", "flaky", "bad"}) {
    NewJob j;
    j.kind = kind;
    auto r = c.Enqueue(j);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ids.push_back(r->id);
  }
  for (auto id : ids) AwaitFinished(c, id);
  (*w)->Stop();

  std::string text = m.Render();
  EXPECT_EQ(Sample(text, R"(steward_jobs_completed_total{kind="ok",queue="default"})"), 2) << text;
  EXPECT_EQ(Sample(text, R"(steward_jobs_completed_total{kind="flaky",queue="default"})"), 1);
  EXPECT_EQ(Sample(text, R"(steward_jobs_started_total{kind="flaky",queue="default"})"), 2);
  EXPECT_EQ(Sample(text, R"(steward_jobs_failed_total{kind="flaky",queue="default"})"), 1);
  EXPECT_EQ(Sample(text, R"(steward_jobs_retried_total{kind="flaky",queue="default"})"), 1);
  EXPECT_EQ(Sample(text, R"(steward_jobs_failed_total{kind="bad",queue="default"})"), 1);
  EXPECT_EQ(Sample(text, R"(steward_jobs_discarded_total{kind="bad",queue="default"})"), 1);
  // Histograms are per queue only (bounded series), over all kinds.
  EXPECT_EQ(Sample(text, R"(steward_job_duration_seconds_count{queue="default"})"), 5);
  EXPECT_EQ(Sample(text, R"(steward_job_wait_seconds_count{queue="default"})"), 5);
  EXPECT_EQ(text.find("steward_job_duration_seconds_count{kind="), std::string::npos);
  EXPECT_EQ(Sample(text, R"(steward_build_info{backend="sqlite",version="1.2.3"})"), 1);
  EXPECT_GT(Sample(text, "steward_process_start_time_seconds"), 1.7e9);

  auto [rc, out] = testing::PromtoolCheckMetrics(text);
  EXPECT_EQ(rc, 0) << out << "\n" << text;
}

TEST_F(MetricsTest, PromtoolRejectsBrokenExposition) {
  // Guards the check itself: the helper must be able to fail.
  auto [rc, out] = testing::PromtoolCheckMetrics("steward_x{ 1\n");
  EXPECT_NE(rc, 0) << out;
}

TEST_F(MetricsTest, LabelValuesAreCapped) {
  MetricsOptions mo;
  mo.max_kinds = 3;
  mo.max_label_values = 2;
  MetricsObserver m(mo);
  for (int i = 0; i < 10; ++i) {
    Job j;
    j.queue = "default";
    j.kind = "kind" + std::to_string(i);
    m.OnJobStarted(j, 0us);
  }
  for (const char* q : {"q1", "q2", "q3"}) {
    Job j;
    j.queue = q;
    j.kind = "kind0";
    m.OnJobFinished(j, JobState::kCompleted, 1ms, nullptr);
  }
  std::string text = m.Render();
  EXPECT_EQ(Sample(text, R"(steward_jobs_started_total{kind="kind2",queue="default"})"), 1);
  EXPECT_EQ(Sample(text, R"(steward_jobs_started_total{kind="kind3",queue="default"})"), -1);
  EXPECT_EQ(Sample(text, R"(steward_jobs_started_total{kind="other",queue="default"})"), 7) << text;
  // Queues are capped too: "default" and "q1" keep their names, the rest fold.
  EXPECT_EQ(Sample(text, R"(steward_jobs_completed_total{kind="kind0",queue="q1"})"), 1);
  EXPECT_EQ(Sample(text, R"(steward_jobs_completed_total{kind="kind0",queue="other"})"), 2);
  EXPECT_EQ(Sample(text, R"(steward_job_duration_seconds_count{queue="other"})"), 2);
}

TEST_F(MetricsTest, ScrapesWithinTheCacheAgeShareOneRender) {
  ManualClock clock(SystemClock().Now());
  MetricsOptions mo;
  mo.clock = &clock;
  mo.scrape_cache = 1s;
  MetricsObserver m(mo);
  m.CountEnqueued("default", 1);
  const std::string series = R"(steward_jobs_enqueued_total{queue="default"})";
  EXPECT_EQ(Sample(m.RenderForScrape(), series), 1);
  m.CountEnqueued("default", 1);
  clock.Advance(900ms);
  EXPECT_EQ(Sample(m.RenderForScrape(), series), 1);  // cached
  EXPECT_EQ(Sample(m.Render(), series), 2);           // Render() is always fresh
  clock.Advance(100ms);
  EXPECT_EQ(Sample(m.RenderForScrape(), series), 2);  // expired: rendered again
  m.CountEnqueued("default", 1);
  clock.Advance(-10s);                                // a clock stepped back
  EXPECT_EQ(Sample(m.RenderForScrape(), series), 3);

  mo.scrape_cache = Micros(0);
  MetricsObserver uncached(mo);
  uncached.CountEnqueued("default", 1);
  EXPECT_EQ(Sample(uncached.RenderForScrape(), series), 1);
  uncached.CountEnqueued("default", 1);
  EXPECT_EQ(Sample(uncached.RenderForScrape(), series), 2);
}

TEST_F(MetricsTest, CollectorRefreshesQueueGaugesAndTicksHealth) {
  Client c(store_);
  NewJob due;
  due.kind = "x";
  due.queue = "mail";
  due.run_at = SystemClock().Now() - 30s;
  ASSERT_TRUE(c.Enqueue(due).ok());
  NewJob later = due;
  later.run_at = SystemClock().Now() + 1h;
  ASSERT_TRUE(c.Enqueue(later).ok());
  ASSERT_TRUE(store_->QueueSetPaused("mail", true).ok());

  auto fault = std::make_shared<testing::FaultStore>(store_);
  MetricsObserver m;
  HealthRegistry health(nullptr);
  MetricsCollectorOptions co;
  co.interval = 50ms;
  co.health = &health;
  int pool_calls = 0;
  co.pool_stats = [&]() -> std::optional<DbPoolNumbers> {
    ++pool_calls;
    DbPoolNumbers n;
    n.in_use = 3;
    n.idle = 2;
    n.waiters = 1;
    n.wait_seconds_total = 1.5 * pool_calls;
    n.leaks_detected_total = 1;
    return n;
  };
  MetricsCollector collector(fault, &m, co);
  collector.CollectOnce();
  std::string text = m.Render();
  EXPECT_EQ(Sample(text, R"(steward_queue_jobs{queue="mail",state="available"})"), 1) << text;
  EXPECT_EQ(Sample(text, R"(steward_queue_jobs{queue="mail",state="scheduled"})"), 1);
  EXPECT_GE(Sample(text, R"(steward_queue_oldest_due_age_seconds{queue="mail"})"), 29);
  EXPECT_EQ(Sample(text, R"(steward_queue_paused{queue="mail"})"), 1);
  EXPECT_EQ(Sample(text, "steward_store_up"), 1);
  EXPECT_EQ(Sample(text, R"(steward_db_pool_connections{state="in_use"})"), 3);
  EXPECT_EQ(Sample(text, "steward_db_pool_waiters"), 1);
  EXPECT_EQ(Sample(text, "steward_db_pool_wait_seconds_total"), 1.5);
  EXPECT_EQ(Sample(text, "steward_db_pool_leaks_detected_total"), 1);

  fault->SetUnreachable(true);
  collector.CollectOnce();
  text = m.Render();
  EXPECT_EQ(Sample(text, "steward_store_up"), 0);
  // Counters only grow: fed cumulative totals, they add the difference.
  EXPECT_EQ(Sample(text, "steward_db_pool_wait_seconds_total"), 3.0);
  EXPECT_EQ(Sample(text, "steward_db_pool_leaks_detected_total"), 1);

  // The background thread ticks loop "metrics" into health.
  collector.Start();
  EXPECT_TRUE(testing::Eventually([&] { return health.Startup().ok; }, 5s))
      << health.Startup().body.dump();
  collector.Stop();
  collector.Stop();  // harmless twice
  auto [rc, out] = testing::PromtoolCheckMetrics(m.Render());
  EXPECT_EQ(rc, 0) << out;
}

// Dead-man's switches reach /metrics too, so teams that alert with
// Prometheus see a check go down (deploy/prometheus/steward-rules.yaml).
TEST_F(MetricsTest, CheckStatesAreExportedAndVanishWithTheirCheck) {
  const Timestamp now = SystemClock().Now();
  CheckSpec backup;
  backup.name = "nightly-backup";
  backup.period = 1h;
  backup.grace = 10min;
  ASSERT_TRUE(store_->CheckUpsert(backup, now - 3h).ok());
  CheckPingParams ping;
  ping.name = "nightly-backup";
  ping.at = now - 3h;
  ASSERT_TRUE(store_->CheckPing(ping).ok());
  CheckSpec fresh = backup;
  fresh.name = "fresh";
  ASSERT_TRUE(store_->CheckUpsert(fresh, now - 1min).ok());
  ping.name = "fresh";
  ping.at = now - 1min;
  ASSERT_TRUE(store_->CheckPing(ping).ok());
  ASSERT_TRUE(store_->CheckEvaluate(now).ok());

  MetricsObserver m;
  MetricsCollector collector(store_, &m);
  collector.CollectOnce();
  std::string text = m.Render();
  EXPECT_EQ(Sample(text, R"(steward_check_state{check="nightly-backup",state="down"})"), 1) << text;
  EXPECT_EQ(Sample(text, R"(steward_check_state{check="nightly-backup",state="up"})"), 0);
  EXPECT_EQ(Sample(text, R"(steward_check_state{check="fresh",state="up"})"), 1);
  EXPECT_EQ(Sample(text, R"(steward_check_state{check="fresh",state="down"})"), 0);
  const double last = Sample(text, R"(steward_check_last_success_timestamp_seconds{check="nightly-backup"})");
  EXPECT_NEAR(last, std::chrono::duration<double>((now - 3h).time_since_epoch()).count(), 1.0);
  auto [rc, out] = testing::PromtoolCheckMetrics(text);
  EXPECT_EQ(rc, 0) << out;

  // Removed from the configuration: its series go, rather than staying down.
  auto checks = store_->CheckList();
  ASSERT_TRUE(checks.ok());
  std::erase_if(*checks, [](const Check& c) { return c.spec.name == "nightly-backup"; });
  m.SetChecks(*checks);
  text = m.Render();
  EXPECT_EQ(Sample(text, R"(steward_check_state{check="nightly-backup",state="down"})"), -1) << text;
  EXPECT_EQ(Sample(text, R"(steward_check_last_success_timestamp_seconds{check="nightly-backup"})"), -1);
  EXPECT_EQ(Sample(text, R"(steward_check_state{check="fresh",state="up"})"), 1);
}

// deploy/prometheus/steward-rules.yaml may only use metrics Steward
// exports: a renamed metric would otherwise silently disable an alert.
TEST_F(MetricsTest, EveryMetricTheAlertingRulesUseIsExported) {
  const std::string rules_path =
      (std::filesystem::path(STEWARD_SOURCE_DIR) / "deploy/prometheus/steward-rules.yaml").string();
  std::ifstream in(rules_path);
  ASSERT_TRUE(in.good()) << rules_path;
  const std::string rules((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

  MetricsObserver m;  // every family given at least one series
  Job job;
  job.kind = "email";
  job.queue = "mail";
  m.OnJobStarted(job, 1ms);
  AttemptError err;
  err.message = "boom";
  for (JobState st : {JobState::kCompleted, JobState::kRetryable, JobState::kDiscarded, JobState::kCancelled,
                      JobState::kScheduled}) {
    m.OnJobFinished(job, st, 1ms, st == JobState::kCompleted ? nullptr : &err);
  }
  m.OnJobsRescued({RescuedJob{.id = 1, .kind = "email", .queue = "mail", .lost_worker = "w"}});
  QueueStats qs;
  qs.queue = "mail";
  m.SetQueueStats({qs});
  Check check;
  check.spec.name = "backup";
  check.last_success_at = SystemClock().Now();
  m.SetChecks({check});
  m.SetPoolStats(DbPoolNumbers{});
  m.SetStoreUp(true);
  const std::string text = m.Render();

  std::set<std::string> used;
  const std::regex name(R"(\bsteward_[a-z_]+)");
  for (auto it = std::sregex_iterator(rules.begin(), rules.end(), name); it != std::sregex_iterator(); ++it) {
    used.insert(it->str());
  }
  EXPECT_GE(used.size(), 8u) << "the rules file changed shape; is this test still reading it?";
  for (const auto& metric : used) {
    EXPECT_NE(text.find("# TYPE " + metric + " "), std::string::npos) << metric << " is not exported";
  }
}

TEST_F(MetricsTest, QueueThatDisappearsIsReportedAsZero) {
  MetricsObserver m;
  QueueStats s;
  s.queue = "gone";
  s.available = 5;
  m.SetQueueStats({s});
  EXPECT_EQ(Sample(m.Render(), R"(steward_queue_jobs{queue="gone",state="available"})"), 5);
  m.SetQueueStats({});
  EXPECT_EQ(Sample(m.Render(), R"(steward_queue_jobs{queue="gone",state="available"})"), 0);
}

TEST_F(MetricsTest, EnqueuedCounterSkipsNothingButZero) {
  MetricsObserver m;
  m.CountEnqueued("default", 3);
  m.CountEnqueued("default", 0);
  EXPECT_EQ(Sample(m.Render(), R"(steward_jobs_enqueued_total{queue="default"})"), 3);
}

}  // namespace
}  // namespace steward
