// Alert rules end to end against a real SQLite store: events in, alerts and
// outbox rows out. Time is a ManualClock; Flush()/Evaluate() replace waiting.
#include "watch/alerter.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/temp_dir.h"
#include "watch/fault_store.h"
#include "watch/test_jobs.h"

namespace steward {
namespace {

using namespace std::chrono_literals;

class AlerterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = OpenStore("sqlite://" + dir_.File("a.db"));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    ASSERT_TRUE((*s)->Migrate().ok());
    real_ = std::shared_ptr<Store>(std::move(s).value());
    store_ = std::make_shared<testing::FaultStore>(real_);
    opts_.clock = &clock_;
    opts_.channels = {"slack"};
    opts_.group_wait = 1h;
  }
  std::unique_ptr<Alerter> Make() { return std::make_unique<Alerter>(store_, opts_); }
  std::optional<Alert> Open(const std::string& fp) {
    auto a = real_->AlertGetOpen(fp);
    return a.ok() ? std::optional<Alert>(*a) : std::nullopt;
  }
  std::vector<std::string> Events() {
    std::vector<std::string> out;
    auto rows = real_->OutboxList(OutboxListParams{});
    for (const auto& r : *rows) {
      out.push_back(r.event + " " + nlohmann::json::parse(r.payload_json)["fingerprint"].get<std::string>());
    }
    return out;
  }
  static Job MakeJob(int64_t id, const std::string& kind) { return testing::FinishedJob(id, kind); }

  testing::TempDir dir_;
  std::shared_ptr<Store> real_;
  std::shared_ptr<testing::FaultStore> store_;
  ManualClock clock_{FromMicros(1'790'000'000'000'000)};
  AlerterOptions opts_;
};

TEST_F(AlerterTest, KindFailingOpensAfterNConsecutiveFailuresAndResolvesOnSuccess) {
  auto a = Make();
  AttemptError e;
  e.message = "timeout";
  for (int i = 0; i < 4; ++i) a->OnJobFinished(MakeJob(i, "sync"), JobState::kRetryable, 1ms, &e);
  a->OnJobFinished(MakeJob(10, "sync"), JobState::kCompleted, 1ms, nullptr);  // streak broken
  for (int i = 0; i < 4; ++i) a->OnJobFinished(MakeJob(i, "sync"), JobState::kRetryable, 1ms, &e);
  ASSERT_TRUE(a->Flush().ok());
  EXPECT_FALSE(Open("kind_failing:kind=sync").has_value());
  a->OnJobFinished(MakeJob(5, "sync"), JobState::kRetryable, 1ms, &e);  // 5th in a row
  ASSERT_TRUE(a->Flush().ok());
  auto open = Open("kind_failing:kind=sync");
  ASSERT_TRUE(open.has_value());
  EXPECT_EQ(open->severity, "warning");
  a->OnJobFinished(MakeJob(6, "sync"), JobState::kCompleted, 1ms, nullptr);
  ASSERT_TRUE(a->Flush().ok());
  EXPECT_FALSE(Open("kind_failing:kind=sync").has_value());
  EXPECT_EQ(Events(), (std::vector<std::string>{"open kind_failing:kind=sync", "resolve kind_failing:kind=sync"}));
}

TEST_F(AlerterTest, FailureRatioOpensOverTheWindowAndResolvesWhenTheRatioDrops) {
  opts_.rules.kind_failing = false;  // this test is about the ratio rule only
  opts_.rules.failure_ratio = 0.5;
  opts_.rules.failure_ratio_window = 10min;
  opts_.rules.failure_ratio_min_attempts = 20;
  auto a = Make();
  AttemptError e;
  e.message = "HTTP 502";
  auto outcome = [&](bool fail) {
    a->OnJobFinished(MakeJob(1, "sync"), fail ? JobState::kRetryable : JobState::kCompleted, 1ms,
                     fail ? &e : nullptr);
  };
  const std::string fp = "kind_failure_ratio:kind=sync";
  // Alternating outcomes (never 5 in a row), 19 attempts: too few to judge.
  for (int i = 0; i < 19; ++i) {
    outcome(i % 2 == 1);  // 9 failures, 10 successes
    clock_.Advance(10s);
  }
  ASSERT_TRUE(a->Flush().ok());
  EXPECT_FALSE(Open(fp).has_value());
  outcome(true);  // 20 attempts, 10 failed: 50 %
  ASSERT_TRUE(a->Flush().ok());
  auto open = Open(fp);
  ASSERT_TRUE(open.has_value());
  EXPECT_EQ(open->severity, "warning");
  EXPECT_NE(open->summary.find("50% of 20 attempts"), std::string::npos) << open->summary;
  outcome(true);
  outcome(true);
  ASSERT_TRUE(a->Flush().ok());
  EXPECT_EQ(Open(fp)->count, 3);
  // Successes bring the ratio under 50 %: resolved (12 of 25 failed).
  for (int i = 0; i < 3; ++i) outcome(false);
  ASSERT_TRUE(a->Flush().ok());
  EXPECT_FALSE(Open(fp).has_value());

  // A fresh window of failures only opens it again; the window then drains
  // as time passes without attempts, and evaluation resolves it.
  clock_.Advance(11min);
  for (int i = 0; i < 20; ++i) outcome(true);
  ASSERT_TRUE(a->Flush().ok());
  ASSERT_TRUE(Open(fp).has_value());
  clock_.Advance(5min);
  a->Evaluate();
  ASSERT_TRUE(a->Flush().ok());
  EXPECT_TRUE(Open(fp).has_value()) << "the failures are still inside the window";
  clock_.Advance(6min);
  a->Evaluate();
  ASSERT_TRUE(a->Flush().ok());
  EXPECT_FALSE(Open(fp).has_value());
  EXPECT_EQ(Events(), (std::vector<std::string>{"open " + fp, "resolve " + fp, "open " + fp, "resolve " + fp}));
}

TEST_F(AlerterTest, FailureRatioAlertLeftOpenByAnotherProcessResolvesAfterAQuietWindow) {
  opts_.rules.failure_ratio_window = 10min;
  opts_.rules.failure_ratio_min_attempts = 2;
  opts_.rules.kind_failing = false;
  AttemptError e;
  e.message = "x";
  {
    auto first = Make();
    for (int i = 0; i < 2; ++i) first->OnJobFinished(MakeJob(1, "k"), JobState::kRetryable, 1ms, &e);
    ASSERT_TRUE(first->Flush().ok());
  }
  ASSERT_TRUE(Open("kind_failure_ratio:kind=k").has_value());
  auto restarted = Make();  // knows nothing of the window
  clock_.Advance(9min);
  restarted->Evaluate();
  ASSERT_TRUE(restarted->Flush().ok());
  EXPECT_TRUE(Open("kind_failure_ratio:kind=k").has_value());
  clock_.Advance(2min);
  restarted->Evaluate();
  ASSERT_TRUE(restarted->Flush().ok());
  EXPECT_FALSE(Open("kind_failure_ratio:kind=k").has_value());
}

TEST_F(AlerterTest, QueueLagOpensAboveThresholdAndResolvesBelow) {
  opts_.rules.queue_lag_threshold = 5min;
  auto a = Make();
  NewJob j;
  j.kind = "k";
  j.queue = "mail";
  ASSERT_TRUE(real_->JobInsertMany(std::span<const NewJob>(&j, 1), clock_.Now()).ok());
  clock_.Advance(4min);
  a->Evaluate();
  ASSERT_TRUE(a->Flush().ok());
  EXPECT_FALSE(Open("queue_lag:queue=mail").has_value());
  clock_.Advance(2min);
  a->Evaluate();
  ASSERT_TRUE(a->Flush().ok());
  auto open = Open("queue_lag:queue=mail");
  ASSERT_TRUE(open.has_value());
  EXPECT_NE(open->summary.find("6m0s"), std::string::npos) << open->summary;
  // The job is claimed: no lag any more.
  JobClaimParams cp;
  cp.queue = "mail";
  cp.limit = 10;
  cp.worker_id = "w";
  cp.now = clock_.Now();
  cp.lease_until = clock_.Now() + 30s;
  ASSERT_TRUE(real_->JobClaim(cp).ok());
  a->Evaluate();
  ASSERT_TRUE(a->Flush().ok());
  EXPECT_FALSE(Open("queue_lag:queue=mail").has_value());
  EXPECT_EQ(Events(), (std::vector<std::string>{"open queue_lag:queue=mail", "resolve queue_lag:queue=mail"}));
}

TEST_F(AlerterTest, DatabaseUnreachableIsReportedWhenItReturns) {
  opts_.rules.db_unreachable_after = 60s;
  auto a = Make();
  store_->SetUnreachable(true);
  a->OnStoreError("fetcher:default", Unavailable("connection refused"));
  clock_.Advance(30s);
  a->Evaluate();
  EXPECT_TRUE(a->Flush().ok());  // nothing to write yet
  clock_.Advance(31s);
  a->Evaluate();
  // The alert cannot be written while the database is away; it waits.
  EXPECT_EQ(a->Flush().code(), StatusCode::kUnavailable);
  store_->SetUnreachable(false);
  clock_.Advance(60s);
  a->OnStoreRecovered("fetcher:default");
  ASSERT_TRUE(a->Flush().ok());
  EXPECT_EQ(Events(), (std::vector<std::string>{"open db_unreachable", "resolve db_unreachable"}));
  auto list = real_->AlertList(false, 10);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_NE((*list)[0].detail.find("after 2m1s"), std::string::npos) << (*list)[0].detail;
}

TEST_F(AlerterTest, LostWorkersAreGroupedPerWorker) {
  auto a = Make();
  std::vector<RescuedJob> jobs;
  for (int i = 0; i < 30; ++i) {
    RescuedJob r;
    r.id = i + 1;
    r.kind = "k";
    r.queue = "default";
    r.lost_worker = i < 20 ? "node-a" : "node-b";
    jobs.push_back(r);
  }
  a->OnJobsRescued(jobs);
  ASSERT_TRUE(a->Flush().ok());
  auto na = Open("worker_lost:worker=node-a");
  auto nb = Open("worker_lost:worker=node-b");
  ASSERT_TRUE(na && nb);
  EXPECT_EQ(na->count, 20);
  EXPECT_EQ(nb->count, 10);
  EXPECT_EQ(Events().size(), 2u);
}

TEST_F(AlerterTest, ChecksDownAndUpAndLabelsAreCapped) {
  opts_.rules.max_label_values = 3;
  auto a = Make();
  a->OnCheckDown("nightly-backup", "no ping for 25h");
  ASSERT_TRUE(a->Flush().ok());
  ASSERT_TRUE(Open("check_down:check=nightly-backup").has_value());
  a->OnCheckUp("nightly-backup");
  ASSERT_TRUE(a->Flush().ok());
  EXPECT_FALSE(Open("check_down:check=nightly-backup").has_value());
  AttemptError e;
  e.message = "x";
  for (int i = 0; i < 10; ++i) {
    a->OnJobFinished(MakeJob(i, "kind" + std::to_string(i)), JobState::kDiscarded, 1ms, &e);
  }
  ASSERT_TRUE(a->Flush().ok());
  auto open = real_->AlertList(true, 100);
  ASSERT_TRUE(open.ok());
  EXPECT_EQ(open->size(), 4u);  // kind0..kind2 + "other"
  auto other = Open("job_discarded:kind=other");
  ASSERT_TRUE(other.has_value());
  EXPECT_EQ(other->count, 7);
}

TEST_F(AlerterTest, ScheduleObserverCheckTransitions) {
  auto a = Make();
  CheckTransition t;
  t.name = "nightly";
  t.from = CheckState::kUp;
  t.to = CheckState::kLate;
  a->OnCheckStateChanged(t);  // informational only
  ASSERT_TRUE(a->Flush().ok());
  EXPECT_TRUE(Events().empty());
  t.from = CheckState::kLate;
  t.to = CheckState::kDown;
  t.reason = "grace expired";
  t.schedule = "nightly-report";
  a->OnCheckStateChanged(t);
  ASSERT_TRUE(a->Flush().ok());
  auto open = Open("check_down:check=nightly");
  ASSERT_TRUE(open.has_value());
  EXPECT_NE(open->detail.find("grace expired"), std::string::npos);
  t.from = CheckState::kDown;
  t.to = CheckState::kUp;
  a->OnCheckStateChanged(t);
  ASSERT_TRUE(a->Flush().ok());
  EXPECT_FALSE(Open("check_down:check=nightly").has_value());
  ScheduleFireResult r;
  r.name = "broken";
  r.error = "cron: bad field";
  a->OnScheduleFired(r);
  ASSERT_TRUE(a->Flush().ok());
  EXPECT_TRUE(Open("schedule_broken:schedule=broken").has_value());
}

}  // namespace
}  // namespace steward
