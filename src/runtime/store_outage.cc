#include "runtime/store_outage.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>

#include "core/log.h"

namespace steward::StoreOutageLog {

namespace {

struct State {
  std::atomic<bool> down{false};
  std::mutex mu;
  std::chrono::steady_clock::time_point since, last_failure;
  int64_t failed_calls = 0;
};

State& S() {
  static State* s = new State();  // never destroyed: used from exiting threads
  return *s;
}

constexpr auto kQuiet = std::chrono::seconds(2);

}  // namespace

bool Failed(std::string_view where, const Status& status) {
  if (status.code() != StatusCode::kUnavailable) return true;
  State& s = S();
  std::lock_guard lock(s.mu);
  ++s.failed_calls;
  s.last_failure = std::chrono::steady_clock::now();
  if (s.down.load()) return false;
  s.down = true;
  s.since = s.last_failure;
  s.failed_calls = 1;
  log::Warn("database unavailable; every loop retries with backoff",
            {{"loop", std::string(where)}, {"error", status.ToString()}});
  return false;
}

void Succeeded() {
  State& s = S();
  if (!s.down.load(std::memory_order_relaxed)) return;
  std::lock_guard lock(s.mu);
  if (!s.down.load()) return;
  // A call that was already under way when the server went away may still
  // succeed just after the first failure; the outage ends only once calls
  // succeed with no failure for a while, so it is not reported twice.
  const auto now = std::chrono::steady_clock::now();
  if (now - s.last_failure < kQuiet) return;
  s.down = false;
  const auto lasted = s.last_failure - s.since;
  log::Info(
      "database available again",
      {{"unavailable_for_s", std::chrono::duration_cast<std::chrono::seconds>(lasted).count()},
       {"failed_calls", s.failed_calls}});
}

}  // namespace steward::StoreOutageLog
