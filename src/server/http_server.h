// HttpServer: Steward's HTTP endpoint (cpp-httplib) for probes, metrics and
// the JSON API.
//
//   RouteTable routes = BuildRoutes(ctx, &health, &metrics);
//   HttpServer server(options, std::move(routes));
//   STEWARD_RETURN_IF_ERROR(server.Start());   // binds, then serves on its own threads
//   ...
//   server.Stop();
//
// The server owns a fixed pool of `threads` request threads, separate from
// the worker's executors, so a flood of API calls cannot starve job
// execution and busy handlers cannot starve the probes. Bodies above
// `max_payload` are refused with 413. A request thread only ever sees a
// complete request: connections wait in a gate (request_gate.h) until
// their request has arrived, under a whole-request deadline, so slow
// clients (slowloris) and idle keep-alive connections hold no thread.
//
// Start/Stop follow the loop contract: Stop without Start and a second Stop
// are harmless. Not copyable.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "server/api.h"
#include "server/auth.h"
#include "server/route_table.h"
#include "server/session.h"
#include "steward/status.h"

namespace steward::server {

class GatedServer;
struct GateStats;

struct HttpServerOptions {
  // "HOST:PORT" ("[::1]:8080" for IPv6). Port 0 picks a free port; the
  // chosen address is logged as {"msg":"http listening","address":...}.
  std::string listen = "127.0.0.1:8080";
  // Request threads: how many requests are handled at once. Connections
  // waiting for (the rest of) a request hold none.
  int threads = 8;
  // From a request's first byte to its last (headers and body); missed: 408.
  std::chrono::milliseconds request_timeout{10000};
  // Longest silence while a request is arriving, and per read of a body.
  std::chrono::seconds read_timeout{10};
  std::chrono::seconds write_timeout{10};
  std::chrono::seconds keep_alive_timeout{2};
  size_t max_payload = 1 << 20;  // 1 MiB
  // Requests served on one keep-alive connection before it is closed
  // (httplib's default of 5 makes busy API clients reconnect constantly).
  size_t keep_alive_max_count = 1000;
  // Open connections waiting for a request; more are closed at once.
  size_t max_connections = 1024;
  // API tokens. nullopt: no auth policy at all (the separate health/metrics
  // listener, in-process tests). A value, even empty, installs the policy
  // of Authenticator (see auth.h): with no tokens, the API is open on a
  // loopback address and refuses every non-public route on any other.
  std::optional<std::vector<ApiToken>> tokens;
  // Dashboard sessions (session.h) for the policy above; null: bearer
  // tokens only, POST /api/v1/session answers 404.
  std::shared_ptr<SessionSigner> sessions;
};

// Splits "HOST:PORT"; kInvalidArgument naming the value otherwise.
Result<std::pair<std::string, int>> ParseListenAddress(const std::string& listen);

// The standard routes: probes, /metrics, jobs and queues. `health` and
// `metrics` may be null (their routes are then absent). Further areas
// (schedules, checks) are added with `extra` registration functions.
RouteTable BuildRoutes(ApiContext ctx, HealthRegistry* health, MetricsObserver* metrics,
                       const std::vector<std::function<void(RouteTable&)>>& extra = {});

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, RouteTable routes);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts serving. kInvalidArgument for a malformed address,
  // kUnavailable when it cannot be bound (in use, not local).
  Status Start();
  // Stops accepting, finishes in-flight requests, joins the threads.
  void Stop();

  int port() const { return port_; }
  // "127.0.0.1:NNNN" once started.
  const std::string& address() const { return address_; }
  const RouteTable& routes() const { return routes_; }
  // Connections waiting in the gate, requests dropped for missed deadlines.
  GateStats gate_stats() const;

 private:
  HttpServerOptions options_;
  RouteTable routes_;
  std::unique_ptr<GatedServer> server_;
  std::thread thread_;
  int port_ = 0;
  std::string address_;
};

}  // namespace steward::server
