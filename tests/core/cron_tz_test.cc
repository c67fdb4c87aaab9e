// CronSchedule in real time zones: the DST rules documented in cron.h.
//   gap (spring forward): a missing wall time fires once, at the first valid
//                         instant after the gap;
//   overlap (fall back):  a repeated wall time fires once, at its first
//                         occurrence (also for hourly expressions);
//   @every:               absolute time, unaffected by DST.
// Each case asserts the exact UTC instant and the local wall time.
#include <date/date.h>
#include <date/tz.h>
#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <string>
#include <vector>

#include "steward/cron.h"

#include "support/test_time.h"

namespace steward {
namespace {

using steward::testing::T;

// "2026-03-29T01:00:00Z 03:00 CEST": the instant, then the wall time there.
std::string S(std::optional<Timestamp> t, std::string_view tz) {
  if (!t) return "never";
  auto secs = std::chrono::floor<std::chrono::seconds>(*t);
  date::zoned_time<std::chrono::seconds> local(date::locate_zone(tz), secs);
  return date::format("%FT%TZ ", secs) + date::format("%H:%M %Z", local);
}

std::vector<std::string> Fires(std::string_view expr, std::string_view tz, const std::string& after,
                               int n) {
  Result<CronSchedule> s = CronSchedule::Parse(expr, tz);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  if (!s.ok()) return {};
  std::vector<std::string> out;
  std::optional<Timestamp> t = T(after);
  for (int i = 0; i < n && t; ++i) {
    t = s->Next(*t);
    out.push_back(S(t, tz));
  }
  return out;
}

using V = std::vector<std::string>;

constexpr std::string_view kBerlin = "Europe/Berlin";
constexpr std::string_view kNewYork = "America/New_York";
constexpr std::string_view kLondon = "Europe/London";

// Berlin 2026: CET -> CEST at 2026-03-29 02:00 local (01:00Z); CEST -> CET at
// 2026-10-25 03:00 local (01:00Z), so 02:00-02:59 happens twice.
TEST(CronTzTest, BerlinSpringForwardGapFiresAtEndOfGap) {
  EXPECT_EQ(Fires("30 2 * * *", kBerlin, "2026-03-27T12:00:00Z", 3),
            (V{"2026-03-28T01:30:00Z 02:30 CET", "2026-03-29T01:00:00Z 03:00 CEST",
               "2026-03-30T00:30:00Z 02:30 CEST"}));
  // 03:00 itself exists; it and the skipped 02:30 are the same instant.
  EXPECT_EQ(Fires("0 3 * * *", kBerlin, "2026-03-28T12:00:00Z", 1), (V{"2026-03-29T01:00:00Z 03:00 CEST"}));
}

TEST(CronTzTest, BerlinGapWallTimesFireOnce) {
  // 02:00, 02:15, 02:30, 02:45 and 03:00 all map to 01:00Z: one fire.
  EXPECT_EQ(Fires("*/15 * * * *", kBerlin, "2026-03-29T00:30:00Z", 4),
            (V{"2026-03-29T00:45:00Z 01:45 CET", "2026-03-29T01:00:00Z 03:00 CEST",
               "2026-03-29T01:15:00Z 03:15 CEST", "2026-03-29T01:30:00Z 03:30 CEST"}));
  EXPECT_EQ(Fires("0 * * * *", kBerlin, "2026-03-28T23:30:00Z", 3),
            (V{"2026-03-29T00:00:00Z 01:00 CET", "2026-03-29T01:00:00Z 03:00 CEST",
               "2026-03-29T02:00:00Z 04:00 CEST"}));
  // With seconds: 02:00:00-02:59:59 collapse onto one fire.
  EXPECT_EQ(Fires("* 2 * * *", kBerlin, "2026-03-29T00:58:00Z", 3),
            (V{"2026-03-29T01:00:00Z 03:00 CEST", "2026-03-30T00:00:00Z 02:00 CEST",
               "2026-03-30T00:01:00Z 02:01 CEST"}));
}

TEST(CronTzTest, BerlinFallBackOverlapFiresAtFirstOccurrence) {
  EXPECT_EQ(Fires("30 2 * * *", kBerlin, "2026-10-24T12:00:00Z", 2),
            (V{"2026-10-25T00:30:00Z 02:30 CEST", "2026-10-26T01:30:00Z 02:30 CET"}));
  // Hourly: 02:00 CEST fires, 02:00 CET (01:00Z) does not.
  EXPECT_EQ(Fires("0 * * * *", kBerlin, "2026-10-24T23:30:00Z", 3),
            (V{"2026-10-25T00:00:00Z 02:00 CEST", "2026-10-25T02:00:00Z 03:00 CET",
               "2026-10-25T03:00:00Z 04:00 CET"}));
  EXPECT_EQ(Fires("*/30 * * * *", kBerlin, "2026-10-24T23:45:00Z", 4),
            (V{"2026-10-25T00:00:00Z 02:00 CEST", "2026-10-25T00:30:00Z 02:30 CEST",
               "2026-10-25T02:00:00Z 03:00 CET", "2026-10-25T02:30:00Z 03:30 CET"}));
}

TEST(CronTzTest, QueryDuringSecondOccurrenceDoesNotRefire) {
  // `after` is 02:10 CET, the second pass through 02:xx: the remaining 02:xx
  // wall times already fired during the first pass.
  EXPECT_EQ(Fires("*/15 * * * *", kBerlin, "2026-10-25T01:10:00Z", 2),
            (V{"2026-10-25T02:00:00Z 03:00 CET", "2026-10-25T02:15:00Z 03:15 CET"}));
  EXPECT_EQ(Fires("30 2 * * *", kBerlin, "2026-10-25T01:00:00Z", 1), (V{"2026-10-26T01:30:00Z 02:30 CET"}));
}

TEST(CronTzTest, BerlinDailyKeepsWallTimeAcrossDst) {
  EXPECT_EQ(Fires("0 9 * * *", kBerlin, "2026-03-28T00:00:00Z", 2),
            (V{"2026-03-28T08:00:00Z 09:00 CET", "2026-03-29T07:00:00Z 09:00 CEST"}));
  EXPECT_EQ(Fires("0 9 * * *", kBerlin, "2026-10-25T00:00:00Z", 2),
            (V{"2026-10-25T08:00:00Z 09:00 CET", "2026-10-26T08:00:00Z 09:00 CET"}));
}

TEST(CronTzTest, BerlinFarFutureDst) {
  // 2040-03-25 and 2040-10-28 are the last Sundays of March and October. The
  // system TZif files list transitions only up to 2037; later ones come from
  // the file's POSIX rule (see core/cron_zone.h). Instants only: date's own
  // zoned_time, used by S(), gets these wrong.
  Result<CronSchedule> s = CronSchedule::Parse("30 2 * * *", kBerlin);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->Next(T("2040-03-24T12:00:00Z")), T("2040-03-25T01:00:00Z"));  // gap: 03:00 CEST
  EXPECT_EQ(s->Next(T("2040-03-25T01:00:00Z")), T("2040-03-26T00:30:00Z"));  // 02:30 CEST
  EXPECT_EQ(s->Next(T("2040-10-27T12:00:00Z")), T("2040-10-28T00:30:00Z"));  // first 02:30 (CEST)
  EXPECT_EQ(s->Next(T("2040-10-28T00:30:00Z")), T("2040-10-29T01:30:00Z"));  // 02:30 CET
  Result<CronSchedule> ny = CronSchedule::Parse("0 12 * * *", kNewYork);
  ASSERT_TRUE(ny.ok());
  EXPECT_EQ(ny->Next(T("2100-07-01T00:00:00Z")), T("2100-07-01T16:00:00Z"));  // EDT
  EXPECT_EQ(ny->Next(T("2100-12-01T00:00:00Z")), T("2100-12-01T17:00:00Z"));  // EST
}

// New York 2026: EST -> EDT at 2026-03-08 02:00 local (07:00Z); EDT -> EST at
// 2026-11-01 02:00 local (06:00Z), so 01:00-01:59 happens twice.
TEST(CronTzTest, NewYorkSpringForward) {
  EXPECT_EQ(Fires("30 2 * * *", kNewYork, "2026-03-06T12:00:00Z", 3),
            (V{"2026-03-07T07:30:00Z 02:30 EST", "2026-03-08T07:00:00Z 03:00 EDT",
               "2026-03-09T06:30:00Z 02:30 EDT"}));
  EXPECT_EQ(Fires("0 * * * *", kNewYork, "2026-03-08T06:30:00Z", 2),
            (V{"2026-03-08T07:00:00Z 03:00 EDT", "2026-03-08T08:00:00Z 04:00 EDT"}));
}

TEST(CronTzTest, NewYorkFallBackHourlyFiresOnceAtFirstOne) {
  EXPECT_EQ(Fires("0 * * * *", kNewYork, "2026-11-01T04:30:00Z", 3),
            (V{"2026-11-01T05:00:00Z 01:00 EDT", "2026-11-01T07:00:00Z 02:00 EST",
               "2026-11-01T08:00:00Z 03:00 EST"}));
  EXPECT_EQ(Fires("30 1 * * *", kNewYork, "2026-10-31T12:00:00Z", 2),
            (V{"2026-11-01T05:30:00Z 01:30 EDT", "2026-11-02T06:30:00Z 01:30 EST"}));
}

// London 2026: GMT -> BST at 01:00 local on 2026-03-29; BST -> GMT at 02:00
// local on 2026-10-25 (both 01:00Z).
TEST(CronTzTest, London) {
  EXPECT_EQ(Fires("30 1 * * *", kLondon, "2026-03-28T12:00:00Z", 2),
            (V{"2026-03-29T01:00:00Z 02:00 BST", "2026-03-30T00:30:00Z 01:30 BST"}));
  EXPECT_EQ(Fires("30 1 * * *", kLondon, "2026-10-24T12:00:00Z", 2),
            (V{"2026-10-25T00:30:00Z 01:30 BST", "2026-10-26T01:30:00Z 01:30 GMT"}));
  EXPECT_EQ(Fires("0 * * * *", kLondon, "2026-10-24T23:30:00Z", 3),
            (V{"2026-10-25T00:00:00Z 01:00 BST", "2026-10-25T02:00:00Z 02:00 GMT",
               "2026-10-25T03:00:00Z 03:00 GMT"}));
}

TEST(CronTzTest, HalfHourDstLordHowe) {
  // +10:30 -> +11 at 2026-10-04 02:00 local; +11 -> +10:30 at 2026-04-05 02:00.
  constexpr std::string_view kLordHowe = "Australia/Lord_Howe";
  Result<CronSchedule> gap = CronSchedule::Parse("15 2 * * *", kLordHowe);
  ASSERT_TRUE(gap.ok());
  EXPECT_EQ(gap->Next(T("2026-10-03T12:00:00Z")), T("2026-10-03T15:30:00Z"));  // 02:30 +11
  Result<CronSchedule> overlap = CronSchedule::Parse("45 1 * * *", kLordHowe);
  ASSERT_TRUE(overlap.ok());
  EXPECT_EQ(overlap->Next(T("2026-04-04T12:00:00Z")), T("2026-04-04T14:45:00Z"));  // 01:45 +11
  EXPECT_EQ(overlap->Next(T("2026-04-04T14:45:00Z")), T("2026-04-05T15:15:00Z"));  // next day +10:30
}

TEST(CronTzTest, EveryIsAbsoluteTime) {
  // Same instants in every zone, every hour straight through both transitions.
  for (std::string_view tz : {std::string_view("UTC"), kBerlin, kNewYork}) {
    EXPECT_EQ(Fires("@every 1h", tz, "2026-03-29T00:00:00Z", 3).size(), 3u);
    Result<CronSchedule> s = CronSchedule::Parse("@every 1h", tz);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->Next(T("2026-03-29T00:30:00Z")), T("2026-03-29T01:00:00Z")) << tz;
    EXPECT_EQ(s->Next(T("2026-03-29T01:00:00Z")), T("2026-03-29T02:00:00Z")) << tz;
    EXPECT_EQ(s->Next(T("2026-10-25T01:00:00Z")), T("2026-10-25T02:00:00Z")) << tz;
  }
  EXPECT_EQ(Fires("@every 1h", kBerlin, "2026-10-25T00:00:00Z", 2),
            (V{"2026-10-25T01:00:00Z 02:00 CET", "2026-10-25T02:00:00Z 03:00 CET"}));
}

TEST(CronTzTest, FixedOffsetAndUtcAliases) {
  EXPECT_EQ(Fires("0 0 * * *", "Asia/Kolkata", "2026-01-01T00:00:00Z", 1),
            (V{"2026-01-01T18:30:00Z 00:00 IST"}));
  EXPECT_EQ(Fires("0 0 * * *", "Etc/UTC", "2026-01-01T00:00:00Z", 1), (V{"2026-01-02T00:00:00Z 00:00 UTC"}));
}

TEST(CronTzTest, TimeZoneNameIsKept) {
  Result<CronSchedule> s = CronSchedule::Parse("0 9 * * *", kBerlin);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->time_zone(), "Europe/Berlin");
  EXPECT_EQ(s->ToString(), "0 9 * * *");
}

}  // namespace
}  // namespace steward
