// ParseJsonLimited: outside JSON deeper than the limit is refused before
// nlohmann builds (and later recursively walks) it.
#include "core/json_limits.h"

#include <gtest/gtest.h>

#include <string>

#include "steward/job.h"

namespace steward {
namespace {

std::string Nested(size_t depth, std::string_view inner = "") {
  return std::string(depth, '[') + std::string(inner) + std::string(depth, ']');
}

TEST(JsonNestingDepth, CountsArraysAndObjects) {
  EXPECT_EQ(JsonNestingDepth("1"), 0u);
  EXPECT_EQ(JsonNestingDepth("[]"), 1u);
  EXPECT_EQ(JsonNestingDepth(R"({"a":[1,{"b":[]}],"c":{}})"), 4u);
  EXPECT_EQ(JsonNestingDepth(Nested(1000)), 1000u);
}

TEST(JsonNestingDepth, IgnoresBracketsInsideStrings) {
  EXPECT_EQ(JsonNestingDepth(R"({"a":"[[[[{{{{"})"), 1u);
  // An escaped quote does not end the string; the brackets stay inside it.
  EXPECT_EQ(JsonNestingDepth(R"(["\"[[[[", "\\"])"), 1u);
}

TEST(JsonNestingDepth, StopsCountingAboveTheLimit) {
  EXPECT_EQ(JsonNestingDepth(Nested(100000), 64), 65u);
}

TEST(ParseJsonLimited, AcceptsUpToTheLimit) {
  JsonLimits limits;
  auto j = ParseJsonLimited(Nested(limits.max_depth, "1"));
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_TRUE(j->is_array());
  auto obj = ParseJsonLimited(R"({"kind":"a","payload":{"x":[1,2,3]}})");
  ASSERT_TRUE(obj.ok());
  EXPECT_EQ((*obj)["payload"]["x"][2], 3);
}

TEST(ParseJsonLimited, RefusesOneLevelDeeperNamingTheLimit) {
  JsonLimits limits;
  auto j = ParseJsonLimited(Nested(limits.max_depth + 1));
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(j.status().message().find("deeper than " + std::to_string(limits.max_depth)),
            std::string::npos)
      << j.status().message();
}

TEST(ParseJsonLimited, RefusesHundredThousandLevelsWithoutCrashing) {
  std::string deep = R"({"kind":"a","payload":)" + Nested(100000) + "}";
  auto j = ParseJsonLimited(deep);
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), StatusCode::kInvalidArgument);
  // Unbalanced (an attacker need not close the brackets): refused the same way.
  EXPECT_FALSE(ParseJsonLimited(std::string(100000, '{')).ok());
}

TEST(ParseJsonLimited, HonoursACustomLimit) {
  EXPECT_TRUE(ParseJsonLimited("[[1]]", JsonLimits{.max_depth = 2}).ok());
  EXPECT_FALSE(ParseJsonLimited("[[[1]]]", JsonLimits{.max_depth = 2}).ok());
}

TEST(ParseJsonLimited, ReportsMalformedJsonAsInvalidArgument) {
  auto j = ParseJsonLimited("{\"a\":");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(j.status().message().find("malformed JSON"), std::string::npos);
}

TEST(ParseJsonOrDiscarded, DiscardsMalformedAndTooDeep) {
  EXPECT_TRUE(ParseJsonOrDiscarded("{").is_discarded());
  EXPECT_TRUE(ParseJsonOrDiscarded(Nested(65)).is_discarded());
  EXPECT_EQ(ParseJsonOrDiscarded(R"({"a":1})")["a"], 1);
}

// Every enqueue path (API, CLI argument, Client) validates the payload here.
TEST(ValidateNewJob, RefusesPayloadNestedTooDeep) {
  NewJob j;
  j.kind = "a";
  j.payload = Nested(JsonLimits{}.max_depth);
  EXPECT_TRUE(ValidateNewJob(j).ok());
  j.payload = Nested(100000);
  Status st = ValidateNewJob(j);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("payload: JSON nested deeper than"), std::string::npos)
      << st.message();
}

}  // namespace
}  // namespace steward
