// Process-level crash test: `steward serve` is kill -9'd several times while
// 2,000 jobs run. Every job must complete; only jobs that were running at a
// kill may have run twice.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "store/store.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace steward::testing {
namespace {

using namespace std::chrono_literals;

struct Ledger {
  std::map<int64_t, int> starts, dones;
};

Ledger ReadLedger(const std::string& path) {
  Ledger l;
  std::istringstream in(ReadFile(path));
  std::string word;
  int64_t id = 0;
  while (in >> word >> id) {
    if (word == "start") ++l.starts[id];
    if (word == "done") ++l.dones[id];
  }
  return l;
}

std::set<int64_t> RunningJobIds(const std::string& url) {
  auto store = OpenStore(url);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  std::set<int64_t> ids;
  if (!store.ok()) return ids;
  JobListParams p;
  p.state = JobState::kRunning;
  p.limit = 1000;
  for (;;) {
    auto jobs = (*store)->JobList(p);
    EXPECT_TRUE(jobs.ok()) << jobs.status().ToString();
    if (!jobs.ok() || jobs->empty()) break;
    for (const auto& j : *jobs) ids.insert(j.id);
    p.before_id = jobs->back().id;
  }
  return ids;
}

TEST(CrashTest, KillNineLosesNoJobAndOnlyInterruptedJobsRunTwice) {
  TempDir dir;
  const std::string db = "sqlite://" + dir.File("steward.db");
  const std::string ledger = dir.File("ledger.txt");
  const std::string config = dir.File("steward.toml");
  {
    std::ofstream c(config);
    c << "database = \"" << db << "\"\n"
      << "listen = \"127.0.0.1:0\"\n"
      << "log_format = \"json\"\n"
      << "[worker]\nlease = \"2s\"\nrescue_interval = \"300ms\"\npoll_interval = \"200ms\"\n"
      << "shutdown_grace = \"1s\"\n"
      << "[queues.default]\nconcurrency = 16\n"
      << "[kinds.ledger]\ntype = \"exec\"\n"
      << "command = [\"/bin/sh\", \"-c\", \"echo start $STEWARD_JOB_ID >> " << ledger
      << "; sleep 0.02; echo done $STEWARD_JOB_ID >> " << ledger << "\"]\n";
  }
  constexpr int kJobs = 2000;
  {
    auto store = OpenStore(db);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->Migrate().ok());
    std::vector<NewJob> jobs(kJobs);
    for (auto& j : jobs) j.kind = "ledger";
    auto r = (*store)->JobInsertMany(jobs, SystemClock().Now());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  auto count_done = [&] {
    Ledger l = ReadLedger(ledger);
    return static_cast<int>(l.dones.size());
  };
  std::set<int64_t> running_at_kill;
  const std::string log = dir.File("serve.log");
  for (int kill_round = 0; kill_round < 4; ++kill_round) {
    int before = count_done();
    Subprocess serve({StewardBinary(), "--config", config, "serve"}, log);
    // Await progress: 200 more jobs done (or all), then kill -9 mid-run.
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (count_done() < std::min(kJobs, before + 200) && std::chrono::steady_clock::now() < deadline) {
      ASSERT_TRUE(serve.running()) << "steward serve exited early:\n" << ReadFile(log);
      std::this_thread::sleep_for(10ms);
    }
    ASSERT_LT(count_done(), kJobs) << "finished before the kill; the test would prove nothing";
    serve.Signal(SIGKILL);
    ASSERT_TRUE(serve.Wait(10s).has_value());
    auto ids = RunningJobIds(db);
    EXPECT_FALSE(ids.empty()) << "expected jobs running at the kill";
    running_at_kill.insert(ids.begin(), ids.end());
  }

  // Final run: everything completes, then a graceful stop.
  {
    Subprocess serve({StewardBinary(), "--config", config, "serve"}, log);
    auto store = OpenStore(db);
    ASSERT_TRUE(store.ok());
    auto deadline = std::chrono::steady_clock::now() + 120s;
    int64_t completed = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      auto stats = (*store)->QueueStatsAll(SystemClock().Now());
      ASSERT_TRUE(stats.ok()) << stats.status().ToString();
      completed = 0;
      for (const auto& s : *stats) completed += s.completed;
      if (completed == kJobs) break;
      ASSERT_TRUE(serve.running()) << ReadFile(log);
      std::this_thread::sleep_for(50ms);
    }
    EXPECT_EQ(completed, kJobs) << ReadFile(log).substr(0, 4000);
    serve.Signal(SIGTERM);
    auto st = serve.Wait(30s);
    ASSERT_TRUE(st.has_value());
    EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0);
  }

  Ledger l = ReadLedger(ledger);
  EXPECT_EQ(static_cast<int>(l.dones.size()), kJobs) << "every job ran to completion at least once";
  int twice = 0;
  for (const auto& [id, n] : l.starts) {
    if (n > 1) {
      ++twice;
      EXPECT_TRUE(running_at_kill.count(id)) << "job " << id << " ran " << n
                                             << " times but was not running at any kill";
    }
  }
  // Jobs interrupted by a kill must have been retried (they ran again).
  EXPECT_GT(twice, 0);
  RecordProperty("jobs_run_twice", twice);
  RecordProperty("jobs_running_at_kills", static_cast<int>(running_at_kill.size()));
}

}  // namespace
}  // namespace steward::testing
