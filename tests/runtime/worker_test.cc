// The worker runtime against a real SQLite store: wake-ups, outcomes,
// retries, timeouts, cancellation, shutdown.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>

#include "runtime/runtime_fixture.h"
#include "support/eventually.h"

namespace steward::testing {
namespace {

NewJob Job1(std::string kind, std::string payload = "{}") {
  NewJob j;
  j.kind = std::move(kind);
  j.payload = std::move(payload);
  return j;
}

TEST_F(RuntimeTest, EnqueueWakesIdleWorkerWithoutPolling) {
  auto w = MakeWorker(FastOptions());  // poll interval: 1 h
  Latch ran;
  ASSERT_TRUE(w->Handle("ping", [&](JobContext&) {
                 ran.Set();
                 return Outcome::Success();
               }).ok());
  ASSERT_TRUE(w->Start().ok());
  // Let the fetcher go idle first, so the job can only arrive by a wake-up.
  ASSERT_TRUE(store_->JobNextRunAt("default").ok());
  int64_t id = Enqueue(Job1("ping"));
  EXPECT_TRUE(ran.Wait(5s)) << "an in-process enqueue must wake the idle fetcher";
  AwaitState(id, JobState::kCompleted);
  w->Stop();
}

TEST_F(RuntimeTest, DelayedJobRunsAtRunAtNotBefore) {
  auto w = MakeWorker(FastOptions());
  std::atomic<int64_t> ran_at{0};
  Latch ran;
  ASSERT_TRUE(w->Handle("later", [&](JobContext&) {
                 ran_at = ToMicros(SystemClock().Now());
                 ran.Set();
                 return Outcome::Success();
               }).ok());
  ASSERT_TRUE(w->Start().ok());
  NewJob j = Job1("later");
  j.run_at = SystemClock().Now() + 400ms;
  Enqueue(j);
  // With a 1 h poll interval this only passes if the fetcher sleeps until run_at.
  ASSERT_TRUE(ran.Wait(5s));
  EXPECT_GE(ran_at.load(), ToMicros(*j.run_at));
  w->Stop();
}

TEST_F(RuntimeTest, FailuresRetryWithBackoffThenSucceed) {
  auto w = MakeWorker(FastOptions());
  std::atomic<int> calls{0};
  ASSERT_TRUE(w->Handle("flaky", [&](JobContext& ctx) {
                 ++calls;
                 if (ctx.attempt() < 3)
                   throw std::runtime_error("boom " + std::to_string(ctx.attempt()));
                 return Outcome::Success();
               }).ok());
  ASSERT_TRUE(w->Start().ok());
  int64_t id = Enqueue(Job1("flaky"));
  Job j = AwaitState(id, JobState::kCompleted);
  EXPECT_EQ(j.attempt, 3);
  EXPECT_EQ(calls.load(), 3);
  ASSERT_EQ(j.errors.size(), 2u);
  EXPECT_EQ(j.errors[0].message, "boom 1");
  EXPECT_EQ(j.errors[1].message, "boom 2");
  EXPECT_EQ(j.errors[1].attempt, 2);
  // Backoff: the second failure waited at least base * 2 = 20 ms after the first.
  EXPECT_GE(j.errors[1].at - j.errors[0].at, 10ms);
  w->Stop();
}

TEST_F(RuntimeTest, ExhaustedAttemptsDiscard) {
  auto w = MakeWorker(FastOptions());
  ASSERT_TRUE(
      w->Handle("always_fails", [&](JobContext&) { return Outcome::Failure("nope"); }).ok());
  ASSERT_TRUE(w->Start().ok());
  NewJob nj = Job1("always_fails");
  nj.max_attempts = 2;
  Job j = AwaitState(Enqueue(nj), JobState::kDiscarded);
  EXPECT_EQ(j.attempt, 2);
  EXPECT_EQ(j.errors.size(), 2u);
  w->Stop();
}

TEST_F(RuntimeTest, DiscardIsPermanentAndSnoozeDoesNotCountAttempt) {
  auto w = MakeWorker(FastOptions());
  std::atomic<int> snoozes{0};
  ASSERT_TRUE(
      w->Handle("bad", [&](JobContext&) { return Outcome::Discard("invalid address"); }).ok());
  ASSERT_TRUE(w->Handle("sleepy", [&](JobContext& ctx) {
                 if (snoozes++ < 2) return Outcome::Snooze(20ms);
                 EXPECT_EQ(ctx.attempt(), 1);
                 return Outcome::Success();
               }).ok());
  ASSERT_TRUE(w->Start().ok());
  Job bad = AwaitState(Enqueue(Job1("bad")), JobState::kDiscarded);
  EXPECT_EQ(bad.attempt, 1);
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_EQ(bad.errors[0].message, "invalid address");
  Job sleepy = AwaitState(Enqueue(Job1("sleepy")), JobState::kCompleted);
  EXPECT_EQ(sleepy.attempt, 1);
  EXPECT_EQ(snoozes.load(), 3);
  w->Stop();
}

TEST_F(RuntimeTest, UnknownKindIsDiscardedAtOnceNamingHandledKinds) {
  auto o = FastOptions();
  o.worker_id = "worker-7";
  auto w = MakeWorker(o);
  ASSERT_TRUE(w->Handle("email", [](JobContext&) { return Outcome::Success(); }).ok());
  ASSERT_TRUE(w->Handle("resize", [](JobContext&) { return Outcome::Success(); }).ok());
  ASSERT_TRUE(w->Start().ok());
  NewJob nj = Job1("nobody_handles_this");
  ASSERT_EQ(nj.max_attempts, 20);  // the default: retrying would burn all of them
  Job j = AwaitState(Enqueue(nj), JobState::kDiscarded);
  EXPECT_EQ(j.attempt, 1);
  ASSERT_EQ(j.errors.size(), 1u);
  EXPECT_EQ(j.errors[0].message,
            "no handler registered for kind \"nobody_handles_this\" on worker worker-7 "
            "(it handles: email, resize)");
  w->Stop();
}

TEST_F(RuntimeTest, HandleAfterStartIsRefused) {
  auto w = MakeWorker(FastOptions());
  std::atomic<int> first{0};
  ASSERT_TRUE(w->Handle("k", [&](JobContext&) {
                 ++first;
                 return Outcome::Success();
               }).ok());
  ASSERT_TRUE(w->Start().ok());
  Status late = w->Handle("k", [](JobContext&) { return Outcome::Discard("replaced"); });
  EXPECT_EQ(late.code(), StatusCode::kFailedPrecondition) << late.ToString();
  EXPECT_EQ(w->Handle("other", [](JobContext&) { return Outcome::Success(); }).code(),
            StatusCode::kFailedPrecondition);
  // The handler registered before Start still runs.
  AwaitState(Enqueue(Job1("k")), JobState::kCompleted);
  EXPECT_EQ(first.load(), 1);
  EXPECT_EQ(w->Start().code(), StatusCode::kFailedPrecondition) << "a worker starts once";
  w->Stop();
  EXPECT_EQ(w->Start().code(), StatusCode::kFailedPrecondition) << "not even after Stop";
}

TEST_F(RuntimeTest, HandleRefusesBadKindNamesAndEmptyHandlers) {
  auto w = MakeWorker(FastOptions());
  EXPECT_EQ(w->Handle("", [](JobContext&) { return Outcome::Success(); }).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(w->Handle("has space", [](JobContext&) { return Outcome::Success(); }).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(w->Handle("ok", Handler{}).code(), StatusCode::kInvalidArgument);
}

TEST_F(RuntimeTest, TimeoutCancelsHandlerAndFailsAttempt) {
  auto o = FastOptions();
  auto w = MakeWorker(o);
  Latch saw_cancel;
  KindOptions ko;
  ko.timeout = 300ms;
  ASSERT_TRUE(w->Handle(
                   "slow",
                   [&](JobContext& ctx) {
                     auto until = std::chrono::steady_clock::now() + 10s;
                     while (!ctx.cancelled() && std::chrono::steady_clock::now() < until) {
                       std::this_thread::sleep_for(5ms);
                     }
                     if (ctx.cancelled()) saw_cancel.Set();
                     return Outcome::Success();  // ignored: the attempt already timed out
                   },
                   ko)
                  .ok());
  ASSERT_TRUE(w->Start().ok());
  NewJob nj = Job1("slow");
  nj.max_attempts = 1;
  Job j = AwaitState(Enqueue(nj), JobState::kDiscarded);
  EXPECT_TRUE(saw_cancel.Wait(5s));
  ASSERT_EQ(j.errors.size(), 1u);
  EXPECT_NE(j.errors[0].message.find("timeout"), std::string::npos);
  w->Stop();
}

TEST_F(RuntimeTest, CancellationReachesRunningHandler) {
  auto w = MakeWorker(FastOptions());
  Latch started, saw_cancel;
  ASSERT_TRUE(w->Handle("long", [&](JobContext& ctx) {
                 started.Set();
                 auto until = std::chrono::steady_clock::now() + 10s;
                 while (!ctx.cancelled() && std::chrono::steady_clock::now() < until) {
                   std::this_thread::sleep_for(5ms);
                 }
                 if (ctx.cancelled()) saw_cancel.Set();
                 return Outcome::Failure("stopped early");
               }).ok());
  ASSERT_TRUE(w->Start().ok());
  int64_t id = Enqueue(Job1("long"));
  ASSERT_TRUE(started.Wait());
  auto st = client_->Cancel(id);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(*st, JobState::kRunning);
  EXPECT_TRUE(saw_cancel.Wait(5s));
  AwaitState(id, JobState::kCancelled);
  w->Stop();
}

TEST_F(RuntimeTest, GracefulShutdownLetsShortJobsFinish) {
  auto w = MakeWorker(FastOptions());
  Latch started;
  ASSERT_TRUE(w->Handle("short", [&](JobContext&) {
                 started.Set();
                 std::this_thread::sleep_for(200ms);  // the work itself, not synchronisation
                 return Outcome::Success();
               }).ok());
  ASSERT_TRUE(w->Start().ok());
  int64_t id = Enqueue(Job1("short"));
  ASSERT_TRUE(started.Wait());
  w->Stop();
  auto j = store_->JobGet(id);
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j->state, JobState::kCompleted);
}

TEST_F(RuntimeTest, ShutdownPastGraceHandsBackRunningJobs) {
  auto o = FastOptions();
  o.shutdown_grace = 100ms;
  auto w = MakeWorker(o);
  Latch started;
  std::atomic<bool> cancelled_seen{false};
  ASSERT_TRUE(w->Handle("stubborn", [&](JobContext& ctx) {
                 started.Set();
                 auto until = std::chrono::steady_clock::now() + 10s;
                 while (!ctx.cancelled() && std::chrono::steady_clock::now() < until) {
                   std::this_thread::sleep_for(5ms);
                 }
                 cancelled_seen = ctx.cancelled();
                 return Outcome::Success();
               }).ok());
  ASSERT_TRUE(w->Start().ok());
  int64_t id = Enqueue(Job1("stubborn"));
  ASSERT_TRUE(started.Wait());
  auto t0 = std::chrono::steady_clock::now();
  w->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 4s);
  EXPECT_TRUE(cancelled_seen.load());
  auto j = store_->JobGet(id);
  ASSERT_TRUE(j.ok());
  // Handed back: pending again, the interrupted attempt not counted.
  EXPECT_EQ(j->state, JobState::kAvailable);
  EXPECT_EQ(j->attempt, 0);
  EXPECT_FALSE(j->lease_owner.has_value());
}

TEST_F(RuntimeTest, ConcurrencyLimitIsRespected) {
  auto o = FastOptions();
  o.queues = {{"default", 3}};
  auto w = MakeWorker(o);
  std::atomic<int> now_running{0}, max_running{0}, done{0};
  ASSERT_TRUE(w->Handle("work", [&](JobContext&) {
                 int n = ++now_running;
                 int m = max_running.load();
                 while (n > m && !max_running.compare_exchange_weak(m, n)) {
                 }
                 std::this_thread::sleep_for(20ms);
                 --now_running;
                 ++done;
                 return Outcome::Success();
               }).ok());
  std::vector<NewJob> jobs(20, Job1("work"));
  ASSERT_TRUE(client_->EnqueueMany(jobs).ok());
  ASSERT_TRUE(w->Start().ok());
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (done.load() < 20 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  w->Stop();
  EXPECT_EQ(done.load(), 20);
  EXPECT_EQ(max_running.load(), 3);
}

// Executors wake one another (QueueSlots: at most one wake-up in flight,
// passed on while jobs are left): a burst of jobs that each block until all
// of them run must still reach every executor.
TEST_F(RuntimeTest, BurstReachesEveryIdleExecutor) {
  constexpr int kSlots = 16;
  auto o = FastOptions();
  o.queues = {{"default", kSlots}};
  auto w = MakeWorker(o);
  std::mutex mu;
  std::condition_variable cv;
  int arrived = 0;
  std::atomic<int> all_together{0};
  ASSERT_TRUE(w->Handle("work", [&](JobContext&) {
                 std::unique_lock lock(mu);
                 ++arrived;
                 cv.notify_all();
                 if (cv.wait_for(lock, 10s, [&] { return arrived >= kSlots; })) ++all_together;
                 return Outcome::Success();
               }).ok());
  ASSERT_TRUE(w->Start().ok());
  std::vector<NewJob> jobs(kSlots, Job1("work"));
  ASSERT_TRUE(client_->EnqueueMany(jobs).ok());
  {
    std::unique_lock lock(mu);
    EXPECT_TRUE(cv.wait_for(lock, 10s, [&] { return arrived >= kSlots; }))
        << "only " << arrived << " of " << kSlots << " jobs started at once";
  }
  w->Stop();
  EXPECT_EQ(all_together.load(), kSlots);
}

struct Greeting {
  std::string name;
  int times = 0;
};
void from_json(const nlohmann::json& j, Greeting& g) {
  j.at("name").get_to(g.name);
  j.at("times").get_to(g.times);
}
void to_json(nlohmann::json& j, const Greeting& g) { j = {{"name", g.name}, {"times", g.times}}; }

TEST_F(RuntimeTest, TypedHandlersConvertPayloads) {
  auto w = MakeWorker(FastOptions());
  std::string got;
  Latch ran;
  ASSERT_TRUE(w->Handle<Greeting>("greet", [&](JobContext&, const Greeting& g) {
                 got = g.name + "x" + std::to_string(g.times);
                 ran.Set();
                 return Outcome::Success();
               }).ok());
  ASSERT_TRUE(w->Start().ok());
  auto ok = client_->Enqueue("greet", Greeting{"ada", 2});
  ASSERT_TRUE(ok.ok());
  ASSERT_TRUE(ran.Wait());
  EXPECT_EQ(got, "adax2");
  // A payload that does not convert is discarded: retrying cannot fix it.
  NewJob bad = Job1("greet", R"({"name": 5})");
  Job j = AwaitState(Enqueue(bad), JobState::kDiscarded);
  ASSERT_EQ(j.errors.size(), 1u);
  EXPECT_NE(j.errors[0].message.find("payload does not match type"), std::string::npos);
  w->Stop();
}

TEST_F(RuntimeTest, StopWithoutStartAndDoubleStopAreHarmless) {
  auto w = MakeWorker(FastOptions());
  w->Stop();
  auto w2 = MakeWorker(FastOptions());
  ASSERT_TRUE(w2->Start().ok());
  EXPECT_EQ(w2->Start().code(), StatusCode::kFailedPrecondition);
  w2->Stop();
  w2->Stop();
}

TEST_F(RuntimeTest, InvalidOptionsAreRejected) {
  WorkerOptions o = FastOptions();
  o.queues = {{"default", 0}};
  auto w = Worker::Create(store_, o);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(w.status().message().find("concurrency"), std::string::npos);
  o.queues = {{"bad queue!", 1}};
  EXPECT_EQ(Worker::Create(store_, o).status().code(), StatusCode::kInvalidArgument);
  o = FastOptions();
  o.prefetch = -1;
  EXPECT_NE(Worker::Create(store_, o).status().message().find("prefetch"), std::string::npos);
  o = FastOptions();
  o.prefetch_hold = Micros(0);
  EXPECT_NE(Worker::Create(store_, o).status().message().find("prefetch_hold"), std::string::npos);
}

}  // namespace
// Client::Retry is "run it again now" (store/job_run_again.h): a job waiting
// for its run_at runs now with its attempts kept; a completed job runs again
// only with force.
TEST_F(RuntimeTest, ClientRetryRunsPendingNowAndCompletedOnlyWithForce) {
  std::atomic<int> runs{0};
  auto w = MakeWorker(FastOptions());
  ASSERT_TRUE(w->Handle("count", [&](JobContext&) {
                 runs.fetch_add(1);
                 return Outcome::Success();
               }).ok());
  ASSERT_TRUE(w->Start().ok());
  NewJob later;
  later.kind = "count";
  later.run_at = SystemClock().Now() + std::chrono::hours(24);
  int64_t id = Enqueue(later);
  ASSERT_EQ(store_->JobGet(id)->state, JobState::kScheduled);

  ASSERT_TRUE(client_->Retry(id).ok());
  Job done = AwaitState(id, JobState::kCompleted);
  EXPECT_EQ(done.attempt, 1);
  EXPECT_EQ(runs.load(), 1);

  Status refused = client_->Retry(id);
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition) << refused.ToString();
  EXPECT_EQ(store_->JobGet(id)->state, JobState::kCompleted);

  ASSERT_TRUE(client_->Retry(id, Client::RetryOptions{.force = true}).ok());
  EXPECT_TRUE(steward::testing::Eventually([&] { return runs.load() == 2; }));
  AwaitState(id, JobState::kCompleted);
  w->Stop();
}

}  // namespace steward::testing
