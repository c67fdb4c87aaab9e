// Receiver: a real HTTP server process (tests/receiver/receiver_main.cc) on
// 127.0.0.1 that records every request and answers with scripted responses.
// Use it to test anything Steward sends over HTTP: the http job kind,
// Slack/Sentry/webhook notifications.
//
//   steward::testing::Receiver rx;                       // starts the process
//   rx.SetBehaviour({.path_prefix = "/hook", .status = 429, .times = 2,
//                    .retry_after = "7"});               // then 200 "ok"
//   Send(rx.url("/hook?token=x"));
//   auto got = rx.WaitForRequests(1, std::chrono::seconds(5), "/hook");
//   ASSERT_EQ(got.size(), 1u);
//   EXPECT_EQ(got[0].Header("Content-Type"), "application/json");
//
// Default answer: 200 "ok" (text/plain). Behaviours: see Behaviour. Down mode
// (SetDown(true)) answers 503 to everything; Stop() kills the process so
// connections are refused, and Start() brings it back on the same port (an
// outage, then recovery).
//
// Errors (the process cannot start, a control call fails) throw
// std::runtime_error, which GoogleTest reports as a failed test.
//
// The process dies with the test process, even on a crash (PR_SET_PDEATHSIG;
// this fires when the *thread* that started it exits, so create a Receiver
// on the test's main thread or one that outlives it). Not thread-safe: use
// one Receiver from one thread at a time (the process itself serves any
// number of concurrent clients).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "steward/clock.h"

namespace steward::testing {

struct RecordedRequest {
  int64_t seq = 0;      // 1, 2, ... in arrival order (reset by Reset())
  std::string method;   // "POST"
  std::string path;     // "/hook" (URL-decoded)
  std::string query;    // "token=x&a=b" (raw, without '?')
  std::string target;   // "/hook?token=x&a=b" (raw request target)
  std::vector<std::pair<std::string, std::string>> headers;  // in the order received
  std::string body;     // exact bytes (compressed bodies arrive decoded)
  Timestamp received_at{};

  // The first value of header `name` (case-insensitive), or nullopt.
  std::optional<std::string> Header(std::string_view name) const;
};

// The next `times` requests whose path starts with `path_prefix` get this
// response; then 200 "ok" again. Every member has a default, so designated
// initializers may name any subset. A later rule with the same prefix replaces
// this one; the longest matching prefix wins.
struct Behaviour {
  std::string path_prefix = "/";
  int status = 500;
  int times = 1;  // -1: until Reset() or replaced; 0: remove the rule
  std::optional<std::string> retry_after{};  // Retry-After header value
  int delay_ms = 0;                        // answer this much later
  std::string body{};
  std::string content_type = "text/plain";
  std::map<std::string, std::string> headers{};  // extra response headers
};

class Receiver {
 public:
  // Starts the process and waits until it answers.
  Receiver();
  // Kills the process (SIGKILL) and reaps it.
  ~Receiver();
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }
  // "http://127.0.0.1:<port>" + path; path should start with '/'.
  std::string url(std::string_view path = "/") const;

  // Recorded requests, oldest first; `path` non-empty keeps only requests to
  // exactly that path.
  std::vector<RecordedRequest> Requests(const std::string& path = "") const;
  // Polls until at least `n` requests (to `path`, if given) were recorded or
  // `timeout` passed; returns what was recorded either way, so assert on the
  // size.
  std::vector<RecordedRequest> WaitForRequests(size_t n,
                                               std::chrono::milliseconds timeout =
                                                   std::chrono::seconds(10),
                                               const std::string& path = "") const;

  void SetBehaviour(const Behaviour& behaviour);
  void SetDown(bool down);
  // Forgets recorded requests and behaviours, leaves down mode.
  void Reset();

  // Kills the process: connections to port() are refused until Start().
  void Stop();
  // Starts it again on the same port. Recorded requests and behaviours of
  // the previous process are gone.
  void Start();

 private:
  void Spawn(int port);
  std::string Control(const std::string& method, const std::string& path,
                      const std::string& body) const;

  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace steward::testing
