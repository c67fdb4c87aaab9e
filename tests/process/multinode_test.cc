// Many nodes on one PostgreSQL database: three real `steward serve`
// processes share 20,000 jobs whose exec handler appends "start ID NODE" and
// "done ID NODE" lines to one ledger file (O_APPEND writes of short lines are
// atomic on Linux, and a shell `echo` costs a fork instead of the psql
// connection a ledger table would cost per job: 20,000 of those would not fit
// the time budget, and the file proves the same thing).
//
//   * Without faults every job runs exactly once, and every node does some.
//   * kill -9 of one node mid-run: every job still completes, and only jobs
//     that the database showed running under that node's lease right after
//     the kill ran twice.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "store/store.h"
#include "process/ledger.h"
#include "support/pg_admin.h"
#include "support/pg_harness.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace steward::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kJobs = 20000;
constexpr int kNodes = 3;

// Job ids selected by sql (its first column).
std::set<int64_t> Ids(PgAdmin& db, const std::string& sql) {
  std::set<int64_t> out;
  for (const auto& s : db.Column(sql)) out.insert(std::stoll(s));
  return out;
}

class MultiNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = PostgresFreshDatabaseUrl();
    ledger_ = dir_.File("ledger.txt");
    ASSERT_NO_FATAL_FAILURE(SeedLedgerJobs(url_, kJobs, &inserted_));
    db_ = std::make_unique<PgAdmin>(url_);
  }

  std::string Node(int n) const { return "node-" + std::to_string(n); }
  std::string Log(int n) const { return dir_.File(Node(n) + ".log"); }

  std::string WriteConfig(int n) {
    const std::string path = dir_.File(Node(n) + ".toml");
    std::ofstream c(path);
    // application_name tells the test which server backends are this node's.
    c << "database = \"" << url_ << "?application_name=" << Node(n) << "\"\n"
      << "listen = \"127.0.0.1:0\"\n"
      << "log_format = \"json\"\n"
      << "[worker]\nid = \"" << Node(n) << "\"\n"
      << "lease = \"" << lease_ << "\"\nrescue_interval = \"500ms\"\npoll_interval = \"200ms\"\n"
      << "shutdown_grace = \"5s\"\n"
      << "[queues.default]\nconcurrency = 32\n"
      << "[kinds.ledger]\ntype = \"exec\"\n"
      << "command = [\"/bin/sh\", \"-c\", \"" << LedgerCommand(ledger_, Node(n)) << "\"]\n";
    return path;
  }

  void StartNodes() {
    for (int n = 1; n <= kNodes; ++n) {
      nodes_.push_back(std::make_unique<Subprocess>(
          std::vector<std::string>{StewardBinary(), "--config", WriteConfig(n), "serve"}, Log(n)));
    }
  }

  int64_t Completed() {
    return db_->Int("SELECT count(*) FROM steward.jobs WHERE state = 'completed'");
  }

  // Polls the database until `target` jobs are completed; fails on the
  // deadline or when a node that should be alive has exited.
  void AwaitCompleted(int64_t target, std::chrono::seconds timeout,
                      const std::set<int>& dead = {}) {
    const auto deadline = Clock::now() + timeout;
    int64_t done = 0;
    while ((done = Completed()) < target && Clock::now() < deadline) {
      for (int n = 1; n <= kNodes; ++n) {
        if (dead.count(n)) continue;
        ASSERT_TRUE(nodes_[n - 1]->running()) << Node(n) << " exited:\n"
                                              << ReadFile(Log(n)).substr(0, 4000);
      }
      std::this_thread::sleep_for(50ms);
    }
    ASSERT_GE(done, target)
        << "timed out; states: "
        << ::testing::PrintToString(
               db_->Column("SELECT state || '=' || count(*) FROM steward.jobs GROUP BY state"));
  }

  void StopNodes(const std::set<int>& dead = {}) {
    for (int n = 1; n <= kNodes; ++n) {
      if (!dead.count(n)) nodes_[n - 1]->Signal(SIGTERM);
    }
    for (int n = 1; n <= kNodes; ++n) {
      if (dead.count(n)) continue;
      auto st = nodes_[n - 1]->Wait(30s);
      ASSERT_TRUE(st.has_value()) << Node(n) << " did not stop";
      EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << Node(n) << ":\n"
                                                           << ReadFile(Log(n)).substr(0, 4000);
    }
  }

  // Short, so the kill test's rescue comes quickly. A lease only expires
  // when heartbeats stop reaching the database for that long, which on a
  // starved 2-core test machine can happen without any fault; the test of
  // fault-free runs therefore uses a longer one.
  std::string lease_ = "2s";
  TempDir dir_;
  std::string url_;
  std::string ledger_;
  std::set<int64_t> inserted_;
  std::unique_ptr<PgAdmin> db_;
  std::vector<std::unique_ptr<Subprocess>> nodes_;
};

TEST_F(MultiNodeTest, ThreeNodesRunEveryJobExactlyOnce) {
  lease_ = "20s";
  const auto t0 = Clock::now();
  StartNodes();
  AwaitCompleted(kJobs, 120s);
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  StopNodes();

  Ledger l = ReadLedger(ledger_);
  EXPECT_EQ(static_cast<int>(l.starts.size()), kJobs);
  EXPECT_EQ(static_cast<int>(l.dones.size()), kJobs);
  int twice = 0;
  for (const auto& [id, n] : l.starts) {
    EXPECT_TRUE(inserted_.count(id)) << "unknown job " << id;
    if (n != 1 && ++twice <= 10) ADD_FAILURE() << "job " << id << " started " << n << " times";
  }
  EXPECT_EQ(twice, 0);
  for (int n = 1; n <= kNodes; ++n) {
    EXPECT_GT(l.starts_by_node[Node(n)], 0) << Node(n) << " ran no job: the test shares nothing";
    RecordProperty(Node(n) + "_jobs", l.starts_by_node[Node(n)]);
  }
  // The database agrees: one attempt each, nothing left over.
  EXPECT_EQ(db_->Int("SELECT count(*) FROM steward.jobs WHERE state = 'completed' AND attempt = 1"),
            kJobs);
  RecordProperty("seconds", std::to_string(seconds));
  std::printf("3 nodes ran %d exec jobs in %.1f s (%s %d, %s %d, %s %d)\n", kJobs, seconds,
              Node(1).c_str(), l.starts_by_node[Node(1)], Node(2).c_str(),
              l.starts_by_node[Node(2)], Node(3).c_str(), l.starts_by_node[Node(3)]);
}

TEST_F(MultiNodeTest, KillNineOfOneNodeLosesNothingAndRepeatsOnlyItsRunningJobs) {
  constexpr int kVictim = 2;
  StartNodes();
  // Mid-run: a quarter done, so the victim is busy and most work remains.
  AwaitCompleted(kJobs / 4, 120s);
  ASSERT_LT(Completed(), kJobs) << "finished before the kill; the test would prove nothing";
  nodes_[kVictim - 1]->Signal(SIGKILL);
  ASSERT_TRUE(nodes_[kVictim - 1]->Wait(10s).has_value());
  // A statement the victim sent just before dying still runs to its end on
  // the server (a claim can commit after the kill). Wait until the server
  // has closed all of the victim's sessions, so the snapshot below is final.
  const auto deadline = Clock::now() + 20s;
  while (db_->Int("SELECT count(*) FROM pg_stat_activity WHERE application_name = '" +
                  Node(kVictim) + "'") > 0) {
    ASSERT_LT(Clock::now(), deadline) << "the server kept " << Node(kVictim) << "'s sessions";
    std::this_thread::sleep_for(10ms);
  }
  // The victim's leases are still held (lease 2s, and no other node can
  // complete its jobs): this is exactly the set of jobs it held at its death.
  const std::set<int64_t> running_at_kill =
      Ids(*db_, "SELECT id FROM steward.jobs WHERE state = 'running' AND lease_owner = '" +
               Node(kVictim) + "'");
  EXPECT_FALSE(running_at_kill.empty())
      << "expected jobs running on " << Node(kVictim) << " at the kill";

  AwaitCompleted(kJobs, 120s, {kVictim});
  StopNodes({kVictim});

  Ledger l = ReadLedger(ledger_);
  EXPECT_EQ(static_cast<int>(l.dones.size()), kJobs) << "every job ran to completion at least once";
  int twice = 0;
  for (const auto& [id, n] : l.starts) {
    if (n == 1) continue;
    ++twice;
    EXPECT_EQ(n, 2) << "job " << id;
    EXPECT_TRUE(running_at_kill.count(id))
        << "job " << id << " ran " << n << " times but was not running on the killed node";
  }
  // The database agrees: only those jobs took a second attempt.
  for (int64_t id : Ids(*db_, "SELECT id FROM steward.jobs WHERE attempt > 1")) {
    EXPECT_TRUE(running_at_kill.count(id)) << "job " << id << " took a second attempt";
  }
  EXPECT_EQ(db_->Int("SELECT count(*) FROM steward.jobs WHERE state <> 'completed'"), 0);
  // The interrupted jobs whose handler had started ran again.
  EXPECT_GT(twice, 0);
  RecordProperty("running_at_kill", static_cast<int>(running_at_kill.size()));
  RecordProperty("jobs_run_twice", twice);
  std::printf("kill -9 of %s: %zu jobs running on it, %d ran twice\n", Node(kVictim).c_str(),
              running_at_kill.size(), twice);
}

}  // namespace
}  // namespace steward::testing
