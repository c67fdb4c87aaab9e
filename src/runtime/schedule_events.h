// ScheduleObserver: how the scheduler tells the rest of Steward about
// schedules and checks (dead-man's switches). Kept apart from
// RuntimeObserver (observer.h) so the alerting module can implement it
// without touching the job events.
//
// Callbacks run on the scheduler thread: they must be quick, thread-safe
// and must not throw or call back into the scheduler. Every event is raised
// on exactly one node: check transitions are claimed in the same
// transaction that marks them told (CheckEvaluate), and fire results come
// from the node whose transaction fired.
#pragma once

#include <string_view>
#include <vector>

#include "steward/job.h"
#include "store/schedule_store.h"

namespace steward {

class ScheduleObserver {
 public:
  virtual ~ScheduleObserver() = default;

  // A check changed state since observers last heard (t.from is the state
  // they were told before). Alerting rule of thumb:
  //   to == kDown                 -> open an alert ("check X is down",
  //                                  t.reason says why; t.schedule is set for
  //                                  a schedule's own check, whose failed final
  //                                  attempt is a fail ping: "runs keep failing")
  //   from == kDown && to == kUp  -> resolve it (recovery)
  //   kLate is informational (the expected ping is overdue, grace running);
  //   kPaused / kNew come from pause, resume and config changes.
  virtual void OnCheckStateChanged(const CheckTransition& t) { (void)t; }
  // A schedule was due: jobs inserted (r.fire_times / r.job_ids), fires
  // skipped by the overlap policy (r.skipped), earlier jobs cancelled by
  // kReplace (r.cancelled), catch-up capped (r.truncated), or the stored cron
  // no longer parses (r.error, the schedule is stopped).
  virtual void OnScheduleFired(const ScheduleFireResult& r) { (void)r; }
  // A job of a schedule finished for good: success, or its final attempt
  // failed (discarded). Recorded in the schedule and its check first.
  virtual void OnScheduleRunFinished(std::string_view schedule, int64_t job_id, bool success) {
    (void)schedule;
    (void)job_id;
    (void)success;
  }
};

// Forwards to several observers (alerts + metrics + tests).
class ScheduleObserverFanout final : public ScheduleObserver {
 public:
  explicit ScheduleObserverFanout(std::vector<ScheduleObserver*> targets)
      : targets_(std::move(targets)) {}
  void OnCheckStateChanged(const CheckTransition& t) override {
    for (auto* o : targets_) o->OnCheckStateChanged(t);
  }
  void OnScheduleFired(const ScheduleFireResult& r) override {
    for (auto* o : targets_) o->OnScheduleFired(r);
  }
  void OnScheduleRunFinished(std::string_view s, int64_t id, bool ok) override {
    for (auto* o : targets_) o->OnScheduleRunFinished(s, id, ok);
  }

 private:
  std::vector<ScheduleObserver*> targets_;
};

}  // namespace steward
