// Conformance: QueueStatsAll, QueueLagAll and QueueSetPaused.
#include <chrono>
#include <vector>

#include "store/store_fixture.h"

namespace steward::testing {
namespace {

using ::testing::IsEmpty;

class QueueStatsTest : public StoreTest {
 protected:
  std::vector<QueueStats> Stats(Timestamp now) {
    auto r = store().QueueStatsAll(now);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<QueueStats>{};
  }
  static const QueueStats* Find(const std::vector<QueueStats>& all, const std::string& name) {
    for (const QueueStats& q : all) {
      if (q.queue == name) return &q;
    }
    return nullptr;
  }
};

TEST_P(QueueStatsTest, EmptyStoreHasNoQueues) { EXPECT_THAT(Stats(At(0)), IsEmpty()); }

TEST_P(QueueStatsTest, CountsEveryStateAndTheOldestDueJob) {
  // mail: 2 available (run_at 0 and 4), 1 scheduled for later, 1 running,
  // 1 retryable (due at 20), 1 completed, 1 discarded, 1 cancelled.
  auto job = [](double run_at, int max_attempts = 5) {
    NewJob j = MakeJob("k", "mail");
    j.run_at = At(run_at);
    j.max_attempts = max_attempts;
    return j;
  };
  // Claimed first (lowest run_at), then driven to their states.
  std::vector<NewJob> to_claim = {job(-4), job(-3), job(-2, 1), job(-1)};
  ASSERT_OK(store().JobInsertMany(to_claim, At(-10)));
  std::vector<Job> c = Claim("mail", 4, At(0));
  ASSERT_EQ(c.size(), 4u);
  // c[0] stays running.
  JobCompletion retry = Completion(c[1], JobCompletion::Kind::kRetry, At(1));
  retry.retry_at = At(20);
  JobCompletion discard = Completion(c[2], JobCompletion::Kind::kRetry, At(1));  // last attempt
  JobCompletion complete = Completion(c[3], JobCompletion::Kind::kCompleted, At(1));
  std::vector<JobCompletion> batch = {retry, discard, complete};
  ASSERT_OK(store().JobCompleteMany(batch));
  Insert(job(0), At(0));
  Insert(job(4), At(5));
  Insert(job(100), At(0));
  int64_t to_cancel = Insert(job(200), At(0));
  ASSERT_OK(store().JobCancel(to_cancel, At(1)));
  Insert(MakeJob("k", "other"), At(9));

  std::vector<QueueStats> all = Stats(At(10));
  ASSERT_EQ(all.size(), 2u);
  const QueueStats* mail = Find(all, "mail");
  ASSERT_NE(mail, nullptr);
  EXPECT_EQ(mail->available, 2);
  EXPECT_EQ(mail->scheduled, 1);
  EXPECT_EQ(mail->running, 1);
  EXPECT_EQ(mail->retryable, 1);
  EXPECT_EQ(mail->completed, 1);
  EXPECT_EQ(mail->discarded, 1);
  EXPECT_EQ(mail->cancelled, 1);
  EXPECT_EQ(mail->due, 2) << "run_at 0 and 4 are due at 10; 20 and 100 are not";
  ASSERT_TRUE(mail->oldest_due_age.has_value());
  EXPECT_EQ(*mail->oldest_due_age, std::chrono::seconds(10));
  EXPECT_FALSE(mail->paused);

  const QueueStats* other = Find(all, "other");
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->available, 1);
  EXPECT_EQ(other->due, 1);
  ASSERT_TRUE(other->oldest_due_age.has_value());
  EXPECT_EQ(*other->oldest_due_age, std::chrono::seconds(1));

  // Later, the retryable and the scheduled job fall due too.
  all = Stats(At(150));
  mail = Find(all, "mail");
  ASSERT_NE(mail, nullptr);
  EXPECT_EQ(mail->due, 4);
  EXPECT_EQ(*mail->oldest_due_age, std::chrono::seconds(150));
}

TEST_P(QueueStatsTest, NoDueJobsMeansNoAge) {
  NewJob later = MakeJob();
  later.run_at = At(60);
  Insert(later, At(0));
  std::vector<QueueStats> all = Stats(At(1));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].due, 0);
  EXPECT_FALSE(all[0].oldest_due_age.has_value());
}

TEST_P(QueueStatsTest, PausedQueuesAreReportedEvenWithoutJobs) {
  Insert(MakeJob("k", "busy"));
  ASSERT_OK(store().QueueSetPaused("idle", true));
  ASSERT_OK(store().QueueSetPaused("busy", true));
  ASSERT_OK(store().QueueSetPaused("busy", true));  // idempotent
  std::vector<QueueStats> all = Stats(At(1));
  ASSERT_EQ(all.size(), 2u);
  const QueueStats* idle = Find(all, "idle");
  ASSERT_NE(idle, nullptr);
  EXPECT_TRUE(idle->paused);
  EXPECT_EQ(idle->available + idle->scheduled + idle->running, 0);
  const QueueStats* busy = Find(all, "busy");
  ASSERT_NE(busy, nullptr);
  EXPECT_TRUE(busy->paused);
  EXPECT_EQ(busy->available, 1);

  ASSERT_OK(store().QueueSetPaused("busy", false));
  all = Stats(At(1));
  busy = Find(all, "busy");
  ASSERT_NE(busy, nullptr);
  EXPECT_FALSE(busy->paused);
}

TEST_P(QueueStatsTest, PauseRejectsBadQueueNames) {
  EXPECT_THAT(store().QueueSetPaused("", true), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(store().QueueSetPaused("white space", true), StatusIs(StatusCode::kInvalidArgument));
}

TEST_P(QueueStatsTest, LagAgreesWithTheFullStatsAndIgnoresFinishedJobs) {
  // mail: due at 2 and 6, one for later, one completed long ago (finished
  // jobs never make a queue lag); idle: only finished work; paused: settings.
  auto job = [](const char* queue, double run_at) {
    NewJob j = MakeJob("k", queue);
    j.run_at = At(run_at);
    return j;
  };
  std::vector<NewJob> old = {job("mail", -50), job("idle", -50)};
  ASSERT_OK(store().JobInsertMany(old, At(-60)));
  for (const char* q : {"mail", "idle"}) {
    std::vector<Job> c = Claim(q, 1, At(-40));
    ASSERT_EQ(c.size(), 1u);
    std::vector<JobCompletion> done = {Completion(c[0], JobCompletion::Kind::kCompleted, At(-39))};
    ASSERT_OK(store().JobCompleteMany(done));
  }
  Insert(job("mail", 2), At(0));
  Insert(job("mail", 6), At(0));
  Insert(job("mail", 100), At(0));
  ASSERT_OK(store().QueueSetPaused("paused", true));

  auto lag = store().QueueLagAll(At(10));
  ASSERT_TRUE(lag.ok()) << lag.status().ToString();
  const QueueStats* mail = Find(*lag, "mail");
  ASSERT_NE(mail, nullptr);
  EXPECT_EQ(mail->due, 2);
  ASSERT_TRUE(mail->oldest_due_age.has_value());
  EXPECT_EQ(*mail->oldest_due_age, std::chrono::seconds(8));
  const std::vector<QueueStats> all = Stats(At(10));
  const QueueStats* full = Find(all, "mail");
  ASSERT_NE(full, nullptr);
  EXPECT_EQ(full->due, mail->due);
  EXPECT_EQ(full->oldest_due_age, mail->oldest_due_age);
  const QueueStats* paused = Find(*lag, "paused");
  ASSERT_NE(paused, nullptr) << "a queue with settings is listed";
  EXPECT_TRUE(paused->paused);
  EXPECT_EQ(paused->due, 0);
  const QueueStats* idle = Find(*lag, "idle");
  EXPECT_TRUE(idle == nullptr || (idle->due == 0 && !idle->oldest_due_age))
      << "only finished jobs: nothing due";
}

TEST_P(QueueStatsTest, CountsFollowJobsOutOfFinishedStatesAndRetention) {
  // SQLite keeps finished counts in a table (migration 5): every way out of
  // a finished state must take the job back out of its count.
  auto job = [](const char* kind) {
    NewJob j = MakeJob(kind, "mail");
    j.max_attempts = 1;
    return j;
  };
  std::vector<NewJob> jobs = {job("a"), job("a"), job("b"), job("c")};
  ASSERT_OK(store().JobInsertMany(jobs, At(0)));
  std::vector<Job> c = Claim("mail", 4, At(1));
  ASSERT_EQ(c.size(), 4u);
  std::vector<JobCompletion> batch = {Completion(c[0], JobCompletion::Kind::kCompleted, At(2)),
                                      Completion(c[1], JobCompletion::Kind::kRetry, At(2)),
                                      Completion(c[2], JobCompletion::Kind::kRetry, At(2)),
                                      Completion(c[3], JobCompletion::Kind::kCompleted, At(2))};
  ASSERT_OK(store().JobCompleteMany(batch));
  std::vector<QueueStats> all = Stats(At(3));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].completed, 2);
  EXPECT_EQ(all[0].discarded, 2);

  // A person retries a discarded job: discarded -> available.
  ASSERT_OK(store().JobRetry(c[1].id, At(4)));
  all = Stats(At(5));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].discarded, 1);
  EXPECT_EQ(all[0].available, 1);
  // ... then discards it by hand: available -> discarded.
  ASSERT_OK(store().JobDiscard(c[1].id, At(6)));
  all = Stats(At(7));
  EXPECT_EQ(all[0].discarded, 2);
  EXPECT_EQ(all[0].available, 0);

  // Retention deletes every finished job: the queue has nothing left.
  JobDeleteFinishedParams del;
  del.completed_before = At(100);
  del.failed_before = At(100);
  auto deleted = store().JobDeleteFinished(del);
  ASSERT_OK(deleted);
  EXPECT_EQ(*deleted, 4);
  EXPECT_THAT(Stats(At(101)), IsEmpty()) << "a queue whose jobs are all gone is not listed";

  // New work in the same queue counts from zero.
  Insert(job("a"), At(102));
  c = Claim("mail", 1, At(103));
  ASSERT_EQ(c.size(), 1u);
  std::vector<JobCompletion> one = {Completion(c[0], JobCompletion::Kind::kCompleted, At(104))};
  ASSERT_OK(store().JobCompleteMany(one));
  all = Stats(At(105));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].completed, 1);
  EXPECT_EQ(all[0].discarded, 0);
}

TEST_P(QueueStatsTest, DiscardedCountByKindCountsRecentDiscardsMostFirst) {
  auto job = [](const char* kind, const char* queue) {
    NewJob j = MakeJob(kind, queue);
    j.max_attempts = 1;
    return j;
  };
  // Old discards (before `since`), recent ones in two queues, and a
  // completed job and a retryable one, which are not discards.
  std::vector<NewJob> jobs = {job("old", "q"), job("mail", "q"), job("mail", "r"),
                              job("mail", "q"), job("sms", "q"),  job("ok", "q")};
  ASSERT_OK(store().JobInsertMany(jobs, At(0)));
  std::vector<Job> c = Claim("q", 1, At(1));  // "old"
  ASSERT_EQ(c.size(), 1u);
  std::vector<JobCompletion> first = {Completion(c[0], JobCompletion::Kind::kRetry, At(2))};
  ASSERT_OK(store().JobCompleteMany(first));
  std::vector<Job> rest = Claim("q", 4, At(10));
  std::vector<Job> r = Claim("r", 1, At(10));
  ASSERT_EQ(rest.size(), 4u);
  ASSERT_EQ(r.size(), 1u);
  std::vector<JobCompletion> batch;
  for (const Job& j : rest) {
    batch.push_back(Completion(j, j.kind == "ok" ? JobCompletion::Kind::kCompleted
                                                 : JobCompletion::Kind::kRetry, At(11)));
  }
  batch.push_back(Completion(r[0], JobCompletion::Kind::kRetry, At(11)));
  ASSERT_OK(store().JobCompleteMany(batch));

  auto kinds = store().DiscardedCountByKind(At(5), 10);
  ASSERT_OK(kinds);
  ASSERT_EQ(kinds->size(), 2u);
  EXPECT_EQ((*kinds)[0].kind, "mail");
  EXPECT_EQ((*kinds)[0].count, 3) << "both queues";
  EXPECT_EQ((*kinds)[1].kind, "sms");
  EXPECT_EQ((*kinds)[1].count, 1);

  auto top = store().DiscardedCountByKind(At(0), 1);
  ASSERT_OK(top);
  ASSERT_EQ(top->size(), 1u);
  EXPECT_EQ((*top)[0].kind, "mail");
  EXPECT_THAT(store().DiscardedCountByKind(At(0), 0), StatusIs(StatusCode::kInvalidArgument));
}

STEWARD_INSTANTIATE_STORE_SUITE(QueueStatsTest);

}  // namespace
}  // namespace steward::testing
