// Job validation: every bad field gets kInvalidArgument naming it.
#include <gtest/gtest.h>

#include "steward/job.h"

namespace steward {
namespace {

NewJob Valid() {
  NewJob j;
  j.kind = "email.send";
  return j;
}

TEST(ValidateNewJob, AcceptsDefaults) { EXPECT_TRUE(ValidateNewJob(Valid()).ok()); }

TEST(ValidateNewJob, RejectsMalformedPayloadNamingTheProblem) {
  for (const char* payload : {"{not json", "", "[1,2", "{\"a\":}"}) {
    NewJob j = Valid();
    j.payload = payload;
    Status st = ValidateNewJob(j);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << payload;
    EXPECT_NE(st.message().find("payload is not valid JSON"), std::string::npos) << st.message();
  }
}

// Found by the api_json fuzzer: a number too large for a double made the
// JSON library throw out_of_range, not parse_error.
TEST(ValidateNewJob, NumberOverflowIsInvalidNotACrash) {
  NewJob j = Valid();
  j.payload = "2e666666";
  EXPECT_EQ(ValidateNewJob(j).code(), StatusCode::kInvalidArgument);
}

TEST(ValidateNewJob, RejectsBadNamesAndRanges) {
  NewJob j = Valid();
  j.kind = "";
  EXPECT_EQ(ValidateNewJob(j).code(), StatusCode::kInvalidArgument);
  j = Valid();
  j.queue = "has space";
  EXPECT_NE(ValidateNewJob(j).message().find("queue \"has space\""), std::string::npos);
  j = Valid();
  j.priority = 5000;
  EXPECT_NE(ValidateNewJob(j).message().find("priority"), std::string::npos);
  j = Valid();
  j.max_attempts = 0;
  EXPECT_NE(ValidateNewJob(j).message().find("max_attempts"), std::string::npos);
  j = Valid();
  j.unique_key = "";
  EXPECT_NE(ValidateNewJob(j).message().find("unique_key"), std::string::npos);
}

TEST(JobState, NamesRoundTrip) {
  for (JobState s : {JobState::kScheduled, JobState::kAvailable, JobState::kRunning,
                     JobState::kRetryable, JobState::kCompleted, JobState::kDiscarded,
                     JobState::kCancelled}) {
    auto parsed = ParseJobState(JobStateName(s));
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, s);
  }
  EXPECT_FALSE(ParseJobState("exploded").has_value());
}

}  // namespace
}  // namespace steward
