// The worker's node row (Nodes page) and the pruning of the dashboard's
// records by maintenance. Tests named *StoreIntegration* need the store's
// DashboardStore methods (they fail until the store branch lands).
#include <unistd.h>

#include "runtime/node_info.h"
#include "runtime_fixture.h"
#include "support/eventually.h"
#include "watch/fault_store.h"

namespace steward::testing {
namespace {

std::optional<NodeInfo> FindNode(Store& store, const std::string& id) {
  auto nodes = store.NodeList();
  if (!nodes.ok()) return std::nullopt;
  for (const auto& n : *nodes) {
    if (n.id == id) return n;
  }
  return std::nullopt;
}

TEST(DescribeNodeTest, NamesThisProcessItsQueuesAndWhatRuns) {
  WorkerOptions o;
  o.worker_id = "host-a:42:beef";
  o.queues = {{"default", 4}, {"email", 2}};
  const Timestamp started = FromMicros(1'790'000'000'000'000);
  const Timestamp now = started + 90s;
  NodeInfo n = DescribeNode(o, 3, started, now);
  EXPECT_EQ(n.id, "host-a:42:beef");
  EXPECT_EQ(n.pid, getpid());
  char host[256] = {0};
  ASSERT_EQ(gethostname(host, sizeof(host) - 1), 0);
  EXPECT_EQ(n.host, host);
  EXPECT_EQ(n.version, StewardVersion());
  EXPECT_FALSE(n.version.empty());
  EXPECT_EQ(n.queues, (std::vector<std::string>{"default", "email"}));
  EXPECT_EQ(n.running, 3);
  EXPECT_EQ(n.started_at, started);
  EXPECT_EQ(n.last_seen_at, now);
  EXPECT_FALSE(n.stopped_at.has_value());
}

TEST_F(RuntimeTest, NodeStoreIntegrationHeartbeatWritesTheNodeAndStopMarksItStopped) {
  WorkerOptions o = FastOptions();
  o.worker_id = "node-test:1";
  o.queues = {{"default", 2}, {"email", 1}};
  auto w = MakeWorker(o);
  const Timestamp before = SystemClock().Now();
  ASSERT_TRUE(w->Start().ok());
  ASSERT_TRUE(Eventually([&] { return FindNode(*store_, "node-test:1").has_value(); }))
      << "the first node heartbeat is written at start";
  NodeInfo n = *FindNode(*store_, "node-test:1");
  EXPECT_EQ(n.pid, getpid());
  EXPECT_EQ(n.queues, (std::vector<std::string>{"default", "email"}));
  EXPECT_GE(n.started_at, before - 1s);
  EXPECT_GE(n.last_seen_at, n.started_at);
  EXPECT_FALSE(n.stopped_at.has_value());
  w->Stop();
  auto stopped = FindNode(*store_, "node-test:1");
  ASSERT_TRUE(stopped.has_value());
  EXPECT_TRUE(stopped->stopped_at.has_value()) << "a graceful stop marks the node stopped";
}

// Runs on any branch: the node heartbeat fails throughout (as when the
// node table is missing) and a job longer than its lease still finishes on
// its first attempt, so the leases were extended all along.
TEST_F(RuntimeTest, AFailingNodeHeartbeatNeverStopsLeaseExtension) {
  auto faulty = std::make_shared<FaultStore>(store_);
  faulty->SetDashboardWritesFailing(true);
  WorkerOptions o = FastOptions();
  o.lease = 1s;  // extended every 333 ms; the job runs three leases long
  auto w = Worker::Create(faulty, o);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ASSERT_TRUE((*w)->Handle("slow", [](JobContext&) {
                    std::this_thread::sleep_for(3s);  // the work itself, not synchronisation
                    return Outcome::Success();
                  }).ok());
  ASSERT_TRUE((*w)->Start().ok());
  NewJob j;
  j.kind = "slow";
  const int64_t id = Enqueue(j);
  Job done = AwaitState(id, JobState::kCompleted, 15s);
  EXPECT_EQ(done.attempt, 1) << "the job was not rescued from under its handler";
  EXPECT_GE(faulty->node_beats(), 1) << "the node heartbeat was tried (and failed)";
  (*w)->Stop();
}

TEST_F(RuntimeTest, MaintenanceStoreIntegrationPrunesOldNodesStatsAndAuditOnly) {
  const Timestamp now = SystemClock().Now();
  auto node = [&](const std::string& id, Timestamp seen) {
    NodeInfo n;
    n.id = id;
    n.host = "h";
    n.started_at = seen - 1h;
    n.last_seen_at = seen;
    ASSERT_TRUE(store_->NodeHeartbeat(n).ok());
  };
  node("gone", now - std::chrono::hours(24 * 8));
  node("recent", now - std::chrono::hours(24 * 6));
  JobStatsRow old_row, new_row;
  old_row.bucket_start = Timestamp(std::chrono::floor<std::chrono::minutes>(now - std::chrono::hours(24 * 9)).time_since_epoch());
  new_row.bucket_start = Timestamp(std::chrono::floor<std::chrono::minutes>(now - std::chrono::hours(24 * 7)).time_since_epoch());
  old_row.queue = new_row.queue = "default";
  old_row.completed = 5;
  new_row.completed = 7;
  std::vector<JobStatsRow> rows = {old_row, new_row};
  ASSERT_TRUE(store_->StatsMerge(rows).ok());
  AuditEntry a;
  a.actor = "ops";
  a.action = "job.retry";
  a.object_type = "job";
  a.object_id = "1";
  a.at = now - std::chrono::hours(24 * 91);
  ASSERT_TRUE(store_->AuditAppend(a).ok());
  a.object_id = "2";
  a.at = now - std::chrono::hours(24 * 89);
  ASSERT_TRUE(store_->AuditAppend(a).ok());

  auto w = MakeWorker(FastOptions());
  ASSERT_TRUE(w->Start().ok());  // maintenance prunes on its first pass
  EXPECT_TRUE(Eventually([&] { return !FindNode(*store_, "gone").has_value(); }))
      << "a node not seen for 8 days is pruned (keep_nodes = 7 days)";
  EXPECT_TRUE(FindNode(*store_, "recent").has_value());
  JobStatsQuery q;
  q.since = now - std::chrono::hours(24 * 10);
  q.until = now + 1h;
  EXPECT_TRUE(Eventually([&] {
    auto r = store_->StatsQuery(q);
    return r.ok() && r->size() == 1 && (*r)[0].completed == 7;
  })) << "rollups older than 8 days are pruned, younger ones kept";
  EXPECT_TRUE(Eventually([&] {
    auto r = store_->AuditList(AuditListParams{});
    return r.ok() && r->size() == 1 && (*r)[0].object_id == "2";
  })) << "audit entries older than 90 days are pruned";
  w->Stop();
}

TEST_F(RuntimeTest, MaintenanceStoreIntegrationKeepsEverythingWhenRetentionIsOff) {
  const Timestamp now = SystemClock().Now();
  NodeInfo n;
  n.id = "ancient";
  n.started_at = now - std::chrono::hours(24 * 400);
  n.last_seen_at = n.started_at;
  ASSERT_TRUE(store_->NodeHeartbeat(n).ok());
  WorkerOptions o = FastOptions();
  o.keep_nodes = Micros(0);
  auto w = MakeWorker(o);
  ASSERT_TRUE(w->Start().ok());
  w->Stop();  // joins maintenance, whose first pass runs at start
  EXPECT_TRUE(FindNode(*store_, "ancient").has_value());
}

}  // namespace
}  // namespace steward::testing
