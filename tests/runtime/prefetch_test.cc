// Claim-ahead (WorkerOptions::prefetch): jobs a worker holds beyond its free
// slots are leased like running jobs, handed back at once on shutdown,
// released when their queue is paused or when they wait past prefetch_hold,
// so a slow worker does not hold jobs a fast one could run. Both backends.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "runtime/runtime_fixture.h"
#include "steward/client.h"
#include "steward/worker.h"
#include "store/store.h"
#include "support/eventually.h"
#include "support/pg_harness.h"
#include "support/temp_dir.h"

namespace steward::testing {
namespace {

constexpr int kAhead = 5;  // prefetch of the worker under test

// The first job's handler blocks until `release` is set; the others return.
struct BlockingFirstJob {
  Handler handler() {
    return [this](JobContext&) {
      if (started.fetch_add(1) == 0) {
        first_running.Set();
        release.Wait(30s);
      }
      return Outcome::Success();
    };
  }
  std::atomic<int> started{0};
  Latch first_running, release;
};

class PrefetchTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string url = GetParam() == "sqlite" ? "sqlite://" + dir_.File("steward.db")
                                             : PostgresFreshDatabaseUrl();
    auto s = OpenStore(url);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    ASSERT_TRUE((*s)->Migrate().ok());
    store_ = std::shared_ptr<Store>(std::move(s).value());
    client_ = std::make_unique<Client>(store_);
  }

  // One slot and kAhead jobs claimed ahead; the hold is long unless a test
  // is about the hold.
  WorkerOptions OneSlotOptions(const std::string& id) {
    WorkerOptions o;
    o.worker_id = id;
    o.queues = {{"default", 1}};
    o.prefetch = kAhead;
    o.prefetch_hold = 20s;
    o.poll_interval = 1h;
    o.rescue_interval = 1h;  // nothing here may come back through the rescuer
    o.lease = 30s;  // the heartbeat beats every second
    o.shutdown_grace = 10s;
    return o;
  }

  std::unique_ptr<Worker> MakeWorker(WorkerOptions o) {
    auto w = Worker::Create(store_, std::move(o));
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    return std::move(w).value();
  }

  // `n` jobs of kind "work", claimed in id order.
  std::vector<int64_t> EnqueueWork(int n) {
    std::vector<NewJob> jobs(static_cast<size_t>(n));
    for (auto& j : jobs) j.kind = "work";
    auto r = client_->EnqueueMany(jobs);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::vector<int64_t> ids;
    if (r.ok()) {
      for (const auto& i : *r) ids.push_back(i.id);
    }
    return ids;
  }

  std::vector<Job> JobsIn(JobState state) {
    JobListParams p;
    p.queue = "default";
    p.state = state;
    p.limit = 1000;
    auto r = store_->JobList(p);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<Job>{};
  }

  // Handed back: pending again, no attempt counted, no lease.
  bool AllHandedBack(const std::vector<int64_t>& ids) {
    for (int64_t id : ids) {
      auto j = store_->JobGet(id);
      if (!j.ok() || j->state != JobState::kAvailable || j->attempt != 0 || j->lease_owner) {
        return false;
      }
    }
    return true;
  }

  // Starts `w` and waits until its slot runs the first job and kAhead more
  // are held.
  void StartHolding(Worker& w, BlockingFirstJob& work) {
    ASSERT_TRUE(w.Handle("work", work.handler()).ok());
    ASSERT_TRUE(w.Start().ok());
    ASSERT_TRUE(work.first_running.Wait());
    ASSERT_TRUE(Eventually([&] { return JobsIn(JobState::kRunning).size() == 1 + kAhead; }));
  }

  TempDir dir_;
  std::shared_ptr<Store> store_;
  std::unique_ptr<Client> client_;
};

TEST_P(PrefetchTest, WorkerClaimsAheadBeyondItsFreeSlots) {
  auto ids = EnqueueWork(1 + kAhead + 3);
  BlockingFirstJob work;
  auto w = MakeWorker(OneSlotOptions("ahead"));
  // One running, kAhead held under a lease; no more than that.
  ASSERT_NO_FATAL_FAILURE(StartHolding(*w, work));
  for (const Job& j : JobsIn(JobState::kRunning)) EXPECT_EQ(j.lease_owner, "ahead");
  EXPECT_EQ(JobsIn(JobState::kAvailable).size(), 3u);
  work.release.Set();
  EXPECT_TRUE(Eventually([&] { return JobsIn(JobState::kCompleted).size() == ids.size(); }));
  w->Stop();
}

// A held job is "running" in the store, so a cancel flags it; the heartbeat
// delivers the flag and the executor then skips the handler. The first job's
// handler returns once its own cancel arrives, which is delivered with (or
// after) the held job's; it returns success, so that job completes.
TEST_P(PrefetchTest, JobCancelledWhileHeldNeverRuns) {
  auto ids = EnqueueWork(1 + kAhead);
  std::atomic<int> started{0};
  Latch first_running;
  auto w = MakeWorker(OneSlotOptions("cancel"));
  ASSERT_TRUE(w->Handle("work", [&](JobContext& ctx) {
                 if (started.fetch_add(1) == 0) {
                   first_running.Set();
                   Eventually([&] { return ctx.cancelled(); }, 30s);
                 }
                 return Outcome::Success();
               }).ok());
  ASSERT_TRUE(w->Start().ok());
  ASSERT_TRUE(first_running.Wait());
  ASSERT_TRUE(Eventually([&] { return JobsIn(JobState::kRunning).size() == 1 + kAhead; }));
  for (int64_t id : {ids[1], ids[0]}) {
    auto st = client_->Cancel(id);
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    EXPECT_EQ(*st, JobState::kRunning);  // flagged, as a running job is
  }
  EXPECT_TRUE(Eventually([&] { return JobsIn(JobState::kCompleted).size() == ids.size() - 1; }));
  w->Stop();
  EXPECT_EQ(store_->JobGet(ids[1])->state, JobState::kCancelled);
  EXPECT_EQ(started.load(), static_cast<int>(ids.size()) - 1);
}

TEST_P(PrefetchTest, GracefulShutdownHandsPrefetchedJobsBackAtOnceWithoutAnAttempt) {
  auto ids = EnqueueWork(1 + kAhead);
  BlockingFirstJob work;
  auto w = MakeWorker(OneSlotOptions("stopping"));
  ASSERT_NO_FATAL_FAILURE(StartHolding(*w, work));

  std::thread stopper([&] { w->Stop(); });
  // While the first handler still runs (inside the grace period), the held
  // jobs are already pending again for any worker.
  std::vector<int64_t> held(ids.begin() + 1, ids.end());
  EXPECT_TRUE(Eventually([&] { return AllHandedBack(held); }));
  EXPECT_EQ(work.started.load(), 1);
  work.release.Set();
  stopper.join();
  EXPECT_EQ(work.started.load(), 1);
  auto first = store_->JobGet(ids[0]);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->state, JobState::kCompleted);
  EXPECT_TRUE(AllHandedBack(held));
}

// Documented behaviour: a paused queue's held jobs are released (within one
// heartbeat tick), not kept waiting; running handlers finish.
TEST_P(PrefetchTest, PausedQueueReleasesPrefetchedJobsAndStartsNone) {
  auto ids = EnqueueWork(1 + kAhead);
  BlockingFirstJob work;
  auto w = MakeWorker(OneSlotOptions("paused"));
  ASSERT_NO_FATAL_FAILURE(StartHolding(*w, work));

  ASSERT_TRUE(store_->QueueSetPaused("default", true).ok());
  std::vector<int64_t> held(ids.begin() + 1, ids.end());
  EXPECT_TRUE(Eventually([&] { return AllHandedBack(held); }));
  work.release.Set();
  // The slot is free now; nothing may start from the paused queue.
  ASSERT_TRUE(Eventually([&] { return JobsIn(JobState::kCompleted).size() == 1; }));
  w->Stop();
  EXPECT_EQ(work.started.load(), 1);
  EXPECT_TRUE(AllHandedBack(held));
}

TEST_P(PrefetchTest, PrefetchedJobsNotStartedWithinTheHoldAreReleased) {
  auto ids = EnqueueWork(1 + kAhead);
  BlockingFirstJob work;
  auto o = OneSlotOptions("holder");
  o.prefetch_hold = 200ms;
  auto w = MakeWorker(o);
  ASSERT_TRUE(w->Handle("work", work.handler()).ok());
  ASSERT_TRUE(w->Start().ok());
  ASSERT_TRUE(work.first_running.Wait());
  // The slot stays busy, so the worker never starts the jobs it took ahead:
  // they go back (and, claimed again, go back again) rather than wait here.
  std::vector<int64_t> held(ids.begin() + 1, ids.end());
  EXPECT_TRUE(Eventually([&] { return AllHandedBack(held); }, 20s));
  work.release.Set();
  EXPECT_TRUE(Eventually([&] { return JobsIn(JobState::kCompleted).size() == ids.size(); }));
  w->Stop();
  for (int64_t id : held) {
    auto j = store_->JobGet(id);
    ASSERT_TRUE(j.ok());
    EXPECT_EQ(j->attempt, 1) << "a release must not count an attempt";
  }
}

// Two nodes on one queue: the slow one's slot is stuck on its first job, so
// every other job must be run by the fast one, including those the slow one
// claimed ahead before the fast one started. The slow handler returns only
// once all of them completed: without the release rule this never happens.
TEST_P(PrefetchTest, SlowWorkerDoesNotHoldJobsTheFastOneCouldRun) {
  constexpr int kJobs = 30;
  auto ids = EnqueueWork(kJobs);
  std::atomic<int> slow_started{0}, fast_started{0};
  Latch slow_running;
  auto slow_opts = OneSlotOptions("slow");
  slow_opts.prefetch = 8;
  slow_opts.prefetch_hold = 200ms;
  auto slow = MakeWorker(slow_opts);
  ASSERT_TRUE(slow->Handle("work", [&](JobContext&) {
                    slow_started++;
                    slow_running.Set();
                    Eventually([&] { return JobsIn(JobState::kCompleted).size() == kJobs - 1; },
                               30s);
                    return Outcome::Success();
                  }).ok());
  ASSERT_TRUE(slow->Start().ok());
  ASSERT_TRUE(slow_running.Wait());
  ASSERT_TRUE(Eventually([&] { return JobsIn(JobState::kRunning).size() == 1 + 8u; }));

  auto fast_opts = OneSlotOptions("fast");
  fast_opts.queues = {{"default", 4}};
  auto fast = MakeWorker(fast_opts);
  ASSERT_TRUE(fast->Handle("work", [&](JobContext&) {
                    fast_started++;
                    return Outcome::Success();
                  }).ok());
  ASSERT_TRUE(fast->Start().ok());
  EXPECT_TRUE(Eventually([&] { return JobsIn(JobState::kCompleted).size() == kJobs; }, 30s));
  slow->Stop();
  fast->Stop();
  EXPECT_EQ(slow_started.load(), 1);
  EXPECT_EQ(fast_started.load(), kJobs - 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, PrefetchTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace steward::testing
