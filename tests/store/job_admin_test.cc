// Conformance: JobGet/JobList, the retry and cancel transitions a person
// triggers, and retention (JobDeleteFinished).
#include <algorithm>
#include <set>
#include <vector>

#include "store/store_fixture.h"

namespace steward::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class JobAdminTest : public StoreTest {
 protected:
  // A job driven to `state` (a finished state, or running) at At(1..2).
  int64_t JobIn(JobState state, const std::string& queue = "default") {
    NewJob nj = MakeJob("k", queue);
    nj.max_attempts = 1;
    int64_t id = Insert(nj);
    if (state == JobState::kAvailable) return id;
    if (state == JobState::kCancelled) {
      EXPECT_OK(store().JobCancel(id, At(2)));
      return id;
    }
    std::vector<Job> c = Claim(queue, 1, At(1));
    EXPECT_EQ(c.size(), 1u);
    if (c.empty() || state == JobState::kRunning) return id;
    JobCompletion done = Completion(
        c[0], state == JobState::kCompleted ? JobCompletion::Kind::kCompleted
                                            : JobCompletion::Kind::kRetry,
        At(2));
    AttemptError e;
    e.message = "failed";
    e.at = At(2);
    if (state == JobState::kDiscarded) done.error = e;
    EXPECT_TRUE(Complete(done).applied);
    EXPECT_EQ(Get(id).state, state);
    return id;
  }

  std::vector<Job> List(const JobListParams& p) {
    auto r = store().JobList(p);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<Job>{};
  }
};

TEST_P(JobAdminTest, GetMissingIsNotFound) {
  EXPECT_THAT(store().JobGet(12345), StatusIs(StatusCode::kNotFound));
}

TEST_P(JobAdminTest, ListIsNewestFirstAndFilters) {
  int64_t a1 = Insert(MakeJob("email", "a"));
  int64_t b1 = Insert(MakeJob("sms", "b"));
  int64_t a2 = Insert(MakeJob("sms", "a"));
  int64_t a3 = Insert(MakeJob("email", "a"));
  ASSERT_EQ(Claim("a", 1, At(1)).size(), 1u);  // takes a1

  EXPECT_THAT(Ids(List(JobListParams{})), ElementsAre(a3, a2, b1, a1));
  JobListParams by_queue;
  by_queue.queue = "a";
  EXPECT_THAT(Ids(List(by_queue)), ElementsAre(a3, a2, a1));
  JobListParams by_kind;
  by_kind.kind = "sms";
  EXPECT_THAT(Ids(List(by_kind)), ElementsAre(a2, b1));
  JobListParams by_state;
  by_state.state = JobState::kRunning;
  EXPECT_THAT(Ids(List(by_state)), ElementsAre(a1));
  JobListParams all_three;
  all_three.queue = "a";
  all_three.kind = "email";
  all_three.state = JobState::kAvailable;
  EXPECT_THAT(Ids(List(all_three)), ElementsAre(a3));
  JobListParams nothing;
  nothing.queue = "zzz";
  EXPECT_THAT(List(nothing), IsEmpty());

  // List does not load errors, but does carry the other fields.
  std::vector<Job> running = List(by_state);
  ASSERT_EQ(running.size(), 1u);
  EXPECT_EQ(running[0].lease_owner, "worker-a");
  EXPECT_EQ(running[0].attempt, 1);
}

TEST_P(JobAdminTest, CursorPaginationHasNoGapsOrOverlaps) {
  std::vector<int64_t> ids = InsertN(23);
  // Some other-queue jobs interleaved, filtered out by the queue filter.
  InsertN(5, MakeJob("k", "other"));
  ids = [&] {
    std::vector<int64_t> more = InsertN(4);
    ids.insert(ids.end(), more.begin(), more.end());
    return ids;
  }();
  std::vector<int64_t> seen;
  JobListParams p;
  p.queue = "default";
  p.limit = 5;
  int pages = 0;
  while (true) {
    std::vector<Job> page = List(p);
    if (page.empty()) break;
    ++pages;
    ASSERT_LE(page.size(), 5u);
    for (const Job& j : page) seen.push_back(j.id);
    p.before_id = page.back().id;
    ASSERT_LT(pages, 20) << "pagination does not terminate";
  }
  EXPECT_EQ(pages, 6);  // 27 jobs in pages of 5
  std::vector<int64_t> expected = ids;
  std::sort(expected.rbegin(), expected.rend());
  EXPECT_EQ(seen, expected);
}

TEST_P(JobAdminTest, ListRejectsBadLimits) {
  JobListParams p;
  p.limit = 0;
  EXPECT_THAT(store().JobList(p), StatusIs(StatusCode::kInvalidArgument));
  p.limit = 1001;
  EXPECT_THAT(store().JobList(p), StatusIs(StatusCode::kInvalidArgument));
  p.limit = 1000;
  EXPECT_OK(store().JobList(p));
}

TEST_P(JobAdminTest, RetryRevivesADiscardedJobKeepingItsErrors) {
  int64_t id = JobIn(JobState::kDiscarded);
  ASSERT_OK(store().JobRetry(id, At(50)));
  Job g = Get(id);
  EXPECT_EQ(g.state, JobState::kAvailable);
  EXPECT_EQ(g.run_at, At(50));
  EXPECT_EQ(g.attempt, 0);
  EXPECT_EQ(g.max_attempts, 1) << "max_attempts is unchanged";
  EXPECT_FALSE(g.finished_at.has_value());
  ASSERT_EQ(g.errors.size(), 1u);
  EXPECT_EQ(g.errors[0].message, "failed");

  std::vector<Job> c = Claim("default", 1, At(50));
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].attempt, 1);
}

TEST_P(JobAdminTest, RetryWorksOnCompletedAndCancelledJobs) {
  int64_t completed = JobIn(JobState::kCompleted);
  int64_t cancelled = JobIn(JobState::kCancelled, "other");
  ASSERT_OK(store().JobRetry(completed, At(9)));
  ASSERT_OK(store().JobRetry(cancelled, At(9)));
  EXPECT_EQ(Get(completed).state, JobState::kAvailable);
  Job c = Get(cancelled);
  EXPECT_EQ(c.state, JobState::kAvailable);
  EXPECT_FALSE(c.cancel_requested);
}

TEST_P(JobAdminTest, RetryOfAnUnfinishedJobIsAFailedPrecondition) {
  int64_t available = JobIn(JobState::kAvailable);
  int64_t running = JobIn(JobState::kRunning, "other");
  EXPECT_THAT(store().JobRetry(available, At(5)), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(store().JobRetry(running, At(5)), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_EQ(Get(running).state, JobState::kRunning);
  EXPECT_EQ(Get(running).attempt, 1);
  EXPECT_THAT(store().JobRetry(999999, At(5)), StatusIs(StatusCode::kNotFound));
}

TEST_P(JobAdminTest, RetryCannotBreakUniqueness) {
  NewJob nj = MakeJob();
  nj.unique_key = "daily";
  int64_t old_id = Insert(nj);
  ASSERT_OK(store().JobCancel(old_id, At(1)));
  int64_t new_id = Insert(nj, At(2));
  ASSERT_NE(new_id, old_id);
  EXPECT_THAT(store().JobRetry(old_id, At(3)), StatusIs(StatusCode::kAlreadyExists));
  EXPECT_EQ(Get(old_id).state, JobState::kCancelled);
}

TEST_P(JobAdminTest, RunNowMakesAPendingJobDueAndKeepsItsAttempts) {
  NewJob later = MakeJob();
  later.run_at = At(100);
  int64_t scheduled = Insert(later, At(0));
  ASSERT_OK(store().JobRunNow(scheduled, At(5)));
  Job s = Get(scheduled);
  EXPECT_EQ(s.state, JobState::kAvailable);
  EXPECT_EQ(s.run_at, At(5));

  // A retryable job runs now, and its failed attempt still counts.
  NewJob twice = MakeJob("k", "q2");
  twice.max_attempts = 2;
  int64_t retryable = Insert(twice, At(0));
  std::vector<Job> c = Claim("q2", 1, At(1));
  ASSERT_EQ(c.size(), 1u);
  JobCompletion failed = Completion(c[0], JobCompletion::Kind::kRetry, At(2));
  AttemptError e;
  e.message = "boom";
  e.at = At(2);
  failed.error = e;
  ASSERT_TRUE(Complete(failed).applied);
  ASSERT_EQ(Get(retryable).state, JobState::kRetryable);
  ASSERT_OK(store().JobRunNow(retryable, At(3)));
  Job r = Get(retryable);
  EXPECT_EQ(r.state, JobState::kAvailable);
  EXPECT_EQ(r.run_at, At(3));
  EXPECT_EQ(r.attempt, 1);
  ASSERT_EQ(r.errors.size(), 1u);
  c = Claim("q2", 1, At(3));
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].attempt, 2);

  // An already-due job keeps its earlier place in the queue.
  int64_t available = Insert(MakeJob("k", "q3"), At(1));
  const Timestamp before = Get(available).run_at;
  ASSERT_OK(store().JobRunNow(available, At(50)));
  EXPECT_EQ(Get(available).run_at, before);
}

TEST_P(JobAdminTest, RunNowRefusesRunningAndFinishedJobs) {
  int64_t running = JobIn(JobState::kRunning, "a");
  int64_t completed = JobIn(JobState::kCompleted, "b");
  int64_t discarded = JobIn(JobState::kDiscarded, "c");
  for (int64_t id : {running, completed, discarded}) {
    EXPECT_THAT(store().JobRunNow(id, At(5)), StatusIs(StatusCode::kFailedPrecondition));
  }
  EXPECT_EQ(Get(running).state, JobState::kRunning);
  EXPECT_EQ(Get(completed).state, JobState::kCompleted);
  EXPECT_THAT(store().JobRunNow(999999, At(5)), StatusIs(StatusCode::kNotFound));
}

TEST_P(JobAdminTest, CancelTransitions) {
  NewJob later = MakeJob();
  later.run_at = At(100);
  int64_t scheduled = Insert(later, At(0));
  int64_t available = JobIn(JobState::kAvailable, "q2");
  auto r = store().JobCancel(scheduled, At(5));
  ASSERT_OK(r);
  EXPECT_EQ(*r, JobState::kCancelled);
  Job g = Get(scheduled);
  EXPECT_EQ(g.state, JobState::kCancelled);
  EXPECT_EQ(g.finished_at, At(5));
  r = store().JobCancel(available, At(6));
  ASSERT_OK(r);
  EXPECT_EQ(*r, JobState::kCancelled);
  EXPECT_THAT(Claim("default", 10, At(200)), IsEmpty());
  EXPECT_THAT(Claim("q2", 10, At(200)), IsEmpty());

  int64_t running = JobIn(JobState::kRunning, "q3");
  r = store().JobCancel(running, At(7));
  ASSERT_OK(r);
  EXPECT_EQ(*r, JobState::kRunning);
  EXPECT_TRUE(Get(running).cancel_requested);
  EXPECT_FALSE(Get(running).finished_at.has_value());

  for (JobState finished : {JobState::kCompleted, JobState::kDiscarded}) {
    int64_t id = JobIn(finished, "q4");
    auto st = store().JobCancel(id, At(8));
    EXPECT_THAT(st, StatusIs(StatusCode::kFailedPrecondition));
    EXPECT_EQ(Get(id).state, finished);
  }
  EXPECT_THAT(store().JobCancel(scheduled, At(9)), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(store().JobCancel(424242, At(9)), StatusIs(StatusCode::kNotFound));
}

TEST_P(JobAdminTest, RetentionDeletesOnlyOldFinishedJobs) {
  // Finished at At(2): completed, discarded, cancelled. Plus live ones.
  int64_t completed = JobIn(JobState::kCompleted, "c");
  int64_t discarded = JobIn(JobState::kDiscarded, "d");
  int64_t cancelled = JobIn(JobState::kCancelled, "x");
  int64_t running = JobIn(JobState::kRunning, "r");
  int64_t available = JobIn(JobState::kAvailable, "a");

  JobDeleteFinishedParams p;
  p.completed_before = At(2);  // not strictly before: nothing yet
  p.failed_before = At(2);
  auto n = store().JobDeleteFinished(p);
  ASSERT_OK(n);
  EXPECT_EQ(*n, 0);

  // Completed jobs kept for less time than failed ones.
  p.completed_before = At(3);
  p.failed_before = At(1);
  n = store().JobDeleteFinished(p);
  ASSERT_OK(n);
  EXPECT_EQ(*n, 1);
  EXPECT_THAT(store().JobGet(completed), StatusIs(StatusCode::kNotFound));
  EXPECT_OK(store().JobGet(discarded));

  p.failed_before = At(3);
  n = store().JobDeleteFinished(p);
  ASSERT_OK(n);
  EXPECT_EQ(*n, 2);
  EXPECT_THAT(store().JobGet(discarded), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store().JobGet(cancelled), StatusIs(StatusCode::kNotFound));

  p.completed_before = At(1e6);
  p.failed_before = At(1e6);
  n = store().JobDeleteFinished(p);
  ASSERT_OK(n);
  EXPECT_EQ(*n, 0);
  EXPECT_EQ(Get(running).state, JobState::kRunning);
  EXPECT_EQ(Get(available).state, JobState::kAvailable);
}

TEST_P(JobAdminTest, RetentionWorksInBoundedBatches) {
  InsertN(25);
  std::vector<Job> c = Claim("default", 25, At(1));
  ASSERT_EQ(c.size(), 25u);
  std::vector<JobCompletion> done;
  for (const Job& j : c) done.push_back(Completion(j, JobCompletion::Kind::kCompleted, At(2)));
  ASSERT_OK(store().JobCompleteMany(done));

  JobDeleteFinishedParams p;
  p.completed_before = At(10);
  p.failed_before = At(10);
  p.limit = 10;
  std::vector<int> batches;
  while (true) {
    auto n = store().JobDeleteFinished(p);
    ASSERT_OK(n);
    if (*n == 0) break;
    batches.push_back(*n);
    ASSERT_LT(batches.size(), 10u);
  }
  EXPECT_THAT(batches, ElementsAre(10, 10, 5));
  EXPECT_THAT(List(JobListParams{}), IsEmpty());

  p.limit = 0;
  EXPECT_THAT(store().JobDeleteFinished(p), StatusIs(StatusCode::kInvalidArgument));
}

STEWARD_INSTANTIATE_STORE_SUITE(JobAdminTest);

}  // namespace
}  // namespace steward::testing
