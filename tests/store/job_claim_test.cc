// Conformance: JobClaim ordering, limits, pauses, concurrency; JobNextRunAt.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/store_fixture.h"

namespace steward::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;

class JobClaimTest : public StoreTest {};

TEST_P(JobClaimTest, OrdersByPriorityThenRunAtThenId) {
  auto job = [](int priority, double run_at) {
    NewJob j = MakeJob();
    j.priority = priority;
    j.run_at = At(run_at);
    return j;
  };
  int64_t late_low = Insert(job(5, -1));
  int64_t early_low = Insert(job(5, -3));
  int64_t high = Insert(job(-2, -1));
  int64_t tie_a = Insert(job(0, -2));
  int64_t tie_b = Insert(job(0, -2));
  int64_t urgent_late = Insert(job(-10, -0.5));

  std::vector<Job> claimed = Claim("default", 10, At(0));
  EXPECT_THAT(Ids(claimed), ElementsAre(urgent_late, high, tie_a, tie_b, early_low, late_low));
}

TEST_P(JobClaimTest, ClaimStartsAnAttemptWithALease) {
  int64_t id = Insert(MakeJob());
  std::vector<Job> claimed = Claim("default", 1, At(3), "host-1:42", std::chrono::seconds(30));
  ASSERT_EQ(claimed.size(), 1u);
  const Job& c = claimed[0];
  EXPECT_EQ(c.id, id);
  EXPECT_EQ(c.state, JobState::kRunning);
  EXPECT_EQ(c.attempt, 1);
  EXPECT_EQ(c.lease_owner, "host-1:42");
  EXPECT_EQ(c.lease_expires_at, At(33));
  EXPECT_EQ(c.started_at, At(3));
  EXPECT_EQ(c.kind, "test.noop");
  EXPECT_EQ(c.payload, "{}");

  Job g = Get(id);
  EXPECT_EQ(g.state, JobState::kRunning);
  EXPECT_EQ(g.attempt, 1);
  EXPECT_EQ(g.lease_owner, "host-1:42");
  EXPECT_EQ(g.lease_expires_at, At(33));
}

TEST_P(JobClaimTest, FutureJobsWaitForTheirRunAt) {
  NewJob later = MakeJob();
  later.run_at = At(60);
  int64_t id = Insert(later, At(0));
  EXPECT_THAT(Claim("default", 10, At(59.999999)), IsEmpty());
  std::vector<Job> claimed = Claim("default", 10, At(60));
  EXPECT_THAT(Ids(claimed), ElementsAre(id));
}

TEST_P(JobClaimTest, RespectsLimitAndNeverClaimsTwice) {
  std::vector<int64_t> ids = InsertN(7);
  std::vector<Job> first = Claim("default", 3);
  std::vector<Job> second = Claim("default", 3);
  std::vector<Job> third = Claim("default", 3);
  std::vector<Job> fourth = Claim("default", 3);
  EXPECT_EQ(first.size(), 3u);
  EXPECT_EQ(second.size(), 3u);
  EXPECT_EQ(third.size(), 1u);
  EXPECT_THAT(fourth, IsEmpty());
  std::vector<int64_t> all;
  for (const auto* batch : {&first, &second, &third}) {
    for (const Job& j : *batch) all.push_back(j.id);
  }
  EXPECT_THAT(all, ElementsAreArray(ids));  // same order: equal priority and run_at
}

TEST_P(JobClaimTest, OnlyClaimsFromTheNamedQueue) {
  int64_t a = Insert(MakeJob("k", "alpha"));
  Insert(MakeJob("k", "beta"));
  EXPECT_THAT(Ids(Claim("alpha", 10)), ElementsAre(a));
  EXPECT_THAT(Claim("gamma", 10), IsEmpty());
}

TEST_P(JobClaimTest, PausedQueueIsNotClaimed) {
  int64_t id = Insert(MakeJob("k", "mail"));
  int64_t other = Insert(MakeJob("k", "other"));
  ASSERT_OK(store().QueueSetPaused("mail", true));
  EXPECT_THAT(Claim("mail", 10), IsEmpty());
  EXPECT_THAT(Ids(Claim("other", 10)), ElementsAre(other)) << "only the paused queue stops";
  EXPECT_EQ(Get(id).state, JobState::kAvailable);

  ASSERT_OK(store().QueueSetPaused("mail", false));
  EXPECT_THAT(Ids(Claim("mail", 10)), ElementsAre(id));
}

TEST_P(JobClaimTest, RejectsBadParams) {
  JobClaimParams p;
  p.queue = "default";
  p.worker_id = "w";
  p.limit = 0;
  EXPECT_THAT(store().JobClaim(p), StatusIs(StatusCode::kInvalidArgument));
  p.limit = -1;
  EXPECT_THAT(store().JobClaim(p), StatusIs(StatusCode::kInvalidArgument));
}

TEST_P(JobClaimTest, RetryableJobIsClaimedAgainWithTheNextAttempt) {
  int64_t id = Insert(MakeJob());
  std::vector<Job> c1 = Claim("default", 1, At(1));
  ASSERT_EQ(c1.size(), 1u);
  JobCompletion fail = Completion(c1[0], JobCompletion::Kind::kRetry, At(2));
  fail.retry_at = At(10);
  ASSERT_TRUE(Complete(fail).applied);
  EXPECT_THAT(Claim("default", 1, At(9)), IsEmpty());
  std::vector<Job> c2 = Claim("default", 1, At(10), "worker-b");
  ASSERT_EQ(c2.size(), 1u);
  EXPECT_EQ(c2[0].id, id);
  EXPECT_EQ(c2[0].attempt, 2);
  EXPECT_EQ(c2[0].lease_owner, "worker-b");
}

// N claimers, each with its own Store on the same database (as separate
// processes would be), race over one queue: every job is handed out exactly once.
TEST_P(JobClaimTest, ConcurrentClaimersNeverShareAJob) {
  constexpr int kJobs = 2000;
  constexpr int kClaimers = 4;
  const std::string url = FreshDatabaseUrl(GetParam());
  ASSERT_FALSE(url.empty());
  std::vector<std::unique_ptr<Store>> stores;
  for (int i = 0; i < kClaimers; ++i) {
    auto s = OpenStore(url);
    ASSERT_OK(s);
    stores.push_back(std::move(s).value());
  }
  ASSERT_OK(stores[0]->Migrate());
  std::vector<NewJob> jobs(kJobs, MakeJob());
  auto inserted = stores[0]->JobInsertMany(jobs, T0());
  ASSERT_OK(inserted);

  std::vector<std::vector<int64_t>> claimed(kClaimers);
  std::atomic<int> errors{0};
  std::mutex first_error_mu;
  std::string first_error;
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kClaimers; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      JobClaimParams p;
      p.queue = "default";
      p.limit = 7;
      p.worker_id = "claimer-" + std::to_string(i);
      p.now = At(1);
      p.lease_until = At(60);
      int empty_in_a_row = 0;
      while (empty_in_a_row < 3) {
        auto r = stores[static_cast<size_t>(i)]->JobClaim(p);
        if (!r.ok()) {
          // Transient contention is allowed to surface; anything else is a bug.
          if (r.status().code() != StatusCode::kUnavailable) {
            ++errors;
            std::lock_guard lock(first_error_mu);
            if (first_error.empty()) first_error = r.status().ToString();
          }
          continue;
        }
        empty_in_a_row = r->empty() ? empty_in_a_row + 1 : 0;
        for (const Job& j : *r) {
          claimed[static_cast<size_t>(i)].push_back(j.id);
          if (j.lease_owner != p.worker_id) ++errors;
        }
      }
    });
  }
  go = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0) << first_error;

  std::multiset<int64_t> all;
  for (const auto& c : claimed) all.insert(c.begin(), c.end());
  std::set<int64_t> unique(all.begin(), all.end());
  EXPECT_EQ(all.size(), unique.size()) << "some job was claimed twice";
  std::set<int64_t> expected;
  for (const InsertedJob& j : *inserted) expected.insert(j.id);
  EXPECT_EQ(unique, expected) << "together the claimers must take every job";
  // How the jobs spread over claimers depends on scheduling (on a loaded
  // machine one thread may take them all), so it is not asserted.
}

TEST_P(JobClaimTest, NextRunAtIsTheEarliestPendingRunAt) {
  auto next = store().JobNextRunAt("default");
  ASSERT_OK(next);
  EXPECT_FALSE(next->has_value()) << "empty queue";

  NewJob a = MakeJob();
  a.run_at = At(50);
  NewJob b = MakeJob();
  b.run_at = At(20);
  b.priority = 100;  // priority does not matter for when to wake
  Insert(a, At(0));
  Insert(b, At(0));
  Insert(MakeJob("k", "elsewhere"), At(0));
  next = store().JobNextRunAt("default");
  ASSERT_OK(next);
  EXPECT_EQ(*next, At(20));

  // Running and finished jobs do not count; a past run_at is returned as is.
  ASSERT_EQ(Claim("default", 1, At(30)).size(), 1u);
  next = store().JobNextRunAt("default");
  ASSERT_OK(next);
  EXPECT_EQ(*next, At(50));
  ASSERT_EQ(Claim("default", 1, At(60)).size(), 1u);
  next = store().JobNextRunAt("default");
  ASSERT_OK(next);
  EXPECT_FALSE(next->has_value());
}

STEWARD_INSTANTIATE_STORE_SUITE(JobClaimTest);

}  // namespace
}  // namespace steward::testing
