// Request framing over raw sockets: requests that RFC 9112 calls invalid
// (ambiguous body length: how requests are smuggled past a proxy) are
// refused with a JSON 400, and valid ones httplib mishandled are served.
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "server/server_fixture.h"

namespace steward {
namespace {

using testing::ServerTest;

class HttpFramingTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    StartServer();
  }

  // Sends `request` as is and returns everything the server sends until it
  // closes the connection (each test's last request says Connection: close
  // or is refused, which closes). Empty on a client-side timeout.
  std::string Exchange(const std::string& request) {
    int fd = RawConnect();
    timeval tv{20, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    EXPECT_EQ(send(fd, request.data(), request.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(request.size()));
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<size_t>(n));
    close(fd);
    return out;
  }

  // The status codes of the responses in `raw`, in order.
  static std::vector<int> Statuses(const std::string& raw) {
    std::vector<int> out;
    for (size_t at = raw.find("HTTP/1.1 "); at != std::string::npos;
         at = raw.find("HTTP/1.1 ", at + 1)) {
      out.push_back(std::stoi(raw.substr(at + 9, 3)));
    }
    return out;
  }

  // Asserts a single JSON 400 whose message contains `why`.
  void ExpectRefused(const std::string& request, const std::string& why) {
    std::string raw = Exchange(request);
    EXPECT_EQ(Statuses(raw), std::vector<int>{400}) << request << "\n->\n" << raw;
    EXPECT_NE(raw.find(R"("code":"invalid_argument")"), std::string::npos) << raw;
    EXPECT_NE(raw.find(why), std::string::npos) << raw;
    // Still serving everyone else.
    EXPECT_EQ(Get("/livez").status, 200);
  }

  int64_t JobCount() {
    auto r = Get("/api/v1/jobs");
    return r.json.is_object() ? static_cast<int64_t>(r.json["jobs"].size()) : -1;
  }
};

// `curl -X POST .../pause` sends neither Content-Length nor
// Transfer-Encoding: the body is empty (RFC 9112 6.3). It used to be read
// until the read timeout and then answered 400. The GET pipelined behind it
// is answered too, so it was not swallowed as a body.
TEST_F(HttpFramingTest, PostWithoutLengthHasAnEmptyBodyAndIsServedAtOnce) {
  std::string raw = Exchange(
      "POST /api/v1/queues/default/pause HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /api/v1/queues HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(Statuses(raw), (std::vector<int>{200, 200})) << raw;
  EXPECT_NE(raw.find(R"("paused":true)"), std::string::npos) << raw;
}

TEST_F(HttpFramingTest, NegativeOrNonNumericContentLengthIs400) {
  for (std::string value : {"-1", "abc", "1e3", "+5", "", "99999999999999999999999"}) {
    ExpectRefused(
        "POST /api/v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: " + value + "\r\n\r\n{}",
        "Content-Length");
  }
}

TEST_F(HttpFramingTest, ConflictingContentLengthsAre400) {
  std::string job = R"({"kind":"a"})";
  ExpectRefused("POST /api/v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                    std::to_string(job.size()) + "\r\nContent-Length: 2\r\n\r\n" + job,
                "conflicting Content-Length");
  EXPECT_EQ(JobCount(), 0);
  // The same value twice is not ambiguous (RFC 9112 6.3): served.
  std::string raw = Exchange(
      "POST /api/v1/jobs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
      "Content-Length: " +
      std::to_string(job.size()) + "\r\ncontent-length: " + std::to_string(job.size()) +
      "\r\n\r\n" + job);
  EXPECT_EQ(Statuses(raw), std::vector<int>{201}) << raw;
}

TEST_F(HttpFramingTest, ContentLengthWithTransferEncodingIs400) {
  ExpectRefused(
      "POST /api/v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
      "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      "both Content-Length and Transfer-Encoding");
  ExpectRefused(
      "POST /api/v1/jobs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
      "0\r\n\r\n",
      "Transfer-Encoding");
  EXPECT_EQ(JobCount(), 0);
}

TEST_F(HttpFramingTest, HeaderLineWithoutColonIs400) {
  ExpectRefused("GET /api/v1/jobs HTTP/1.1\r\nHost: x\r\nthis line has no colon\r\n\r\n",
                "without a colon");
  ExpectRefused("GET /api/v1/jobs HTTP/1.1\r\nHost: x\r\nX-A : b\r\n\r\n", "malformed header name");
  ExpectRefused("GET /api/v1/jobs HTTP/1.1\r\nHost: x\r\nX-A: b\r\n  folded\r\n\r\n", "folded");
}

// httplib does not read a GET's body: it would parse it as the next request.
TEST_F(HttpFramingTest, BodyOnGetIs400) {
  std::string smuggled = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
  ExpectRefused("GET /livez HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                    std::to_string(smuggled.size()) + "\r\n\r\n" + smuggled,
                "GET requests carry no body");
}

TEST_F(HttpFramingTest, ChunkedBodyIsStillServed) {
  std::string job = R"({"kind":"a"})";
  char size[16];
  snprintf(size, sizeof size, "%zx", job.size());
  std::string raw = Exchange(
      "POST /api/v1/jobs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
      "Transfer-Encoding: chunked\r\n\r\n" +
      std::string(size) + "\r\n" + job + "\r\n0\r\n\r\n");
  EXPECT_EQ(Statuses(raw), std::vector<int>{201}) << raw;
}

// `curl -d` sends application/x-www-form-urlencoded. httplib parsed such
// bodies as forms and refused any over 8 KB with a 413 claiming the 1 MiB
// limit; the API reads every body as bytes, whatever its type.
TEST_F(HttpFramingTest, FormEncodedBodyIsReadAsIsUpToTheLimit) {
  std::string job = R"({"kind":"a","payload":{"note":")" + std::string(20 * 1024, 'x') + R"("}})";
  auto r = Convert(client_->Post("/api/v1/jobs", job, "application/x-www-form-urlencoded"));
  EXPECT_EQ(r.status, 201) << r.body.substr(0, 300);
  auto shown = Get("/api/v1/jobs/" + std::to_string(r.json.value("id", int64_t{0})));
  EXPECT_EQ(shown.json["payload"]["note"].get<std::string>().size(), 20u * 1024);
}

TEST_F(HttpFramingTest, TooLargeBodyIs413PayloadTooLarge) {
  std::string big(server::HttpServerOptions{}.max_payload + 1, ' ');
  for (const char* type : {"application/json", "application/x-www-form-urlencoded"}) {
    auto r = Convert(client_->Post("/api/v1/jobs", big, type));
    EXPECT_EQ(r.status, 413) << type << ": " << r.body;
    EXPECT_EQ(ErrorCode(r), "payload_too_large") << type;
    EXPECT_NE(r.body.find("larger than 1048576 bytes"), std::string::npos) << r.body;
  }
}

}  // namespace
}  // namespace steward
