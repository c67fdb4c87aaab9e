// The scheduler loop: exact firing across nodes, check events, run recording,
// and the start/stop contract. Real databases (SQLite file, PostgreSQL via the
// harness); the clock is a shared ManualClock.
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "runtime/scheduler.h"
#include "store/schedule_ops.h"
#include "support/pg_harness.h"
#include "support/temp_dir.h"

namespace steward::testing {
namespace {

using namespace std::chrono_literals;

Timestamp Base() {
  return std::chrono::time_point_cast<Micros>(
      std::chrono::sys_days{std::chrono::year{2026} / 3 / 2});
}

// Waits for `cond` with a deadline (never a sleep standing in for sync).
template <typename F>
bool Await(F cond, std::chrono::milliseconds timeout = 20s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(1ms);
  }
  return cond();
}

class RecordingObserver final : public ScheduleObserver, public RuntimeObserver {
 public:
  void OnCheckStateChanged(const CheckTransition& t) override {
    std::lock_guard l(mu_);
    transitions_.push_back(t.name + ":" + std::string(CheckStateName(t.from)) + "->" +
                           std::string(CheckStateName(t.to)));
  }
  void OnScheduleRunFinished(std::string_view s, int64_t, bool ok) override {
    std::lock_guard l(mu_);
    runs_.push_back(std::string(s) + (ok ? ":ok" : ":fail"));
  }
  void OnLoopTick(std::string_view loop) override {
    if (loop == "scheduler") ++ticks_;
  }
  void OnLoopStopped(std::string_view loop) override {
    if (loop == "scheduler") ++stopped_;
  }
  std::vector<std::string> transitions() {
    std::lock_guard l(mu_);
    return transitions_;
  }
  std::vector<std::string> runs() {
    std::lock_guard l(mu_);
    return runs_;
  }
  std::atomic<int> ticks_{0}, stopped_{0};

 private:
  std::mutex mu_;
  std::vector<std::string> transitions_, runs_;
};

class SchedulerTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::string FreshUrl() {
    if (GetParam() == "sqlite") return "sqlite://" + dir_.File("steward.db");
    return PostgresFreshDatabaseUrl();
  }
  static std::shared_ptr<Store> Open(const std::string& url) {
    auto s = OpenStore(url);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (!s.ok()) return nullptr;
    Status st = (*s)->Migrate();
    EXPECT_TRUE(st.ok()) << st.ToString();
    return std::shared_ptr<Store>(std::move(s).value());
  }
  SchedulerOptions Options(RecordingObserver* obs = nullptr) {
    SchedulerOptions o;
    o.clock = &clock_;
    o.max_sleep = 2ms;  // the manual clock moves without waking anyone
    o.observer = obs;
    o.schedule_observer = obs;
    return o;
  }

  TempDir dir_;
  ManualClock clock_{Base()};
};

TEST_P(SchedulerTest, ThreeNodesFireEverySecondExactlyOnce) {
  // 3 Store objects on one database, each with its own Scheduler thread,
  // driven by one ManualClock advanced in 1 s steps: 200 fire times must
  // give 200 jobs, no duplicate, no gap.
  const std::string url = FreshUrl();
  std::vector<std::shared_ptr<Store>> stores;
  for (int i = 0; i < 3; ++i) {
    stores.push_back(Open(url));
    ASSERT_NE(stores.back(), nullptr);
  }
  ScheduleSpec spec;
  spec.name = "tick";
  spec.cron = "@every 1s";
  spec.kind = "tick";
  ASSERT_TRUE(stores[0]->ScheduleUpsert(spec, clock_.Now()).ok());
  std::vector<std::unique_ptr<Scheduler>> schedulers;
  for (auto& s : stores) {
    schedulers.push_back(std::make_unique<Scheduler>(s, Options()));
    ASSERT_TRUE(schedulers.back()->Start().ok());
  }
  constexpr int kFires = 200;
  for (int i = 1; i <= kFires; ++i) {
    clock_.Advance(1s);
    const Timestamp expected = Base() + std::chrono::seconds(i);
    ASSERT_TRUE(Await([&] {
      auto s = stores[i % 3]->ScheduleGet("tick");
      return s.ok() && s->last_fired_at == expected;
    })) << "fire " << i << " did not happen";
  }
  for (auto& s : schedulers) s->Stop();

  JobListParams p;
  p.limit = 1000;
  auto jobs = stores[0]->JobList(p);
  ASSERT_TRUE(jobs.ok()) << jobs.status().ToString();
  EXPECT_EQ(jobs->size(), static_cast<size_t>(kFires));
  std::set<std::string> fire_times;
  for (const Job& j : *jobs) {
    fire_times.insert(nlohmann::json::parse(j.payload)["_steward"]["fire_time"].get<std::string>());
  }
  EXPECT_EQ(fire_times.size(), static_cast<size_t>(kFires)) << "duplicate fire times";
  for (int i = 1; i <= kFires; ++i) {
    EXPECT_TRUE(fire_times.count(FormatTimestamp(Base() + std::chrono::seconds(i))))
        << "gap at second " << i;
  }
}

TEST_P(SchedulerTest, CheckTransitionsRaiseEventsOnce) {
  auto store = Open(FreshUrl());
  ASSERT_NE(store, nullptr);
  RecordingObserver obs;
  Scheduler scheduler(store, Options(&obs));
  CheckSpec spec;
  spec.name = "backup";
  spec.period = 1min;
  spec.grace = 1min;
  ASSERT_TRUE(store->CheckUpsert(spec, clock_.Now()).ok());
  ASSERT_TRUE(scheduler.Start().ok());
  auto has = [&](size_t n) { return Await([&] { return obs.transitions().size() >= n; }); };

  CheckPingParams ping;
  ping.name = "backup";
  ping.at = clock_.Now();
  ASSERT_TRUE(store->CheckPing(ping).ok());
  ASSERT_TRUE(has(1));
  clock_.Advance(61s);
  ASSERT_TRUE(has(2));
  clock_.Advance(60s);
  ASSERT_TRUE(has(3));
  ping.at = clock_.Now();
  ASSERT_TRUE(store->CheckPing(ping).ok());
  ASSERT_TRUE(has(4));
  EXPECT_TRUE(Await([&] { return obs.ticks_.load() > 5; }));
  scheduler.Stop();
  EXPECT_EQ(obs.transitions(),
            (std::vector<std::string>{"backup:new->up", "backup:up->late", "backup:late->down",
                                      "backup:down->up"}));
  EXPECT_EQ(obs.stopped_.load(), 1);
}

TEST_P(SchedulerTest, FinishedJobsReachTheScheduleAndItsCheck) {
  auto store = Open(FreshUrl());
  ASSERT_NE(store, nullptr);
  RecordingObserver obs;
  Scheduler scheduler(store, Options(&obs));
  ScheduleSpec spec;
  spec.name = "nightly";
  spec.cron = "0 3 * * *";
  spec.time_zone = "Europe/Berlin";
  spec.kind = "report";
  ASSERT_TRUE(store->ScheduleUpsert(spec, clock_.Now()).ok());
  Job job;
  job.id = 7;
  job.unique_key = schedule_ops::JobKey("nightly", Base());
  EXPECT_EQ(ScheduleOfJob(job), "nightly");
  scheduler.run_recorder()->OnJobFinished(job, JobState::kRetryable, 1ms, nullptr);  // not final
  scheduler.run_recorder()->OnJobFinished(job, JobState::kDiscarded, 1ms, nullptr);
  ASSERT_TRUE(scheduler.RunOnce().ok());
  EXPECT_EQ(store->CheckGet("nightly")->state, CheckState::kDown);
  EXPECT_EQ(store->ScheduleGet("nightly")->consecutive_failures, 1);
  scheduler.run_recorder()->OnJobFinished(job, JobState::kCompleted, 1ms, nullptr);
  ASSERT_TRUE(scheduler.RunOnce().ok());
  EXPECT_EQ(store->CheckGet("nightly")->state, CheckState::kUp);
  EXPECT_EQ(*store->ScheduleGet("nightly")->last_success_at, clock_.Now());
  EXPECT_EQ(obs.runs(), (std::vector<std::string>{"nightly:fail", "nightly:ok"}));
  // A failed final attempt is a fail ping (down); the next success recovers.
  EXPECT_EQ(obs.transitions(),
            (std::vector<std::string>{"nightly:new->down", "nightly:down->up"}));
}

TEST_P(SchedulerTest, StartStopContract) {
  auto store = Open(FreshUrl());
  ASSERT_NE(store, nullptr);
  {
    Scheduler never_started(store, Options());
    never_started.Stop();
    never_started.Stop();
  }
  RecordingObserver obs;
  Scheduler s(store, Options(&obs));
  ASSERT_TRUE(s.Start().ok());
  EXPECT_EQ(s.Start().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Await([&] { return obs.ticks_.load() >= 2; }));
  s.Stop();
  s.Stop();
  EXPECT_EQ(obs.stopped_.load(), 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, SchedulerTest, ::testing::Values("sqlite", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace steward::testing
