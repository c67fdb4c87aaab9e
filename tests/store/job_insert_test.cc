// Conformance: JobInsertMany, JobGet round trips, unique keys, wake-ups.
#include <algorithm>
#include <string>
#include <vector>

#include "store/store_fixture.h"

namespace steward::testing {
namespace {

using ::testing::ElementsAre;

class JobInsertTest : public StoreTest {};

TEST_P(JobInsertTest, RoundTripsEveryField) {
  NewJob nj;
  nj.kind = "email.send";
  nj.queue = "mail";
  nj.payload = R"({"to":"a@example.com","n":[1,2.5,null],"s":"\u00e9\"x"})";
  nj.priority = -7;
  nj.run_at = At(100.000123);
  nj.max_attempts = 3;
  nj.unique_key = "mail:a@example.com";
  int64_t id = Insert(nj, At(1.5));
  ASSERT_GT(id, 0);

  Job j = Get(id);
  EXPECT_EQ(j.id, id);
  EXPECT_EQ(j.kind, "email.send");
  EXPECT_EQ(j.queue, "mail");
  EXPECT_EQ(j.payload, nj.payload);
  EXPECT_EQ(j.priority, -7);
  EXPECT_EQ(j.run_at, At(100.000123));  // microsecond precision survives
  EXPECT_EQ(j.attempt, 0);
  EXPECT_EQ(j.max_attempts, 3);
  EXPECT_EQ(j.state, JobState::kScheduled);  // run_at is after now
  EXPECT_EQ(j.unique_key, "mail:a@example.com");
  EXPECT_EQ(j.created_at, At(1.5));
  EXPECT_FALSE(j.started_at.has_value());
  EXPECT_FALSE(j.finished_at.has_value());
  EXPECT_FALSE(j.lease_owner.has_value());
  EXPECT_FALSE(j.lease_expires_at.has_value());
  EXPECT_FALSE(j.cancel_requested);
  EXPECT_TRUE(j.errors.empty());
}

TEST_P(JobInsertTest, DefaultsRunAtToNowAndIsAvailable) {
  int64_t id = Insert(MakeJob(), At(5));
  Job j = Get(id);
  EXPECT_EQ(j.run_at, At(5));
  EXPECT_EQ(j.state, JobState::kAvailable);
  EXPECT_EQ(j.max_attempts, 20);
  EXPECT_EQ(j.payload, "{}");
  EXPECT_FALSE(j.unique_key.has_value());
}

TEST_P(JobInsertTest, PastRunAtIsAvailable) {
  NewJob nj = MakeJob();
  nj.run_at = At(-60);
  EXPECT_EQ(Get(Insert(nj, At(0))).state, JobState::kAvailable);
}

TEST_P(JobInsertTest, BatchReturnsIdsInInputOrder) {
  // Long enough, and mixed with unique-keyed jobs, to cross any internal
  // chunking of a batch.
  std::vector<NewJob> jobs;
  for (int i = 0; i < 130; ++i) {
    NewJob nj = MakeJob("k" + std::to_string(i));
    if (i % 7 == 3) nj.unique_key = "u" + std::to_string(i);
    jobs.push_back(nj);
  }
  auto r = store().JobInsertMany(jobs, T0());
  ASSERT_OK(r);
  ASSERT_EQ(r->size(), jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i) {
    EXPECT_FALSE((*r)[i].duplicate);
    Job j = Get((*r)[i].id);
    EXPECT_EQ(j.kind, "k" + std::to_string(i));
    EXPECT_EQ(j.unique_key, jobs[i].unique_key);
    if (i > 0) {
      EXPECT_GT((*r)[i].id, (*r)[i - 1].id);
    }
  }
}

TEST_P(JobInsertTest, LargeBatchIsStoredCompletely) {
  // Larger than any bound-variable limit a backend might chunk around.
  std::vector<int64_t> ids = InsertN(5000);
  ASSERT_EQ(ids.size(), 5000u);
  auto stats = store().QueueStatsAll(At(1));
  ASSERT_OK(stats);
  ASSERT_EQ(stats->size(), 1u);
  EXPECT_EQ((*stats)[0].available, 5000);
}

TEST_P(JobInsertTest, InvalidPayloadStoresNothing) {
  std::vector<NewJob> jobs = {MakeJob("ok.one"), MakeJob("bad"), MakeJob("ok.two")};
  jobs[1].payload = "{\"unterminated\": ";
  EXPECT_THAT(store().JobInsertMany(jobs, T0()), StatusIs(StatusCode::kInvalidArgument));
  auto list = store().JobList(JobListParams{});
  ASSERT_OK(list);
  EXPECT_TRUE(list->empty()) << "a failed batch must store nothing";
}

TEST_P(JobInsertTest, InvalidFieldsAreRejected) {
  NewJob no_kind = MakeJob("");
  EXPECT_THAT(store().JobInsertMany(std::span<const NewJob>(&no_kind, 1), T0()),
              StatusIs(StatusCode::kInvalidArgument));
  NewJob bad_queue = MakeJob("k", "has space");
  EXPECT_THAT(store().JobInsertMany(std::span<const NewJob>(&bad_queue, 1), T0()),
              StatusIs(StatusCode::kInvalidArgument));
  NewJob bad_attempts = MakeJob();
  bad_attempts.max_attempts = 0;
  EXPECT_THAT(store().JobInsertMany(std::span<const NewJob>(&bad_attempts, 1), T0()),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST_P(JobInsertTest, EmptyBatchIsFine) {
  auto r = store().JobInsertMany({}, T0());
  ASSERT_OK(r);
  EXPECT_TRUE(r->empty());
}

TEST_P(JobInsertTest, UniqueKeyReturnsExistingUnfinishedJob) {
  NewJob nj = MakeJob();
  nj.unique_key = "report:2026-01-01";
  int64_t first = Insert(nj);
  auto again = store().JobInsertMany(std::span<const NewJob>(&nj, 1), At(1));
  ASSERT_OK(again);
  ASSERT_EQ(again->size(), 1u);
  EXPECT_TRUE((*again)[0].duplicate);
  EXPECT_EQ((*again)[0].id, first);
  auto list = store().JobList(JobListParams{});
  ASSERT_OK(list);
  EXPECT_EQ(list->size(), 1u);
}

TEST_P(JobInsertTest, UniqueKeyDuplicateWithinOneBatch) {
  NewJob a = MakeJob("a");
  a.unique_key = "same";
  NewJob b = MakeJob("b");
  b.unique_key = "same";
  NewJob c = MakeJob("c");
  std::vector<NewJob> jobs = {a, b, c};
  auto r = store().JobInsertMany(jobs, T0());
  ASSERT_OK(r);
  ASSERT_EQ(r->size(), 3u);
  EXPECT_FALSE((*r)[0].duplicate);
  EXPECT_TRUE((*r)[1].duplicate);
  EXPECT_EQ((*r)[1].id, (*r)[0].id);
  EXPECT_FALSE((*r)[2].duplicate);
  EXPECT_EQ(Get((*r)[0].id).kind, "a");
}

TEST_P(JobInsertTest, UniqueKeyHeldWhileRunning) {
  NewJob nj = MakeJob();
  nj.unique_key = "k";
  int64_t first = Insert(nj);
  ASSERT_EQ(Claim("default", 1).size(), 1u);
  auto r = store().JobInsertMany(std::span<const NewJob>(&nj, 1), At(2));
  ASSERT_OK(r);
  EXPECT_TRUE((*r)[0].duplicate);
  EXPECT_EQ((*r)[0].id, first);
}

TEST_P(JobInsertTest, FinishedJobsKeyCanBeReused) {
  NewJob nj = MakeJob();
  nj.unique_key = "nightly";
  int64_t first = Insert(nj);
  std::vector<Job> claimed = Claim("default", 1);
  ASSERT_EQ(claimed.size(), 1u);
  ASSERT_TRUE(Complete(Completion(claimed[0], JobCompletion::Kind::kCompleted)).applied);

  auto r = store().JobInsertMany(std::span<const NewJob>(&nj, 1), At(3));
  ASSERT_OK(r);
  EXPECT_FALSE((*r)[0].duplicate);
  EXPECT_NE((*r)[0].id, first);
  EXPECT_EQ(Get((*r)[0].id).state, JobState::kAvailable);
}

TEST_P(JobInsertTest, CancelledJobsKeyCanBeReused) {
  NewJob nj = MakeJob();
  nj.unique_key = "once";
  int64_t first = Insert(nj);
  ASSERT_OK(store().JobCancel(first, At(1)));
  auto r = store().JobInsertMany(std::span<const NewJob>(&nj, 1), At(2));
  ASSERT_OK(r);
  EXPECT_FALSE((*r)[0].duplicate);
  EXPECT_NE((*r)[0].id, first);
}

TEST_P(JobInsertTest, NotifiesListenersOncePerQueueAfterCommit) {
  std::vector<std::string> woken;
  int token = store().AddJobsAddedListener([&](const std::string& q) { woken.push_back(q); });
  std::vector<NewJob> jobs = {MakeJob("k", "a"), MakeJob("k", "b"), MakeJob("k", "a")};
  ASSERT_OK(store().JobInsertMany(jobs, T0()));
  std::sort(woken.begin(), woken.end());
  EXPECT_THAT(woken, ElementsAre("a", "b"));

  // A failed batch wakes nobody.
  woken.clear();
  jobs[0].payload = "nope";
  EXPECT_THAT(store().JobInsertMany(jobs, T0()), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_TRUE(woken.empty());

  store().RemoveJobsAddedListener(token);
  ASSERT_OK(store().JobInsertMany(std::span<const NewJob>(jobs.data() + 1, 1), T0()));
  EXPECT_TRUE(woken.empty());
}

TEST_P(JobInsertTest, IdsAreNotReusedAfterDeletion) {
  int64_t a = Insert(MakeJob());
  std::vector<Job> claimed = Claim("default", 1);
  ASSERT_EQ(claimed.size(), 1u);
  ASSERT_TRUE(Complete(Completion(claimed[0], JobCompletion::Kind::kCompleted, At(2))).applied);
  JobDeleteFinishedParams del;
  del.completed_before = At(100);
  del.failed_before = At(100);
  auto deleted = store().JobDeleteFinished(del);
  ASSERT_OK(deleted);
  ASSERT_EQ(*deleted, 1);
  int64_t b = Insert(MakeJob());
  EXPECT_GT(b, a) << "a deleted job's id must not name a new job";
}

}  // namespace

STEWARD_INSTANTIATE_STORE_SUITE(JobInsertTest);

}  // namespace steward::testing
