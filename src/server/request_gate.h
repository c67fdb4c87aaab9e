// GatedServer: an httplib::Server whose request threads only ever see
// complete requests, so slow clients (slowloris) cannot occupy them.
//
// cpp-httplib is thread-per-connection: its read timeout applies to each
// read, so a client trickling one byte just inside that timeout holds a
// request thread forever, and a few dozen such clients starve the API. Here
// every connection first waits in the *gate*: one epoll thread that buffers
// a request until its headers (and a small body) have arrived, and only then
// hands the connection to the thread pool, which runs httplib's own request
// processing over the buffered bytes. Between requests of a keep-alive
// connection the connection returns to the gate, so idle keep-alive clients
// hold no thread either.
//
// Each request has a whole-request deadline (`request_timeout`, from its
// first byte to its last, body included) and an inactivity limit
// (`read_timeout` between bytes); a request that misses either is answered
// 408 and closed. Bodies larger than `gate_body_limit` are read by the
// request thread under the same deadline. An idle keep-alive connection is
// closed after `idle_timeout`; beyond `max_connections` new connections are
// closed at once.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <unordered_map>

#include <httplib.h>

#include "steward/status.h"

namespace steward::server {

struct GateOptions {
  size_t threads = 8;  // request threads
  std::chrono::milliseconds request_timeout{10000};
  std::chrono::milliseconds read_timeout{10000};
  std::chrono::milliseconds write_timeout{10000};
  std::chrono::milliseconds idle_timeout{2000};
  size_t keep_alive_max_count = 1000;
  size_t max_connections = 1024;
  size_t gate_body_limit = 64 * 1024;
};

struct GateStats {
  int64_t waiting = 0;    // connections in the gate now
  int64_t timed_out = 0;  // requests dropped for a missed deadline (total)
  int64_t refused = 0;    // connections closed at once: over max_connections (total)
};

class GatedServer final : public httplib::Server {
 public:
  explicit GatedServer(GateOptions options);
  ~GatedServer() override;

  // Starts the gate thread and raises the listen backlog; call after
  // bind_to_port() and before listen_after_bind().
  Status StartGate();
  // Closes every connection waiting in the gate and stops the gate thread;
  // connections finishing a request afterwards are closed. Call before
  // stop(). Harmless twice.
  void StopGate();

  GateStats stats() const;

  struct Conn;

 private:
  bool process_and_close_socket(socket_t sock) override;
  // Hands a connection to the gate (or closes it when stopping or full).
  void Admit(std::unique_ptr<Conn> c);
  // Runs on a request thread: serves complete requests, then returns the
  // connection to the gate.
  void Serve(std::unique_ptr<Conn> c);
  void GateLoop();
  // Closes the connection, first sending `farewell` (a complete response)
  // if not empty.
  void CloseConn(std::unique_ptr<Conn> c, std::string_view farewell = {});

  GateOptions options_;
  httplib::ThreadPool* pool_ = nullptr;  // created by listen_after_bind(), owned by httplib
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::thread gate_thread_;
  std::atomic<bool> stopping_{false};

  mutable std::mutex mu_;  // guards incoming_, waiting_count_
  std::deque<std::unique_ptr<Conn>> incoming_;
  int64_t waiting_count_ = 0;
  std::unordered_map<int, std::unique_ptr<Conn>> waiting_;  // gate thread only
  std::atomic<int64_t> timed_out_{0};
  std::atomic<int64_t> refused_{0};
};

}  // namespace steward::server
