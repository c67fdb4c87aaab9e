#include "watch/metrics.h"

#include <chrono>

#include <prometheus/text_serializer.h>

namespace steward {

namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

// Histograms are per queue, not per queue and kind: their buckets are most
// of the exposition, and a kind's latency is rarely the question a dashboard
// asks (the counters keep the kind). Few buckets, a factor of ~3-5 apart.
//
// Handler run times: from sub-10 ms jobs to the 30 min default timeout.
const prometheus::Histogram::BucketBoundaries& DurationBuckets() {
  static const auto* b = new prometheus::Histogram::BucketBoundaries{
      0.01, 0.05, 0.25, 1, 5, 30, 120, 600, 1800};
  return *b;
}

// Queue latency: a healthy queue starts jobs within the poll interval (1 s);
// the long tail shows backlogs worth alerting on.
const prometheus::Histogram::BucketBoundaries& WaitBuckets() {
  static const auto* b = new prometheus::Histogram::BucketBoundaries{
      0.01, 0.1, 0.5, 1, 5, 30, 120, 600, 3600};
  return *b;
}

double ToSeconds(Micros d) { return std::chrono::duration<double>(d).count(); }

constexpr const char* kStates[] = {"scheduled", "available", "running", "retryable",
                                   "completed", "discarded", "cancelled"};

}  // namespace

std::string LabelLimiter::operator()(const std::string& value) {
  std::lock_guard lock(mu_);
  if (seen_.count(value)) return value;
  if (seen_.size() >= cap_) return "other";
  seen_.insert(value);
  return value;
}

MetricsObserver::MetricsObserver(MetricsOptions options)
    : options_(std::move(options)),
      registry_(std::make_shared<prometheus::Registry>()),
      queues_(options_.max_label_values),
      kinds_(options_.max_kinds),
      started_(BuildCounter()
                   .Name("steward_jobs_started_total")
                   .Help("Job attempts started (handler invoked).")
                   .Register(*registry_)),
      completed_(BuildCounter()
                     .Name("steward_jobs_completed_total")
                     .Help("Job attempts that succeeded.")
                     .Register(*registry_)),
      failed_(BuildCounter()
                  .Name("steward_jobs_failed_total")
                  .Help("Job attempts that failed (retryable or discarded).")
                  .Register(*registry_)),
      retried_(BuildCounter()
                   .Name("steward_jobs_retried_total")
                   .Help("Failed attempts that will be retried.")
                   .Register(*registry_)),
      discarded_(BuildCounter()
                     .Name("steward_jobs_discarded_total")
                     .Help("Jobs discarded: attempts exhausted or a permanent failure.")
                     .Register(*registry_)),
      cancelled_(BuildCounter()
                     .Name("steward_jobs_cancelled_total")
                     .Help("Running jobs that ended cancelled.")
                     .Register(*registry_)),
      snoozed_(BuildCounter()
                   .Name("steward_jobs_snoozed_total")
                   .Help("Attempts that asked to run again later (not counted as attempts).")
                   .Register(*registry_)),
      rescued_(BuildCounter()
                   .Name("steward_jobs_rescued_total")
                   .Help("Running jobs returned after their worker stopped heartbeating.")
                   .Register(*registry_)),
      enqueued_(BuildCounter()
                    .Name("steward_jobs_enqueued_total")
                    .Help("Jobs inserted through the HTTP API (duplicates excluded).")
                    .Register(*registry_)),
      store_errors_(BuildCounter()
                        .Name("steward_store_errors_total")
                        .Help("Failed store calls made by runtime loops.")
                        .Register(*registry_)),
      duration_(BuildHistogram()
                    .Name("steward_job_duration_seconds")
                    .Help("Handler run time per attempt, per queue.")
                    .Register(*registry_)),
      wait_(BuildHistogram()
                .Name("steward_job_wait_seconds")
                .Help("Time from a job becoming due (run_at or enqueue) to its start, per queue.")
                .Register(*registry_)),
      queue_jobs_(BuildGauge()
                      .Name("steward_queue_jobs")
                      .Help("Jobs per queue and state (refreshed every few seconds).")
                      .Register(*registry_)),
      queue_oldest_due_age_(BuildGauge()
                                .Name("steward_queue_oldest_due_age_seconds")
                                .Help("Age of the oldest due, unstarted job per queue (0 if none).")
                                .Register(*registry_)),
      queue_paused_(BuildGauge()
                        .Name("steward_queue_paused")
                        .Help("1 if the queue is paused.")
                        .Register(*registry_)),
      store_up_(BuildGauge()
                    .Name("steward_store_up")
                    .Help("1 if the last database check succeeded.")
                    .Register(*registry_)
                    .Add({})),
      pool_connections_(BuildGauge()
                            .Name("steward_db_pool_connections")
                            .Help("Database pool connections by state (in_use, idle).")
                            .Register(*registry_)),
      pool_waiters_(BuildGauge()
                        .Name("steward_db_pool_waiters")
                        .Help("Callers waiting for a database connection.")
                        .Register(*registry_)
                        .Add({})),
      pool_wait_seconds_(BuildCounter()
                             .Name("steward_db_pool_wait_seconds_total")
                             .Help("Total time callers waited for a database connection.")
                             .Register(*registry_)
                             .Add({})),
      pool_leaks_(BuildCounter()
                      .Name("steward_db_pool_leaks_detected_total")
                      .Help("Connections held longer than the leak threshold.")
                      .Register(*registry_)
                      .Add({})),
      check_state_(BuildGauge()
                       .Name("steward_check_state")
                       .Help("1 for the check's current state (new, up, late, down, paused), 0 for the others.")
                       .Register(*registry_)),
      check_last_success_(BuildGauge()
                              .Name("steward_check_last_success_timestamp_seconds")
                              .Help("Time of the check's last success ping (or its schedule's last "
                                    "successful job), since the Unix epoch.")
                              .Register(*registry_)) {
  BuildGauge()
      .Name("steward_build_info")
      .Help("Build information; the value is always 1.")
      .Register(*registry_)
      .Add({{"version", options_.version}, {"backend", options_.backend}})
      .Set(1);
  // The observer is created at process start by `steward serve`, so its
  // construction time stands in for the process start time.
  BuildGauge()
      .Name("steward_process_start_time_seconds")
      .Help("Start time of the process since the Unix epoch, in seconds.")
      .Register(*registry_)
      .Add({})
      .Set(std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
               .count());
  pool_connections_.Add({{"state", "in_use"}});
  pool_connections_.Add({{"state", "idle"}});
}

prometheus::Labels MetricsObserver::JobLabels(const std::string& queue, const std::string& kind) {
  return {{"queue", queues_(queue)}, {"kind", kinds_(kind)}};
}

void MetricsObserver::OnJobStarted(const Job& job, Micros wait) {
  auto labels = JobLabels(job.queue, job.kind);
  started_.Add(labels).Increment();
  wait_.Add({{"queue", labels.at("queue")}}, WaitBuckets()).Observe(std::max(0.0, ToSeconds(wait)));
}

void MetricsObserver::OnJobFinished(const Job& job, JobState new_state, Micros duration,
                                    const AttemptError* error) {
  (void)error;
  auto labels = JobLabels(job.queue, job.kind);
  duration_.Add({{"queue", labels.at("queue")}}, DurationBuckets())
      .Observe(std::max(0.0, ToSeconds(duration)));
  switch (new_state) {
    case JobState::kCompleted:
      completed_.Add(labels).Increment();
      break;
    case JobState::kRetryable:
      failed_.Add(labels).Increment();
      retried_.Add(labels).Increment();
      break;
    case JobState::kDiscarded:
      failed_.Add(labels).Increment();
      discarded_.Add(labels).Increment();
      break;
    case JobState::kCancelled:
      cancelled_.Add(labels).Increment();
      break;
    case JobState::kScheduled:
    case JobState::kAvailable:
      snoozed_.Add(labels).Increment();
      break;
    case JobState::kRunning:
      break;
  }
}

void MetricsObserver::OnJobsRescued(const std::vector<RescuedJob>& jobs) {
  for (const auto& j : jobs) rescued_.Add(JobLabels(j.queue, j.kind)).Increment();
}

void MetricsObserver::OnStoreError(std::string_view loop, const Status& status) {
  (void)status;
  // Loop names are bounded: fixed names plus "fetcher:<configured queue>".
  store_errors_.Add({{"loop", std::string(loop)}}).Increment();
}

void MetricsObserver::CountEnqueued(const std::string& queue, int64_t n) {
  if (n <= 0) return;
  enqueued_.Add({{"queue", queues_(queue)}}).Increment(static_cast<double>(n));
}

void MetricsObserver::SetQueueStats(const std::vector<QueueStats>& stats) {
  std::lock_guard lock(gauges_mu_);
  std::set<std::string> now_seen;
  for (const auto& s : stats) {
    std::string q = queues_(s.queue);
    // Several queues folded into "other" would overwrite each other; the
    // per-queue gauges of folded queues are dropped instead of being wrong.
    if (q == "other" && s.queue != "other") continue;
    now_seen.insert(q);
    const int64_t counts[] = {s.scheduled, s.available, s.running,  s.retryable,
                              s.completed, s.discarded, s.cancelled};
    for (size_t i = 0; i < std::size(kStates); ++i) {
      queue_jobs_.Add({{"queue", q}, {"state", kStates[i]}}).Set(static_cast<double>(counts[i]));
    }
    queue_oldest_due_age_.Add({{"queue", q}})
        .Set(s.oldest_due_age ? std::max(0.0, ToSeconds(*s.oldest_due_age)) : 0.0);
    queue_paused_.Add({{"queue", q}}).Set(s.paused ? 1 : 0);
  }
  for (const auto& q : gauge_queues_) {
    if (now_seen.count(q)) continue;
    for (const char* st : kStates) queue_jobs_.Add({{"queue", q}, {"state", st}}).Set(0);
    queue_oldest_due_age_.Add({{"queue", q}}).Set(0);
    queue_paused_.Add({{"queue", q}}).Set(0);
    now_seen.insert(q);  // keep reporting zeros rather than vanishing mid-graph
  }
  gauge_queues_ = std::move(now_seen);
}

void MetricsObserver::SetChecks(const std::vector<Check>& checks) {
  static constexpr CheckState kCheckStates[] = {CheckState::kNew, CheckState::kUp, CheckState::kLate,
                                                CheckState::kDown, CheckState::kPaused};
  std::lock_guard lock(gauges_mu_);
  std::set<std::string> now_seen;
  for (const auto& c : checks) {
    const std::string& name = c.spec.name;
    now_seen.insert(name);
    for (CheckState st : kCheckStates) {
      check_state_.Add({{"check", name}, {"state", std::string(CheckStateName(st))}})
          .Set(c.state == st ? 1 : 0);
    }
    if (c.last_success_at) {
      check_last_success_.Add({{"check", name}}).Set(ToSeconds(c.last_success_at->time_since_epoch()));
    }
  }
  // A check deleted from the configuration stops existing: its series go
  // too, so no alert keeps firing on a stale "down".
  for (const auto& name : gauge_checks_) {
    if (now_seen.count(name)) continue;
    for (CheckState st : kCheckStates) {
      check_state_.Remove(&check_state_.Add({{"check", name}, {"state", std::string(CheckStateName(st))}}));
    }
    check_last_success_.Remove(&check_last_success_.Add({{"check", name}}));
  }
  gauge_checks_ = std::move(now_seen);
}

void MetricsObserver::SetStoreUp(bool up) { store_up_.Set(up ? 1 : 0); }

void MetricsObserver::SetPoolStats(const DbPoolNumbers& n) {
  std::lock_guard lock(gauges_mu_);
  pool_connections_.Add({{"state", "in_use"}}).Set(static_cast<double>(n.in_use));
  pool_connections_.Add({{"state", "idle"}}).Set(static_cast<double>(n.idle));
  pool_waiters_.Set(static_cast<double>(n.waiters));
  // The provider reports cumulative totals; counters only move forward, so
  // add the growth (a pool re-created with lower totals adds nothing).
  if (n.wait_seconds_total > last_pool_.wait_seconds_total) {
    pool_wait_seconds_.Increment(n.wait_seconds_total - last_pool_.wait_seconds_total);
  }
  if (n.leaks_detected_total > last_pool_.leaks_detected_total) {
    pool_leaks_.Increment(static_cast<double>(n.leaks_detected_total - last_pool_.leaks_detected_total));
  }
  last_pool_ = n;
}

std::string MetricsObserver::Render() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

std::string MetricsObserver::RenderForScrape() {
  const Clock& clock = options_.clock ? *options_.clock : SystemClock();
  std::lock_guard lock(scrape_mu_);
  Timestamp now = clock.Now();
  // A clock that stepped backwards also re-renders.
  if (!scrape_at_ || now < *scrape_at_ || now - *scrape_at_ >= options_.scrape_cache) {
    scrape_text_ = Render();
    scrape_at_ = now;
  }
  return scrape_text_;
}

}  // namespace steward
