// PgPool: a bounded pool of libpq connections.
//
// Why a hand-written pool: job runners exhaust database connections (see
// docs on connection budgeting), so the bound must be hard, waiting must be
// visible, and a connection that a caller forgets to return must be
// reported with the name of whoever took it.
//
// Guarantees:
//  * At most `max_size` connections exist at any moment, counting idle ones,
//    lent ones and ones being opened. (The store's LISTEN connection is not
//    part of the pool; a process uses pool_max + 1 connections in total.)
//  * Acquire() waits up to `acquire_timeout`, then fails with
//    kResourceExhausted "connection pool exhausted: 10/10 in use, waited 5s".
//  * Broken connections (PQstatus != CONNECTION_OK, or the server closed the
//    socket while idle, or left inside a transaction) are discarded, never
//    lent again. After a failed connect, new connects are refused with
//    kUnavailable for a backoff period (50 ms doubling to 5 s) so a database
//    outage does not turn into a connect storm.
//  * Idle connections are closed after `idle_timeout`, every connection after
//    `max_lifetime` (checked when idle; a lent connection is never closed
//    under its holder).
//  * Leak detection: a background thread reports (a structured log warning, counter,
//    LastLeakReport()) each lease held longer than `leak_threshold`, naming
//    the label given to Acquire(). A leak is reported once per lease.
//
// Thread-safe. Connections are created lazily, on demand.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

#include "steward/clock.h"
#include "steward/status.h"
#include "store/pool_stats.h"

namespace steward::pg {

struct PoolOptions {
  // libpq connection string or URI (without Steward's own query options).
  std::string conninfo;
  // Statements run once on each new connection (e.g. SET search_path).
  std::vector<std::string> on_connect;
  int max_size = 10;                                  // pool_max
  Micros acquire_timeout = std::chrono::seconds(5);   // pool_acquire_timeout_ms
  std::optional<Micros> max_lifetime;                 // pool_max_lifetime_s; none = forever
  std::optional<Micros> idle_timeout;                 // pool_idle_timeout_s; none = forever
  Micros leak_threshold = std::chrono::seconds(30);   // leak_threshold_ms
};

using PoolStats = ::steward::PoolStats;  // store/pool_stats.h

class PgPool;

// A lent connection; returns itself to the pool when destroyed. Move-only.
class PooledConn {
 public:
  PooledConn() = default;
  PooledConn(PooledConn&& other) noexcept;
  PooledConn& operator=(PooledConn&& other) noexcept;
  PooledConn(const PooledConn&) = delete;
  PooledConn& operator=(const PooledConn&) = delete;
  ~PooledConn();

  PGconn* get() const;
  explicit operator bool() const { return slot_ != nullptr; }
  // Gives the connection back now (idempotent).
  void Release();

 private:
  friend class PgPool;
  struct Slot;
  PooledConn(PgPool* pool, Slot* slot) : pool_(pool), slot_(slot) {}
  PgPool* pool_ = nullptr;
  Slot* slot_ = nullptr;
};

class PgPool {
 public:
  explicit PgPool(PoolOptions options);
  ~PgPool();  // closes every connection; all PooledConn must be gone
  PgPool(const PgPool&) = delete;
  PgPool& operator=(const PgPool&) = delete;

  // Lends a connection. `label` names the holder in leak reports (for
  // example "fetcher:default" or "JobClaim"). Errors: kResourceExhausted when
  // the pool stays full for acquire_timeout; kUnavailable (or the mapped
  // connect error) when a new connection cannot be opened.
  Result<PooledConn> Acquire(std::string_view label);

  PoolStats Stats() const;
  // The latest leak report ("" if none), e.g.
  // "PostgreSQL connection held 250 ms by \"test:leaky\" (leak threshold 200 ms)".
  std::string LastLeakReport() const;
  const PoolOptions& options() const { return options_; }
  // True if `backend_pid` (a server process id, as in a NOTIFY's be_pid) is
  // one of this pool's open connections. Lets the store ignore its own
  // notifications, which it already delivered on the inserting thread.
  bool OwnsBackend(int backend_pid) const;

 private:
  friend class PooledConn;
  using Clock = std::chrono::steady_clock;

  void Release(PooledConn::Slot* slot);
  void Destroy(PooledConn::Slot* slot);  // closes and frees; no lock held
  Result<PGconn*> Connect();
  void Maintain();  // background: leak reports, idle/lifetime eviction
  void ReportLeakLocked(PooledConn::Slot* slot, Clock::time_point now);
  bool ExpiredLocked(const PooledConn::Slot& slot, Clock::time_point now) const;

  const PoolOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;           // a slot became free or a conn idle
  std::condition_variable maintain_cv_;  // wakes the maintenance thread to stop
  std::deque<PooledConn::Slot*> idle_;   // back = most recently used
  std::unordered_set<PooledConn::Slot*> in_use_;
  int opening_ = 0;  // connects in progress (count against the bound)
  int waiters_ = 0;
  int64_t total_wait_us_ = 0;
  int64_t leaks_detected_ = 0;
  int64_t acquired_total_ = 0;
  std::string last_leak_report_;
  std::string last_connect_error_;
  Clock::time_point connect_allowed_at_{};
  Micros connect_backoff_{0};
  bool stopping_ = false;
  std::thread maintainer_;
  mutable std::mutex pids_mu_;  // separate: read on the listener thread
  std::unordered_set<int> backend_pids_;
};

}  // namespace steward::pg
