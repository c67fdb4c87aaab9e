// Conformance: JobCompleteMany for every outcome, and lost-lease protection.
#include <vector>

#include "store/store_fixture.h"

namespace steward::testing {
namespace {

using ::testing::IsEmpty;

class JobCompleteTest : public StoreTest {
 protected:
  // Inserts a job with max_attempts and claims it at At(1).
  Job InsertAndClaim(int max_attempts = 20) {
    NewJob nj = MakeJob();
    nj.max_attempts = max_attempts;
    Insert(nj);
    std::vector<Job> c = Claim("default", 1, At(1));
    EXPECT_EQ(c.size(), 1u);
    return c.empty() ? Job{} : c[0];
  }

  static AttemptError Err(const std::string& message, Timestamp at = At(2)) {
    AttemptError e;
    e.at = at;
    e.message = message;
    e.detail = "stack: frame 1\nframe 2";
    return e;
  }
};

TEST_P(JobCompleteTest, SuccessFinishesTheJob) {
  Job job = InsertAndClaim();
  JobCompletionResult r = Complete(Completion(job, JobCompletion::Kind::kCompleted, At(2)));
  EXPECT_TRUE(r.applied);
  EXPECT_EQ(r.id, job.id);
  EXPECT_EQ(r.new_state, JobState::kCompleted);
  Job g = Get(job.id);
  EXPECT_EQ(g.state, JobState::kCompleted);
  EXPECT_EQ(g.finished_at, At(2));
  EXPECT_EQ(g.attempt, 1);
  EXPECT_FALSE(g.lease_expires_at.has_value());
  EXPECT_TRUE(g.errors.empty());
}

TEST_P(JobCompleteTest, WrongOwnerIsIgnored) {
  Job job = InsertAndClaim();
  JobCompletion c = Completion(job, JobCompletion::Kind::kCompleted);
  c.worker_id = "someone-else";
  JobCompletionResult r = Complete(c);
  EXPECT_FALSE(r.applied);
  EXPECT_EQ(Get(job.id).state, JobState::kRunning);
}

TEST_P(JobCompleteTest, WrongAttemptIsIgnored) {
  Job job = InsertAndClaim();
  JobCompletion c = Completion(job, JobCompletion::Kind::kDiscard);
  c.attempt = job.attempt + 1;
  EXPECT_FALSE(Complete(c).applied);
  c.attempt = job.attempt - 1;
  EXPECT_FALSE(Complete(c).applied);
  Job g = Get(job.id);
  EXPECT_EQ(g.state, JobState::kRunning);
  EXPECT_TRUE(g.errors.empty());
}

TEST_P(JobCompleteTest, SecondCompletionIsIgnored) {
  Job job = InsertAndClaim();
  ASSERT_TRUE(Complete(Completion(job, JobCompletion::Kind::kCompleted, At(2))).applied);
  EXPECT_FALSE(Complete(Completion(job, JobCompletion::Kind::kRetry, At(3))).applied);
  Job g = Get(job.id);
  EXPECT_EQ(g.state, JobState::kCompleted);
  EXPECT_EQ(g.finished_at, At(2));
}

TEST_P(JobCompleteTest, UnknownIdIsNotApplied) {
  JobCompletion c;
  c.id = 987654;
  c.worker_id = "w";
  c.attempt = 1;
  EXPECT_FALSE(Complete(c).applied);
}

TEST_P(JobCompleteTest, RetryMakesItRetryableAndRecordsTheError) {
  Job job = InsertAndClaim(/*max_attempts=*/3);
  JobCompletion c = Completion(job, JobCompletion::Kind::kRetry, At(2));
  c.retry_at = At(17);
  c.error = Err("connection refused");
  JobCompletionResult r = Complete(c);
  EXPECT_TRUE(r.applied);
  EXPECT_EQ(r.new_state, JobState::kRetryable);
  Job g = Get(job.id);
  EXPECT_EQ(g.state, JobState::kRetryable);
  EXPECT_EQ(g.run_at, At(17));
  EXPECT_EQ(g.attempt, 1);
  EXPECT_FALSE(g.finished_at.has_value());
  EXPECT_FALSE(g.lease_owner.has_value());
  EXPECT_FALSE(g.lease_expires_at.has_value());
  ASSERT_EQ(g.errors.size(), 1u);
  EXPECT_EQ(g.errors[0].attempt, 1);
  EXPECT_EQ(g.errors[0].at, At(2));
  EXPECT_EQ(g.errors[0].message, "connection refused");
  EXPECT_EQ(g.errors[0].detail, "stack: frame 1\nframe 2");
}

TEST_P(JobCompleteTest, RetryOnTheLastAttemptDiscards) {
  Insert([] {
    NewJob nj = MakeJob();
    nj.max_attempts = 2;
    return nj;
  }());
  for (int attempt = 1; attempt <= 2; ++attempt) {
    std::vector<Job> c = Claim("default", 1, At(attempt * 100));
    ASSERT_EQ(c.size(), 1u);
    ASSERT_EQ(c[0].attempt, attempt);
    JobCompletion fail = Completion(c[0], JobCompletion::Kind::kRetry, At(attempt * 100 + 1));
    fail.retry_at = At(attempt * 100 + 50);
    fail.error = Err("boom " + std::to_string(attempt), At(attempt * 100 + 1));
    JobCompletionResult r = Complete(fail);
    ASSERT_TRUE(r.applied);
    EXPECT_EQ(r.new_state, attempt < 2 ? JobState::kRetryable : JobState::kDiscarded);
  }
  std::vector<Job> none = Claim("default", 1, At(1000));
  EXPECT_THAT(none, IsEmpty());
  auto list = store().JobList(JobListParams{});
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 1u);
  Job g = Get((*list)[0].id);
  EXPECT_EQ(g.state, JobState::kDiscarded);
  EXPECT_EQ(g.finished_at, At(201));
  ASSERT_EQ(g.errors.size(), 2u);
  EXPECT_EQ(g.errors[0].attempt, 1);
  EXPECT_EQ(g.errors[0].message, "boom 1");
  EXPECT_EQ(g.errors[1].attempt, 2);
  EXPECT_EQ(g.errors[1].message, "boom 2");
}

TEST_P(JobCompleteTest, SnoozeDoesNotCountTheAttempt) {
  Job job = InsertAndClaim(/*max_attempts=*/1);
  JobCompletion snooze = Completion(job, JobCompletion::Kind::kSnooze, At(2));
  snooze.retry_at = At(30);
  JobCompletionResult r = Complete(snooze);
  EXPECT_TRUE(r.applied);
  EXPECT_EQ(r.new_state, JobState::kScheduled);
  Job g = Get(job.id);
  EXPECT_EQ(g.state, JobState::kScheduled);
  EXPECT_EQ(g.attempt, 0);
  EXPECT_EQ(g.run_at, At(30));
  EXPECT_FALSE(g.lease_owner.has_value());
  EXPECT_TRUE(g.errors.empty());

  // With max_attempts=1 the job still gets its one real attempt.
  EXPECT_THAT(Claim("default", 1, At(29)), IsEmpty());
  std::vector<Job> again = Claim("default", 1, At(30));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].attempt, 1);
}

TEST_P(JobCompleteTest, DiscardIsFinalWhateverAttemptsRemain) {
  Job job = InsertAndClaim(/*max_attempts=*/20);
  JobCompletion c = Completion(job, JobCompletion::Kind::kDiscard, At(4));
  c.error = Err("bad input: no recipient");
  JobCompletionResult r = Complete(c);
  EXPECT_TRUE(r.applied);
  EXPECT_EQ(r.new_state, JobState::kDiscarded);
  Job g = Get(job.id);
  EXPECT_EQ(g.state, JobState::kDiscarded);
  EXPECT_EQ(g.finished_at, At(4));
  ASSERT_EQ(g.errors.size(), 1u);
  EXPECT_EQ(g.errors[0].message, "bad input: no recipient");
}

TEST_P(JobCompleteTest, CancelledOutcomeFinishesAsCancelled) {
  Job job = InsertAndClaim();
  ASSERT_OK(store().JobCancel(job.id, At(2)));
  JobCompletion c = Completion(job, JobCompletion::Kind::kCancelled, At(3));
  JobCompletionResult r = Complete(c);
  EXPECT_TRUE(r.applied);
  EXPECT_EQ(r.new_state, JobState::kCancelled);
  Job g = Get(job.id);
  EXPECT_EQ(g.state, JobState::kCancelled);
  EXPECT_EQ(g.finished_at, At(3));
}

// A person cancelled the job while it ran and the handler then failed: it
// must not come back as retryable.
TEST_P(JobCompleteTest, RetryOfACancelRequestedJobCancels) {
  Job job = InsertAndClaim();
  ASSERT_OK(store().JobCancel(job.id, At(2)));
  JobCompletionResult r = Complete(Completion(job, JobCompletion::Kind::kRetry, At(3)));
  EXPECT_TRUE(r.applied);
  EXPECT_EQ(r.new_state, JobState::kCancelled);
  EXPECT_EQ(Get(job.id).state, JobState::kCancelled);
  EXPECT_THAT(Claim("default", 1, At(100)), IsEmpty());
}

TEST_P(JobCompleteTest, BatchReportsEachResultInOrder) {
  InsertN(3);
  std::vector<Job> c = Claim("default", 3, At(1));
  ASSERT_EQ(c.size(), 3u);
  std::vector<JobCompletion> batch = {
      Completion(c[0], JobCompletion::Kind::kCompleted),
      Completion(c[1], JobCompletion::Kind::kRetry),
      Completion(c[2], JobCompletion::Kind::kCompleted),
  };
  batch[2].worker_id = "not-the-owner";
  auto r = store().JobCompleteMany(batch);
  ASSERT_OK(r);
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].id, c[0].id);
  EXPECT_TRUE((*r)[0].applied);
  EXPECT_EQ((*r)[0].new_state, JobState::kCompleted);
  EXPECT_EQ((*r)[1].id, c[1].id);
  EXPECT_TRUE((*r)[1].applied);
  EXPECT_EQ((*r)[1].new_state, JobState::kRetryable);
  EXPECT_EQ((*r)[2].id, c[2].id);
  EXPECT_FALSE((*r)[2].applied);
  EXPECT_EQ(Get(c[2].id).state, JobState::kRunning);
}

TEST_P(JobCompleteTest, EmptyBatchIsFine) {
  auto r = store().JobCompleteMany({});
  ASSERT_OK(r);
  EXPECT_TRUE(r->empty());
}

STEWARD_INSTANTIATE_STORE_SUITE(JobCompleteTest);

}  // namespace
}  // namespace steward::testing
