#include "runtime/scheduler.h"

#include <algorithm>

#include "core/log.h"
#include "runtime/store_outage.h"

namespace steward {

std::string ScheduleOfJob(const Job& job) {
  constexpr std::string_view kPrefix = "schedule:";
  if (!job.unique_key || job.unique_key->rfind(kPrefix, 0) != 0) return "";
  const std::string& key = *job.unique_key;
  const size_t end = key.find(':', kPrefix.size());
  if (end == std::string::npos) return "";
  return key.substr(kPrefix.size(), end - kPrefix.size());
}

// Turns the worker's job events into finished runs of schedules. Only
// queues them: observer callbacks must be quick, so the store write happens
// on the scheduler thread.
class Scheduler::RunRecorder final : public RuntimeObserver {
 public:
  explicit RunRecorder(Scheduler* s) : s_(s) {}
  void OnJobFinished(const Job& job, JobState new_state, Micros, const AttemptError*) override {
    // Retryable and snoozed attempts are not the end of the run; a
    // cancellation (for example by overlap kReplace) is neither outcome.
    if (new_state != JobState::kCompleted && new_state != JobState::kDiscarded) return;
    std::string name = ScheduleOfJob(job);
    if (name.empty()) return;
    Clock* clock = s_->options_.clock;
    s_->AddRun({std::move(name), job.id, new_state == JobState::kCompleted, clock->Now()});
  }

 private:
  Scheduler* s_;
};

Scheduler::Scheduler(std::shared_ptr<Store> store, SchedulerOptions options)
    : store_(std::move(store)), options_(options), recorder_(std::make_unique<RunRecorder>(this)) {
  if (!options_.clock) options_.clock = &SystemClock();
  if (options_.max_sleep <= Micros(0)) options_.max_sleep = std::chrono::seconds(1);
  if (options_.fire_limit < 1) options_.fire_limit = 100;
}

Scheduler::~Scheduler() { Stop(); }

RuntimeObserver* Scheduler::run_recorder() { return recorder_.get(); }

Status Scheduler::Start() {
  MutexLock lock(mu_);
  if (started_) return FailedPrecondition("scheduler already started");
  started_ = true;
  thread_ = std::thread([this] { Loop(); });
  return Status::Ok();
}

void Scheduler::Stop() {
  {
    MutexLock lock(mu_);
    if (!started_ || stopping_) {
      stopping_ = true;
      return;
    }
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (options_.observer) options_.observer->OnLoopStopped("scheduler");
}

void Scheduler::Wake() {
  {
    MutexLock lock(mu_);
    wake_ = true;
  }
  cv_.notify_all();
}

void Scheduler::AddRun(FinishedRun run) {
  MutexLock lock(mu_);
  runs_.push_back(std::move(run));
}

Status Scheduler::RunOnce() {
  Status first = Status::Ok();
  auto note = [&](const Status& st) {
    if (!st.ok() && first.ok()) first = st;
  };

  std::vector<FinishedRun> runs;
  {
    MutexLock lock(mu_);
    runs.swap(runs_);
  }
  for (size_t i = 0; i < runs.size(); ++i) {
    const FinishedRun& r = runs[i];
    Status st = store_->ScheduleRecordRun(r.schedule, r.success, r.at);
    if (st.code() == StatusCode::kUnavailable) {
      // Keep the rest for the next iteration rather than losing them.
      MutexLock lock(mu_);
      runs_.insert(runs_.begin(), runs.begin() + static_cast<std::ptrdiff_t>(i), runs.end());
      note(st);
      break;
    }
    // kNotFound: the schedule was deleted since; nothing to record.
    if (!st.ok() && st.code() != StatusCode::kNotFound) note(st);
    if (options_.schedule_observer) {
      options_.schedule_observer->OnScheduleRunFinished(r.schedule, r.job_id, r.success);
    }
  }

  // Fire until a batch comes back short: a backlog of many due schedules is
  // worked off now, not one batch per sleep.
  for (int batch = 0; batch < 100; ++batch) {
    auto fired = store_->ScheduleFireDue(options_.clock->Now(), options_.fire_limit);
    if (!fired.ok()) {
      note(fired.status());
      break;
    }
    for (const ScheduleFireResult& r : *fired) {
      if (!r.error.empty()) {
        log::Error("schedule stopped: its cron no longer parses",
                   {{"schedule", r.name}, {"error", r.error}});
      } else if (r.truncated) {
        log::Warn("schedule catch-up truncated to max_catch_up",
                  {{"schedule", r.name}, {"fired", r.fire_times.size()}});
      }
      for (size_t i = 0; i < r.fire_times.size(); ++i) {
        log::Info("schedule fired", {{"schedule", r.name},
                                     {"fire_time", FormatTimestamp(r.fire_times[i])},
                                     {"job_id", r.job_ids[i]}});
      }
      if (r.skipped > 0) log::Info("schedule fires skipped", {{"schedule", r.name}, {"skipped", r.skipped}});
      if (options_.schedule_observer) options_.schedule_observer->OnScheduleFired(r);
    }
    if (static_cast<int>(fired->size()) < options_.fire_limit) break;
  }

  auto transitions = store_->CheckEvaluate(options_.clock->Now());
  if (!transitions.ok()) {
    note(transitions.status());
  } else {
    for (const CheckTransition& t : *transitions) {
      const bool bad = t.to == CheckState::kDown;
      (bad ? log::Warn : log::Info)(
          "check state changed", {{"check", t.name},
                                  {"from", CheckStateName(t.from)},
                                  {"to", CheckStateName(t.to)},
                                  {"reason", t.reason}});
      if (options_.schedule_observer) options_.schedule_observer->OnCheckStateChanged(t);
    }
  }
  return first;
}

Micros Scheduler::SleepFor() {
  auto next = store_->ScheduleNextFireAt();
  if (!next.ok() || !next->has_value()) return options_.max_sleep;
  Micros d = **next - options_.clock->Now();
  return std::clamp(d, Micros(0), options_.max_sleep);
}

void Scheduler::Loop() {
  while (true) {
    {
      MutexLock lock(mu_);
      if (stopping_) break;
    }
    Status st = RunOnce();
    if (options_.observer) {
      if (!st.ok()) {
        options_.observer->OnStoreError("scheduler", st);
        store_failing_ = true;
      } else if (store_failing_) {
        options_.observer->OnStoreRecovered("scheduler");
        store_failing_ = false;
      }
      options_.observer->OnLoopTick("scheduler");
    }
    if (!st.ok()) {
      (StoreOutageLog::Failed("scheduler", st) ? log::Warn : log::Debug)("scheduler: store call failed",
                                                                        {{"error", st.ToString()}});
    }
    // A failing store is retried after max_sleep, not in a tight loop.
    Micros sleep = st.ok() ? SleepFor() : options_.max_sleep;
    auto deadline = std::chrono::steady_clock::now() + sleep;
    MutexLock lock(mu_);
    while (!stopping_ && !wake_) {
      if (!lock.WaitUntil(cv_, deadline)) break;
    }
    wake_ = false;
  }
}

}  // namespace steward
