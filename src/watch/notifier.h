// Notifier: the loop that delivers the notification outbox.
//
// Each round it claims due rows with a lease (AlertStore::OutboxClaim; FOR
// UPDATE SKIP LOCKED on PostgreSQL, so it may run on every node), hands
// each to the sender of its channel and records the outcome:
//   - delivered          -> delivered_at
//   - failed, retryable  -> due again after exponential backoff with jitter
//                           (at least the receiver's Retry-After); the
//                           channel pauses for Retry-After too
//   - failed, permanent  -> failed_at + last_error, logged as an error
// A channel whose receiver is down, slow, answers garbage or fails TLS is
// logged once when it starts failing, hourly while it stays so, and once
// when it delivers again: not once per attempt.
// A row is never dropped for having failed "too often": a receiver that is
// down for a day gets its messages when it returns (backoff caps at
// backoff_max). A notifier that dies mid-delivery leaves its rows leased;
// they are claimed again when the lease expires (at-least-once: receivers
// may see a duplicate after a crash, never a gap).
//
// Order: the store hands out a row only after every earlier row of the same
// alert and channel is finished, so a resolve never overtakes its open.
// Pacing: a channel's min_interval (Slack: 1 s) spaces its messages.
// Coalescing: rows of one channel claimed together (including rows that
// became due while the loop waited for the spacing) go to a coalescing
// sender (Slack) as ONE message, as many as fit; each row is still recorded
// delivered or failed exactly once, with that message's outcome.
//
// Start/Stop follow the loop contract: Stop without Start and a second Stop
// are harmless; Stop returns once the thread has exited. A delivery in
// flight is abandoned within about a second (a hanging receiver cannot hold
// up a shutdown for its timeout) and its rows are due again at once; rows
// claimed but not yet tried are released (AlertStore::OutboxRelease). Ticks
// loop "notifier" into the observer each round.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "runtime/observer.h"
#include "steward/clock.h"
#include "store/store.h"
#include "watch/notify.h"

namespace steward {

struct NotifierOptions {
  Clock* clock = nullptr;             // default SystemClock(); store times
  RuntimeObserver* observer = nullptr;  // OnLoopTick("notifier"), store errors; not owned
  std::string owner = "notifier";     // lease owner; make it unique per node
  std::chrono::milliseconds poll_interval{1000};  // idle wait between rounds
  Micros lease = std::chrono::seconds(120);       // > the slowest delivery
  int batch = 20;                                 // rows per claim
  Micros backoff_base = std::chrono::seconds(5);  // first retry after ~this
  Micros backoff_max = std::chrono::minutes(10);  // retries never wait longer (unless Retry-After)
  double jitter = 0.2;                            // +-20 % spread so nodes do not retry in step
  Micros retention = std::chrono::hours(24 * 7);  // delivered/failed rows are kept this long
  // A channel that keeps failing is logged once when it starts failing, then
  // at most once per this interval ("still failing", with a count), and once
  // when it delivers again; each attempt in between is a debug line.
  Micros failure_log_interval = std::chrono::hours(1);
};

class Notifier {
 public:
  static constexpr const char* kLoopName = "notifier";

  Notifier(std::shared_ptr<Store> store,
           std::map<std::string, std::unique_ptr<notify::Sender>> senders,
           NotifierOptions options = {});
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  void Start();
  void Stop();
  // Wakes the loop at once (e.g. after an alert was written on this node).
  void Wake();
  // One round on the calling thread: claim and deliver. Returns the number
  // of rows delivered. Not to be mixed with a started loop.
  int RunOnce();

  // The retry delay for the given attempt (1-based), before Retry-After.
  Micros Backoff(int attempt);

 private:
  struct ChannelState {
    std::chrono::steady_clock::time_point blocked_until{};
    std::chrono::steady_clock::time_point last_sent{};
    // The current run of retryable failures (logging once per outage).
    int64_t failures = 0;
    Timestamp failing_since{};
    Timestamp last_logged{};
  };
  // Logs a channel's failure or recovery, once per outage (see
  // NotifierOptions::failure_log_interval).
  void LogOutcome(ChannelState& ch, const OutboxRow& row, const notify::DeliveryResult& r,
                  Micros retry_in);
  void Run();
  Result<std::vector<OutboxRow>> Claim();
  // Records one row's outcome (delivered, or due again / failed); true when delivered.
  bool Record(ChannelState& ch, const OutboxRow& row, const notify::DeliveryResult& r);
  // Waits until `until` or Stop(); false when stopping.
  bool SleepUntil(std::chrono::steady_clock::time_point until);

  std::shared_ptr<Store> store_;
  std::map<std::string, std::unique_ptr<notify::Sender>> senders_;
  NotifierOptions options_;
  Clock* clock_;
  std::map<std::string, ChannelState> channels_;  // notifier thread only
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool wake_ = false;
  std::thread thread_;
  std::chrono::steady_clock::time_point last_cleanup_{};
};

}  // namespace steward
