#include "watch/activity_rollup.h"

#include "core/log.h"
#include "runtime/store_outage.h"

namespace steward {

namespace {

Timestamp MinuteOf(Timestamp t) {
  return Timestamp(std::chrono::floor<std::chrono::minutes>(t).time_since_epoch());
}

}  // namespace

void AddStats(JobStatsRow& into, const JobStatsRow& delta) {
  into.completed += delta.completed;
  into.failed += delta.failed;
  into.discarded += delta.discarded;
  into.cancelled += delta.cancelled;
  for (int i = 0; i < kWaitBuckets; ++i) into.wait[i] += delta.wait[i];
}

JobStatsRow* RollupBuffer::Row(Timestamp at, const std::string& queue) {
  const Timestamp minute = MinuteOf(at);
  Key key{ToMicros(minute), queue};
  if (auto it = rows_.find(key); it != rows_.end()) return &it->second;
  // Full: the oldest minute goes, unless this one is older still.
  while (!rows_.empty() && rows_.size() >= max_rows_) {
    if (key < rows_.begin()->first) break;
    rows_.erase(rows_.begin());
    ++dropped_;
  }
  if (rows_.size() >= max_rows_) {
    ++dropped_;
    return nullptr;
  }
  JobStatsRow& r = rows_[std::move(key)];
  r.bucket_start = minute;
  r.queue = queue;
  return &r;
}

void RollupBuffer::DropOldestBeyondMax() {
  while (rows_.size() > max_rows_) {
    rows_.erase(rows_.begin());
    ++dropped_;
  }
}

void RollupBuffer::AddStarted(Timestamp at, const std::string& queue, Micros wait) {
  const int bucket = WaitBucket(wait);
  if (bucket < 0 || bucket >= kWaitBuckets) return;
  if (JobStatsRow* r = Row(at, queue)) ++r->wait[bucket];
}

void RollupBuffer::AddFinished(Timestamp at, const std::string& queue, JobState new_state) {
  // A snooze (back to scheduled) is not an outcome: nothing to count.
  if (new_state != JobState::kCompleted && new_state != JobState::kRetryable &&
      new_state != JobState::kDiscarded && new_state != JobState::kCancelled) {
    return;
  }
  JobStatsRow* r = Row(at, queue);
  if (r == nullptr) return;
  r->completed += new_state == JobState::kCompleted;
  r->failed += new_state == JobState::kRetryable || new_state == JobState::kDiscarded;
  r->discarded += new_state == JobState::kDiscarded;
  r->cancelled += new_state == JobState::kCancelled;
}

void RollupBuffer::AddRescued(Timestamp at, const std::string& queue, JobState new_state) {
  JobStatsRow* r = Row(at, queue);
  if (r == nullptr) return;
  ++r->failed;  // the attempt was lost with its worker
  if (new_state == JobState::kDiscarded) ++r->discarded;
}

std::vector<JobStatsRow> RollupBuffer::Take() {
  std::vector<JobStatsRow> out;
  out.reserve(rows_.size());
  for (auto& [key, row] : rows_) out.push_back(std::move(row));
  rows_.clear();
  return out;
}

void RollupBuffer::PutBack(const std::vector<JobStatsRow>& rows) {
  for (const JobStatsRow& r : rows) {
    auto [it, inserted] = rows_.try_emplace(Key{ToMicros(r.bucket_start), r.queue}, r);
    if (!inserted) AddStats(it->second, r);
  }
  DropOldestBeyondMax();
}

ActivityRollup::ActivityRollup(std::shared_ptr<Store> store, ActivityRollupOptions options)
    : store_(std::move(store)), options_(options), buffer_(options.max_pending_rows) {
  if (!options_.clock) options_.clock = &SystemClock();
  // A zero interval would spin the flush thread.
  if (options_.flush_interval <= Micros(0)) options_.flush_interval = ActivityRollupOptions{}.flush_interval;
}

ActivityRollup::~ActivityRollup() { Stop(); }

void ActivityRollup::OnJobStarted(const Job& job, Micros wait) {
  const Timestamp now = options_.clock->Now();
  std::lock_guard lock(mu_);
  buffer_.AddStarted(now, job.queue, wait);
}

void ActivityRollup::OnJobFinished(const Job& job, JobState new_state, Micros, const AttemptError*) {
  const Timestamp now = options_.clock->Now();
  std::lock_guard lock(mu_);
  buffer_.AddFinished(now, job.queue, new_state);
}

void ActivityRollup::OnJobsRescued(const std::vector<RescuedJob>& jobs) {
  const Timestamp now = options_.clock->Now();
  std::lock_guard lock(mu_);
  for (const RescuedJob& j : jobs) buffer_.AddRescued(now, j.queue, j.new_state);
}

size_t ActivityRollup::pending_rows() {
  std::lock_guard lock(mu_);
  return buffer_.size();
}

Status ActivityRollup::Flush() {
  std::lock_guard flush_lock(flush_mu_);
  std::vector<JobStatsRow> rows;
  {
    std::lock_guard lock(mu_);
    rows = buffer_.Take();
  }
  Status st = rows.empty() ? Status::Ok() : store_->StatsMerge(rows);
  int64_t dropped = 0;
  size_t pending = 0;
  if (!st.ok()) {
    std::lock_guard lock(mu_);
    buffer_.PutBack(rows);
    pending = buffer_.size();
  }
  {
    std::lock_guard lock(mu_);
    dropped = buffer_.TakeDropped();
  }
  if (dropped > 0) {
    log::Warn("activity rollups: dropped the oldest pending rows to stay bounded",
              {{"rows", dropped}, {"max_pending_rows", options_.max_pending_rows}});
  }
  if (!st.ok()) {
    failing_ = true;
    (StoreOutageLog::Failed("rollup", st) ? log::Warn : log::Debug)(
        "activity rollups: flush failed; kept for the next try",
        {{"pending_rows", pending}, {"error", st.ToString()}});
    return st;
  }
  if (rows.empty()) return st;
  StoreOutageLog::Succeeded();
  if (failing_) {
    failing_ = false;
    log::Info("activity rollups: flushed again", {{"rows", rows.size()}});
  }
  return st;
}

void ActivityRollup::Start() {
  std::lock_guard lock(loop_mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void ActivityRollup::Stop() {
  {
    std::lock_guard lock(loop_mu_);
    if (!thread_.joinable()) return;
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  // The worker stopped before: its last outcomes are in the buffer.
  (void)Flush();
}

void ActivityRollup::Run() {
  for (;;) {
    {
      std::unique_lock lock(loop_mu_);
      if (cv_.wait_for(lock, options_.flush_interval, [&] { return stop_; })) return;
    }
    (void)Flush();
  }
}

}  // namespace steward
