// Scheduler: the loop that fires due schedules and evaluates checks.
//
// Every node may run one; the store's claim (row locks, one transaction per
// firing, unique key per fire time) makes them safe to run together, so there
// is no leader to lose during a handover.
//
// Each iteration: records finished runs of schedule jobs, fires due
// schedules (ScheduleFireDue), applies check time-outs (CheckEvaluate) and
// reports events, then sleeps until the earliest next_fire_at, at most
// `max_sleep`. It ticks the RuntimeObserver as loop "scheduler" every
// iteration, so at least once a second with the default max_sleep.
//
// Runs of schedule jobs are recognised by their unique key
// ("schedule:<name>:<fire time>"): add run_recorder() to the worker's
// observers and completions and failed final attempts reach the schedule
// (last_success_at, last_failure_at) and its check (success / fail ping).
//
// Start/stop contract: Stop without Start and a second Stop are harmless;
// Start after Stop is an error. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/thread_annotations.h"
#include "runtime/observer.h"
#include "runtime/schedule_events.h"
#include "store/store.h"

namespace steward {

struct SchedulerOptions {
  Clock* clock = nullptr;                        // default SystemClock()
  RuntimeObserver* observer = nullptr;           // loop ticks and store errors; not owned
  ScheduleObserver* schedule_observer = nullptr; // check and schedule events; not owned
  // Longest sleep between iterations. Also bounds how late a schedule
  // edited by another process (or a clock moved by a test) is noticed.
  Micros max_sleep = std::chrono::seconds(1);
  int fire_limit = 100;  // schedules fired per transaction
};

class Scheduler {
 public:
  Scheduler(std::shared_ptr<Store> store, SchedulerOptions options);
  ~Scheduler();  // Stop()
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  Status Start();
  void Stop();
  // Runs the next iteration now (a schedule was added or resumed).
  void Wake();
  // Runs one iteration on the calling thread (tests, `steward schedules`
  // tools). Returns the first store error, if any.
  Status RunOnce();

  // Receives the worker's job events; pass it to WorkerOptions::observer
  // (or a fanout). Valid as long as the Scheduler.
  RuntimeObserver* run_recorder();

  // Sets the event receivers (before Start).
  void set_observer(RuntimeObserver* o) { options_.observer = o; }
  void set_schedule_observer(ScheduleObserver* o) { options_.schedule_observer = o; }

 private:
  class RunRecorder;
  struct FinishedRun {
    std::string schedule;
    int64_t job_id;
    bool success;
    Timestamp at;
  };
  void Loop();
  void AddRun(FinishedRun run);
  Micros SleepFor();

  std::shared_ptr<Store> store_;
  SchedulerOptions options_;
  std::unique_ptr<RunRecorder> recorder_;

  Mutex mu_;
  std::condition_variable cv_;
  bool started_ GUARDED_BY(mu_) = false;
  bool stopping_ GUARDED_BY(mu_) = false;
  bool wake_ GUARDED_BY(mu_) = false;
  std::vector<FinishedRun> runs_ GUARDED_BY(mu_);
  bool store_failing_ = false;     // loop thread only
  std::thread thread_;
};

// The schedule named in a schedule job's unique key, or "" for other jobs.
std::string ScheduleOfJob(const Job& job);

}  // namespace steward
