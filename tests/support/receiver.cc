#include "support/receiver.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#ifndef STEWARD_RECEIVER_BIN
#error "STEWARD_RECEIVER_BIN must name the steward-test-receiver binary (tests/receiver)"
#endif

namespace steward::testing {
namespace {

using std::chrono::steady_clock;
constexpr auto kStartTimeout = std::chrono::seconds(10);

std::string Base64Decode(std::string_view in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = value(c);
    if (v < 0) continue;  // '=' padding
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

std::string BinaryPath() {
  // An override for running tests against a receiver built elsewhere.
  if (const char* env = std::getenv("STEWARD_RECEIVER_BIN")) return env;
  return STEWARD_RECEIVER_BIN;
}

}  // namespace

std::optional<std::string> RecordedRequest::Header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n.size() == name.size() &&
        std::equal(n.begin(), n.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return v;
    }
  }
  return std::nullopt;
}

Receiver::Receiver() { Spawn(0); }

Receiver::~Receiver() { Stop(); }

void Receiver::Start() {
  if (running()) return;
  Spawn(port_);
}

void Receiver::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

void Receiver::Spawn(int port) {
  const std::string bin = BinaryPath();
  std::vector<std::string> args = {bin, "--host", "127.0.0.1", "--port", std::to_string(port)};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("receiver: pipe failed");
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(out[0]);
    ::close(out[1]);
    throw std::runtime_error("receiver: fork failed");
  }
  if (pid == 0) {
    // Async-signal-safe calls only: the test process may have threads.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(out[1], STDOUT_FILENO);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  pid_ = pid;

  // The first stdout line is the bound port.
  std::string line;
  const auto deadline = steady_clock::now() + kStartTimeout;
  while (line.find('\n') == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady_clock::now());
    pollfd p{out[0], POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    char buf[64];
    ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    line.append(buf, static_cast<size_t>(n));
  }
  ::close(out[0]);
  int bound = std::atoi(line.c_str());
  if (bound <= 0) {
    Stop();
    throw std::runtime_error("receiver: " + bin + " did not report a port (want port " +
                             std::to_string(port) + ")");
  }
  port_ = bound;

  // The socket listens once the port is printed; this confirms it serves.
  while (true) {
    httplib::Client client("127.0.0.1", port_);
    client.set_connection_timeout(1);
    if (auto res = client.Get("/_control/health"); res && res->status == 200) return;
    if (steady_clock::now() >= deadline) {
      Stop();
      throw std::runtime_error("receiver: not answering on port " + std::to_string(port_));
    }
    // Waiting for the process to come up; there is no event to block on.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string Receiver::url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
}

std::string Receiver::Control(const std::string& method, const std::string& path,
                              const std::string& body) const {
  if (!running()) throw std::runtime_error("receiver: not running (Stop() was called)");
  httplib::Client client("127.0.0.1", port_);
  client.set_connection_timeout(5);
  client.set_read_timeout(10);
  httplib::Result res = method == "GET" ? client.Get(path)
                                        : client.Post(path, body, "application/json");
  if (!res) {
    throw std::runtime_error("receiver: " + method + " " + path + " failed: " +
                             httplib::to_string(res.error()));
  }
  if (res->status != 200) {
    throw std::runtime_error("receiver: " + method + " " + path + " -> " +
                             std::to_string(res->status) + " " + res->body);
  }
  return res->body;
}

std::vector<RecordedRequest> Receiver::Requests(const std::string& path) const {
  std::string query = "/_control/requests";
  if (!path.empty()) query += "?path=" + httplib::detail::encode_query_param(path);
  nlohmann::json list = nlohmann::json::parse(Control("GET", query, ""));
  std::vector<RecordedRequest> out;
  for (const auto& j : list) {
    RecordedRequest r;
    r.seq = j.at("seq").get<int64_t>();
    r.method = j.at("method").get<std::string>();
    r.path = j.at("path").get<std::string>();
    r.query = j.at("query").get<std::string>();
    r.target = j.at("target").get<std::string>();
    for (const auto& h : j.at("headers")) {
      r.headers.emplace_back(h.at(0).get<std::string>(), h.at(1).get<std::string>());
    }
    r.body = Base64Decode(j.at("body_base64").get<std::string>());
    r.received_at = FromMicros(j.at("received_at_us").get<int64_t>());
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<RecordedRequest> Receiver::WaitForRequests(size_t n, std::chrono::milliseconds timeout,
                                                       const std::string& path) const {
  const auto deadline = steady_clock::now() + timeout;
  while (true) {
    std::vector<RecordedRequest> got = Requests(path);
    if (got.size() >= n || steady_clock::now() >= deadline) return got;
    // Polling the receiver's state for an event that has not happened yet.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void Receiver::SetBehaviour(const Behaviour& b) {
  nlohmann::json j = {
      {"path_prefix", b.path_prefix}, {"status", b.status},   {"times", b.times},
      {"delay_ms", b.delay_ms},       {"body", b.body},       {"content_type", b.content_type},
      {"headers", b.headers},
  };
  if (b.retry_after) j["retry_after"] = *b.retry_after;
  Control("POST", "/_control/behaviour", j.dump());
}

void Receiver::SetDown(bool down) {
  Control("POST", "/_control/down", nlohmann::json{{"down", down}}.dump());
}

void Receiver::Reset() { Control("POST", "/_control/reset", ""); }

}  // namespace steward::testing
