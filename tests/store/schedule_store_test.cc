// Conformance: ScheduleStore (schedules, catch-up, overlap, checks).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <set>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/schedule_ops.h"
#include "store/store_fixture.h"

namespace steward::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A Monday, 00:00:00 UTC: hourly fire times are whole hours after it.
Timestamp Base() {
  return std::chrono::time_point_cast<Micros>(
      std::chrono::sys_days{std::chrono::year{2026} / 3 / 2});
}

class ScheduleStoreTest : public StoreTest {
 protected:
  static ScheduleSpec Hourly(std::string name = "hourly") {
    ScheduleSpec s;
    s.name = std::move(name);
    s.cron = "0 * * * *";
    s.kind = "report.build";
    s.payload = R"({"format":"pdf"})";
    return s;
  }

  Schedule Upsert(const ScheduleSpec& spec, Timestamp now) {
    auto r = store().ScheduleUpsert(spec, now);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : Schedule{};
  }

  std::vector<ScheduleFireResult> Fire(Timestamp now) {
    auto r = store().ScheduleFireDue(now, 100);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<ScheduleFireResult>{};
  }

  // Jobs of the store, oldest first.
  std::vector<Job> AllJobs() {
    JobListParams p;
    p.limit = 1000;
    auto r = store().JobList(p);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::vector<Job> jobs = r.ok() ? *r : std::vector<Job>{};
    std::reverse(jobs.begin(), jobs.end());
    return jobs;
  }

  static std::string FireTimeOf(const Job& j) {
    return nlohmann::json::parse(j.payload)["_steward"]["fire_time"].get<std::string>();
  }

  using StoreTest::Get;
  Schedule Get(const std::string& name) {
    auto r = store().ScheduleGet(name);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : Schedule{};
  }
};

TEST_P(ScheduleStoreTest, UpsertComputesNextFireAndKeepsItAcrossReapply) {
  Schedule s = Upsert(Hourly(), Base() + 10min);
  ASSERT_TRUE(s.next_fire_at.has_value());
  EXPECT_EQ(*s.next_fire_at, Base() + 1h);
  EXPECT_EQ(s.spec.source, "cli");
  // Re-applying the same spec later (a restart) keeps the stored next fire,
  // so the downtime in between is caught up.
  Schedule again = Upsert(Hourly(), Base() + 5h);
  EXPECT_EQ(*again.next_fire_at, Base() + 1h);
  // Editing the expression restarts from now.
  ScheduleSpec edited = Hourly();
  edited.cron = "30 * * * *";
  EXPECT_EQ(*Upsert(edited, Base() + 5h).next_fire_at, Base() + 5h + 30min);
  auto list = store().ScheduleList();
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_THAT(store().ScheduleGet("nope"), StatusIs(StatusCode::kNotFound));
}

TEST_P(ScheduleStoreTest, RejectsBadSpecs) {
  ScheduleSpec bad = Hourly();
  bad.cron = "61 * * * *";
  EXPECT_THAT(store().ScheduleUpsert(bad, Base()), StatusIs(StatusCode::kInvalidArgument));
  bad = Hourly("has:colon");
  EXPECT_THAT(store().ScheduleUpsert(bad, Base()), StatusIs(StatusCode::kInvalidArgument));
  bad = Hourly();
  bad.payload = "[1]";
  EXPECT_THAT(store().ScheduleUpsert(bad, Base()), StatusIs(StatusCode::kInvalidArgument));
  bad = Hourly();
  bad.time_zone = "Mars/Base";
  EXPECT_THAT(store().ScheduleUpsert(bad, Base()), StatusIs(StatusCode::kInvalidArgument));
}

TEST_P(ScheduleStoreTest, FiresOnTimeWithFireTimeInPayloadAndUniqueKey) {
  Upsert(Hourly(), Base() + 10min);
  EXPECT_THAT(Fire(Base() + 59min), IsEmpty());
  auto fired = Fire(Base() + 1h);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_THAT(fired[0].fire_times, ElementsAre(Base() + 1h));
  std::vector<Job> jobs = AllJobs();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].kind, "report.build");
  EXPECT_EQ(jobs[0].run_at, Base() + 1h);
  EXPECT_EQ(*jobs[0].unique_key, "schedule:hourly:" + FormatTimestamp(Base() + 1h));
  auto payload = nlohmann::json::parse(jobs[0].payload);
  EXPECT_EQ(payload["format"], "pdf");
  EXPECT_EQ(payload["_steward"]["schedule"], "hourly");
  EXPECT_EQ(FireTimeOf(jobs[0]), FormatTimestamp(Base() + 1h));
  Schedule s = Get("hourly");
  EXPECT_EQ(*s.next_fire_at, Base() + 2h);
  EXPECT_EQ(*s.last_fired_at, Base() + 1h);
  EXPECT_EQ(*s.last_job_id, jobs[0].id);
  // Nothing more until the next fire time.
  EXPECT_THAT(Fire(Base() + 1h + 30min), IsEmpty());
}

// Two weeks of downtime: 336 hourly fires were missed.
constexpr auto kTwoWeeks = std::chrono::hours(24 * 14);

TEST_P(ScheduleStoreTest, TwoWeeksDowntimeSkipFiresOnlyAnOnTimeFire) {
  ScheduleSpec spec = Hourly();
  spec.catch_up = CatchUpPolicy::kSkip;
  Upsert(spec, Base() + 10min);
  // Back 10 minutes after a fire time: that fire is too late (tolerance 60 s).
  auto fired = Fire(Base() + kTwoWeeks + 10min);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_THAT(fired[0].fire_times, IsEmpty());
  EXPECT_THAT(AllJobs(), IsEmpty());
  EXPECT_EQ(*Get("hourly").next_fire_at, Base() + kTwoWeeks + 1h);

  // Same downtime, back 30 s after a fire time: that one fire runs.
  ScheduleSpec other = Hourly("other");
  other.catch_up = CatchUpPolicy::kSkip;
  Upsert(other, Base() + 10min);
  fired = Fire(Base() + kTwoWeeks + 30s);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_THAT(fired[0].fire_times, ElementsAre(Base() + kTwoWeeks));
  std::vector<Job> jobs = AllJobs();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(FireTimeOf(jobs[0]), FormatTimestamp(Base() + kTwoWeeks));
}

TEST_P(ScheduleStoreTest, TwoWeeksDowntimeLatestFiresExactlyTheMostRecent) {
  Upsert(Hourly(), Base() + 10min);  // kLatest is the default
  auto fired = Fire(Base() + kTwoWeeks + 25min);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_THAT(fired[0].fire_times, ElementsAre(Base() + kTwoWeeks));
  std::vector<Job> jobs = AllJobs();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(FireTimeOf(jobs[0]), FormatTimestamp(Base() + kTwoWeeks));
  EXPECT_EQ(*Get("hourly").next_fire_at, Base() + kTwoWeeks + 1h);
  EXPECT_THAT(Fire(Base() + kTwoWeeks + 30min), IsEmpty());
}

TEST_P(ScheduleStoreTest, TwoWeeksDowntimeAllFiresTheNewestMaxCatchUpAndWarns) {
  ScheduleSpec spec = Hourly();
  spec.catch_up = CatchUpPolicy::kAll;
  spec.max_catch_up = 50;
  Upsert(spec, Base() + 10min);
  auto fired = Fire(Base() + kTwoWeeks + 25min);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_TRUE(fired[0].truncated);
  ASSERT_EQ(fired[0].fire_times.size(), 50u);
  std::vector<Job> jobs = AllJobs();
  ASSERT_EQ(jobs.size(), 50u);
  for (int i = 0; i < 50; ++i) {
    const Timestamp expected = Base() + kTwoWeeks - std::chrono::hours(49 - i);
    EXPECT_EQ(fired[0].fire_times[static_cast<size_t>(i)], expected);
    EXPECT_EQ(FireTimeOf(jobs[static_cast<size_t>(i)]), FormatTimestamp(expected));
  }

  // Without the cap every missed fire runs: 1 day down = 24 fires.
  ScheduleSpec day = Hourly("day");
  day.catch_up = CatchUpPolicy::kAll;
  Upsert(day, Base() + kTwoWeeks + 30min);
  ASSERT_OK(store().ScheduleSetPaused("hourly", true, Base() + kTwoWeeks + 30min));
  fired = Fire(Base() + kTwoWeeks + 24h + 40min);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].name, "day");
  EXPECT_FALSE(fired[0].truncated);
  ASSERT_EQ(fired[0].fire_times.size(), 24u);
  EXPECT_EQ(fired[0].fire_times.front(), Base() + kTwoWeeks + 1h);
  EXPECT_EQ(fired[0].fire_times.back(), Base() + kTwoWeeks + 24h);
}

TEST_P(ScheduleStoreTest, OverlapForbidSkipsWhileAJobIsLive) {
  ScheduleSpec spec = Hourly();
  spec.overlap = OverlapPolicy::kForbid;
  Upsert(spec, Base());
  ASSERT_EQ(Fire(Base() + 1h)[0].fire_times.size(), 1u);
  // The 01:00 job is still pending at 02:00: skip.
  auto fired = Fire(Base() + 2h);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_THAT(fired[0].fire_times, IsEmpty());
  EXPECT_EQ(fired[0].skipped, 1);
  EXPECT_EQ(Get("hourly").skipped_count, 1);
  // Once it ran, 03:00 fires again.
  std::vector<Job> claimed = Claim("default", 10, Base() + 2h + 1min);
  ASSERT_EQ(claimed.size(), 1u);
  Complete(Completion(claimed[0], JobCompletion::Kind::kCompleted, Base() + 2h + 2min));
  fired = Fire(Base() + 3h);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_THAT(fired[0].fire_times, ElementsAre(Base() + 3h));
}

TEST_P(ScheduleStoreTest, OverlapReplaceCancelsTheEarlierJob) {
  ScheduleSpec spec = Hourly();
  spec.overlap = OverlapPolicy::kReplace;
  Upsert(spec, Base());
  const int64_t first = Fire(Base() + 1h)[0].job_ids.at(0);
  std::vector<Job> claimed = Claim("default", 10, Base() + 1h + 1min);
  ASSERT_EQ(claimed.size(), 1u);
  // Running at 02:00: asked to stop, and the 02:00 job is inserted.
  auto fired = Fire(Base() + 2h);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].cancelled, 1);
  ASSERT_EQ(fired[0].job_ids.size(), 1u);
  const int64_t second = fired[0].job_ids[0];
  EXPECT_TRUE(Get(first).cancel_requested);
  EXPECT_EQ(Get(first).state, JobState::kRunning);
  // Pending at 03:00: cancelled at once.
  fired = Fire(Base() + 3h);
  ASSERT_EQ(fired[0].job_ids.size(), 1u);
  EXPECT_EQ(Get(second).state, JobState::kCancelled);
  EXPECT_EQ(Get(fired[0].job_ids[0]).state, JobState::kAvailable);
}

TEST_P(ScheduleStoreTest, DisableMissingTouchesOnlyItsSource) {
  ScheduleSpec a = Hourly("a"), b = Hourly("b"), c = Hourly("c");
  a.source = b.source = "config";
  Upsert(a, Base());
  Upsert(b, Base());
  Upsert(c, Base());
  std::vector<std::string> keep = {"a"};
  auto disabled = store().ScheduleDisableMissing("config", keep, Base() + 1min);
  ASSERT_OK(disabled);
  EXPECT_THAT(*disabled, ElementsAre("b"));
  EXPECT_FALSE(Get("b").spec.enabled);
  EXPECT_FALSE(Get("b").next_fire_at.has_value());
  EXPECT_TRUE(Get("c").spec.enabled);
  // A disabled schedule does not fire; the others do.
  auto fired = Fire(Base() + 1h);
  std::set<std::string> names;
  for (const auto& r : fired) names.insert(r.name);
  EXPECT_EQ(names, (std::set<std::string>{"a", "c"}));
  // Back in the file: enabled again, from the next fire after now.
  EXPECT_EQ(*Upsert(b, Base() + 90min).next_fire_at, Base() + 2h);
}

TEST_P(ScheduleStoreTest, PauseResumeTriggerDelete) {
  Upsert(Hourly(), Base());
  ASSERT_OK(store().ScheduleSetPaused("hourly", true, Base() + 1min));
  EXPECT_THAT(Fire(Base() + 3h), IsEmpty());
  ASSERT_OK(store().ScheduleNextFireAt());
  EXPECT_FALSE(store().ScheduleNextFireAt()->has_value());
  // Paused time is not caught up.
  ASSERT_OK(store().ScheduleSetPaused("hourly", false, Base() + 3h + 5min));
  EXPECT_EQ(*Get("hourly").next_fire_at, Base() + 4h);
  EXPECT_EQ(**store().ScheduleNextFireAt(), Base() + 4h);

  auto id = store().ScheduleTrigger("hourly", Base() + 3h + 6min);
  ASSERT_OK(id);
  Job j = Get(*id);
  EXPECT_EQ(FireTimeOf(j), FormatTimestamp(Base() + 3h + 6min));
  EXPECT_THAT(store().ScheduleTrigger("nope", Base()), StatusIs(StatusCode::kNotFound));

  ASSERT_OK(store().ScheduleDelete("hourly"));
  EXPECT_THAT(store().ScheduleGet("hourly"), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store().CheckGet("hourly"), StatusIs(StatusCode::kNotFound));
  EXPECT_EQ(Get(*id).id, *id);  // jobs stay
}

TEST_P(ScheduleStoreTest, ConcurrentFiringOnThreeStoresMakesOneJobPerFire) {
  // Three Store objects on one database (three nodes), all firing the same
  // due schedules at the same instant, many times over.
  const std::string url = FreshDatabaseUrl(GetParam());
  std::vector<std::unique_ptr<Store>> stores;
  for (int i = 0; i < 3; ++i) {
    auto s = OpenStore(url);
    ASSERT_OK(s);
    ASSERT_OK((*s)->Migrate());
    stores.push_back(std::move(s).value());
  }
  ScheduleSpec spec = Hourly();
  spec.cron = "@every 1m";
  ASSERT_OK(stores[0]->ScheduleUpsert(spec, Base()));
  constexpr int kFires = 30;
  std::atomic<int> errors{0};
  for (int minute = 1; minute <= kFires; ++minute) {
    const Timestamp now = Base() + std::chrono::minutes(minute);
    std::vector<std::thread> threads;
    for (auto& st : stores) {
      threads.emplace_back([&, store = st.get()] {
        auto r = store->ScheduleFireDue(now, 100);
        // Busy/serialization failures are retried by the scheduler loop.
        if (!r.ok() && r.status().code() != StatusCode::kUnavailable) ++errors;
      });
    }
    for (auto& t : threads) t.join();
    // Whoever lost a race retries once, as the loop would a moment later.
    ASSERT_OK(stores[0]->ScheduleFireDue(now, 100));
  }
  EXPECT_EQ(errors.load(), 0);
  JobListParams p;
  p.limit = 1000;
  auto jobs = stores[1]->JobList(p);
  ASSERT_OK(jobs);
  std::set<std::string> keys;
  for (const Job& j : *jobs) keys.insert(*j.unique_key);
  EXPECT_EQ(jobs->size(), static_cast<size_t>(kFires));
  ASSERT_EQ(keys.size(), static_cast<size_t>(kFires));
  for (int minute = 1; minute <= kFires; ++minute) {
    EXPECT_TRUE(keys.count(schedule_ops::JobKey("hourly", Base() + std::chrono::minutes(minute))))
        << "missing fire at minute " << minute;
  }
}

TEST_P(ScheduleStoreTest, CheckTransitionsNewUpLateDownUp) {
  CheckSpec spec;
  spec.name = "backup";
  spec.period = 1h;
  spec.grace = 10min;
  ASSERT_OK(store().CheckUpsert(spec, Base()));
  auto eval = [&](Timestamp now) {
    auto r = store().CheckEvaluate(now);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::vector<std::string> out;
    if (r.ok()) {
      for (const auto& t : *r) {
        out.push_back(t.name + ":" + std::string(CheckStateName(t.from)) + "->" +
                      std::string(CheckStateName(t.to)));
      }
    }
    return out;
  };
  EXPECT_THAT(eval(Base() + 5h), IsEmpty());  // new never goes late
  CheckPingParams ping;
  ping.name = "backup";
  ping.at = Base() + 5h;
  ping.body = std::string(20000, 'x');
  auto up = store().CheckPing(ping);
  ASSERT_OK(up);
  EXPECT_EQ(up->state, CheckState::kUp);
  EXPECT_EQ(up->last_ping_body.size(), kMaxPingBody);
  EXPECT_THAT(eval(Base() + 5h), ElementsAre("backup:new->up"));
  EXPECT_THAT(eval(Base() + 6h), IsEmpty());  // exactly on time
  EXPECT_THAT(eval(Base() + 6h + 1min), ElementsAre("backup:up->late"));
  EXPECT_THAT(eval(Base() + 6h + 5min), IsEmpty());
  EXPECT_THAT(eval(Base() + 6h + 11min), ElementsAre("backup:late->down"));
  EXPECT_THAT(eval(Base() + 9h), IsEmpty());  // down stays down, told once
  ping.at = Base() + 9h;
  ping.body = "ok";
  ASSERT_OK(store().CheckPing(ping));
  EXPECT_THAT(eval(Base() + 9h), ElementsAre("backup:down->up"));

  // Fail pings, exit statuses, and start without an end.
  ping.exit_status = 3;
  EXPECT_EQ(store().CheckPing(ping)->state, CheckState::kDown);
  ping.exit_status = 0;
  EXPECT_EQ(store().CheckPing(ping)->state, CheckState::kUp);
  EXPECT_THAT(eval(Base() + 9h), IsEmpty());  // down and back within one tick
  ping.exit_status.reset();
  ping.kind = PingKind::kStart;
  ping.rid = "run-1";
  auto started = store().CheckPing(ping);
  ASSERT_OK(started);
  EXPECT_TRUE(started->started);
  EXPECT_THAT(eval(Base() + 9h + 11min), ElementsAre("backup:up->down"));
  ping.exit_status = 256;
  EXPECT_THAT(store().CheckPing(ping), StatusIs(StatusCode::kInvalidArgument));
  ping.name = "nope";
  ping.exit_status.reset();
  EXPECT_THAT(store().CheckPing(ping), StatusIs(StatusCode::kNotFound));
}

TEST_P(ScheduleStoreTest, ScheduleRunsPingItsCheck) {
  Upsert(Hourly(), Base());
  auto check = store().CheckGet("hourly");
  ASSERT_OK(check);
  EXPECT_EQ(check->spec.source, "schedule");
  EXPECT_EQ(check->state, CheckState::kNew);
  ASSERT_OK(store().ScheduleRecordRun("hourly", true, Base() + 1h + 1min));
  EXPECT_EQ(store().CheckGet("hourly")->state, CheckState::kUp);
  EXPECT_EQ(*Get("hourly").last_success_at, Base() + 1h + 1min);
  ASSERT_OK(store().ScheduleRecordRun("hourly", false, Base() + 2h + 1min));
  ASSERT_OK(store().ScheduleRecordRun("hourly", false, Base() + 3h + 1min));
  EXPECT_EQ(store().CheckGet("hourly")->state, CheckState::kDown);
  EXPECT_EQ(Get("hourly").consecutive_failures, 2);
  // A user check may not take a schedule's name.
  CheckSpec clash;
  clash.name = "hourly";
  clash.period = 1h;
  EXPECT_THAT(store().CheckUpsert(clash, Base()), StatusIs(StatusCode::kFailedPrecondition));
  // Pausing the schedule pauses its check.
  ASSERT_OK(store().ScheduleSetPaused("hourly", true, Base() + 4h));
  EXPECT_EQ(store().CheckGet("hourly")->state, CheckState::kPaused);
}

STEWARD_INSTANTIATE_STORE_SUITE(ScheduleStoreTest);

}  // namespace
}  // namespace steward::testing
