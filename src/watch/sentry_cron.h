// Sentry Crons: schedules report check-ins, so teams already on Sentry see
// Steward's schedules in Sentry's cron monitors ([notify.sentry]
// cron_check_ins = true).
//
// Each job a schedule fires sends an `in_progress` check-in; when that job
// finishes for good, `ok` or `error` with its duration, under the same
// check_in_id. monitor_slug is the schedule's name (lowercased; characters
// Sentry does not allow in slugs become '-'); the in_progress check-in
// carries monitor_config (crontab schedule and time zone), so the monitor is
// created or updated in Sentry on first use. Envelope format: a header line
// ({"sent_at"}), an item header ({"type":"check_in","length"}), the payload
// (https://develop.sentry.dev/sdk/check-ins/).
//
// Best effort, not durable: check-ins are timing telemetry (a check-in sent
// an hour late is wrong, not late), so they go from an in-memory queue
// (bounded; the oldest are dropped) on the reporter's own thread, never
// through the outbox; failures are logged, not retried. A job finished on a
// node other than the one that fired it has no known check_in_id there; its
// check-in uses the all-zero id, which Sentry applies to the monitor's
// latest in_progress check-in.
//
// ScheduleObserver callbacks only enqueue (quick, any thread). Start/Stop
// follow the loop contract; Stop drops what is still queued and abandons a
// check-in in flight (a hanging Sentry cannot hold up a shutdown).
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "runtime/schedule_events.h"
#include "store/store.h"
#include "watch/notify.h"

namespace steward {

class SentryCron final : public ScheduleObserver {
 public:
  // kInvalidArgument for a bad DSN.
  static Result<std::unique_ptr<SentryCron>> Create(std::shared_ptr<Store> store,
                                                    notify::SentryConfig config);
  ~SentryCron() override;
  SentryCron(const SentryCron&) = delete;
  SentryCron& operator=(const SentryCron&) = delete;

  void OnScheduleFired(const ScheduleFireResult& r) override;
  void OnScheduleRunFinished(std::string_view schedule, int64_t job_id, bool success) override;

  void Start();
  void Stop();
  // Check-ins sent (HTTP 2xx) so far (tests, logs).
  int64_t sent() const;

 private:
  struct Pending {
    std::string schedule;
    std::string status;  // in_progress | ok | error
    std::string check_in_id;
    std::optional<double> duration_s;
  };
  SentryCron(std::shared_ptr<Store> store, notify::SentryConfig config, notify::SentryDsn dsn)
      : store_(std::move(store)), c_(std::move(config)), dsn_(std::move(dsn)) {}
  void Push(Pending p);
  void Run();
  void Send(const Pending& p);

  std::shared_ptr<Store> store_;
  notify::SentryConfig c_;
  notify::SentryDsn dsn_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  // job id -> (check_in_id, start); bounded, oldest forgotten first.
  std::map<int64_t, std::pair<std::string, std::chrono::steady_clock::time_point>> running_;
  int64_t sent_ = 0;
  bool stop_ = false;
  std::atomic<bool> aborting_{false};  // set by Stop: a check-in in flight gives up
  std::thread thread_;
};

// "Nightly Report!" -> "nightly-report-".
std::string SentryMonitorSlug(std::string_view schedule);

}  // namespace steward
