#include "runtime/queue_slots.h"

#include <algorithm>

namespace steward {

namespace {
// Under load, claim once this share of the capacity (slots + claim-ahead,
// up to a claim batch) is free: one claim per freed slot would turn a
// saturated queue into thousands of one-row transactions.
constexpr int kRefillDivisor = 4;
}  // namespace

QueueSlots::QueueSlots(QueueOptions options, int claim_batch, int prefetch)
    : options_(std::move(options)),
      fetcher_name_("fetcher:" + options_.name),
      claim_batch_(claim_batch),
      prefetch_(prefetch),
      ahead_(prefetch) {}

int QueueSlots::Free() const { return options_.concurrency + ahead_ - in_flight_; }

bool QueueSlots::ShouldClaim() const {
  int capacity = options_.concurrency + ahead_;
  int refill_threshold = std::max(1, std::min(capacity, claim_batch_) / kRefillDivisor);
  int free = Free();
  return free >= refill_threshold || (free > 0 && ready_.empty());
}

int QueueSlots::AwaitClaim(const std::atomic<bool>& stopping, Micros poll,
                           const std::function<void()>& tick) {
  MutexLock lock(mu_);
  while (!stopping.load() && !ShouldClaim()) {
    lock.WaitFor(fetch_cv_, poll);
    tick();
  }
  if (stopping.load()) return 0;
  wake_ = false;
  return std::min(Free(), claim_batch_);
}

void QueueSlots::Push(std::vector<std::shared_ptr<RunningJob>> jobs, bool more_due) {
  {
    MutexLock lock(mu_);
    if (more_due && idle_executors_ > 0 && ready_.empty() && ahead_ < prefetch_) {
      ahead_ = std::min(prefetch_, std::max(1, ahead_ * 2));
    }
    for (auto& rj : jobs) ready_.push_back(std::move(rj));
    in_flight_ += static_cast<int>(jobs.size());
    // One wake-up, not one per job nor a broadcast: the woken executor
    // passes it on while jobs are left (TakeLocked).
    WakeOneIfNeeded();
  }
}

void QueueSlots::WakeOneIfNeeded() {
  if (waking_ == 0 && idle_executors_ > 0 && !ready_.empty()) {
    ++waking_;
    exec_cv_.notify_one();
  }
}

void QueueSlots::SleepUnlessWoken(Micros wait, const std::atomic<bool>& stopping) {
  auto deadline = Steady::now() + wait;
  MutexLock lock(mu_);
  while (!stopping.load() && !wake_) {
    if (!lock.WaitUntil(fetch_cv_, deadline)) break;
  }
}

void QueueSlots::SleepUnlessStopping(Micros wait, const std::atomic<bool>& stopping) {
  auto deadline = Steady::now() + wait;
  MutexLock lock(mu_);
  while (!stopping.load()) {
    if (!lock.WaitUntil(fetch_cv_, deadline)) break;
  }
}

void QueueSlots::Wake() {
  {
    MutexLock lock(mu_);
    wake_ = true;
  }
  fetch_cv_.notify_one();
}

void QueueSlots::WakeForStop() {
  // Taking the mutex orders the caller's store to `stopping` before the
  // fetcher's next check, so the notification cannot be lost.
  { MutexLock lock(mu_); }
  fetch_cv_.notify_all();
}

void QueueSlots::SetExecutors(int n) {
  MutexLock lock(mu_);
  live_executors_ = n;
}

std::shared_ptr<RunningJob> QueueSlots::Take() {
  MutexLock lock(mu_);
  return TakeLocked(lock);
}

std::shared_ptr<RunningJob> QueueSlots::TakeLocked(MutexLock& lock) {
  while (ready_.empty() && !exec_stop_) {
    ++idle_executors_;
    lock.Wait(exec_cv_);
    --idle_executors_;
    // Notified or not (a spurious wake-up), this executor is awake now.
    if (waking_ > 0) --waking_;
  }
  if (ready_.empty()) return nullptr;
  auto rj = std::move(ready_.front());
  ready_.pop_front();
  WakeOneIfNeeded();
  return rj;
}

std::shared_ptr<RunningJob> QueueSlots::FinishAndTake() {
  MutexLock lock(mu_);
  --in_flight_;
  if (ShouldClaim()) fetch_cv_.notify_one();
  if (in_flight_ == 0) idle_cv_.notify_all();
  return TakeLocked(lock);
}

void QueueSlots::ExecutorExited() {
  MutexLock lock(mu_);
  --live_executors_;
  idle_cv_.notify_all();
}

std::deque<std::shared_ptr<RunningJob>> QueueSlots::TakeHeldSince(Steady::time_point cutoff) {
  std::deque<std::shared_ptr<RunningJob>> stale;
  {
    MutexLock lock(mu_);
    // Claimed in order, so the oldest are in front.
    while (!ready_.empty() && ready_.front()->claimed_at < cutoff) {
      stale.push_back(std::move(ready_.front()));
      ready_.pop_front();
    }
    if (stale.empty()) return stale;
    in_flight_ -= static_cast<int>(stale.size());
    ahead_ /= 2;
  }
  // Slots freed, though the smaller claim-ahead may not want them yet.
  fetch_cv_.notify_one();
  return stale;
}

bool QueueSlots::HoldsJobs() const {
  MutexLock lock(mu_);
  return !ready_.empty();
}

int QueueSlots::ahead() const {
  MutexLock lock(mu_);
  return ahead_;
}

std::deque<std::shared_ptr<RunningJob>> QueueSlots::DrainReady() {
  std::deque<std::shared_ptr<RunningJob>> ready;
  MutexLock lock(mu_);
  ready.swap(ready_);
  in_flight_ -= static_cast<int>(ready.size());
  return ready;
}

bool QueueSlots::AwaitIdle(Steady::time_point deadline) {
  MutexLock lock(mu_);
  while (in_flight_ > 0) {
    if (!lock.WaitUntil(idle_cv_, deadline)) return in_flight_ == 0;
  }
  return true;
}

void QueueSlots::StopExecutors() {
  {
    MutexLock lock(mu_);
    exec_stop_ = true;
  }
  exec_cv_.notify_all();
}

bool QueueSlots::AwaitExecutorsExited(Steady::time_point deadline) {
  MutexLock lock(mu_);
  while (live_executors_ > 0) {
    if (!lock.WaitUntil(idle_cv_, deadline)) return live_executors_ == 0;
  }
  return true;
}

}  // namespace steward
