// Conformance: the DashboardStore (store/dashboard_store.h) and the other
// calls the dashboard added (job discard, attempt worker and duration,
// check pause), on every backend.
#include <latch>
#include <set>
#include <thread>

#include "store/store_fixture.h"

namespace steward::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

class DashboardStoreTest : public StoreTest {
 protected:
  static NodeInfo Node(const std::string& id, Timestamp seen) {
    return NodeInfo{.id = id,
                    .host = "host-" + id,
                    .pid = 4242,
                    .version = "1.2.3",
                    .queues = {"default", "emails"},
                    .running = 3,
                    .started_at = At(0),
                    .last_seen_at = seen,
                    .stopped_at = std::nullopt};
  }
  // Rollups are per whole minute; this base is a whole hour.
  static Timestamp Minute(int m) {
    return FromMicros(1'790'002'800'000'000) + std::chrono::minutes(m);
  }
  static JobStatsRow Row(Timestamp bucket, const std::string& queue, int64_t completed,
                         int64_t failed = 0) {
    JobStatsRow r;
    r.bucket_start = bucket;
    r.queue = queue;
    r.completed = completed;
    r.failed = failed;
    r.discarded = 1;
    r.cancelled = 2;
    r.wait[0] = completed;
    r.wait[23] = 1;
    return r;
  }
  std::vector<JobStatsRow> Query(Timestamp since, Timestamp until, Micros width,
                                 std::optional<std::string> queue = std::nullopt) {
    JobStatsQuery q;
    q.since = since;
    q.until = until;
    q.bucket_width = width;
    q.queue = std::move(queue);
    auto r = store().StatsQuery(q);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<JobStatsRow>{};
  }
  // A job that failed `attempts` times and is now retryable or discarded.
  int64_t FailedJob(const std::string& kind, int max_attempts, Timestamp at,
                    const std::string& message) {
    // A queue of its own, so the claim takes this job and no earlier one.
    NewJob j = MakeJob(kind, "q-" + kind + "-" + std::to_string(++jobs_));
    j.max_attempts = max_attempts;
    const int64_t id = Insert(j, at);
    auto c = Claim(j.queue, 1, at, "w1");
    EXPECT_EQ(c.size(), 1u);
    if (c.empty()) return id;
    JobCompletion done = Completion(c[0], JobCompletion::Kind::kRetry, at + 1s);
    done.error = ErrorAt(1, at + 1s, message);
    EXPECT_TRUE(Complete(done).applied);
    return id;
  }
  int jobs_ = 0;
};

// --- nodes -------------------------------------------------------------------------

TEST_P(DashboardStoreTest, NodeHeartbeatUpsertsStopAndDeleteOld) {
  ASSERT_OK(store().NodeHeartbeat(Node("b", At(10))));
  ASSERT_OK(store().NodeHeartbeat(Node("a", At(10))));
  NodeInfo later = Node("a", At(20));
  later.running = 7;
  later.queues = {"reports"};
  ASSERT_OK(store().NodeHeartbeat(later));
  ASSERT_OK(store().NodeStopped("b", At(15)));

  auto nodes = store().NodeList();
  ASSERT_OK(nodes);
  ASSERT_EQ(nodes->size(), 2u);
  const NodeInfo& a = (*nodes)[0];
  EXPECT_EQ(a.id, "a");
  EXPECT_EQ(a.host, "host-a");
  EXPECT_EQ(a.pid, 4242);
  EXPECT_EQ(a.version, "1.2.3");
  EXPECT_THAT(a.queues, ElementsAre("reports"));
  EXPECT_EQ(a.running, 7);
  EXPECT_EQ(a.started_at, At(0));
  EXPECT_EQ(a.last_seen_at, At(20));
  EXPECT_FALSE(a.stopped_at.has_value());
  EXPECT_EQ((*nodes)[1].id, "b");
  EXPECT_EQ((*nodes)[1].stopped_at, At(15));

  // A node that heartbeats again after a stop runs again.
  ASSERT_OK(store().NodeHeartbeat(Node("b", At(30))));
  nodes = store().NodeList();
  ASSERT_OK(nodes);
  EXPECT_FALSE((*nodes)[1].stopped_at.has_value());

  auto deleted = store().NodeDeleteBefore(At(25));
  ASSERT_OK(deleted);
  EXPECT_EQ(*deleted, 1);
  nodes = store().NodeList();
  ASSERT_OK(nodes);
  ASSERT_EQ(nodes->size(), 1u);
  EXPECT_EQ((*nodes)[0].id, "b");
  EXPECT_THAT(store().NodeHeartbeat(Node("", At(1))), StatusIs(StatusCode::kInvalidArgument));
}

// --- activity rollups ----------------------------------------------------------------

TEST_P(DashboardStoreTest, StatsMergeFromTwoNodesAddsUp) {
  // Node 1 and node 2 flush the same minute and queue independently.
  std::vector<JobStatsRow> node1 = {Row(Minute(0), "default", 10, 1), Row(Minute(1), "default", 5)};
  std::vector<JobStatsRow> node2 = {Row(Minute(0), "default", 7, 2), Row(Minute(0), "emails", 3)};
  ASSERT_OK(store().StatsMerge(node1));
  ASSERT_OK(store().StatsMerge(node2));

  auto rows = Query(Minute(0), Minute(2), 1min);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].bucket_start, Minute(0));
  EXPECT_EQ(rows[0].queue, "default");
  EXPECT_EQ(rows[0].completed, 17);
  EXPECT_EQ(rows[0].failed, 3);
  EXPECT_EQ(rows[0].discarded, 2);
  EXPECT_EQ(rows[0].cancelled, 4);
  EXPECT_EQ(rows[0].wait[0], 17);
  EXPECT_EQ(rows[0].wait[23], 2);
  EXPECT_EQ(rows[0].wait[5], 0);
  EXPECT_EQ(rows[1].queue, "emails");
  EXPECT_EQ(rows[1].completed, 3);
  EXPECT_EQ(rows[2].bucket_start, Minute(1));
  EXPECT_EQ(rows[2].completed, 5);
}

TEST_P(DashboardStoreTest, StatsMergesConcurrentlyWithoutLosingCounts) {
  constexpr int kThreads = 4, kFlushes = 10;
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      for (int i = 0; i < kFlushes; ++i) {
        std::vector<JobStatsRow> d = {Row(Minute(0), "a", 1), Row(Minute(0), "b", 2)};
        if (!store().StatsMerge(d).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto rows = Query(Minute(0), Minute(1), 1min);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].completed, kThreads * kFlushes);
  EXPECT_EQ(rows[1].completed, 2 * kThreads * kFlushes);
}

TEST_P(DashboardStoreTest, StatsQueryGroupsHourlyInSql) {
  std::vector<JobStatsRow> rows;
  // Hour 0: minutes 0, 30, 59; hour 1: minute 60 and 119; hour 2: minute 120 (outside).
  for (int m : {0, 30, 59, 60, 119, 120}) {
    rows.push_back(Row(Minute(m), "default", 1));
    rows.push_back(Row(Minute(m), "emails", 10));
  }
  ASSERT_OK(store().StatsMerge(rows));

  // since inside hour 0 is rounded down to it; until is exclusive.
  auto hourly = Query(Minute(17), Minute(120), 60min);
  ASSERT_EQ(hourly.size(), 4u);
  EXPECT_EQ(hourly[0].bucket_start, Minute(0));
  EXPECT_EQ(hourly[0].queue, "default");
  EXPECT_EQ(hourly[0].completed, 3);
  EXPECT_EQ(hourly[0].wait[23], 3);
  EXPECT_EQ(hourly[1].queue, "emails");
  EXPECT_EQ(hourly[1].completed, 30);
  EXPECT_EQ(hourly[2].bucket_start, Minute(60));
  EXPECT_EQ(hourly[2].completed, 2);
  EXPECT_EQ(hourly[3].completed, 20);

  auto one = Query(Minute(0), Minute(180), 60min, "emails");
  ASSERT_EQ(one.size(), 3u);
  EXPECT_EQ(one[2].bucket_start, Minute(120));
  EXPECT_EQ(one[2].completed, 10);
  for (const auto& r : one) EXPECT_EQ(r.queue, "emails");

  auto deleted = store().StatsDeleteBefore(Minute(60));
  ASSERT_OK(deleted);
  EXPECT_EQ(*deleted, 6);
  EXPECT_EQ(Query(Minute(0), Minute(60), 60min).size(), 0u);
}

TEST_P(DashboardStoreTest, StatsRejectsPartialMinutes) {
  std::vector<JobStatsRow> bad = {Row(Minute(0) + 1s, "default", 1)};
  EXPECT_THAT(store().StatsMerge(bad), StatusIs(StatusCode::kInvalidArgument));
  JobStatsQuery q;
  q.since = Minute(0);
  q.until = Minute(5);
  q.bucket_width = 90s;
  EXPECT_THAT(store().StatsQuery(q), StatusIs(StatusCode::kInvalidArgument));
}

// --- audit log ---------------------------------------------------------------------------

TEST_P(DashboardStoreTest, AuditAppendListByObjectWithCursorAndDelete) {
  std::vector<int64_t> ids;
  for (int i = 0; i < 5; ++i) {
    auto id = store().AuditAppend(AuditEntry{.at = At(i),
                                             .actor = "ops",
                                             .action = "job.retry",
                                             .object_type = "job",
                                             .object_id = i % 2 == 0 ? "42" : "43",
                                             .detail = "retried " + std::to_string(i)});
    ASSERT_OK(id);
    ids.push_back(*id);
  }
  EXPECT_LT(ids[0], ids[4]);

  AuditListParams p;
  p.object_type = "job";
  p.object_id = "42";
  p.limit = 2;
  auto page1 = store().AuditList(p);
  ASSERT_OK(page1);
  ASSERT_EQ(page1->size(), 2u);
  EXPECT_EQ((*page1)[0].id, ids[4]);
  EXPECT_EQ((*page1)[0].detail, "retried 4");
  EXPECT_EQ((*page1)[0].at, At(4));
  EXPECT_EQ((*page1)[0].actor, "ops");
  EXPECT_EQ((*page1)[0].action, "job.retry");
  EXPECT_EQ((*page1)[1].id, ids[2]);
  p.before_id = (*page1)[1].id;
  auto page2 = store().AuditList(p);
  ASSERT_OK(page2);
  ASSERT_EQ(page2->size(), 1u);
  EXPECT_EQ((*page2)[0].id, ids[0]);

  auto all = store().AuditList(AuditListParams{});
  ASSERT_OK(all);
  EXPECT_EQ(all->size(), 5u);

  auto deleted = store().AuditDeleteBefore(At(2));
  ASSERT_OK(deleted);
  EXPECT_EQ(*deleted, 2);
  all = store().AuditList(AuditListParams{});
  ASSERT_OK(all);
  EXPECT_EQ(all->size(), 3u);

  AuditEntry no_actor;
  no_actor.at = At(1);
  EXPECT_THAT(store().AuditAppend(no_actor), StatusIs(StatusCode::kInvalidArgument));
  AuditListParams bad;
  bad.limit = 0;
  EXPECT_THAT(store().AuditList(bad), StatusIs(StatusCode::kInvalidArgument));
}

// --- settings -------------------------------------------------------------------------------

TEST_P(DashboardStoreTest, SettingGetOrCreateFirstWriterWins) {
  constexpr int kThreads = 6;
  std::latch start(kThreads);
  std::vector<std::string> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      auto v = store().SettingGetOrCreate("session_key", "value-" + std::to_string(t));
      got[t] = v.ok() ? *v : "error: " + v.status().ToString();
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> distinct(got.begin(), got.end());
  ASSERT_EQ(distinct.size(), 1u) << got[0];
  EXPECT_EQ(got[0].rfind("value-", 0), 0u) << got[0];
  auto again = store().SettingGetOrCreate("session_key", "other");
  ASSERT_OK(again);
  EXPECT_EQ(*again, got[0]);
  auto other = store().SettingGetOrCreate("other_key", "x");
  ASSERT_OK(other);
  EXPECT_EQ(*other, "x");
}

// --- jobs -------------------------------------------------------------------------------------

TEST_P(DashboardStoreTest, JobDiscardStopsPendingJobsOnly) {
  const int64_t pending = Insert(MakeJob());
  const int64_t running = Insert(MakeJob("k", "other"));
  ASSERT_EQ(Claim("other", 1).size(), 1u);

  ASSERT_OK(store().JobDiscard(pending, At(5)));
  Job j = Get(pending);
  EXPECT_EQ(j.state, JobState::kDiscarded);
  EXPECT_EQ(j.finished_at, At(5));
  EXPECT_THAT(store().JobDiscard(pending, At(6)), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(store().JobDiscard(running, At(6)), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_EQ(Get(running).state, JobState::kRunning);
  EXPECT_THAT(store().JobDiscard(999999, At(6)), StatusIs(StatusCode::kNotFound));
}

TEST_P(DashboardStoreTest, FailedAttemptsRecordWorkerAndDuration) {
  NewJob nj = MakeJob("report", "reports");
  nj.max_attempts = 3;
  const int64_t id = Insert(nj);
  auto c = Claim("reports", 1, At(1), "worker-a");
  ASSERT_EQ(c.size(), 1u);
  JobCompletion done = Completion(c[0], JobCompletion::Kind::kRetry, At(3.5));
  done.error = ErrorAt(1, At(3.5), "boom");
  ASSERT_TRUE(Complete(done).applied);

  // The second attempt's worker dies; the rescuer records the lost owner.
  c = Claim("reports", 1, At(20), "worker-b", 10s);
  ASSERT_EQ(c.size(), 1u);
  JobRescueParams rp;
  rp.now = At(40);
  ASSERT_OK(store().JobRescueExpired(rp));

  Job j = Get(id);
  ASSERT_EQ(j.errors.size(), 2u);
  EXPECT_EQ(j.errors[0].message, "boom");
  EXPECT_EQ(j.errors[0].worker, "worker-a");
  EXPECT_EQ(j.errors[0].duration, Micros(2'500'000));
  EXPECT_EQ(j.errors[1].worker, "worker-b");
  EXPECT_EQ(j.errors[1].duration, 20s);
}

TEST_P(DashboardStoreTest, FailedJobListNewestFirstWithSinceAndKind) {
  const int64_t old_retry = FailedJob("a", 5, At(10), "old failure");
  const int64_t discarded = FailedJob("a", 1, At(100), "gave up");
  const int64_t retrying = FailedJob("b", 5, At(200), "try again");
  // Completed and pending jobs are not failures.
  Insert(MakeJob("a", "q-a-1"), At(300));

  FailedJobListParams p;
  p.since = At(50);
  auto list = store().FailedJobList(p);
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, retrying);
  EXPECT_EQ((*list)[0].state, JobState::kRetryable);
  EXPECT_EQ((*list)[0].kind, "b");
  EXPECT_EQ((*list)[0].queue, "q-b-3");
  EXPECT_EQ((*list)[0].last_error, "try again");
  EXPECT_EQ((*list)[0].failed_at, At(201));
  EXPECT_EQ((*list)[0].attempt, 1);
  EXPECT_EQ((*list)[0].max_attempts, 5);
  EXPECT_EQ((*list)[1].id, discarded);
  EXPECT_EQ((*list)[1].state, JobState::kDiscarded);
  EXPECT_EQ((*list)[1].last_error, "gave up");

  p.since = At(0);
  p.kind = "a";
  list = store().FailedJobList(p);
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, discarded);
  EXPECT_EQ((*list)[1].id, old_retry);

  p.kind.reset();
  p.limit = 1;
  list = store().FailedJobList(p);
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].id, retrying);

  // A discarded job without any error counts from when it was discarded.
  const int64_t manual = Insert(MakeJob("c", "q-c"));
  ASSERT_OK(store().JobDiscard(manual, At(400)));
  p.limit = 10;
  list = store().FailedJobList(p);
  ASSERT_OK(list);
  ASSERT_FALSE(list->empty());
  EXPECT_EQ((*list)[0].id, manual);
  EXPECT_EQ((*list)[0].failed_at, At(400));
  EXPECT_EQ((*list)[0].last_error, "");
}

// --- checks -------------------------------------------------------------------------------------

TEST_P(DashboardStoreTest, CheckSetPausedPausesAndResumesAsNew) {
  CheckSpec spec;
  spec.name = "backup";
  spec.period = 1h;
  ASSERT_OK(store().CheckUpsert(spec, At(0)));
  CheckPingParams ping;
  ping.name = "backup";
  ping.at = At(1);
  ASSERT_OK(store().CheckPing(ping));

  ASSERT_OK(store().CheckSetPaused("backup", true, At(2)));
  auto c = store().CheckGet("backup");
  ASSERT_OK(c);
  EXPECT_EQ(c->state, CheckState::kPaused);
  // Paused: hours without a ping change nothing.
  ASSERT_OK(store().CheckEvaluate(At(10 * 3600)));
  c = store().CheckGet("backup");
  ASSERT_OK(c);
  EXPECT_EQ(c->state, CheckState::kPaused);

  ASSERT_OK(store().CheckSetPaused("backup", false, At(10 * 3600)));
  c = store().CheckGet("backup");
  ASSERT_OK(c);
  EXPECT_EQ(c->state, CheckState::kNew);
  EXPECT_EQ(c->updated_at, At(10 * 3600));
  EXPECT_THAT(store().CheckSetPaused("nope", true, At(1)), StatusIs(StatusCode::kNotFound));
}

STEWARD_INSTANTIATE_STORE_SUITE(DashboardStoreTest);

}  // namespace
}  // namespace steward::testing
