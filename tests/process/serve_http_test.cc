// Process-level: a real `steward serve` child process, driven through its
// HTTP API, scraped by a real Prometheus server, stopped with SIGTERM.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/temp_dir.h"

namespace steward {
namespace {

using namespace std::chrono_literals;

// A child process whose stdout+stderr are collected line by line.
class Child {
 public:
  explicit Child(std::vector<std::string> argv) {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      dup2(fds[1], 1);
      dup2(fds[1], 2);
      close(fds[0]);
      close(fds[1]);
      // The test binary may have signals blocked; the child starts clean.
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    close(fds[1]);
    fd_ = fds[0];
    reader_ = std::thread([this] { Read(); });
  }
  ~Child() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      Wait(10s);
    }
    if (reader_.joinable()) reader_.join();
    if (fd_ >= 0) close(fd_);
  }

  pid_t pid() const { return pid_; }
  std::string Output() {
    std::lock_guard lock(mu_);
    return output_;
  }
  // The first line for which `pred` holds, waiting up to `timeout`.
  template <typename F>
  std::optional<std::string> WaitForLine(F pred, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    std::optional<std::string> found;
    cv_.wait_for(lock, timeout, [&] {
      for (const auto& l : lines_) {
        if (pred(l)) {
          found = l;
          return true;
        }
      }
      return eof_;
    });
    return found;
  }
  // Exit status, or nullopt if still running after `timeout`.
  std::optional<int> Wait(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int st = 0;
      pid_t r = waitpid(pid_, &st, WNOHANG);
      if (r == pid_) {
        exited_ = true;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      }
      std::this_thread::sleep_for(20ms);
    }
    return std::nullopt;
  }

 private:
  void Read() {
    char buf[4096];
    std::string partial;
    for (;;) {
      ssize_t n = read(fd_, buf, sizeof buf);
      if (n <= 0) break;
      std::lock_guard lock(mu_);
      output_.append(buf, static_cast<size_t>(n));
      partial.append(buf, static_cast<size_t>(n));
      size_t nl;
      while ((nl = partial.find('\n')) != std::string::npos) {
        lines_.push_back(partial.substr(0, nl));
        partial.erase(0, nl + 1);
      }
      cv_.notify_all();
    }
    std::lock_guard lock(mu_);
    eof_ = true;
    cv_.notify_all();
  }

  pid_t pid_ = -1;
  int fd_ = -1;
  bool exited_ = false;
  std::thread reader_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string output_;
  std::vector<std::string> lines_;
  bool eof_ = false;
};

std::string StewardBinary() {
  const char* b = std::getenv("STEWARD_BINARY");
  return b ? b : "steward";
}

int FreePort() {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  int port = ntohs(a.sin_port);
  close(s);
  return port;
}

// Reads the "http listening" log line and returns the port.
int ListeningPort(Child& c) {
  auto line = c.WaitForLine(
      [](const std::string& l) { return l.find("\"http listening\"") != std::string::npos; }, 30s);
  if (!line) {
    ADD_FAILURE() << "no \"http listening\" line; output:\n" << c.Output();
    return 0;
  }
  auto j = nlohmann::json::parse(*line);
  std::string addr = j.at("address");
  EXPECT_EQ(addr.rfind("127.0.0.1:", 0), 0u) << addr;
  return std::stoi(addr.substr(addr.rfind(':') + 1));
}

TEST(ServeHttpProcessTest, EnqueueRunScrapeAndStop) {
  testing::TempDir dir;
  std::string config = dir.File("steward.toml");
  std::ofstream(config) << "[kinds.echo]\ntype = \"exec\"\ncommand = [\"/bin/true\"]\n";
  Child steward({StewardBinary(), "--config", config, "--db", "sqlite://" + dir.File("s.db"),
                 "serve", "--listen", "127.0.0.1:0"});
  int port = ListeningPort(steward);
  ASSERT_GT(port, 0);
  httplib::Client api("127.0.0.1", port);
  api.set_read_timeout(10, 0);

  // Startup completes once the worker's fetcher has run.
  auto deadline = std::chrono::steady_clock::now() + 20s;
  int startup = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = api.Get("/startupz");
    if (r && (startup = r->status) == 200) break;
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(startup, 200) << steward.Output();
  auto live = api.Get("/livez");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->status, 200);

  auto enq = api.Post("/api/v1/jobs", R"({"kind":"echo","payload":{"x":1}})", "application/json");
  ASSERT_TRUE(enq);
  ASSERT_EQ(enq->status, 201) << enq->body;
  int64_t id = nlohmann::json::parse(enq->body).at("id");
  std::string state;
  deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = api.Get("/api/v1/jobs/" + std::to_string(id));
    ASSERT_TRUE(r);
    state = nlohmann::json::parse(r->body).value("state", "");
    if (state == "completed") break;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(state, "completed") << steward.Output();

  // A real Prometheus scrapes the daemon; the metric comes back via its API.
  int prom_port = FreePort();
  std::string prom_config = dir.File("prometheus.yml");
  std::ofstream(prom_config) << "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                                "scrape_configs:\n  - job_name: steward\n    static_configs:\n"
                                "      - targets: ['127.0.0.1:"
                             << port << "']\n";
  std::filesystem::create_directories(dir.File("tsdb"));
  Child prometheus({"/usr/bin/prometheus", "--config.file=" + prom_config,
                    "--storage.tsdb.path=" + dir.File("tsdb"),
                    "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)});
  httplib::Client prom("127.0.0.1", prom_port);
  prom.set_read_timeout(5, 0);
  nlohmann::json result;
  deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = prom.Get("/api/v1/query?query=steward_build_info");
    if (r && r->status == 200) {
      auto j = nlohmann::json::parse(r->body, nullptr, false);
      if (!j.is_discarded() && j.value("status", "") == "success" &&
          !j["data"]["result"].empty()) {
        result = j["data"]["result"][0];
        break;
      }
    }
    std::this_thread::sleep_for(250ms);
  }
  ASSERT_TRUE(result.is_object()) << "Prometheus never returned steward_build_info\n"
                                  << prometheus.Output();
  EXPECT_EQ(result["metric"]["backend"], "sqlite");
  EXPECT_EQ(result["value"][1], "1");
  // The scrape itself was healthy (up == 1).
  auto up = prom.Get("/api/v1/query?query=up");
  ASSERT_TRUE(up);
  EXPECT_NE(up->body.find("\"1\""), std::string::npos) << up->body;
  kill(prometheus.pid(), SIGTERM);
  prometheus.Wait(20s);

  // SIGTERM: readiness fails while draining, then a clean exit.
  ASSERT_EQ(kill(steward.pid(), SIGTERM), 0);
  auto code = steward.Wait(30s);
  ASSERT_TRUE(code.has_value()) << "steward did not exit after SIGTERM";
  EXPECT_EQ(*code, 0) << steward.Output();
  EXPECT_NE(steward.Output().find("steward stopped"), std::string::npos) << steward.Output();
}

// The database URL's password never reaches the output, even when the
// database cannot be reached and the error names it.
TEST(ServeHttpProcessTest, DatabasePasswordIsNeverPrinted) {
  Child steward({StewardBinary(), "--db",
                 "postgres://steward:hunter2secret@127.0.0.1:1/steward?connect_timeout=2", "serve",
                 "--listen", "127.0.0.1:0"});
  auto code = steward.Wait(30s);
  ASSERT_TRUE(code.has_value());
  EXPECT_NE(*code, 0);
  std::string out = steward.Output();
  EXPECT_FALSE(out.empty());
  EXPECT_EQ(out.find("hunter2secret"), std::string::npos) << out;
}

}  // namespace
}  // namespace steward
