// Recovery: a dead worker's jobs are rescued; a live one's never are; jobs
// whose run_at passed while nothing ran are caught up in order.
#include <algorithm>
#include <atomic>
#include <random>

#include "runtime/runtime_fixture.h"

namespace steward::testing {
namespace {

TEST_F(RuntimeTest, DeadWorkersJobsAreRescuedAndRun) {
  ManualClock clock(SystemClock().Now());
  // A worker that claimed 5 jobs and died (it will never heartbeat).
  std::vector<NewJob> jobs(5);
  for (auto& j : jobs) j.kind = "task";
  ASSERT_TRUE(store_->JobInsertMany(jobs, clock.Now()).ok());
  auto claimed = store_->JobClaim(JobClaimParams{.queue = "default", .limit = 5, .worker_id = "dead",
                                                 .now = clock.Now(), .lease_until = clock.Now() + 30s});
  ASSERT_TRUE(claimed.ok());
  ASSERT_EQ(claimed->size(), 5u);

  auto o = FastOptions();
  o.clock = &clock;
  auto w = MakeWorker(o);
  std::atomic<int> ran{0};
  ASSERT_TRUE(w->Handle("task", [&](JobContext& ctx) {
                 EXPECT_EQ(ctx.attempt(), 2);  // the lost attempt counts
                 ++ran;
                 return Outcome::Success();
               }).ok());
  ASSERT_TRUE(w->Start().ok());
  // Before the lease expires nothing may be rescued.
  ASSERT_TRUE(store_->JobRescueExpired(JobRescueParams{.now = clock.Now()}).ok());
  clock.Advance(31s);
  for (const auto& j : *claimed) {
    Job done = AwaitState(j.id, JobState::kCompleted);
    ASSERT_EQ(done.errors.size(), 1u);
    EXPECT_NE(done.errors[0].message.find("lease expired"), std::string::npos);
  }
  EXPECT_EQ(ran.load(), 5);
  w->Stop();
}

TEST_F(RuntimeTest, HeartbeatKeepsLongJobFromBeingRescued) {
  auto o = FastOptions();
  o.lease = 1s;  // heartbeat every ~333 ms
  auto runner = MakeWorker(o);
  // A second worker whose rescuer runs every 100 ms and would take the job
  // if its lease ever lapsed.
  auto o2 = FastOptions();
  o2.rescue_interval = 50ms;
  auto watcher = MakeWorker(o2);
  std::atomic<int> runs{0};
  ASSERT_TRUE(runner
                  ->Handle("long",
                           [&](JobContext&) {
                             ++runs;
                             std::this_thread::sleep_for(2500ms);  // the work: 2.5 leases long
                             return Outcome::Success();
                           })
                  .ok());
  ASSERT_TRUE(watcher
                  ->Handle("long",
                           [&](JobContext&) {
                             ++runs;
                             return Outcome::Success();
                           })
                  .ok());
  ASSERT_TRUE(runner->Start().ok());
  NewJob j;
  j.kind = "long";
  int64_t id = Enqueue(j);
  // Wait until the runner holds the job before the watcher starts.
  AwaitState(id, JobState::kRunning);
  ASSERT_TRUE(watcher->Start().ok());
  Job done = AwaitState(id, JobState::kCompleted, 10s);
  EXPECT_EQ(done.attempt, 1);
  EXPECT_TRUE(done.errors.empty());
  EXPECT_EQ(runs.load(), 1);
  watcher->Stop();
  runner->Stop();
}

// Two weeks of downtime with 10,000 jobs due: all run as soon as the worker
// is back, in priority then run_at order.
TEST_F(RuntimeTest, CatchUpAfterTwoWeeksOfDowntimeRunsEverythingInOrder) {
  const Timestamp t0 = FromMicros(1'767'225'600'000'000);  // 2026-01-01T00:00:00Z
  ManualClock clock(t0);
  std::mt19937 rng(42);
  std::vector<NewJob> jobs(10000);
  for (size_t i = 0; i < jobs.size(); ++i) {
    jobs[i].kind = "tick";
    jobs[i].priority = static_cast<int>(rng() % 3);
    jobs[i].run_at = t0 + std::chrono::seconds(rng() % (14 * 24 * 3600));
    jobs[i].payload = "{\"i\":" + std::to_string(i) + "}";
  }
  ASSERT_TRUE(store_->JobInsertMany(jobs, t0).ok());
  // The process was down for two weeks and a day.
  clock.Advance(std::chrono::hours(24 * 15));

  auto o = FastOptions();
  o.clock = &clock;
  o.queues = {{"default", 1}};  // one at a time, so the order is observable
  auto w = MakeWorker(o);
  std::mutex mu;
  std::vector<std::pair<int, Timestamp>> order;
  std::atomic<int> ran{0};
  Latch all;
  ASSERT_TRUE(w->Handle("tick", [&](JobContext& ctx) {
                 {
                   std::lock_guard l(mu);
                   order.emplace_back(ctx.job().priority, ctx.run_at());
                 }
                 if (++ran == 10000) all.Set();
                 return Outcome::Success();
               }).ok());
  ASSERT_TRUE(w->Start().ok());
  ASSERT_TRUE(all.Wait(120s)) << "ran " << ran.load() << " of 10000";
  w->Stop();
  ASSERT_EQ(order.size(), 10000u);
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end()))
      << "jobs must run in priority, then run_at order";
  auto stats = store_->QueueStatsAll(clock.Now());
  ASSERT_TRUE(stats.ok());
  ASSERT_EQ(stats->size(), 1u);
  EXPECT_EQ(stats->at(0).completed, 10000);
  EXPECT_EQ(stats->at(0).due, 0);
}

}  // namespace
}  // namespace steward::testing
