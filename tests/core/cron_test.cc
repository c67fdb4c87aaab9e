// CronSchedule in UTC: syntax, field semantics, macros, @every and errors.
// Time zones and DST are in cron_tz_test.cc.
#include "steward/cron.h"

#include <date/date.h>
#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <string>
#include <vector>

#include "support/test_time.h"

namespace steward {
namespace {

using steward::testing::T;

// Whole seconds print without a fraction: "2026-01-01T00:01:00Z".
std::string S(std::optional<Timestamp> t) {
  if (!t) return "never";
  if (t->time_since_epoch() % std::chrono::seconds(1) == Micros(0)) {
    return date::format("%FT%TZ", std::chrono::floor<std::chrono::seconds>(*t));
  }
  return date::format("%FT%TZ", *t);
}

CronSchedule MustParse(std::string_view expr, std::string_view tz = "UTC") {
  Result<CronSchedule> r = CronSchedule::Parse(expr, tz);
  EXPECT_TRUE(r.ok()) << expr << ": " << r.status().ToString();
  if (!r.ok()) return *CronSchedule::Parse("* * * * *");
  return *std::move(r);
}

// The first `n` fire times after `after`.
std::vector<std::string> Fires(std::string_view expr, const std::string& after, int n) {
  CronSchedule s = MustParse(expr);
  std::vector<std::string> out;
  std::optional<Timestamp> t = T(after);
  for (int i = 0; i < n && t; ++i) {
    t = s.Next(*t);
    out.push_back(S(t));
  }
  return out;
}

std::string Next(std::string_view expr, const std::string& after) { return Fires(expr, after, 1)[0]; }

std::string ParseError(std::string_view expr, std::string_view tz = "UTC") {
  Result<CronSchedule> r = CronSchedule::Parse(expr, tz);
  if (r.ok()) return "ok";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << expr;
  return r.status().message();
}

using V = std::vector<std::string>;

TEST(CronTest, EveryMinuteIsStrictlyAfter) {
  EXPECT_EQ(Next("* * * * *", "2026-01-01T00:00:00Z"), "2026-01-01T00:01:00Z");
  EXPECT_EQ(Next("* * * * *", "2026-01-01T00:00:30.5Z"), "2026-01-01T00:01:00Z");
  EXPECT_EQ(Next("* * * * *", "2026-01-01T00:00:59.999999Z"), "2026-01-01T00:01:00Z");
  EXPECT_EQ(Next("* * * * *", "2025-12-31T23:59:00Z"), "2026-01-01T00:00:00Z");
}

TEST(CronTest, FixedTime) {
  EXPECT_EQ(Next("30 9 * * *", "2026-05-01T09:29:59Z"), "2026-05-01T09:30:00Z");
  EXPECT_EQ(Next("30 9 * * *", "2026-05-01T09:30:00Z"), "2026-05-02T09:30:00Z");
  EXPECT_EQ(Next("0 0 1 1 *", "2026-01-01T00:00:00Z"), "2027-01-01T00:00:00Z");
}

TEST(CronTest, Lists) {
  EXPECT_EQ(Fires("0,15,45 * * * *", "2026-01-01T00:00:00Z", 4),
            (V{"2026-01-01T00:15:00Z", "2026-01-01T00:45:00Z", "2026-01-01T01:00:00Z",
               "2026-01-01T01:15:00Z"}));
  EXPECT_EQ(Fires("0 0 * * *,1", "2026-01-01T00:00:00Z", 1), (V{"2026-01-02T00:00:00Z"}));
}

TEST(CronTest, Ranges) {
  EXPECT_EQ(Fires("0 9-11 * * *", "2026-01-01T09:00:00Z", 3),
            (V{"2026-01-01T10:00:00Z", "2026-01-01T11:00:00Z", "2026-01-02T09:00:00Z"}));
  EXPECT_EQ(Fires("0 0 10-12,20 * *", "2026-01-11T00:00:00Z", 3),
            (V{"2026-01-12T00:00:00Z", "2026-01-20T00:00:00Z", "2026-02-10T00:00:00Z"}));
}

TEST(CronTest, Steps) {
  EXPECT_EQ(Fires("*/15 * * * *", "2026-01-01T00:00:00Z", 4),
            (V{"2026-01-01T00:15:00Z", "2026-01-01T00:30:00Z", "2026-01-01T00:45:00Z",
               "2026-01-01T01:00:00Z"}));
  EXPECT_EQ(Fires("10-50/20 * * * *", "2026-01-01T00:00:00Z", 4),
            (V{"2026-01-01T00:10:00Z", "2026-01-01T00:30:00Z", "2026-01-01T00:50:00Z",
               "2026-01-01T01:10:00Z"}));
  // "5/20" means 5-59/20.
  EXPECT_EQ(Fires("5/20 * * * *", "2026-01-01T00:00:00Z", 4),
            (V{"2026-01-01T00:05:00Z", "2026-01-01T00:25:00Z", "2026-01-01T00:45:00Z",
               "2026-01-01T01:05:00Z"}));
  EXPECT_EQ(Fires("0 */6 * * *", "2026-01-01T00:00:00Z", 4),
            (V{"2026-01-01T06:00:00Z", "2026-01-01T12:00:00Z", "2026-01-01T18:00:00Z",
               "2026-01-02T00:00:00Z"}));
  EXPECT_EQ(Fires("0 0 1 */5 *", "2026-01-01T00:00:00Z", 3),
            (V{"2026-06-01T00:00:00Z", "2026-11-01T00:00:00Z", "2027-01-01T00:00:00Z"}));
  // A step larger than what is left of the range: only the start.
  EXPECT_EQ(Fires("50/30 * * * *", "2026-01-01T00:00:00Z", 2),
            (V{"2026-01-01T00:50:00Z", "2026-01-01T01:50:00Z"}));
}

TEST(CronTest, MonthNamesAreCaseInsensitive) {
  EXPECT_EQ(Fires("0 0 1 JAN,jul *", "2026-02-01T00:00:00Z", 2),
            (V{"2026-07-01T00:00:00Z", "2027-01-01T00:00:00Z"}));
  EXPECT_EQ(Fires("0 0 1 Mar-May *", "2026-01-01T00:00:00Z", 4),
            (V{"2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z", "2026-05-01T00:00:00Z",
               "2027-03-01T00:00:00Z"}));
  EXPECT_EQ(Fires("0 0 1 jan-dec/6 *", "2026-01-01T00:00:00Z", 2),
            (V{"2026-07-01T00:00:00Z", "2027-01-01T00:00:00Z"}));
}

TEST(CronTest, WeekdayNames) {
  // 2026-01-03 is a Saturday.
  EXPECT_EQ(Fires("0 0 * * MON-FRI", "2026-01-03T00:00:00Z", 6),
            (V{"2026-01-05T00:00:00Z", "2026-01-06T00:00:00Z", "2026-01-07T00:00:00Z",
               "2026-01-08T00:00:00Z", "2026-01-09T00:00:00Z", "2026-01-12T00:00:00Z"}));
  EXPECT_EQ(Next("0 0 * * sat", "2026-01-01T00:00:00Z"), "2026-01-03T00:00:00Z");
  EXPECT_EQ(Next("0 0 * * Wed", "2026-01-01T00:00:00Z"), "2026-01-07T00:00:00Z");
}

TEST(CronTest, ZeroAndSevenAreSunday) {
  const V sundays = {"2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"};
  EXPECT_EQ(Fires("0 0 * * 0", "2026-01-01T00:00:00Z", 2), sundays);
  EXPECT_EQ(Fires("0 0 * * 7", "2026-01-01T00:00:00Z", 2), sundays);
  EXPECT_EQ(Fires("0 0 * * SUN", "2026-01-01T00:00:00Z", 2), sundays);
  // Fri-Sun via 5-7.
  EXPECT_EQ(Fires("0 0 * * 5-7", "2026-01-01T00:00:00Z", 4),
            (V{"2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z", "2026-01-04T00:00:00Z",
               "2026-01-09T00:00:00Z"}));
  EXPECT_EQ(Fires("0 0 * * 0-7", "2026-01-01T00:00:00Z", 2),
            (V{"2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"}));
}

TEST(CronTest, VixieOrWhenBothDayFieldsRestricted) {
  // July 2026: the 1st is a Wednesday; Mondays are 6, 13, 20, 27.
  EXPECT_EQ(Fires("0 0 1 * MON", "2026-06-30T00:00:00Z", 4),
            (V{"2026-07-01T00:00:00Z", "2026-07-06T00:00:00Z", "2026-07-13T00:00:00Z",
               "2026-07-20T00:00:00Z"}));
  // `*/2` counts as restricted: odd days OR Mondays.
  EXPECT_EQ(Fires("0 0 */2 * MON", "2026-06-30T00:00:00Z", 6),
            (V{"2026-07-01T00:00:00Z", "2026-07-03T00:00:00Z", "2026-07-05T00:00:00Z",
               "2026-07-06T00:00:00Z", "2026-07-07T00:00:00Z", "2026-07-09T00:00:00Z"}));
  // Day-of-week `*/1` is restricted too, so this is "the 15th OR any day".
  EXPECT_EQ(Next("0 0 15 * */1", "2026-07-01T00:00:00Z"), "2026-07-02T00:00:00Z");
  // Only one restricted: AND (the other is `*`).
  EXPECT_EQ(Fires("0 0 * * MON", "2026-06-30T00:00:00Z", 2),
            (V{"2026-07-06T00:00:00Z", "2026-07-13T00:00:00Z"}));
  EXPECT_EQ(Fires("0 0 1 * *", "2026-06-30T00:00:00Z", 2),
            (V{"2026-07-01T00:00:00Z", "2026-08-01T00:00:00Z"}));
  // Month still applies to both: 1st of March or Mondays in March.
  EXPECT_EQ(Fires("0 0 1 3 MON", "2026-01-01T00:00:00Z", 3),
            (V{"2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z", "2026-03-09T00:00:00Z"}));
}

TEST(CronTest, Macros) {
  const std::string after = "2026-05-13T10:20:30Z";  // a Wednesday
  EXPECT_EQ(Next("@yearly", after), "2027-01-01T00:00:00Z");
  EXPECT_EQ(Next("@annually", after), "2027-01-01T00:00:00Z");
  EXPECT_EQ(Next("@monthly", after), "2026-06-01T00:00:00Z");
  EXPECT_EQ(Next("@weekly", after), "2026-05-17T00:00:00Z");
  EXPECT_EQ(Next("@daily", after), "2026-05-14T00:00:00Z");
  EXPECT_EQ(Next("@midnight", after), "2026-05-14T00:00:00Z");
  EXPECT_EQ(Next("@hourly", after), "2026-05-13T11:00:00Z");
  EXPECT_EQ(Next("@HOURLY", after), "2026-05-13T11:00:00Z");
  EXPECT_EQ(MustParse("@Daily").ToString(), "@daily");
  EXPECT_FALSE(MustParse("@daily").interval().has_value());
}

TEST(CronTest, EveryIsAnchoredAtTheEpoch) {
  EXPECT_EQ(Fires("@every 90s", "1970-01-01T00:00:00Z", 2),
            (V{"1970-01-01T00:01:30Z", "1970-01-01T00:03:00Z"}));
  // Same grid whatever the query time: 2026-01-01T00:00Z is a multiple of 90 s.
  EXPECT_EQ(Fires("@every 90s", "2026-01-01T00:00:45Z", 2),
            (V{"2026-01-01T00:01:30Z", "2026-01-01T00:03:00Z"}));
  EXPECT_EQ(Fires("@every 1h30m", "2026-01-01T00:00:00Z", 3),
            (V{"2026-01-01T01:30:00Z", "2026-01-01T03:00:00Z", "2026-01-01T04:30:00Z"}));
  EXPECT_EQ(Next("@every 1.5h", "2026-01-01T00:00:00Z"), "2026-01-01T01:30:00Z");
  EXPECT_EQ(Next("@every 7m", "2026-01-01T00:03:00Z"), "2026-01-01T00:07:00Z");
  EXPECT_EQ(Next("@every 1d", "2026-01-01T13:00:00Z"), "2026-01-02T00:00:00Z");
  EXPECT_EQ(Fires("@every 1s500ms", "2026-01-01T00:00:00Z", 2),
            (V{"2026-01-01T00:00:01.500000Z", "2026-01-01T00:00:03Z"}));
  EXPECT_EQ(Next("@every 1s", "2026-01-01T00:00:00.25Z"), "2026-01-01T00:00:01Z");
  // Before the epoch the grid continues (floor division).
  EXPECT_EQ(Next("@every 1h", "1969-12-31T22:30:00Z"), "1969-12-31T23:00:00Z");

  CronSchedule s = MustParse("@every 1H30M");
  EXPECT_EQ(s.ToString(), "@every 1h30m");
  ASSERT_TRUE(s.interval().has_value());
  EXPECT_EQ(*s.interval(), std::chrono::minutes(90));
}

TEST(CronTest, SecondsField) {
  EXPECT_EQ(Fires("*/10 * * * * *", "2026-01-01T00:00:55Z", 3),
            (V{"2026-01-01T00:01:00Z", "2026-01-01T00:01:10Z", "2026-01-01T00:01:20Z"}));
  EXPECT_EQ(Fires("30 0 0 * * *", "2026-01-01T00:00:00Z", 2),
            (V{"2026-01-01T00:00:30Z", "2026-01-02T00:00:30Z"}));
  EXPECT_EQ(Next("15,45 30 9 * * MON-FRI", "2026-01-02T09:30:45Z"), "2026-01-05T09:30:15Z");
  // Five fields means second 0.
  EXPECT_EQ(Next("* * * * *", "2026-01-01T00:00:00Z"), "2026-01-01T00:01:00Z");
}

TEST(CronTest, EverySecondForADayIsContiguous) {
  CronSchedule s = MustParse("* * * * * *");
  Timestamp t = T("2026-01-01T00:00:00Z");
  int count = 0;
  while (t < T("2026-01-02T00:00:00Z")) {
    std::optional<Timestamp> n = s.Next(t);
    ASSERT_TRUE(n.has_value());
    ASSERT_EQ(*n - t, std::chrono::seconds(1));
    t = *n;
    ++count;
  }
  EXPECT_EQ(count, 86400);
}

TEST(CronTest, LeapDay) {
  EXPECT_EQ(Next("0 0 29 2 *", "2025-03-01T00:00:00Z"), "2028-02-29T00:00:00Z");
  EXPECT_EQ(Next("0 0 29 2 *", "2028-02-29T00:00:00Z"), "2032-02-29T00:00:00Z");
  // 2100 is not a leap year: an 8-year gap, still within the search horizon.
  EXPECT_EQ(Next("0 0 29 2 *", "2096-03-01T00:00:00Z"), "2104-02-29T00:00:00Z");
}

TEST(CronTest, MonthsWithoutTheDayAreSkipped) {
  EXPECT_EQ(Fires("0 0 31 * *", "2026-01-31T00:00:00Z", 3),
            (V{"2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z", "2026-07-31T00:00:00Z"}));
}

TEST(CronTest, ImpossibleDatesNeverFire) {
  for (const char* expr : {"0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 0 30-31 FEB *"}) {
    CronSchedule s = MustParse(expr);
    EXPECT_FALSE(s.Next(T("2026-01-01T00:00:00Z")).has_value()) << expr;
  }
  // With a restricted day-of-week the OR rule makes it possible again.
  EXPECT_EQ(Next("0 0 30 2 MON", "2026-01-01T00:00:00Z"), "2026-02-02T00:00:00Z");
}

TEST(CronTest, YearRange) {
  EXPECT_EQ(Next("* * * * *", "9999-12-31T23:58:00Z"), "9999-12-31T23:59:00Z");
  EXPECT_EQ(Next("* * * * *", "9999-12-31T23:59:00Z"), "never");
  EXPECT_EQ(Next("0 0 1 1 *", "9999-06-01T00:00:00Z"), "never");
  CronSchedule s = MustParse("* * * * *");
  EXPECT_FALSE(s.Next(Timestamp::max()).has_value());
  EXPECT_FALSE(s.Next(Timestamp::min()).has_value());
  EXPECT_FALSE(MustParse("@every 1s").Next(Timestamp::max()).has_value());
}

TEST(CronTest, ToStringNormalises) {
  EXPECT_EQ(MustParse("  0   9 * *\tmon-fri ").ToString(), "0 9 * * MON-FRI");
  EXPECT_EQ(MustParse("0 0 1 jan,Jul *").ToString(), "0 0 1 JAN,JUL *");
  EXPECT_EQ(MustParse("*/5 * * * * *").ToString(), "*/5 * * * * *");
  EXPECT_EQ(MustParse("@every 90s").ToString(), "@every 90s");
  for (const char* expr : {"0 9 * * mon-fri", "@weekly", "@every 1h30m", "5/10 1-3 */2 * 0,7"}) {
    CronSchedule a = MustParse(expr);
    CronSchedule b = MustParse(a.ToString());
    EXPECT_EQ(a.ToString(), b.ToString());
    EXPECT_EQ(a.Next(T("2026-01-01T00:00:00Z")), b.Next(T("2026-01-01T00:00:00Z"))) << expr;
  }
}

TEST(CronTest, TimeZoneDefaultsToUtc) {
  EXPECT_EQ(MustParse("* * * * *").time_zone(), "UTC");
  EXPECT_EQ(MustParse("* * * * *", "").time_zone(), "UTC");
  EXPECT_EQ(MustParse("* * * * *", "Etc/UTC").time_zone(), "Etc/UTC");
}

TEST(CronTest, FieldCountAndEmptyErrors) {
  EXPECT_EQ(ParseError(""), "empty cron expression");
  EXPECT_EQ(ParseError(" \t "), "empty cron expression");
  EXPECT_EQ(ParseError("* * *"), "expected 5 or 6 fields, got 3");
  EXPECT_EQ(ParseError("* * * * * * *"), "expected 5 or 6 fields, got 7");
  EXPECT_EQ(ParseError("hello"), "expected 5 or 6 fields, got 1");
}

TEST(CronTest, OutOfRangeErrors) {
  EXPECT_EQ(ParseError("61 * * * *"), "minute field \"61\": value out of range 0-59");
  EXPECT_EQ(ParseError("5,61 * * * *"), "minute field \"61\": value out of range 0-59");
  EXPECT_EQ(ParseError("* 24 * * *"), "hour field \"24\": value out of range 0-23");
  EXPECT_EQ(ParseError("* * 0 * *"), "day-of-month field \"0\": value out of range 1-31");
  EXPECT_EQ(ParseError("* * 32 * *"), "day-of-month field \"32\": value out of range 1-31");
  EXPECT_EQ(ParseError("* * * 13 *"), "month field \"13\": value out of range 1-12");
  EXPECT_EQ(ParseError("* * * 0 *"), "month field \"0\": value out of range 1-12");
  EXPECT_EQ(ParseError("* * * * 8"), "day-of-week field \"8\": value out of range 0-7");
  EXPECT_EQ(ParseError("60 * * * * *"), "second field \"60\": value out of range 0-59");
  EXPECT_EQ(ParseError("0-60 * * * *"), "minute field \"0-60\": value out of range 0-59");
  EXPECT_EQ(ParseError("99999999999999999999 * * * *"),
            "minute field \"99999999999999999999\": value out of range 0-59");
}

TEST(CronTest, SyntaxErrors) {
  EXPECT_EQ(ParseError("30-10 * * * *"), "minute field \"30-10\": range start 30 is after end 10");
  EXPECT_EQ(ParseError("*/0 * * * *"), "minute field \"*/0\": step out of range 1-59");
  EXPECT_EQ(ParseError("*/60 * * * *"), "minute field \"*/60\": step out of range 1-59");
  EXPECT_EQ(ParseError("*/x * * * *"), "minute field \"*/x\": step \"x\" is not a number");
  EXPECT_EQ(ParseError("*/5/2 * * * *"), "minute field \"*/5/2\": more than one \"/\"");
  EXPECT_EQ(ParseError("/5 * * * *"), "minute field \"/5\": missing value before \"/\"");
  EXPECT_EQ(ParseError("abc * * * *"), "minute field \"abc\": \"abc\" is not a number");
  EXPECT_EQ(ParseError("* MON * * *"), "hour field \"MON\": \"MON\" is not a number");
  EXPECT_EQ(ParseError("-5 * * * *"), "minute field \"-5\": malformed range (expected A-B)");
  EXPECT_EQ(ParseError("5- * * * *"), "minute field \"5-\": malformed range (expected A-B)");
  EXPECT_EQ(ParseError("1-2-3 * * * *"), "minute field \"1-2-3\": malformed range (expected A-B)");
  EXPECT_EQ(ParseError("1,,2 * * * *"), "minute field \"1,,2\": empty list element");
  EXPECT_EQ(ParseError("1, * * * *"), "minute field \"1,\": empty list element");
  EXPECT_EQ(ParseError("* * * FOO *"),
            "month field \"FOO\": unknown name \"FOO\" (expected JAN-DEC or 1-12)");
  EXPECT_EQ(ParseError("* * * * MONDAY"),
            "day-of-week field \"MONDAY\": unknown name \"MONDAY\" (expected SUN-SAT or 0-7)");
}

TEST(CronTest, QuartzExtensionsAreRejected) {
  EXPECT_EQ(ParseError("0 0 L * *"), "day-of-month field \"L\": Quartz extension \"L\" is not supported");
  EXPECT_EQ(ParseError("0 0 15W * *"),
            "day-of-month field \"15W\": Quartz extension \"W\" is not supported");
  EXPECT_EQ(ParseError("0 0 LW * *"), "day-of-month field \"LW\": Quartz extension \"L\" is not supported");
  EXPECT_EQ(ParseError("0 0 L-3 * *"),
            "day-of-month field \"L-3\": Quartz extension \"L\" is not supported");
  EXPECT_EQ(ParseError("0 0 ? * MON"), "day-of-month field \"?\": Quartz extension \"?\" is not supported");
  EXPECT_EQ(ParseError("0 0 * * 5#3"), "day-of-week field \"5#3\": Quartz extension \"#\" is not supported");
  EXPECT_EQ(ParseError("0 0 * * 5L"), "day-of-week field \"5L\": Quartz extension \"L\" is not supported");
  EXPECT_EQ(ParseError("0 0 0 * * ?"), "day-of-week field \"?\": Quartz extension \"?\" is not supported");
}

TEST(CronTest, MacroErrors) {
  EXPECT_EQ(ParseError("@fortnightly"),
            "unknown macro \"@fortnightly\" (expected @yearly, @annually, @monthly, @weekly, "
            "@daily, @midnight, @hourly or @every <duration>)");
  EXPECT_EQ(ParseError("@daily 5"), "@daily takes no arguments, got \"5\"");
  EXPECT_EQ(ParseError("@every"), "@every takes one duration, e.g. \"@every 90s\", got 0");
  EXPECT_EQ(ParseError("@every 1h 2m"), "@every takes one duration, e.g. \"@every 90s\", got 2");
  EXPECT_EQ(ParseError("@every 500ms"), "@every duration \"500ms\": must be at least 1s");
  EXPECT_EQ(ParseError("@every 0s"), "@every duration \"0s\": must be at least 1s");
  EXPECT_EQ(ParseError("@every 90"), "@every duration \"90\": missing unit after \"90\" (use ms, s, m, h or d)");
  EXPECT_EQ(ParseError("@every 5x"), "@every duration \"5x\": unknown unit \"x\" (use ms, s, m, h or d)");
  EXPECT_EQ(ParseError("@every 5us"), "@every duration \"5us\": unknown unit \"us\" (use ms, s, m, h or d)");
  EXPECT_EQ(ParseError("@every h"), "@every duration \"h\": expected a number at position 0 (e.g. 90s, 1h30m, 1.5h)");
  EXPECT_EQ(ParseError("@every -5s"), "@every duration \"-5s\": must not be negative");
  EXPECT_EQ(ParseError("@every 36501d"), "@every duration \"36501d\": too large (max 100 years, 36500d)");
  EXPECT_EQ(ParseError("@every 99999999999999999999h"),
            "@every duration \"99999999999999999999h\": too large (max 100 years, 36500d)");
}

TEST(CronTest, UnknownTimeZone) {
  EXPECT_EQ(ParseError("* * * * *", "Mars/Base"), "unknown time zone \"Mars/Base\"");
  EXPECT_EQ(ParseError("@every 1h", "Mars/Base"), "unknown time zone \"Mars/Base\"");
  // The expression is checked first.
  EXPECT_EQ(ParseError("61 * * * *", "Mars/Base"), "minute field \"61\": value out of range 0-59");
}

}  // namespace
}  // namespace steward
