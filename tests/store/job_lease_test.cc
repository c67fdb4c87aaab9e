// Conformance: lease extension, cancel requests, release, rescue.
#include <chrono>
#include <vector>

#include "store/store_fixture.h"

namespace steward::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class JobLeaseTest : public StoreTest {};

TEST_P(JobLeaseTest, ExtendMovesTheLeaseOfOwnedJobsOnly) {
  InsertN(2);
  std::vector<Job> mine = Claim("default", 1, At(1), "me");
  std::vector<Job> theirs = Claim("default", 1, At(1), "them");
  ASSERT_EQ(mine.size(), 1u);
  ASSERT_EQ(theirs.size(), 1u);
  std::vector<int64_t> ids = {mine[0].id, theirs[0].id};
  auto r = store().JobExtendLeases("me", ids, At(100));
  ASSERT_OK(r);
  EXPECT_THAT(*r, IsEmpty());
  EXPECT_EQ(Get(mine[0].id).lease_expires_at, At(100));
  EXPECT_EQ(Get(theirs[0].id).lease_expires_at, At(31)) << "another worker's lease is untouched";
}

TEST_P(JobLeaseTest, ExtendReportsCancelRequests) {
  InsertN(3);
  std::vector<Job> c = Claim("default", 3, At(1), "me");
  ASSERT_EQ(c.size(), 3u);
  auto cancelled = store().JobCancel(c[1].id, At(2));
  ASSERT_OK(cancelled);
  EXPECT_EQ(*cancelled, JobState::kRunning) << "a running job is only asked to stop";
  Job g = Get(c[1].id);
  EXPECT_TRUE(g.cancel_requested);
  EXPECT_EQ(g.state, JobState::kRunning);

  std::vector<int64_t> ids = Ids(c);
  auto r = store().JobExtendLeases("me", ids, At(60));
  ASSERT_OK(r);
  EXPECT_THAT(*r, ElementsAre(c[1].id));
}

TEST_P(JobLeaseTest, ExtendIgnoresJobsNoLongerRunning) {
  Insert(MakeJob());
  std::vector<Job> c = Claim("default", 1, At(1), "me");
  ASSERT_EQ(c.size(), 1u);
  ASSERT_TRUE(Complete(Completion(c[0], JobCompletion::Kind::kCompleted, At(2))).applied);
  std::vector<int64_t> ids = {c[0].id, 424242};
  auto r = store().JobExtendLeases("me", ids, At(60));
  ASSERT_OK(r);
  Job g = Get(c[0].id);
  EXPECT_EQ(g.state, JobState::kCompleted);
  EXPECT_FALSE(g.lease_expires_at.has_value());
}

TEST_P(JobLeaseTest, ReleaseHandsJobsBackWithoutCountingTheAttempt) {
  InsertN(2);
  std::vector<Job> mine = Claim("default", 1, At(1), "me");
  std::vector<Job> theirs = Claim("default", 1, At(1), "them");
  ASSERT_EQ(mine.size(), 1u);
  ASSERT_EQ(theirs.size(), 1u);
  std::vector<int64_t> ids = {mine[0].id, theirs[0].id};
  auto released = store().JobRelease("me", ids, At(5));
  ASSERT_OK(released);
  EXPECT_EQ(*released, 1);

  Job g = Get(mine[0].id);
  EXPECT_EQ(g.state, JobState::kAvailable);
  EXPECT_EQ(g.attempt, 0);
  EXPECT_EQ(g.run_at, At(5));
  EXPECT_FALSE(g.lease_owner.has_value());
  EXPECT_FALSE(g.lease_expires_at.has_value());
  EXPECT_EQ(Get(theirs[0].id).state, JobState::kRunning);

  std::vector<Job> again = Claim("default", 1, At(5), "next");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].id, mine[0].id);
  EXPECT_EQ(again[0].attempt, 1);
  // The old owner's late completion is ignored.
  JobCompletion late = Completion(mine[0], JobCompletion::Kind::kCompleted, At(6));
  EXPECT_FALSE(Complete(late).applied);
}

TEST_P(JobLeaseTest, ReleaseOfACancelRequestedJobCancelsIt) {
  Insert(MakeJob());
  std::vector<Job> c = Claim("default", 1, At(1), "me");
  ASSERT_EQ(c.size(), 1u);
  ASSERT_OK(store().JobCancel(c[0].id, At(2)));
  std::vector<int64_t> ids = Ids(c);
  auto released = store().JobRelease("me", ids, At(3));
  ASSERT_OK(released);
  EXPECT_EQ(*released, 1);
  Job g = Get(c[0].id);
  EXPECT_EQ(g.state, JobState::kCancelled);
  EXPECT_EQ(g.finished_at, At(3));
}

JobRescueParams RescueAt(Timestamp now) {
  JobRescueParams p;
  p.now = now;
  return p;
}

TEST_P(JobLeaseTest, RescueReturnsExpiredJobsToRetryable) {
  NewJob nj = MakeJob("report.build", "reports");
  int64_t id = Insert(nj);
  std::vector<Job> c = Claim("reports", 1, At(1), "dead-worker", std::chrono::seconds(30));
  ASSERT_EQ(c.size(), 1u);

  auto none = store().JobRescueExpired(RescueAt(At(30)));
  ASSERT_OK(none);
  EXPECT_THAT(*none, IsEmpty()) << "lease expires at 31";

  JobRescueParams p = RescueAt(At(32));
  p.rescue_message = "lease expired: worker lost";
  auto rescued = store().JobRescueExpired(p);
  ASSERT_OK(rescued);
  ASSERT_EQ(rescued->size(), 1u);
  EXPECT_EQ((*rescued)[0].id, id);
  EXPECT_EQ((*rescued)[0].kind, "report.build");
  EXPECT_EQ((*rescued)[0].queue, "reports");
  EXPECT_EQ((*rescued)[0].lost_worker, "dead-worker");
  EXPECT_EQ((*rescued)[0].new_state, JobState::kRetryable);

  Job g = Get(id);
  EXPECT_EQ(g.state, JobState::kRetryable);
  EXPECT_EQ(g.run_at, At(32));
  EXPECT_EQ(g.attempt, 1) << "the lost attempt counts";
  EXPECT_FALSE(g.lease_owner.has_value());
  EXPECT_FALSE(g.lease_expires_at.has_value());
  ASSERT_EQ(g.errors.size(), 1u);
  EXPECT_EQ(g.errors[0].attempt, 1);
  EXPECT_EQ(g.errors[0].at, At(32));
  EXPECT_EQ(g.errors[0].message, "lease expired: worker lost");

  // The dead worker's late completion must not apply to the rescued job.
  EXPECT_FALSE(Complete(Completion(c[0], JobCompletion::Kind::kCompleted, At(33))).applied);
  std::vector<Job> again = Claim("reports", 1, At(33), "new-worker");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].attempt, 2);
}

TEST_P(JobLeaseTest, RescueSparesALeaseExtendedIntoTheFuture) {
  InsertN(2);
  std::vector<Job> c = Claim("default", 2, At(1), "alive", std::chrono::seconds(30));
  ASSERT_EQ(c.size(), 2u);
  std::vector<int64_t> extended = {c[0].id};
  ASSERT_OK(store().JobExtendLeases("alive", extended, At(90)));

  auto rescued = store().JobRescueExpired(RescueAt(At(60)));
  ASSERT_OK(rescued);
  ASSERT_EQ(rescued->size(), 1u);
  EXPECT_EQ((*rescued)[0].id, c[1].id);
  Job live = Get(c[0].id);
  EXPECT_EQ(live.state, JobState::kRunning);
  EXPECT_EQ(live.lease_owner, "alive");
  EXPECT_TRUE(live.errors.empty());
}

TEST_P(JobLeaseTest, RescueOnTheLastAttemptDiscards) {
  NewJob nj = MakeJob();
  nj.max_attempts = 1;
  int64_t id = Insert(nj);
  ASSERT_EQ(Claim("default", 1, At(1)).size(), 1u);
  auto rescued = store().JobRescueExpired(RescueAt(At(100)));
  ASSERT_OK(rescued);
  ASSERT_EQ(rescued->size(), 1u);
  EXPECT_EQ((*rescued)[0].new_state, JobState::kDiscarded);
  Job g = Get(id);
  EXPECT_EQ(g.state, JobState::kDiscarded);
  EXPECT_EQ(g.finished_at, At(100));
  EXPECT_EQ(g.errors.size(), 1u);
}

TEST_P(JobLeaseTest, RescueIsBoundedByLimit) {
  InsertN(5);
  ASSERT_EQ(Claim("default", 5, At(1)).size(), 5u);
  JobRescueParams p = RescueAt(At(100));
  p.limit = 2;
  auto first = store().JobRescueExpired(p);
  ASSERT_OK(first);
  EXPECT_EQ(first->size(), 2u);
  p.limit = 10;
  auto rest = store().JobRescueExpired(p);
  ASSERT_OK(rest);
  EXPECT_EQ(rest->size(), 3u);
  auto none = store().JobRescueExpired(p);
  ASSERT_OK(none);
  EXPECT_THAT(*none, IsEmpty());
}

TEST_P(JobLeaseTest, RescueLeavesOtherStatesAlone) {
  NewJob later = MakeJob();
  later.run_at = At(5);
  int64_t scheduled = Insert(later, At(0));
  int64_t available = Insert(MakeJob(), At(0));
  auto rescued = store().JobRescueExpired(RescueAt(At(1000)));
  ASSERT_OK(rescued);
  EXPECT_THAT(*rescued, IsEmpty());
  EXPECT_EQ(Get(scheduled).state, JobState::kScheduled);
  EXPECT_EQ(Get(available).state, JobState::kAvailable);
}

STEWARD_INSTANTIATE_STORE_SUITE(JobLeaseTest);

}  // namespace
}  // namespace steward::testing
