// The one duration grammar (core/duration.h): config, CLI, API and cron's
// @every all go through ParseDuration, so its cases are tested once, here.
#include "core/duration.h"

#include <gtest/gtest.h>

#include <string>

#include "steward/cron.h"

namespace steward {
namespace {

using namespace std::chrono_literals;

Micros Ok(std::string_view text) {
  Result<Micros> d = ParseDuration(text);
  EXPECT_TRUE(d.ok()) << text << ": " << d.status().ToString();
  return d.ok() ? *d : Micros(-1);
}

std::string Error(std::string_view text) {
  Result<Micros> d = ParseDuration(text);
  EXPECT_FALSE(d.ok()) << text << " parsed as " << (d.ok() ? d->count() : 0) << "us";
  if (d.ok()) return "";
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
  return d.status().message();
}

TEST(DurationTest, SingleUnits) {
  EXPECT_EQ(Ok("500ms"), 500ms);
  EXPECT_EQ(Ok("90s"), 90s);
  EXPECT_EQ(Ok("7m"), 7min);
  EXPECT_EQ(Ok("6h"), 6h);
  EXPECT_EQ(Ok("14d"), 14 * 24h);
  EXPECT_EQ(Ok("0s"), 0s);
  EXPECT_EQ(Ok("0ms"), 0s);
}

TEST(DurationTest, CompoundLargestFirst) {
  EXPECT_EQ(Ok("1h30m"), 90min);
  EXPECT_EQ(Ok("1d12h"), 36h);
  EXPECT_EQ(Ok("1s500ms"), 1500ms);
  EXPECT_EQ(Ok("2d3h4m5s6ms"), 2 * 24h + 3h + 4min + 5s + 6ms);
  // A unit may be skipped.
  EXPECT_EQ(Ok("1h5s"), 1h + 5s);
}

TEST(DurationTest, Decimals) {
  EXPECT_EQ(Ok("1.5h"), 90min);
  EXPECT_EQ(Ok("0.5s"), 500ms);
  EXPECT_EQ(Ok("2.25m"), 135s);
  EXPECT_EQ(Ok("1.5ms"), 1500us);
  EXPECT_EQ(Ok("1.000001s"), 1000001us);
  EXPECT_EQ(Ok("1h0.5m"), 1h + 30s);
  // Zeros past the microsecond are exact, so they are fine.
  EXPECT_EQ(Ok("1.0000000s"), 1s);
}

TEST(DurationTest, UnitsAreCaseInsensitive) {
  EXPECT_EQ(Ok("1H30M"), 90min);
  EXPECT_EQ(Ok("500MS"), 500ms);
}

TEST(DurationTest, UpToOneHundredYears) {
  EXPECT_EQ(Ok("36500d"), kMaxDuration);
  EXPECT_EQ(Ok("876000h"), kMaxDuration);
}

TEST(DurationTest, ErrorsNameTheTextAndTheProblem) {
  EXPECT_EQ(Error(""), "duration is empty (e.g. 90s, 1h30m, 1.5h)");
  EXPECT_EQ(Error("90"), "duration \"90\": missing unit after \"90\" (use ms, s, m, h or d)");
  EXPECT_EQ(Error("1h30"), "duration \"1h30\": missing unit after \"30\" (use ms, s, m, h or d)");
  EXPECT_EQ(Error("5x"), "duration \"5x\": unknown unit \"x\" (use ms, s, m, h or d)");
  EXPECT_EQ(Error("5us"), "duration \"5us\": unknown unit \"us\" (use ms, s, m, h or d)");
  EXPECT_EQ(Error("5min"), "duration \"5min\": unknown unit \"min\" (use ms, s, m, h or d)");
  EXPECT_EQ(Error("h"), "duration \"h\": expected a number at position 0 (e.g. 90s, 1h30m, 1.5h)");
  EXPECT_EQ(Error(".5h"),
            "duration \".5h\": expected a number at position 0 (e.g. 90s, 1h30m, 1.5h)");
  EXPECT_EQ(Error("1.h"), "duration \"1.h\": expected digits after the decimal point");
  EXPECT_EQ(Error("-5s"), "duration \"-5s\": must not be negative");
  EXPECT_EQ(Error("+5s"),
            "duration \"+5s\": expected a number at position 0 (e.g. 90s, 1h30m, 1.5h)");
  EXPECT_EQ(Error("1h -5s"), "duration \"1h -5s\": no spaces allowed (write 1h30m)");
  EXPECT_EQ(Error(" 5s"), "duration \" 5s\": no spaces allowed (write 1h30m)");
  EXPECT_EQ(Error("30m1h"),
            "duration \"30m1h\": units must go from largest to smallest, each at most once "
            "(e.g. 1h30m)");
  EXPECT_EQ(Error("1m30m"),
            "duration \"1m30m\": units must go from largest to smallest, each at most once "
            "(e.g. 1h30m)");
  EXPECT_EQ(Error("1.0000001s"), "duration \"1.0000001s\": more precise than a microsecond");
  EXPECT_EQ(Error("36501d"), "duration \"36501d\": too large (max 100 years, 36500d)");
  EXPECT_EQ(Error("36500d1ms"), "duration \"36500d1ms\": too large (max 100 years, 36500d)");
  EXPECT_EQ(Error("99999999999999999999h"),
            "duration \"99999999999999999999h\": too large (max 100 years, 36500d)");
  EXPECT_EQ(Error("9223372036854775807ms"),
            "duration \"9223372036854775807ms\": too large (max 100 years, 36500d)");
}

TEST(DurationTest, FormatIsShortestAndParsesBack) {
  EXPECT_EQ(FormatDuration(0s), "0s");
  EXPECT_EQ(FormatDuration(90min), "1h30m");
  EXPECT_EQ(FormatDuration(250ms), "250ms");
  EXPECT_EQ(FormatDuration(1500us), "1.5ms");
  EXPECT_EQ(FormatDuration(1s + 1us), "1s0.001ms");
  EXPECT_EQ(FormatDuration(14 * 24h), "14d");
  for (Micros d : {Micros(1), Micros(999), Micros(1001), Micros(61'000'123), Micros(90'061'001'010),
                   kMaxDuration}) {
    EXPECT_EQ(Ok(FormatDuration(d)), d) << FormatDuration(d);
  }
}

// Cron's @every uses the same grammar: what parses here parses there (from
// 1s up), and the errors are the same words.
TEST(DurationTest, CronEveryAgrees) {
  for (const char* text : {"1.5h", "1h30m", "90s", "1s500ms", "2d", "1H30M"}) {
    Result<CronSchedule> s = CronSchedule::Parse(std::string("@every ") + text, "UTC");
    ASSERT_TRUE(s.ok()) << text << ": " << s.status().ToString();
    ASSERT_TRUE(s->interval().has_value());
    EXPECT_EQ(*s->interval(), Ok(text)) << text;
  }
  for (const char* text : {"30m1h", "-5s", "1.h", "5us", "36501d"}) {
    Result<CronSchedule> s = CronSchedule::Parse(std::string("@every ") + text, "UTC");
    ASSERT_FALSE(s.ok()) << text;
    EXPECT_EQ(s.status().message(), "@every " + Error(text));
  }
}

}  // namespace
}  // namespace steward
