// CompletionFor: the one mapping from how an attempt ended to the record the
// store applies.
#include <gtest/gtest.h>

#include "runtime/completion.h"
#include "support/test_time.h"

namespace steward::testing {
namespace {

using namespace std::chrono_literals;

class CompletionTest : public ::testing::Test {
 protected:
  CompletionTest() {
    job_.id = 42;
    job_.attempt = 3;
  }
  JobCompletion For(const Outcome& outcome, bool cancel_requested = false,
                    std::optional<Micros> duration = std::nullopt) {
    return CompletionFor(AttemptEnd{.job = job_,
                                    .outcome = outcome,
                                    .policy = policy_,
                                    .cancel_requested = cancel_requested,
                                    .worker_id = worker_,
                                    .now = now_,
                                    .duration = duration});
  }

  Job job_;
  RetryPolicy policy_{.base = 10s, .max = 1h, .jitter = 0};
  std::string worker_ = "w1";
  Timestamp now_ = T("2026-03-01T10:00:00Z");
};

TEST_F(CompletionTest, SuccessIsCompletedWithoutError) {
  JobCompletion c = For(Outcome::Success());
  EXPECT_EQ(c.kind, JobCompletion::Kind::kCompleted);
  EXPECT_EQ(c.id, 42);
  EXPECT_EQ(c.attempt, 3);
  EXPECT_EQ(c.worker_id, "w1");
  EXPECT_EQ(c.finished_at, now_);
  EXPECT_FALSE(c.error);
}

TEST_F(CompletionTest, RetryWaitsThePolicyDelayUnlessTheHandlerGaveOne) {
  JobCompletion by_policy = For(Outcome::Failure("boom", "trace"));
  EXPECT_EQ(by_policy.kind, JobCompletion::Kind::kRetry);
  EXPECT_EQ(by_policy.retry_at, now_ + 40s);  // base * 2^(attempt-1)
  ASSERT_TRUE(by_policy.error);
  EXPECT_EQ(by_policy.error->message, "boom");
  EXPECT_EQ(by_policy.error->detail, "trace");
  EXPECT_EQ(by_policy.error->attempt, 3);
  EXPECT_EQ(For(Outcome::Retry("later", 5s)).retry_at, now_ + 5s);
}

TEST_F(CompletionTest, AnAttemptErrorNamesItsWorkerAndHowLongItRan) {
  JobCompletion c = For(Outcome::Failure("boom"), false, 1500ms);
  ASSERT_TRUE(c.error);
  EXPECT_EQ(c.error->worker, "w1");
  EXPECT_EQ(c.error->duration, Micros(1500ms));
  JobCompletion timed_out = For(Outcome::Failure("timeout"));
  ASSERT_TRUE(timed_out.error);
  EXPECT_EQ(timed_out.error->worker, "w1");
  EXPECT_FALSE(timed_out.error->duration) << "not measured: left unknown";
}

TEST_F(CompletionTest, SnoozeHasNoErrorAndDiscardKeepsTheMessage) {
  JobCompletion snooze = For(Outcome::Snooze(2min));
  EXPECT_EQ(snooze.kind, JobCompletion::Kind::kSnooze);
  EXPECT_EQ(snooze.retry_at, now_ + 2min);
  EXPECT_FALSE(snooze.error);
  JobCompletion discard = For(Outcome::Discard("bad address"));
  EXPECT_EQ(discard.kind, JobCompletion::Kind::kDiscard);
  ASSERT_TRUE(discard.error);
  EXPECT_EQ(discard.error->message, "bad address");
}

TEST_F(CompletionTest, AFailureAfterACancelRequestEndsCancelledButASuccessStands) {
  JobCompletion failed = For(Outcome::Failure("interrupted"), /*cancel_requested=*/true);
  EXPECT_EQ(failed.kind, JobCompletion::Kind::kCancelled);
  ASSERT_TRUE(failed.error);
  EXPECT_EQ(failed.error->message, "cancelled: interrupted");
  EXPECT_EQ(For(Outcome::Snooze(1s), true).kind, JobCompletion::Kind::kCancelled);
  EXPECT_EQ(For(Outcome::Success(), true).kind, JobCompletion::Kind::kCompleted);
}

}  // namespace
}  // namespace steward::testing
