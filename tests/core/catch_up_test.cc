// PlanCatchUp: which missed fires run after downtime (see core/catch_up.h).
#include "core/catch_up.h"

#include <date/date.h>
#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <string>

#include "support/test_time.h"

namespace steward {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

using steward::testing::T;

CronSchedule MustParse(std::string_view expr, std::string_view tz = "UTC") {
  Result<CronSchedule> r = CronSchedule::Parse(expr, tz);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return *std::move(r);
}

CatchUpOptions Policy(CatchUpPolicy p, std::size_t max = 100) {
  CatchUpOptions o;
  o.policy = p;
  o.max_catch_up = max;
  return o;
}

// Two weeks of downtime for "*/5 * * * *": due fires are 2026-01-01T00:00Z
// through 2026-01-15T00:00Z inclusive, 14 * 288 + 1 = 4033 of them.
class TwoWeeksEveryFiveMinutes : public ::testing::Test {
 protected:
  CronSchedule schedule_ = MustParse("*/5 * * * *");
  Timestamp next_fire_ = T("2026-01-01T00:00:00Z");
  Timestamp now_ = T("2026-01-15T00:00:00Z");
};

TEST_F(TwoWeeksEveryFiveMinutes, LatestFiresNewestOnly) {
  CatchUpPlan plan = PlanCatchUp(schedule_, next_fire_, now_);  // kLatest is the default
  ASSERT_EQ(plan.fire_times.size(), 1u);
  EXPECT_EQ(plan.fire_times[0], T("2026-01-15T00:00:00Z"));
  EXPECT_EQ(plan.next_fire, T("2026-01-15T00:05:00Z"));
  EXPECT_FALSE(plan.truncated);

  plan = PlanCatchUp(schedule_, next_fire_, now_ + minutes(4), Policy(CatchUpPolicy::kLatest));
  ASSERT_EQ(plan.fire_times.size(), 1u);
  EXPECT_EQ(plan.fire_times[0], T("2026-01-15T00:00:00Z"));
  EXPECT_EQ(plan.next_fire, T("2026-01-15T00:05:00Z"));
}

TEST_F(TwoWeeksEveryFiveMinutes, SkipFiresOnlyAnOnTimeNewest) {
  CatchUpOptions skip = Policy(CatchUpPolicy::kSkip);
  // Newest due fire is exactly now: on time.
  CatchUpPlan plan = PlanCatchUp(schedule_, next_fire_, now_, skip);
  ASSERT_EQ(plan.fire_times.size(), 1u);
  EXPECT_EQ(plan.fire_times[0], now_);
  EXPECT_EQ(plan.next_fire, T("2026-01-15T00:05:00Z"));
  // 60 s late is still within the default tolerance; 61 s is not.
  plan = PlanCatchUp(schedule_, next_fire_, now_ + seconds(60), skip);
  ASSERT_EQ(plan.fire_times.size(), 1u);
  EXPECT_EQ(plan.fire_times[0], now_);
  plan = PlanCatchUp(schedule_, next_fire_, now_ + seconds(61), skip);
  EXPECT_TRUE(plan.fire_times.empty());
  EXPECT_EQ(plan.next_fire, T("2026-01-15T00:05:00Z"));
  // A custom tolerance.
  skip.tolerance = minutes(3);
  plan = PlanCatchUp(schedule_, next_fire_, now_ + seconds(150), skip);
  EXPECT_EQ(plan.fire_times.size(), 1u);
}

TEST_F(TwoWeeksEveryFiveMinutes, AllKeepsMostRecentHundredAndTruncates) {
  CatchUpPlan plan = PlanCatchUp(schedule_, next_fire_, now_, Policy(CatchUpPolicy::kAll));
  ASSERT_EQ(plan.fire_times.size(), 100u);
  EXPECT_TRUE(plan.truncated);
  EXPECT_EQ(plan.fire_times.front(), T("2026-01-14T15:45:00Z"));  // now - 99 * 5 min
  EXPECT_EQ(plan.fire_times.back(), T("2026-01-15T00:00:00Z"));
  for (size_t i = 1; i < plan.fire_times.size(); ++i) {
    ASSERT_EQ(plan.fire_times[i] - plan.fire_times[i - 1], minutes(5));
  }
  EXPECT_EQ(plan.next_fire, T("2026-01-15T00:05:00Z"));
}

TEST_F(TwoWeeksEveryFiveMinutes, AllCapBoundary) {
  CatchUpPlan plan = PlanCatchUp(schedule_, next_fire_, now_, Policy(CatchUpPolicy::kAll, 5000));
  ASSERT_EQ(plan.fire_times.size(), 4033u);
  EXPECT_FALSE(plan.truncated);
  EXPECT_EQ(plan.fire_times.front(), next_fire_);
  EXPECT_EQ(plan.fire_times.back(), now_);

  plan = PlanCatchUp(schedule_, next_fire_, now_, Policy(CatchUpPolicy::kAll, 4033));
  EXPECT_EQ(plan.fire_times.size(), 4033u);
  EXPECT_FALSE(plan.truncated);

  plan = PlanCatchUp(schedule_, next_fire_, now_, Policy(CatchUpPolicy::kAll, 4032));
  EXPECT_EQ(plan.fire_times.size(), 4032u);
  EXPECT_TRUE(plan.truncated);
  EXPECT_EQ(plan.fire_times.front(), T("2026-01-01T00:05:00Z"));

  plan = PlanCatchUp(schedule_, next_fire_, now_, Policy(CatchUpPolicy::kAll, 0));
  EXPECT_TRUE(plan.fire_times.empty());
  EXPECT_TRUE(plan.truncated);
  EXPECT_EQ(plan.next_fire, T("2026-01-15T00:05:00Z"));
}

TEST(CatchUpTest, NothingDue) {
  CronSchedule s = MustParse("*/5 * * * *");
  for (CatchUpPolicy p : {CatchUpPolicy::kSkip, CatchUpPolicy::kLatest, CatchUpPolicy::kAll}) {
    CatchUpPlan plan = PlanCatchUp(s, T("2026-01-01T00:05:00Z"), T("2026-01-01T00:04:59Z"), Policy(p));
    EXPECT_TRUE(plan.fire_times.empty());
    EXPECT_EQ(plan.next_fire, T("2026-01-01T00:05:00Z"));  // unchanged
    EXPECT_FALSE(plan.truncated);
  }
}

TEST(CatchUpTest, DueExactlyNow) {
  CronSchedule s = MustParse("*/5 * * * *");
  for (CatchUpPolicy p : {CatchUpPolicy::kSkip, CatchUpPolicy::kLatest, CatchUpPolicy::kAll}) {
    CatchUpPlan plan = PlanCatchUp(s, T("2026-01-01T00:05:00Z"), T("2026-01-01T00:05:00Z"), Policy(p));
    ASSERT_EQ(plan.fire_times.size(), 1u) << CatchUpPolicyName(p);
    EXPECT_EQ(plan.fire_times[0], T("2026-01-01T00:05:00Z"));
    EXPECT_EQ(plan.next_fire, T("2026-01-01T00:10:00Z"));
  }
}

TEST(CatchUpTest, StoredNextFireCountsEvenIfOffSchedule) {
  // The expression was edited after 00:02 was stored as the next fire.
  CronSchedule s = MustParse("*/5 * * * *");
  CatchUpPlan plan =
      PlanCatchUp(s, T("2026-01-01T00:02:00Z"), T("2026-01-01T00:12:00Z"), Policy(CatchUpPolicy::kAll));
  EXPECT_EQ(plan.fire_times, (std::vector<Timestamp>{T("2026-01-01T00:02:00Z"), T("2026-01-01T00:05:00Z"),
                                                     T("2026-01-01T00:10:00Z")}));
  EXPECT_FALSE(plan.truncated);
  EXPECT_EQ(plan.next_fire, T("2026-01-01T00:15:00Z"));
}

TEST(CatchUpTest, EverySecondForTwoWeeks) {
  // 14 days of @every 1s: 1,209,601 due fires; none are enumerated.
  CronSchedule s = MustParse("@every 1s");
  Timestamp start = T("2026-01-01T00:00:00Z");
  Timestamp now = start + hours(24 * 14) + Micros(500'000);
  CatchUpPlan latest = PlanCatchUp(s, start, now, Policy(CatchUpPolicy::kLatest));
  EXPECT_EQ(latest.fire_times, std::vector<Timestamp>{T("2026-01-15T00:00:00Z")});
  EXPECT_EQ(latest.next_fire, T("2026-01-15T00:00:01Z"));

  CatchUpPlan skip = PlanCatchUp(s, start, now, Policy(CatchUpPolicy::kSkip));
  EXPECT_EQ(skip.fire_times, std::vector<Timestamp>{T("2026-01-15T00:00:00Z")});

  CatchUpPlan all = PlanCatchUp(s, start, now, Policy(CatchUpPolicy::kAll));
  ASSERT_EQ(all.fire_times.size(), 100u);
  EXPECT_TRUE(all.truncated);
  EXPECT_EQ(all.fire_times.front(), T("2026-01-14T23:58:21Z"));
  EXPECT_EQ(all.fire_times.back(), T("2026-01-15T00:00:00Z"));
  EXPECT_EQ(all.next_fire, T("2026-01-15T00:00:01Z"));
}

TEST(CatchUpTest, CronEverySecondForTwoWeeks) {
  // The same with a six-field expression (no arithmetic shortcut).
  CronSchedule s = MustParse("* * * * * *", "Europe/Berlin");
  Timestamp start = T("2026-03-22T00:00:00Z");  // spans the 2026-03-29 DST change
  Timestamp now = T("2026-04-05T00:00:00Z");
  CatchUpPlan all = PlanCatchUp(s, start, now, Policy(CatchUpPolicy::kAll));
  ASSERT_EQ(all.fire_times.size(), 100u);
  EXPECT_TRUE(all.truncated);
  EXPECT_EQ(all.fire_times.front(), T("2026-04-04T23:58:21Z"));
  EXPECT_EQ(all.fire_times.back(), now);
  CatchUpPlan latest = PlanCatchUp(s, start, now);
  EXPECT_EQ(latest.fire_times, std::vector<Timestamp>{now});
  EXPECT_EQ(latest.next_fire, T("2026-04-05T00:00:01Z"));
}

TEST(CatchUpTest, DailyInBerlinAcrossDstWithAll) {
  // 09:00 Berlin from 2026-03-22 to 2026-04-05: 15 fires, 08:00Z before the
  // change and 07:00Z after it.
  CronSchedule s = MustParse("0 9 * * *", "Europe/Berlin");
  CatchUpPlan plan = PlanCatchUp(s, T("2026-03-22T08:00:00Z"), T("2026-04-05T12:00:00Z"),
                                 Policy(CatchUpPolicy::kAll));
  ASSERT_EQ(plan.fire_times.size(), 15u);
  EXPECT_FALSE(plan.truncated);
  EXPECT_EQ(plan.fire_times[0], T("2026-03-22T08:00:00Z"));
  EXPECT_EQ(plan.fire_times[6], T("2026-03-28T08:00:00Z"));
  EXPECT_EQ(plan.fire_times[7], T("2026-03-29T07:00:00Z"));
  EXPECT_EQ(plan.fire_times[14], T("2026-04-05T07:00:00Z"));
  EXPECT_EQ(plan.next_fire, T("2026-04-06T07:00:00Z"));
}

TEST(CatchUpTest, NeverAgain) {
  CronSchedule s = MustParse("0 0 1 1 *");
  CatchUpPlan plan = PlanCatchUp(s, T("9999-01-01T00:00:00Z"), T("9999-06-01T00:00:00Z"));
  EXPECT_EQ(plan.fire_times, std::vector<Timestamp>{T("9999-01-01T00:00:00Z")});
  EXPECT_EQ(plan.next_fire, kNeverFires);
}

TEST(CatchUpTest, PolicyNames) {
  for (CatchUpPolicy p : {CatchUpPolicy::kSkip, CatchUpPolicy::kLatest, CatchUpPolicy::kAll}) {
    Result<CatchUpPolicy> r = ParseCatchUpPolicy(CatchUpPolicyName(p));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, p);
  }
  Result<CatchUpPolicy> bad = ParseCatchUpPolicy("some");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "unknown catch-up policy \"some\" (expected skip, latest or all)");
}

}  // namespace
}  // namespace steward
