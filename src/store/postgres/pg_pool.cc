#include "store/postgres/pg_pool.h"


#include <algorithm>
#include <utility>

#include "store/postgres/pg_conn.h"
#include "core/log.h"
#include "store/postgres/pg_errors.h"

namespace steward::pg {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

struct PooledConn::Slot {
  PGconn* conn = nullptr;
  std::chrono::steady_clock::time_point created;
  std::chrono::steady_clock::time_point last_used;
  std::chrono::steady_clock::time_point acquired_at;
  std::string label;
  bool leak_reported = false;
};

namespace {

constexpr Micros kMinBackoff = std::chrono::milliseconds(50);
constexpr Micros kMaxBackoff = std::chrono::seconds(5);

std::string FormatDuration(Micros d) {
  auto ms = duration_cast<milliseconds>(d).count();
  if (ms >= 1000 && ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

// True if an idle connection can be lent: the socket is still open (reading
// pending input notices a server that closed it, e.g. after
// pg_terminate_backend or a restart) and no transaction is open.
bool StillUsable(PGconn* conn) {
  if (PQstatus(conn) != CONNECTION_OK) return false;
  if (PQconsumeInput(conn) == 0) return false;
  return PQstatus(conn) == CONNECTION_OK && PQtransactionStatus(conn) == PQTRANS_IDLE;
}

}  // namespace

// ---- PooledConn -----------------------------------------------------------

PooledConn::PooledConn(PooledConn&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)), slot_(std::exchange(other.slot_, nullptr)) {}

PooledConn& PooledConn::operator=(PooledConn&& other) noexcept {
  if (this != &other) {
    Release();
    pool_ = std::exchange(other.pool_, nullptr);
    slot_ = std::exchange(other.slot_, nullptr);
  }
  return *this;
}

PooledConn::~PooledConn() { Release(); }

PGconn* PooledConn::get() const { return slot_ ? slot_->conn : nullptr; }

void PooledConn::Release() {
  if (slot_ != nullptr) pool_->Release(std::exchange(slot_, nullptr));
  pool_ = nullptr;
}

// ---- PgPool ---------------------------------------------------------------

PgPool::PgPool(PoolOptions options) : options_(std::move(options)) {
  maintainer_ = std::thread([this] { Maintain(); });
}

PgPool::~PgPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  maintain_cv_.notify_all();
  cv_.notify_all();
  maintainer_.join();
  std::lock_guard lock(mu_);
  if (!in_use_.empty()) {
    // A PooledConn outlived its pool: a bug in the caller. Close anyway so
    // the server is not left with orphaned sessions.
    log::Error("PgPool destroyed with connections still lent out", {{"in_use", in_use_.size()}});
    for (auto* slot : in_use_) {
      PQfinish(slot->conn);
      slot->conn = nullptr;
    }
  }
  for (auto* slot : idle_) Destroy(slot);
  idle_.clear();
}

Result<PGconn*> PgPool::Connect() {
  // connect_timeout first: a value in the user's conninfo (expanded from
  // "dbname") overrides it. Without one, libpq would wait forever on a
  // black-holed host.
  const char* keys[] = {"connect_timeout", "fallback_application_name", "dbname", nullptr};
  const char* values[] = {"10", "steward", options_.conninfo.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
    Status st = StatusFromConnectFailure(conn, "connecting to PostgreSQL");
    PQfinish(conn);
    return st;
  }
  InstallNoticeLogger(conn);
  for (const auto& sql : options_.on_connect) {
    auto r = Exec(conn, "initialising PostgreSQL connection", sql.c_str());
    if (!r.ok()) {
      PQfinish(conn);
      return r.status();
    }
  }
  return conn;
}

bool PgPool::ExpiredLocked(const PooledConn::Slot& slot, Clock::time_point now) const {
  if (options_.max_lifetime && now - slot.created >= *options_.max_lifetime) return true;
  if (options_.idle_timeout && now - slot.last_used >= *options_.idle_timeout) return true;
  return false;
}

Result<PooledConn> PgPool::Acquire(std::string_view label) {
  const auto start = Clock::now();
  const auto deadline = start + options_.acquire_timeout;
  std::vector<PooledConn::Slot*> to_close;
  auto close_all = [this, &to_close] {
    for (auto* s : to_close) Destroy(s);
    to_close.clear();
  };

  std::unique_lock lock(mu_);
  PooledConn::Slot* slot = nullptr;
  bool waited = false;
  while (slot == nullptr) {
    if (stopping_) return Unavailable("connection pool is shutting down");
    const auto now = Clock::now();
    while (!idle_.empty()) {
      auto* s = idle_.back();
      idle_.pop_back();
      if (ExpiredLocked(*s, now) || !StillUsable(s->conn)) {
        to_close.push_back(s);
        continue;
      }
      slot = s;
      break;
    }
    if (slot != nullptr) break;
    const int total = static_cast<int>(in_use_.size() + idle_.size()) + opening_;
    if (total < options_.max_size) {
      if (now < connect_allowed_at_) {
        auto wait = duration_cast<milliseconds>(connect_allowed_at_ - now).count();
        std::string err = last_connect_error_;
        lock.unlock();
        close_all();
        return Unavailable(err + " (next connect attempt in " + std::to_string(wait) + " ms)");
      }
      ++opening_;
      lock.unlock();
      close_all();
      auto conn = Connect();
      lock.lock();
      --opening_;
      if (!conn.ok()) {
        last_connect_error_ = conn.status().message();
        connect_backoff_ = std::clamp(connect_backoff_ * 2, kMinBackoff, kMaxBackoff);
        connect_allowed_at_ = Clock::now() + connect_backoff_;
        cv_.notify_one();  // the reserved place is free again
        return conn.status();
      }
      connect_backoff_ = Micros(0);
      slot = new PooledConn::Slot();
      slot->conn = *conn;
      {
        std::lock_guard pids(pids_mu_);
        backend_pids_.insert(PQbackendPID(slot->conn));
      }
      slot->created = Clock::now();
      break;
    }
    // Full: wait for a release. Closing happens outside the lock.
    if (!to_close.empty()) {
      lock.unlock();
      close_all();
      lock.lock();
      continue;
    }
    ++waiters_;
    waited = true;
    bool timed_out = cv_.wait_until(lock, deadline) == std::cv_status::timeout;
    --waiters_;
    if (timed_out && Clock::now() >= deadline) {
      // One last look: a release may have raced with the timeout.
      const int full = static_cast<int>(in_use_.size()) + opening_;
      if (idle_.empty() && full >= options_.max_size) {
        total_wait_us_ += duration_cast<Micros>(Clock::now() - start).count();
        return ResourceExhausted("connection pool exhausted: " + std::to_string(full) + "/" +
                                 std::to_string(options_.max_size) + " in use, waited " +
                                 FormatDuration(options_.acquire_timeout) + " (acquiring for \"" +
                                 std::string(label) + "\")");
      }
    }
  }
  const auto now = Clock::now();
  slot->acquired_at = now;
  slot->label = std::string(label);
  slot->leak_reported = false;
  in_use_.insert(slot);
  ++acquired_total_;
  if (waited) total_wait_us_ += duration_cast<Micros>(now - start).count();
  lock.unlock();
  close_all();
  return PooledConn(this, slot);
}

void PgPool::Release(PooledConn::Slot* slot) {
  PGconn* conn = slot->conn;
  // A connection left inside a transaction (an early return between BEGIN
  // and COMMIT) is rolled back here rather than lent to the next holder.
  if (conn != nullptr && PQstatus(conn) == CONNECTION_OK &&
      (PQtransactionStatus(conn) == PQTRANS_INTRANS ||
       PQtransactionStatus(conn) == PQTRANS_INERROR)) {
    PQclear(PQexec(conn, "ROLLBACK"));
  }
  const bool healthy = conn != nullptr && PQstatus(conn) == CONNECTION_OK &&
                       PQtransactionStatus(conn) == PQTRANS_IDLE;
  std::vector<PooledConn::Slot*> to_close;
  {
    std::lock_guard lock(mu_);
    const auto now = Clock::now();
    in_use_.erase(slot);
    if (!slot->leak_reported && now - slot->acquired_at > options_.leak_threshold) {
      ReportLeakLocked(slot, now);
    }
    slot->last_used = now;
    if (!healthy) {
      // The server went away under this connection; its idle siblings very
      // likely share its fate (restart, failover), so drop them too rather
      // than fail the next few callers one by one.
      to_close.push_back(slot);
      to_close.insert(to_close.end(), idle_.begin(), idle_.end());
      idle_.clear();
    } else if (stopping_ || (options_.max_lifetime && now - slot->created >= *options_.max_lifetime)) {
      to_close.push_back(slot);
    } else {
      idle_.push_back(slot);
    }
  }
  cv_.notify_one();
  for (auto* s : to_close) Destroy(s);
}

void PgPool::ReportLeakLocked(PooledConn::Slot* slot, Clock::time_point now) {
  slot->leak_reported = true;
  ++leaks_detected_;
  auto held = duration_cast<milliseconds>(now - slot->acquired_at).count();
  last_leak_report_ = "PostgreSQL connection held " + std::to_string(held) + " ms by \"" +
                      slot->label + "\" (leak threshold " +
                      std::to_string(duration_cast<milliseconds>(options_.leak_threshold).count()) +
                      " ms)";
  log::Warn("possible connection leak", {{"holder", slot->label}, {"held_ms", held}, {"report", last_leak_report_}});
}

void PgPool::Maintain() {
  // Check often enough that a leak is reported within ~1.25x the threshold,
  // but never spin.
  Micros interval = std::clamp<Micros>(options_.leak_threshold / 4, std::chrono::milliseconds(10),
                                       std::chrono::seconds(1));
  if (options_.idle_timeout) {
    interval = std::min<Micros>(interval, std::max<Micros>(*options_.idle_timeout / 2,
                                                           std::chrono::milliseconds(10)));
  }
  std::unique_lock lock(mu_);
  while (!stopping_) {
    maintain_cv_.wait_for(lock, interval);
    if (stopping_) break;
    const auto now = Clock::now();
    for (auto* slot : in_use_) {
      if (!slot->leak_reported && now - slot->acquired_at > options_.leak_threshold) {
        ReportLeakLocked(slot, now);
      }
    }
    std::vector<PooledConn::Slot*> to_close;
    std::erase_if(idle_, [&](PooledConn::Slot* s) {
      if (!ExpiredLocked(*s, now)) return false;
      to_close.push_back(s);
      return true;
    });
    if (!to_close.empty()) {
      lock.unlock();
      for (auto* s : to_close) Destroy(s);
      cv_.notify_all();
      lock.lock();
    }
  }
}

void PgPool::Destroy(PooledConn::Slot* slot) {
  {
    std::lock_guard pids(pids_mu_);
    backend_pids_.erase(PQbackendPID(slot->conn));
  }
  PQfinish(slot->conn);
  delete slot;
}

bool PgPool::OwnsBackend(int backend_pid) const {
  std::lock_guard pids(pids_mu_);
  return backend_pids_.count(backend_pid) > 0;
}

PoolStats PgPool::Stats() const {
  std::lock_guard lock(mu_);
  PoolStats s;
  s.in_use = static_cast<int>(in_use_.size());
  s.idle = static_cast<int>(idle_.size());
  s.waiters = waiters_;
  s.max = options_.max_size;
  s.total_wait_us = total_wait_us_;
  s.leaks_detected = leaks_detected_;
  s.acquired_total = acquired_total_;
  return s;
}

std::string PgPool::LastLeakReport() const {
  std::lock_guard lock(mu_);
  return last_leak_report_;
}

}  // namespace steward::pg
