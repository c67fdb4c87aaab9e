// Hostile and broken requests: every one gets a clear JSON 4xx, and the
// server keeps serving everyone else.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "core/json_limits.h"
#include "server/server_fixture.h"

namespace steward {
namespace {

using namespace std::chrono_literals;
using testing::ServerTest;

class BadInputTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    StartServer();
  }
};

TEST_F(BadInputTest, MalformedJsonIs400) {
  for (std::string body : {"{", "not json", "{\"kind\":\"a\",}", "", "[1,2", "\xff\xfe"}) {
    auto r = Post("/api/v1/jobs", body);
    EXPECT_EQ(r.status, 400) << body << " -> " << r.body;
    EXPECT_EQ(ErrorCode(r), "invalid_argument") << body;
  }
}

TEST_F(BadInputTest, WrongTypesAre400) {
  for (const auto& body : std::vector<nlohmann::json>{
           {{"kind", 5}},
           {{"kind", "a"}, {"priority", "high"}},
           {{"kind", "a"}, {"max_attempts", -1}},
           {{"kind", "a"}, {"queue", nlohmann::json::array()}},
           {{"kind", "a"}, {"run_at", 12}},
           nlohmann::json::array(),
           "a string",
           nullptr}) {
    auto r = Post("/api/v1/jobs", body);
    EXPECT_EQ(r.status, 400) << body.dump() << " -> " << r.body;
    EXPECT_EQ(ErrorCode(r), "invalid_argument") << body.dump();
  }
  auto batch = Post("/api/v1/jobs/batch", nlohmann::json{{"jobs", "nope"}});
  EXPECT_EQ(batch.status, 400) << batch.body;
}

// Found by outside testing: 100,000 levels crashed the server (stack
// overflow in nlohmann's recursive dump/copy). Refused before parsing.
TEST_F(BadInputTest, DeeplyNestedJsonIs400AndTheServerKeepsServing) {
  const size_t limit = JsonLimits{}.max_depth;
  auto nested = [](size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  // The body's own object is one level, so the payload may nest limit - 1.
  for (size_t payload_depth : {size_t{100000}, limit}) {
    auto r = Post("/api/v1/jobs", R"({"kind":"a","payload":)" + nested(payload_depth) + "}");
    EXPECT_EQ(r.status, 400) << payload_depth << " -> " << r.body.substr(0, 200);
    EXPECT_EQ(ErrorCode(r), "invalid_argument");
    EXPECT_NE(r.body.find("nested deeper than " + std::to_string(limit)), std::string::npos)
        << r.body;
  }
  auto batch =
      Post("/api/v1/jobs/batch", R"({"jobs":[{"kind":"a","payload":)" + nested(100000) + "}]}");
  EXPECT_EQ(batch.status, 400) << batch.body.substr(0, 200);
  // Unclosed brackets, too.
  EXPECT_EQ(Post("/api/v1/jobs", std::string(100000, '{')).status, 400);
  // One level less is an ordinary job, and the server is still up.
  auto ok = Post("/api/v1/jobs", R"({"kind":"a","payload":)" + nested(limit - 1) + "}");
  EXPECT_EQ(ok.status, 201) << ok.body.substr(0, 200);
  EXPECT_EQ(Get("/livez").status, 200);
}

TEST_F(BadInputTest, HugeBodyIs413Json) {
  std::string big = "{\"kind\":\"a\",\"payload\":\"" + std::string((1 << 20) + 10, 'x') + "\"}";
  auto r = Post("/api/v1/jobs", big);
  EXPECT_EQ(r.status, 413) << r.body.substr(0, 200);
  EXPECT_EQ(ErrorCode(r), "payload_too_large");
  // Still serving.
  EXPECT_EQ(Get("/livez").status, 200);
}

TEST_F(BadInputTest, UnknownRoutesAndMethodsAre404And405Json) {
  auto r = Get("/api/v1/nothing-here");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(ErrorCode(r), "not_found");
  auto m = Convert(client_->Delete("/api/v1/jobs"));
  EXPECT_EQ(m.status, 405) << m.body;
  EXPECT_TRUE(m.json.contains("error")) << m.body;
  EXPECT_NE(m.headers.find("Allow"), m.headers.end());
  auto put = Convert(client_->Put("/livez", "x", "text/plain"));
  EXPECT_EQ(put.status, 405);
}

TEST_F(BadInputTest, InvalidCursorsAndLimitsAre400) {
  for (std::string q : {"cursor=abc", "cursor=-1", "cursor=0", "cursor=1e9", "limit=0",
                        "limit=100000", "limit=x", "cursor=99999999999999999999999", "state=bogus"}) {
    auto r = Get("/api/v1/jobs?" + q);
    EXPECT_EQ(r.status, 400) << q << " -> " << r.body;
    EXPECT_EQ(ErrorCode(r), "invalid_argument") << q;
  }
  EXPECT_EQ(Get("/api/v1/jobs/abc").status, 400);
  EXPECT_EQ(Get("/api/v1/jobs/-5").status, 400);
}

// There are no static file routes, and traversal-looking paths must never
// reach the filesystem: a JSON 404/400, never a file's contents.
TEST_F(BadInputTest, PathTraversalNeverServesFiles) {
  for (std::string path : {"/../../../../etc/passwd", "/api/v1/../../etc/passwd",
                           "/%2e%2e/%2e%2e/etc/passwd", "/api/v1/jobs/..%2f..%2fetc%2fpasswd",
                           "/static/../../etc/passwd", "/api/v1/queues/..%2F/pause"}) {
    auto r = Get(path);
    EXPECT_GE(r.status, 400) << path;
    EXPECT_LT(r.status, 500) << path;
    EXPECT_EQ(r.body.find("root:"), std::string::npos) << path;
  }
  // httplib decodes %2F, so this no longer matches the route: a JSON 404.
  auto pause = Post("/api/v1/queues/..%2F..%2Fx/pause", std::string());
  EXPECT_GE(pause.status, 400) << pause.body;
  EXPECT_LT(pause.status, 500) << pause.body;
}

// Slowloris: a client trickling its headers one byte every 500 ms holds no
// request thread (it waits in the gate); everyone else keeps being served
// meanwhile. slowloris_test.cc has many such clients against two threads.
TEST_F(BadInputTest, SlowClientDoesNotStarveOthers) {
  std::atomic<bool> stop{false};
  std::atomic<int> sent{0};
  std::thread slow([&] {
    int fd = RawConnect();
    std::string req = "GET /livez HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(100, 'a');
    for (char c : req) {
      if (stop.load()) break;
      if (send(fd, &c, 1, MSG_NOSIGNAL) != 1) break;  // the server hung up
      ++sent;
      std::this_thread::sleep_for(500ms);
    }
    close(fd);
  });
  std::vector<std::thread> others;
  std::atomic<int> ok{0};
  // More concurrent clients than one thread, for several seconds.
  for (int t = 0; t < 4; ++t) {
    others.emplace_back([&] {
      httplib::Client c("127.0.0.1", server_->port());
      c.set_read_timeout(5, 0);
      for (int i = 0; i < 10; ++i) {
        auto r = c.Get("/livez");
        if (r && r->status == 200) ++ok;
        std::this_thread::sleep_for(300ms);
      }
    });
  }
  for (auto& t : others) t.join();
  stop = true;
  slow.join();
  EXPECT_EQ(ok.load(), 40);
  EXPECT_GE(sent.load(), 5);
}

// A client that stops sending mid-request is cut off by the read timeout
// (silence while a request arrives) instead of waiting for the deadline.
TEST_F(BadInputTest, StalledClientIsDisconnected) {
  server_->Stop();
  server::ApiContext ctx;
  ctx.store = store_;
  server::HttpServerOptions o;
  o.listen = "127.0.0.1:0";
  o.read_timeout = std::chrono::seconds(1);
  server_ = std::make_unique<server::HttpServer>(o, server::BuildRoutes(ctx, nullptr, nullptr));
  ASSERT_TRUE(server_->Start().ok());
  int fd = RawConnect();
  std::string partial = "POST /api/v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"ki";
  ASSERT_EQ(send(fd, partial.data(), partial.size(), MSG_NOSIGNAL), static_cast<ssize_t>(partial.size()));
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  auto start = std::chrono::steady_clock::now();
  char buf[4096];
  ssize_t n;
  // Read until the server closes (it may write an error response first).
  while ((n = recv(fd, buf, sizeof buf, 0)) > 0) {
  }
  auto waited = std::chrono::steady_clock::now() - start;
  close(fd);
  EXPECT_EQ(n, 0) << "server did not close the stalled connection";
  EXPECT_LT(waited, 4s);
  httplib::Client c("127.0.0.1", server_->port());
  auto r = c.Get("/api/v1/jobs");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

}  // namespace
}  // namespace steward
