// PgListener: one dedicated connection that LISTENs on a channel and hands
// each notification's payload to a callback on its own thread.
//
// It lives outside the pool on purpose: a LISTEN session must stay open and
// idle, which would pin one pooled connection forever, and it must survive
// pool churn (idle timeout, max lifetime). A store therefore uses
// pool_max + 1 connections; N nodes use N x (pool_max + 1). It cannot work
// through PgBouncer in transaction pooling mode; the runtime's poll
// fallback covers that case and any notification lost while reconnecting.
//
// Start/stop contract (as every background loop): Stop() without Start()
// and a second Stop() are harmless.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "steward/clock.h"

namespace steward::pg {

class PgListener {
 public:
  // payload, and the process id of the server session that sent it.
  using Callback = std::function<void(const std::string& payload, int sender_pid)>;
  PgListener(std::string conninfo, std::string channel, Callback callback);
  ~PgListener();
  PgListener(const PgListener&) = delete;
  PgListener& operator=(const PgListener&) = delete;

  void Start();
  void Stop();
  // Waits until LISTEN is in effect (true) or the timeout passes (false).
  bool WaitUntilListening(Micros timeout);
  bool listening() const { return listening_.load(); }
  // How many times the connection was (re)established.
  int64_t connects() const { return connects_.load(); }

 private:
  void Run();
  // Sleeps up to d, returning early (true) when stopping.
  bool SleepOrStop(Micros d);

  const std::string conninfo_;
  const std::string channel_;
  const Callback callback_;
  std::thread thread_;
  int wake_fd_ = -1;  // eventfd: interrupts poll() on Stop()
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::atomic<bool> listening_{false};
  std::atomic<int64_t> connects_{0};
};

}  // namespace steward::pg
