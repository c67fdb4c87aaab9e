// ActivityRollup: runtime events counted per minute and queue, flushed to
// the store's rollups. RollupBuffer is tested on its own; the tests named
// *StoreIntegration* read the rows back through the store's StatsQuery
// (they need the store branch's DashboardStore methods).
#include "watch/activity_rollup.h"

#include <gtest/gtest.h>

#include <thread>

#include "open_store.h"
#include "support/eventually.h"
#include "support/temp_dir.h"
#include "watch/fault_store.h"
#include "steward/client.h"
#include "steward/worker.h"

namespace steward {
namespace {

using namespace std::chrono_literals;

const Timestamp kMinute = FromMicros(1'790'000'040'000'000);  // a whole minute (UTC)

Job InQueue(const std::string& queue) {
  Job j;
  j.id = 1;
  j.kind = "k";
  j.queue = queue;
  return j;
}

int64_t Waits(const JobStatsRow& r) {
  int64_t n = 0;
  for (int64_t c : r.wait) n += c;
  return n;
}

TEST(RollupBufferTest, OutcomesCountInTheirMinuteAndQueue) {
  ASSERT_EQ(ToMicros(kMinute) % 60'000'000, 0);
  RollupBuffer b(100);
  b.AddFinished(kMinute + 1s, "default", JobState::kCompleted);
  b.AddFinished(kMinute + 59s, "default", JobState::kCompleted);
  b.AddFinished(kMinute + 2s, "default", JobState::kRetryable);
  b.AddFinished(kMinute + 3s, "default", JobState::kDiscarded);
  b.AddFinished(kMinute + 4s, "default", JobState::kCancelled);
  b.AddFinished(kMinute + 5s, "default", JobState::kScheduled);  // a snooze counts nothing
  b.AddFinished(kMinute + 60s, "default", JobState::kCompleted);  // the next minute
  b.AddFinished(kMinute + 6s, "email", JobState::kCompleted);
  b.AddStarted(kMinute + 7s, "email", 3ms);
  b.AddStarted(kMinute + 8s, "email", 3ms);
  b.AddStarted(kMinute + 9s, "email", 10min);
  auto rows = b.Take();
  EXPECT_EQ(b.size(), 0u);
  ASSERT_EQ(rows.size(), 3u);
  // Oldest minute first, then by queue.
  EXPECT_EQ(rows[0].bucket_start, kMinute);
  EXPECT_EQ(rows[0].queue, "default");
  EXPECT_EQ(rows[0].completed, 2);
  EXPECT_EQ(rows[0].failed, 2) << "retryable and discarded attempts failed";
  EXPECT_EQ(rows[0].discarded, 1);
  EXPECT_EQ(rows[0].cancelled, 1);
  EXPECT_EQ(Waits(rows[0]), 0);
  EXPECT_EQ(rows[1].bucket_start, kMinute);
  EXPECT_EQ(rows[1].queue, "email");
  EXPECT_EQ(rows[1].completed, 1);
  EXPECT_EQ(rows[1].wait[WaitBucket(3ms)], 2);
  EXPECT_EQ(rows[1].wait[WaitBucket(10min)], 1);
  EXPECT_NE(WaitBucket(3ms), WaitBucket(10min));
  EXPECT_EQ(rows[2].bucket_start, kMinute + 1min);
  EXPECT_EQ(rows[2].completed, 1);
}

TEST(RollupBufferTest, RescuedJobsFailedAndTheExhaustedAreDiscarded) {
  RollupBuffer b(100);
  b.AddRescued(kMinute, "default", JobState::kRetryable);
  b.AddRescued(kMinute, "default", JobState::kDiscarded);
  auto rows = b.Take();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].failed, 2);
  EXPECT_EQ(rows[0].discarded, 1);
  EXPECT_EQ(rows[0].completed, 0);
}

TEST(RollupBufferTest, PutBackAddsToNewerCountsAndDropsTheOldestBeyondTheBound) {
  RollupBuffer b(3);
  b.AddFinished(kMinute, "q", JobState::kCompleted);
  b.AddFinished(kMinute + 1min, "q", JobState::kCompleted);
  auto failed_flush = b.Take();
  // While the flush was failing, more came in: one in a minute already
  // taken, two in new minutes.
  b.AddFinished(kMinute + 1min, "q", JobState::kCompleted);
  b.AddFinished(kMinute + 2min, "q", JobState::kRetryable);
  b.AddFinished(kMinute + 3min, "q", JobState::kCancelled);
  b.PutBack(failed_flush);
  EXPECT_EQ(b.size(), 3u);
  EXPECT_EQ(b.TakeDropped(), 1) << "four minutes pending, three kept";
  EXPECT_EQ(b.TakeDropped(), 0);
  auto rows = b.Take();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].bucket_start, kMinute + 1min) << "the oldest minute went";
  EXPECT_EQ(rows[0].completed, 2) << "the put-back delta adds to the newer one";
  EXPECT_EQ(rows[1].failed, 1);
  EXPECT_EQ(rows[2].cancelled, 1);

  // Full: a new minute pushes out the oldest; an older one is dropped itself.
  RollupBuffer full(2);
  full.AddFinished(kMinute + 1min, "q", JobState::kCompleted);
  full.AddFinished(kMinute + 2min, "q", JobState::kCompleted);
  full.AddFinished(kMinute, "q", JobState::kCompleted);
  full.AddFinished(kMinute + 3min, "q", JobState::kCompleted);
  EXPECT_EQ(full.TakeDropped(), 2);
  rows = full.Take();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].bucket_start, kMinute + 2min);
  EXPECT_EQ(rows[1].bucket_start, kMinute + 3min);
}

// Runs on any branch: with StatsMerge failing nothing is lost from memory,
// and concurrent events from many threads are all counted.
TEST(ActivityRollupTest, AFailingStoreKeepsTheDeltasAndTheJobPathIsThreadSafe) {
  testing::TempDir dir;
  auto faulty = std::make_shared<testing::FaultStore>(testing::OpenSqliteStore(dir, "r.db"));
  faulty->SetDashboardWritesFailing(true);
  ManualClock clock(kMinute + 5s);
  ActivityRollupOptions o;
  o.clock = &clock;
  ActivityRollup rollup(faulty, o);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) rollup.OnJobFinished(InQueue("q" + std::to_string(t % 2)), JobState::kCompleted, 1ms, nullptr);
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; i < 20; ++i) EXPECT_FALSE(rollup.Flush().ok());
  });
  for (auto& t : threads) t.join();
  EXPECT_EQ(rollup.pending_rows(), 2u);
  EXPECT_FALSE(rollup.Flush().ok());
  EXPECT_GE(faulty->stats_merges(), 1);
  EXPECT_EQ(rollup.pending_rows(), 2u) << "kept for the next try";
}

class ActivityRollupStoreIntegrationTest : public ::testing::Test {
 protected:
  std::vector<JobStatsRow> Rows() {
    JobStatsQuery q;
    q.since = kMinute - 1h;
    q.until = kMinute + 1h;
    auto r = store_->StatsQuery(q);
    last_error_ = r.ok() ? "" : r.status().ToString();  // polled: reported by the caller
    return r.ok() ? *r : std::vector<JobStatsRow>{};
  }

  std::string last_error_;
  testing::TempDir dir_;
  std::shared_ptr<Store> store_ = testing::OpenSqliteStore(dir_, "rollup.db");
  ManualClock clock_{kMinute + 10s};
};

TEST_F(ActivityRollupStoreIntegrationTest, DeltasKeptWhileTheStoreFailsArriveOnceItWorks) {
  auto faulty = std::make_shared<testing::FaultStore>(store_);
  ActivityRollupOptions o;
  o.clock = &clock_;
  ActivityRollup rollup(faulty, o);
  rollup.OnJobStarted(InQueue("default"), 5ms);
  rollup.OnJobFinished(InQueue("default"), JobState::kCompleted, 1ms, nullptr);
  faulty->SetDashboardWritesFailing(true);
  EXPECT_FALSE(rollup.Flush().ok());
  rollup.OnJobFinished(InQueue("default"), JobState::kDiscarded, 1ms, nullptr);
  rollup.OnJobsRescued({RescuedJob{.id = 2, .kind = "k", .queue = "default", .lost_worker = "w",
                                   .new_state = JobState::kRetryable}});
  faulty->SetDashboardWritesFailing(false);
  ASSERT_TRUE(rollup.Flush().ok());
  EXPECT_EQ(rollup.pending_rows(), 0u);
  auto rows = Rows();
  ASSERT_EQ(rows.size(), 1u) << last_error_;
  EXPECT_EQ(rows[0].bucket_start, kMinute);
  EXPECT_EQ(rows[0].completed, 1);
  EXPECT_EQ(rows[0].failed, 2);
  EXPECT_EQ(rows[0].discarded, 1);
  EXPECT_EQ(rows[0].wait[WaitBucket(5ms)], 1);
  ASSERT_TRUE(rollup.Flush().ok());
  EXPECT_EQ(Rows()[0].completed, 1) << "a flushed delta is not sent twice";
}

TEST_F(ActivityRollupStoreIntegrationTest, TheThreadFlushesEveryIntervalAndStopFlushesTheRest) {
  ActivityRollupOptions o;
  o.clock = &clock_;
  o.flush_interval = 20ms;
  ActivityRollup rollup(store_, o);
  rollup.Start();
  rollup.OnJobFinished(InQueue("default"), JobState::kCompleted, 1ms, nullptr);
  EXPECT_TRUE(testing::Eventually([&] {
    auto rows = Rows();
    return rows.size() == 1 && rows[0].completed == 1;
  })) << last_error_;
  o.flush_interval = 1h;
  ActivityRollup slow(store_, o);
  slow.Start();
  slow.OnJobFinished(InQueue("default"), JobState::kCancelled, 1ms, nullptr);
  slow.Stop();
  auto rows = Rows();
  ASSERT_EQ(rows.size(), 1u) << last_error_;
  EXPECT_EQ(rows[0].cancelled, 1) << "Stop flushed what was pending";
  EXPECT_EQ(rows[0].completed, 1) << "two nodes' deltas add up";
  rollup.Stop();
}

// The real worker as the source of events: every attempt is counted once.
TEST_F(ActivityRollupStoreIntegrationTest, AWorkersJobsAreCounted) {
  ActivityRollupOptions ro;
  ActivityRollup rollup(store_, ro);
  rollup.Start();
  WorkerOptions wo;
  wo.queues = {{"default", 2}};
  wo.observer = &rollup;
  wo.default_retry = RetryPolicy{.base = 1ms, .max = 1ms, .jitter = 0};
  auto w = Worker::Create(store_, wo);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ASSERT_TRUE((*w)->Handle("ok", [](JobContext&) { return Outcome::Success(); }).ok());
  ASSERT_TRUE((*w)->Handle("bad", [](JobContext&) { return Outcome::Failure("no"); }).ok());
  ASSERT_TRUE((*w)->Start().ok());
  Client client(store_);
  NewJob ok;
  ok.kind = "ok";
  NewJob bad;
  bad.kind = "bad";
  bad.max_attempts = 2;
  std::vector<int64_t> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(client.Enqueue(ok)->id);
  ids.push_back(client.Enqueue(bad)->id);
  ASSERT_TRUE(testing::Eventually([&] {
    for (int64_t id : ids) {
      auto j = store_->JobGet(id);
      if (!j.ok() || (j->state != JobState::kCompleted && j->state != JobState::kDiscarded)) return false;
    }
    return true;
  }));
  (*w)->Stop();
  rollup.Stop();
  JobStatsQuery q;
  q.since = SystemClock().Now() - 1h;
  q.until = SystemClock().Now() + 1h;
  auto rows = store_->StatsQuery(q);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  JobStatsRow sum;
  for (const auto& r : *rows) {
    EXPECT_EQ(r.queue, "default");
    sum.completed += r.completed;
    sum.failed += r.failed;
    sum.discarded += r.discarded;
    for (int i = 0; i < kWaitBuckets; ++i) sum.wait[i] += r.wait[i];
  }
  EXPECT_EQ(sum.completed, 3);
  EXPECT_EQ(sum.failed, 2) << "two failed attempts of the bad job";
  EXPECT_EQ(sum.discarded, 1);
  EXPECT_EQ(Waits(sum), 5) << "one wait per attempt started";
}

}  // namespace
}  // namespace steward
