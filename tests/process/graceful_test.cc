// Graceful restart of a real `steward serve`: SIGTERM under load turns
// /readyz to 503 while /livez and the API keep answering, running jobs
// drain, the process exits 0 within the grace, and no job is lost: every
// job is completed or handed back (available, attempt not counted), and a
// second `steward serve` completes the rest.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "store/store.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace steward {
namespace {

using namespace std::chrono_literals;
using testing::ReadFile;
using testing::Subprocess;

constexpr int kJobs = 50;

// The port from the "http listening" log line in `log`.
int WaitForPort(const std::string& log, Subprocess& p) {
  // JSON keys are sorted, so "address" comes before "msg": look at each
  // line that is the listening event and take its address.
  std::regex re(R"re("address":"127\.0\.0\.1:(\d+)")re");
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline && p.running()) {
    std::istringstream lines(ReadFile(log));
    std::string line;
    std::smatch m;
    while (std::getline(lines, line)) {
      if (line.find("\"http listening\"") != std::string::npos && std::regex_search(line, m, re)) {
        return std::stoi(m[1]);
      }
    }
    std::this_thread::sleep_for(20ms);
  }
  ADD_FAILURE() << "no \"http listening\" line:\n" << ReadFile(log);
  return 0;
}

int HttpStatus(httplib::Client& c, const std::string& path) {
  auto r = c.Get(path);
  return r ? r->status : -1;
}

std::vector<Job> AllJobs(const std::string& db) {
  auto s = OpenStore("sqlite://" + db);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  if (!s.ok()) return {};
  JobListParams p;
  p.limit = 1000;
  auto jobs = (*s)->JobList(p);
  EXPECT_TRUE(jobs.ok());
  return jobs.ok() ? *jobs : std::vector<Job>{};
}

TEST(GracefulProcessTest, SigtermUnderLoadDrainsAndLosesNothing) {
  testing::TempDir dir;
  std::string config = dir.File("steward.toml");
  std::string db = dir.File("s.db");
  std::ofstream(config) << "[kinds.nap]\ntype = \"exec\"\ncommand = [\"/bin/sleep\", \"1\"]\n"
                           "[worker]\nshutdown_grace = \"8s\"\n"
                           "[queues.default]\nconcurrency = 4\n";
  std::vector<std::string> argv = {testing::StewardBinary(), "--config", config, "--db",
                                   "sqlite://" + db, "serve", "--listen", "127.0.0.1:0"};
  std::string log1 = dir.File("serve1.log");
  auto serve = std::make_unique<Subprocess>(argv, log1);
  int port = WaitForPort(log1, *serve);
  ASSERT_GT(port, 0);
  httplib::Client api("127.0.0.1", port);
  api.set_read_timeout(10, 0);
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (HttpStatus(api, "/startupz") != 200 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(HttpStatus(api, "/startupz"), 200) << ReadFile(log1);

  for (int i = 0; i < kJobs; ++i) {
    auto r = api.Post("/api/v1/jobs", nlohmann::json{{"kind", "nap"}, {"payload", {{"i", i}}}}.dump(),
                      "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201) << r->body;
  }
  // Under load: jobs are running.
  deadline = std::chrono::steady_clock::now() + 10s;
  bool running = false;
  while (!running && std::chrono::steady_clock::now() < deadline) {
    auto r = api.Get("/api/v1/jobs?state=running");
    running = r && r->status == 200 && !nlohmann::json::parse(r->body)["jobs"].empty();
    if (!running) std::this_thread::sleep_for(20ms);
  }
  ASSERT_TRUE(running) << ReadFile(log1);

  auto term_at = std::chrono::steady_clock::now();
  serve->Signal(SIGTERM);
  // Draining: not ready, still live, the API still answers.
  bool saw_draining = false;
  while (serve->running() && std::chrono::steady_clock::now() - term_at < 10s) {
    int ready = HttpStatus(api, "/readyz");
    int live = HttpStatus(api, "/livez");
    if (ready == 503 && live == 200) {
      saw_draining = true;
      EXPECT_EQ(HttpStatus(api, "/api/v1/queues"), 200);
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(saw_draining) << "never saw readyz 503 with livez 200\n" << ReadFile(log1);
  auto code = serve->Wait(12s);
  auto took = std::chrono::steady_clock::now() - term_at;
  ASSERT_TRUE(code.has_value()) << "no exit within the grace\n" << ReadFile(log1);
  EXPECT_TRUE(WIFEXITED(*code) && WEXITSTATUS(*code) == 0) << ReadFile(log1);
  EXPECT_LT(took, 9s);  // grace 8 s; the 1 s jobs finish well before
  serve.reset();

  // Nothing lost: completed, or handed back with the attempt not counted.
  auto jobs = AllJobs(db);
  ASSERT_EQ(jobs.size(), size_t{kJobs});
  int completed = 0;
  for (const auto& j : jobs) {
    if (j.state == JobState::kCompleted) {
      ++completed;
      EXPECT_EQ(j.attempt, 1) << j.id;
    } else {
      EXPECT_EQ(j.state, JobState::kAvailable) << "job " << j.id << " left " << JobStateName(j.state);
      EXPECT_EQ(j.attempt, 0) << "job " << j.id << ": handed-back attempt counted";
    }
  }
  EXPECT_GT(completed, 0);
  EXPECT_LT(completed, kJobs) << "SIGTERM came too late to test a hand-back";

  // Restart: everything completes.
  std::string log2 = dir.File("serve2.log");
  Subprocess again(argv, log2);
  deadline = std::chrono::steady_clock::now() + 60s;
  int done = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    done = 0;
    for (const auto& j : AllJobs(db)) done += j.state == JobState::kCompleted;
    if (done == kJobs) break;
    std::this_thread::sleep_for(250ms);
  }
  EXPECT_EQ(done, kJobs) << ReadFile(log2);
  again.Signal(SIGTERM);
  auto code2 = again.Wait(15s);
  ASSERT_TRUE(code2.has_value()) << "no exit after SIGTERM\n" << ReadFile(log2);
  EXPECT_TRUE(WIFEXITED(*code2) && WEXITSTATUS(*code2) == 0) << ReadFile(log2);
}

}  // namespace
}  // namespace steward
