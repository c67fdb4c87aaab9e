// Slowloris: many clients trickling requests a byte at a time, plus idle
// connections, against a server with only two request threads. Normal
// requests must still be answered at once, and every slow request must be
// dropped (408) at its whole-request deadline, however steadily it trickles.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "server/request_gate.h"
#include "server/server_fixture.h"
#include "support/eventually.h"

namespace steward {
namespace {

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

int Connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  return fd;
}

struct SlowOutcome {
  std::string response;         // what the server sent before closing
  Steady::duration held{};      // from the first byte sent to the server's close
  size_t bytes_sent = 0;
  bool closed_by_server = false;
};

// Sends `request` one byte every `gap`, never finishing it, until the server
// answers or closes. Waiting for the socket to become readable paces the
// trickle, so the server's close is seen the moment it happens.
SlowOutcome Trickle(int port, const std::string& request, std::chrono::milliseconds gap,
                    std::atomic<int>* started) {
  SlowOutcome out;
  int fd = Connect(port);
  Steady::time_point first{};
  for (size_t i = 0; i < request.size(); ++i) {
    if (send(fd, &request[i], 1, MSG_NOSIGNAL) != 1) break;
    if (i == 0) {
      first = Steady::now();
      ++*started;
    }
    ++out.bytes_sent;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(gap.count())) > 0) break;
  }
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[4096];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof buf, 0)) > 0) out.response.append(buf, static_cast<size_t>(n));
  out.closed_by_server = n == 0 || (n < 0 && errno == ECONNRESET);
  out.held = Steady::now() - first;
  close(fd);
  return out;
}

class SlowlorisTest : public testing::ServerTest {
 protected:
  void StartWith(server::HttpServerOptions o) {
    server::ApiContext ctx;
    ctx.store = store_;
    health_ = std::make_unique<HealthRegistry>(store_, health_options_);
    o.listen = "127.0.0.1:0";
    server_ = std::make_unique<server::HttpServer>(o, server::BuildRoutes(ctx, health_.get(), nullptr));
    ASSERT_TRUE(server_->Start().ok());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(10, 0);
  }

  // Waits (bounded) until `pred(connections parked in the gate)` holds.
  template <typename Pred>
  bool AwaitWaiting(Pred pred) {
    return testing::Eventually([&] { return pred(server_->gate_stats().waiting); },
                               std::chrono::seconds(10), std::chrono::milliseconds(5));
  }
  static auto AtLeast(int64_t n) { return [n](int64_t w) { return w >= n; }; }
  static auto Exactly(int64_t n) { return [n](int64_t w) { return w == n; }; }
};

TEST_F(SlowlorisTest, TricklingClientsHoldNoThreadAndAreDroppedAtTheDeadline) {
  server::HttpServerOptions o;
  o.threads = 2;
  o.request_timeout = 3s;
  o.read_timeout = 10s;  // each byte comes well within the per-read timeout
  o.keep_alive_timeout = 10s;
  StartWith(o);

  constexpr int kHeaderTricklers = 16, kBodyTricklers = 8, kSilent = 8;
  std::atomic<int> started{0};
  std::vector<SlowOutcome> outcomes(kHeaderTricklers + kBodyTricklers);
  std::vector<std::thread> slow;
  struct JoinAll {  // also when an assertion returns early
    std::vector<std::thread>& threads;
    ~JoinAll() {
      for (auto& t : threads) {
        if (t.joinable()) t.join();
      }
    }
  } join_all{slow};
  const std::string header_req =
      "GET /livez HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(1000, 'a');
  const std::string body_req =
      "POST /api/v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 2000\r\n\r\n{\"kind\":\"slow\",\"payload\":\"" + std::string(1000, 'b');
  for (int i = 0; i < kHeaderTricklers + kBodyTricklers; ++i) {
    slow.emplace_back([&, i] {
      // Body tricklers send their headers at once, then the body byte by byte.
      const std::string& req = i < kHeaderTricklers ? header_req : body_req;
      outcomes[static_cast<size_t>(i)] = Trickle(server_->port(), req, 50ms, &started);
    });
  }
  std::vector<int> silent;  // connected, never send a byte
  for (int i = 0; i < kSilent; ++i) silent.push_back(Connect(server_->port()));
  ASSERT_TRUE(AwaitWaiting(AtLeast(kHeaderTricklers + kBodyTricklers + kSilent)))
      << "waiting " << server_->gate_stats().waiting;

  // 32 slow or idle connections against 2 threads: normal requests are
  // answered promptly, while every slow one is still held.
  for (int i = 0; i < 5; ++i) {
    auto t0 = Steady::now();
    auto live = Get("/livez");
    auto enqueue = Post("/api/v1/jobs", nlohmann::json{{"kind", "normal"}});
    auto took = Steady::now() - t0;
    EXPECT_EQ(live.status, 200);
    EXPECT_EQ(enqueue.status, 201) << enqueue.body;
    EXPECT_LT(took, 500ms);
  }
  EXPECT_EQ(server_->gate_stats().timed_out, 0) << "slow clients were dropped before the checks";

  for (auto& t : slow) t.join();
  for (size_t i = 0; i < outcomes.size(); ++i) {
    const auto& r = outcomes[i];
    EXPECT_TRUE(r.closed_by_server) << "slow client " << i << " was not disconnected";
    EXPECT_EQ(r.response.rfind("HTTP/1.1 408", 0), 0u) << i << ": " << r.response;
    // Dropped at the whole-request deadline (3 s), not when done sending
    // (1,000 bytes at 50 ms would take 50 s) and not at the read timeout.
    EXPECT_GE(r.held, 2900ms) << i;
    EXPECT_LT(r.held, 6s) << i;
    EXPECT_LT(r.bytes_sent, 200u) << i;
  }
  EXPECT_EQ(server_->gate_stats().timed_out, kHeaderTricklers + kBodyTricklers);
  // The body tricklers' jobs were never created.
  auto list = Get("/api/v1/jobs?kind=slow");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.json["jobs"].size(), 0u) << list.body;
  for (int fd : silent) close(fd);
  EXPECT_TRUE(AwaitWaiting(Exactly(0))) << server_->gate_stats().waiting;
}

TEST_F(SlowlorisTest, IdleKeepAliveConnectionsAreClosedAfterTheIdleTimeout) {
  server::HttpServerOptions o;
  o.threads = 1;
  o.keep_alive_timeout = 1s;
  StartWith(o);
  int fd = Connect(server_->port());
  ASSERT_TRUE(AwaitWaiting(Exactly(1)));
  auto t0 = Steady::now();
  char c;
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  EXPECT_EQ(recv(fd, &c, 1, 0), 0) << "the idle connection was not closed";
  auto held = Steady::now() - t0;
  close(fd);
  EXPECT_GE(held, 800ms);
  EXPECT_LT(held, 3s);
  EXPECT_EQ(server_->gate_stats().timed_out, 0);  // idle is not a missed request deadline
}

TEST_F(SlowlorisTest, ConnectionsBeyondTheLimitAreRefusedAndOthersStillServed) {
  server::HttpServerOptions o;
  o.threads = 2;
  o.max_connections = 4;
  o.keep_alive_timeout = 10s;
  StartWith(o);
  std::vector<int> idle;
  for (int i = 0; i < 4; ++i) idle.push_back(Connect(server_->port()));
  ASSERT_TRUE(AwaitWaiting(Exactly(4)));
  int extra = Connect(server_->port());
  char c;
  timeval tv{5, 0};
  setsockopt(extra, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  EXPECT_LE(recv(extra, &c, 1, 0), 0) << "the fifth connection was kept";
  close(extra);
  EXPECT_EQ(server_->gate_stats().refused, 1);
  for (int fd : idle) close(fd);
  // Closed idle connections leave the gate, so new clients get in again.
  ASSERT_TRUE(AwaitWaiting(Exactly(0))) << server_->gate_stats().waiting;
  EXPECT_EQ(Get("/livez").status, 200);
}

}  // namespace
}  // namespace steward
