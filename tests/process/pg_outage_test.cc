// A database outage under load, for real: two `steward serve` nodes work
// through jobs on the shared PostgreSQL, the server is stopped for 15 s
// (pg_ctl stop -m fast, as in a failover or a restart) and started again.
//
//   * The nodes stay up, and say so: /livez stays 200 while /readyz is 503
//     naming the database, and 200 again once it is back.
//   * They log the outage once ("database unavailable ...", then "database
//     available again"), not once per failed call: /metrics counts the
//     failed store calls, the log has a handful of warnings.
//   * They reconnect by themselves, and every job completes; none runs
//     twice (the lease outlasts the outage, so nothing is rescued).
#include <gtest/gtest.h>
#include <httplib.h>
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

#include <nlohmann/json.hpp>

#include "process/ledger.h"
#include "store/store.h"
#include "support/pg_admin.h"
#include "support/pg_harness.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace steward::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kJobs = 2000;
constexpr int kNodes = 2;
constexpr int kConcurrency = 8;

// Lines of a JSON log file, parsed; lines that are not JSON are returned
// with "msg" set to the raw text, so that they are counted too.
std::vector<nlohmann::json> LogLines(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::istringstream in(ReadFile(path));
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) j = {{"msg", line}, {"level", "unparsed"}};
    out.push_back(std::move(j));
  }
  return out;
}

// The port from the node's {"msg":"http listening","address":"127.0.0.1:N"}.
int ListeningPort(const std::string& log_path) {
  for (const auto& j : LogLines(log_path)) {
    if (j.value("msg", "") == "http listening") {
      const std::string addr = j.value("address", "");
      return std::stoi(addr.substr(addr.rfind(':') + 1));
    }
  }
  return 0;
}

// Sum of every sample of a counter in a Prometheus text exposition.
double SumOf(const std::string& text, const std::string& metric) {
  double sum = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(metric, 0) != 0) continue;
    const char next = line.size() > metric.size() ? line[metric.size()] : ' ';
    if (next != '{' && next != ' ') continue;
    sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

class PgOutageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = PostgresFreshDatabaseUrl();
    ledger_ = dir_.File("ledger.txt");
    ASSERT_NO_FATAL_FAILURE(SeedLedgerJobs(url_, kJobs, &inserted_));
  }
  void TearDown() override {
    // Whatever happened, later tests in this process need the server.
    if (server_stopped_) {
      EXPECT_TRUE(PostgresStartServer());
    }
  }

  std::string Node(int n) const { return "node-" + std::to_string(n); }
  std::string Log(int n) const { return dir_.File(Node(n) + ".log"); }

  void StartNode(int n) {
    const std::string path = dir_.File(Node(n) + ".toml");
    std::ofstream(path) << "database = \"" << url_ << "\"\n"
                        << "listen = \"127.0.0.1:0\"\n"
                        << "log_format = \"json\"\n"
                        << "[worker]\nid = \"" << Node(n) << "\"\n"
                        << "lease = \"45s\"\nrescue_interval = \"1s\"\npoll_interval = \"200ms\"\n"
                        << "shutdown_grace = \"5s\"\n"
                        << "[queues.default]\nconcurrency = " << kConcurrency << "\n"
                        << "[kinds.ledger]\ntype = \"exec\"\n"
                        << "command = [\"/bin/sh\", \"-c\", \""
                        << LedgerCommand(ledger_, Node(n), "sleep 0.02") << "\"]\n";
    nodes_.push_back(std::make_unique<Subprocess>(
        std::vector<std::string>{StewardBinary(), "--config", path, "serve"}, Log(n)));
  }

  int64_t Completed(PgAdmin& db) {
    return db.Int("SELECT count(*) FROM steward.jobs WHERE state = 'completed'");
  }

  // GET path on node n's API listener: (status, body); status 0 if no answer.
  std::pair<int, std::string> Get(int n, const std::string& path) {
    httplib::Client c("127.0.0.1", ports_[n]);
    c.set_connection_timeout(2);
    c.set_read_timeout(5);
    auto r = c.Get(path);
    if (!r) return {0, ""};
    return {r->status, r->body};
  }

  // Polls until node n answers `path` with `status`, for up to `timeout`.
  bool AwaitStatus(int n, const std::string& path, int status, std::chrono::seconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (Get(n, path).first == status) return true;
      std::this_thread::sleep_for(100ms);  // polling an endpoint, with a deadline
    }
    return false;
  }

  TempDir dir_;
  std::string url_;
  std::string ledger_;
  std::set<int64_t> inserted_;
  std::vector<std::unique_ptr<Subprocess>> nodes_;
  std::map<int, int> ports_;
  bool server_stopped_ = false;
};

TEST_F(PgOutageTest, FifteenSecondsWithoutTheDatabaseCostNoJobAndOneLogLine) {
  for (int n = 1; n <= kNodes; ++n) StartNode(n);
  for (int n = 1; n <= kNodes; ++n) {
    const auto deadline = Clock::now() + 30s;
    while ((ports_[n] = ListeningPort(Log(n))) == 0 && Clock::now() < deadline) {
      ASSERT_TRUE(nodes_[n - 1]->running()) << ReadFile(Log(n));
      std::this_thread::sleep_for(50ms);
    }
    ASSERT_GT(ports_[n], 0) << ReadFile(Log(n));
    ASSERT_TRUE(AwaitStatus(n, "/readyz", 200, 30s)) << ReadFile(Log(n));
  }

  // Under load: some jobs done, most still to do.
  {
    PgAdmin db(url_);
    const auto deadline = Clock::now() + 60s;
    while (Completed(db) < 200 && Clock::now() < deadline) std::this_thread::sleep_for(20ms);
    ASSERT_GE(Completed(db), 200);
  }
  ASSERT_TRUE(PostgresStopServer());
  server_stopped_ = true;
  const auto outage_start = Clock::now();

  // The nodes notice: not ready (database), still live.
  for (int n = 1; n <= kNodes; ++n) {
    EXPECT_TRUE(AwaitStatus(n, "/readyz", 503, 10s))
        << Node(n) << ": still ready without a database";
    auto [ready, body] = Get(n, "/readyz");
    EXPECT_NE(body.find("database"), std::string::npos) << body;
    EXPECT_EQ(Get(n, "/livez").first, 200) << Node(n) << ": an outage must not restart the pod";
  }
  std::this_thread::sleep_for(15s - (Clock::now() - outage_start));  // the outage itself
  std::map<int, double> failed_calls;
  for (int n = 1; n <= kNodes; ++n) {
    EXPECT_TRUE(nodes_[n - 1]->running()) << Node(n) << " died in the outage:\n"
                                          << ReadFile(Log(n));
    EXPECT_EQ(Get(n, "/livez").first, 200) << Node(n);
    failed_calls[n] = SumOf(Get(n, "/metrics").second, "steward_store_errors_total");
  }
  ASSERT_TRUE(PostgresStartServer());
  server_stopped_ = false;

  // Back by themselves, and every job done.
  for (int n = 1; n <= kNodes; ++n) {
    EXPECT_TRUE(AwaitStatus(n, "/readyz", 200, 60s)) << Node(n) << " did not recover:\n"
                                                     << ReadFile(Log(n)).substr(0, 6000);
  }
  PgAdmin db(url_);
  const auto deadline = Clock::now() + 120s;
  while (Completed(db) < kJobs && Clock::now() < deadline) std::this_thread::sleep_for(100ms);
  ASSERT_EQ(Completed(db), kJobs) << ::testing::PrintToString(
      db.Column("SELECT state || '=' || count(*) FROM steward.jobs GROUP BY state"));
  for (int n = 1; n <= kNodes; ++n) nodes_[n - 1]->Signal(SIGTERM);
  for (int n = 1; n <= kNodes; ++n) {
    auto st = nodes_[n - 1]->Wait(30s);
    ASSERT_TRUE(st.has_value()) << Node(n) << " did not stop";
    EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << ReadFile(Log(n)).substr(0, 6000);
  }

  // Exactly once: every job started and finished once.
  const Ledger l = ReadLedger(ledger_);
  EXPECT_EQ(static_cast<int>(l.dones.size()), kJobs);
  int repeated = 0;
  for (const auto& [job, count] : l.starts) repeated += count > 1 ? 1 : 0;
  EXPECT_EQ(repeated, 0) << "jobs ran twice although no lease expired";
  EXPECT_EQ(l.starts_by_node.size(), static_cast<size_t>(kNodes)) << "both nodes worked";

  // Logged once: one "unavailable" and one "available again" per node, and a
  // handful of warnings in all, while each node failed many store calls.
  for (int n = 1; n <= kNodes; ++n) {
    int down = 0, up = 0, warnings = 0;
    std::string shown;
    for (const auto& j : LogLines(Log(n))) {
      const std::string msg = j.value("msg", "");
      const std::string level = j.value("level", "");
      if (msg == "database unavailable; every loop retries with backoff") ++down;
      if (msg == "database available again") ++up;
      if (level != "info" && level != "debug") {
        ++warnings;
        shown += j.dump() + "\n";
      }
    }
    EXPECT_EQ(down, 1) << Node(n) << ":\n" << shown;
    EXPECT_EQ(up, 1) << Node(n);
    EXPECT_GE(failed_calls[n], 10) << Node(n) << ": the loops should have kept trying";
    EXPECT_LE(warnings, 5) << Node(n) << " logged the outage " << warnings << " times:\n" << shown;
  }
}

}  // namespace
}  // namespace steward::testing
