#include "store/postgres/pg_listener.h"

#include <libpq-fe.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

#include "store/postgres/pg_conn.h"
#include "core/log.h"
#include "store/postgres/pg_errors.h"

namespace steward::pg {

PgListener::PgListener(std::string conninfo, std::string channel, Callback callback)
    : conninfo_(std::move(conninfo)), channel_(std::move(channel)), callback_(std::move(callback)) {
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

PgListener::~PgListener() {
  Stop();
  if (wake_fd_ >= 0) close(wake_fd_);
}

void PgListener::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Run(); });
}

void PgListener::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  uint64_t one = 1;
  if (wake_fd_ >= 0) (void)!write(wake_fd_, &one, sizeof one);
  if (thread_.joinable()) thread_.join();
}

bool PgListener::WaitUntilListening(Micros timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [this] { return listening_.load() || stopping_; }) &&
         listening_.load();
}

bool PgListener::SleepOrStop(Micros d) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, d, [this] { return stopping_; });
}

void PgListener::Run() {
  Micros backoff = std::chrono::milliseconds(100);
  const Micros max_backoff = std::chrono::seconds(10);
  // An outage is logged once when it starts and once when it ends, not on
  // every reconnect attempt.
  int failed_attempts = 0;
  auto connect_failed = [&](const std::string& why) {
    if (failed_attempts++ == 0) {
      log::Warn("PostgreSQL listener cannot listen; polling until it can", {{"error", why}});
    } else {
      log::Debug("PostgreSQL listener reconnect failed", {{"error", why}, {"attempt", failed_attempts}});
    }
  };
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    const char* keys[] = {"connect_timeout", "fallback_application_name", "dbname", nullptr};
    const char* values[] = {"10", "steward-listener", conninfo_.c_str(), nullptr};
    PGconn* conn = PQconnectdbParams(keys, values, 1);
    std::string listen_sql = "LISTEN " + QuoteIdent(channel_);
    bool ok = conn != nullptr && PQstatus(conn) == CONNECTION_OK;
    if (ok) {
      InstallNoticeLogger(conn);
      auto r = Exec(conn, "LISTEN", listen_sql.c_str());
      ok = r.ok();
      if (!ok) connect_failed(r.status().ToString());
    } else {
      connect_failed(StatusFromConnectFailure(conn, "connecting").ToString());
    }
    if (!ok) {
      PQfinish(conn);
      if (SleepOrStop(backoff)) return;
      backoff = std::min(backoff * 2, max_backoff);
      continue;
    }
    backoff = std::chrono::milliseconds(100);
    if (failed_attempts > 0) {
      log::Info("PostgreSQL listener listening again", {{"failed_attempts", failed_attempts}});
      failed_attempts = 0;
    }
    ++connects_;
    {
      std::lock_guard lock(mu_);
      listening_ = true;
    }
    cv_.notify_all();

    bool stop = false;
    while (!stop) {
      pollfd fds[2] = {{PQsocket(conn), POLLIN, 0}, {wake_fd_, POLLIN, 0}};
      int n = poll(fds, 2, 1000);
      if (n < 0 && errno != EINTR) break;
      {
        std::lock_guard lock(mu_);
        stop = stopping_;
      }
      if (stop) break;
      if (n <= 0 || !(fds[0].revents & (POLLIN | POLLERR | POLLHUP))) continue;
      if (PQconsumeInput(conn) == 0) {
        // Counts as the outage's first failure: the reconnects that follow
        // are debug lines until one succeeds.
        connect_failed(StatusFromResult(nullptr, conn, "connection lost").message());
        break;
      }
      while (PGnotify* note = PQnotifies(conn)) {
        std::string payload = note->extra ? note->extra : "";
        int sender = note->be_pid;
        PQfreemem(note);
        callback_(payload, sender);
      }
    }
    listening_ = false;
    PQfinish(conn);
    if (stop) return;
  }
}

}  // namespace steward::pg
