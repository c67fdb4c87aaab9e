// AlertWriteBuffer: the alerter's write-behind buffer. Alert changes are
// recorded in memory per fingerprint (quick, any thread) and written to the
// store's alerts and outbox by Write() (the alerter's thread, or Flush).
//
// Why a buffer: runtime threads must never wait on the database, and a
// storm must cost one write. Consecutive occurrences of one fingerprint
// merge into one change with a count, and a new burst is held back for
// group_wait before its first write, so 1,000 discards of one kind in a
// minute become ONE alert with count 1000 and one notification per channel.
// A resolve is never held back: what is fixed should be said at once.
//
// If the store refuses a write as unavailable, the change and everything
// after it go back to the buffer in order and are written when the store
// returns (nothing is lost unless the process exits meanwhile).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "steward/clock.h"
#include "steward/status.h"
#include "store/store.h"

namespace steward {

// One pending change of one alert (fingerprint).
struct AlertChange {
  bool resolve = false;
  int64_t count = 0;  // occurrences merged into this change
  std::string rule, labels_json, severity, summary, detail;
  std::optional<int64_t> job_id;
  // When the first occurrence merged into this change happened (a failure's
  // own time): a newly opened alert's first_seen, so "since" in messages is
  // when things went wrong, not when the buffer got to write.
  Timestamp occurred_at{};
  // When the change was recorded; group_wait is measured from it.
  std::chrono::steady_clock::time_point recorded;
};

struct AlertWriteBufferOptions {
  std::vector<std::string> channels;               // one outbox row each per notifying change
  Micros repeat_interval = std::chrono::hours(4);  // reminder while still firing
  Micros group_wait = std::chrono::seconds(10);    // a new burst gathers this long first
  Clock* clock = nullptr;                          // the store's `now`; default SystemClock()
  // Called after a write enqueued notifications (e.g. Notifier::Wake).
  std::function<void()> on_enqueued;
  // Called when the store refused a write as unavailable (the outage is
  // noted for the db_unreachable rule).
  std::function<void(const Status&)> on_store_error;
};

class AlertWriteBuffer {
 public:
  // A fingerprint flapping while the database is down keeps only its latest
  // few transitions: enough to end in the right state, bounded in memory.
  static constexpr size_t kMaxPendingPerFingerprint = 16;

  AlertWriteBuffer(std::shared_ptr<Store> store, AlertWriteBufferOptions options);

  // Records a change (any thread; no database work).
  void Add(const std::string& fingerprint, AlertChange change);
  // Whether a change of this fingerprint waits to be written.
  bool Pending(const std::string& fingerprint) const;
  // Writes the changes that are ready: resolves, and fires whose burst has
  // gathered for group_wait; all of them when `force`. kUnavailable if the
  // store refused some (they stay pending). One writer at a time.
  Status Write(bool force);

 private:
  std::shared_ptr<Store> store_;
  AlertWriteBufferOptions options_;
  Clock* clock_;

  mutable std::mutex mu_;  // guards pending_
  std::map<std::string, std::deque<AlertChange>> pending_;
  std::mutex write_mu_;  // one writer at a time (alerter thread vs Flush)
};

}  // namespace steward
