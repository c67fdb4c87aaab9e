// Alerter: turns runtime events into alerts (rules in watch/alert_rules.h)
// and writes them, with their notifications, to the store's outbox.
//
// It composes three parts and runs their thread:
//   - watch/alert_event_rules.h: events -> alert changes (quick, any thread);
//   - watch/alert_write_buffer.h: changes gathered and written behind;
//   - watch/alert_evaluator.h: the rules judged on a timer.
//
// RuntimeObserver callbacks run on runtime threads, so they only record the
// event in memory (a map keyed by fingerprint, bounded by the label caps)
// and return; the alerter's own thread writes to the database. A burst is
// gathered for group_wait before the first write, so 1,000 discards of one
// kind in a minute become ONE alert with count 1000 and one notification per
// channel (then at most one reminder per repeat_interval).
//
// If the database is down, pending changes stay in memory and are written
// when it returns (nothing is lost unless the process exits meanwhile).
//
// Checks and schedules: the Alerter is also a ScheduleObserver (a check
// going down opens check_down, its recovery resolves it; a schedule whose
// cron no longer parses opens schedule_broken). OnCheckDown/OnCheckUp may
// be called directly too (any thread).
//
// Start/Stop follow the loop contract; Stop writes what is pending (one
// last try). Ticks loop "alerter" into options.health.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "runtime/observer.h"
#include "runtime/schedule_events.h"
#include "steward/clock.h"
#include "store/store.h"
#include "watch/alert_evaluator.h"
#include "watch/alert_event_rules.h"
#include "watch/alert_rules.h"
#include "watch/alert_write_buffer.h"
#include "watch/digest.h"
#include "watch/metrics.h"

namespace steward {

struct AlerterOptions {
  AlertRulesConfig rules;
  std::vector<std::string> channels;               // one outbox row each per change
  Micros repeat_interval = std::chrono::hours(4);  // reminder while still firing
  Clock* clock = nullptr;                          // default SystemClock()
  RuntimeObserver* health = nullptr;               // OnLoopTick("alerter"); not owned
  std::chrono::milliseconds flush_interval{1000};  // how often pending changes are written
  Micros group_wait = std::chrono::seconds(10);    // a new burst gathers this long first
  std::chrono::milliseconds eval_interval{15000};  // queue lag, pool, quiet resolution
  // Pool numbers (PostgreSQL); empty = pool rules off. Wired by the backend.
  DbPoolStatsProvider pool_stats;
  // Called after a write enqueued notifications (e.g. Notifier::Wake).
  std::function<void()> on_enqueued;
  // The daily digest (watch/digest.h), written by Evaluate when due.
  DigestConfig digest;
};

class Alerter final : public RuntimeObserver, public ScheduleObserver {
 public:
  static constexpr const char* kLoopName = "alerter";

  Alerter(std::shared_ptr<Store> store, AlerterOptions options);
  ~Alerter() override;
  Alerter(const Alerter&) = delete;
  Alerter& operator=(const Alerter&) = delete;

  // --- RuntimeObserver (quick; no database work) ---------------------------
  void OnJobFinished(const Job& job, JobState new_state, Micros duration,
                     const AttemptError* error) override;
  void OnJobsRescued(const std::vector<RescuedJob>& jobs) override;
  void OnStoreError(std::string_view loop, const Status& status) override;
  void OnStoreRecovered(std::string_view loop) override;

  // --- ScheduleObserver (quick; no database work) --------------------------
  void OnCheckStateChanged(const CheckTransition& t) override;
  void OnScheduleFired(const ScheduleFireResult& r) override;

  // --- checks and schedules (any thread) ----------------------------------
  // A check or schedule is late or down / healthy again. `name` is bounded
  // by the configuration (a label).
  void OnCheckDown(const std::string& name, const std::string& detail);
  void OnCheckUp(const std::string& name);

  // Any rule: records an occurrence / a resolution.
  void Fire(const std::string& rule, const AlertLabels& labels, const std::string& summary,
            const std::string& detail, std::optional<int64_t> job_id = std::nullopt,
            int64_t count = 1, const std::string& severity = "error");
  void Resolve(const std::string& rule, const AlertLabels& labels, const std::string& detail = "");

  void Start();
  void Stop();
  // Writes every pending change now, ignoring group_wait (tests, shutdown).
  // kUnavailable if the store refused some (they stay pending).
  Status Flush();
  // One evaluation round (queue lag, pool, db_unreachable, failure ratio,
  // quiet resolution, the daily digest). Not concurrently with itself.
  void Evaluate();

 private:
  void Run();

  AlerterOptions options_;
  Clock* clock_;
  AlertWriteBuffer buffer_;
  AlertEventRules events_;
  AlertEvaluator evaluator_;

  std::mutex mu_;  // guards stop_ and thread_
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace steward
