// RFC 3339 parsing, shared by the CLI (--run-at) and the API (run_at).
#include <gtest/gtest.h>

#include "core/time_parse.h"

namespace steward {
namespace {

TEST(ParseTimestamp, UtcOffsetsAndFractions) {
  auto z = ParseTimestamp("2026-11-26T09:00:00Z");
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(ToMicros(*z), 1'795'683'600'000'000);
  auto off = ParseTimestamp("2026-11-26T10:00:00.25+01:00");
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(ToMicros(*off) - ToMicros(*z), 250'000);
}

TEST(ParseTimestamp, RejectsNonRfc3339WithTheText) {
  for (const char* bad : {"tomorrow", "2026-11-26", "2026-13-01T00:00:00Z",
                          "2026-02-30T00:00:00Z", "2026-11-26T09:00:00", "2026-11-26T09:00:00Zjunk"}) {
    auto t = ParseTimestamp(bad);
    ASSERT_FALSE(t.ok()) << bad;
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(t.status().message().find(bad), std::string::npos);
  }
}

}  // namespace
}  // namespace steward
