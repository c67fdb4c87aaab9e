// ObserverFanout: one RuntimeObserver (steward/observer.h) that forwards every
// event to several, so the daemon can count, alert and report health at once.
#pragma once

#include <vector>

#include "steward/observer.h"

namespace steward {

class ObserverFanout final : public RuntimeObserver {
 public:
  explicit ObserverFanout(std::vector<RuntimeObserver*> targets) : targets_(std::move(targets)) {}
  void OnLoopTick(std::string_view loop) override {
    for (auto* t : targets_) t->OnLoopTick(loop);
  }
  void OnLoopStopped(std::string_view loop) override {
    for (auto* t : targets_) t->OnLoopStopped(loop);
  }
  void OnStoreError(std::string_view loop, const Status& s) override {
    for (auto* t : targets_) t->OnStoreError(loop, s);
  }
  void OnStoreRecovered(std::string_view loop) override {
    for (auto* t : targets_) t->OnStoreRecovered(loop);
  }
  void OnJobStarted(const Job& job, Micros wait) override {
    for (auto* t : targets_) t->OnJobStarted(job, wait);
  }
  void OnJobFinished(const Job& job, JobState st, Micros d, const AttemptError* e) override {
    for (auto* t : targets_) t->OnJobFinished(job, st, d, e);
  }
  void OnJobsRescued(const std::vector<RescuedJob>& jobs) override {
    for (auto* t : targets_) t->OnJobsRescued(jobs);
  }

 private:
  std::vector<RuntimeObserver*> targets_;
};

}  // namespace steward
