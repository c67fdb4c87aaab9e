#include "watch/alerter.h"

namespace steward {

namespace {

AlertWriteBufferOptions BufferOptions(const AlerterOptions& o, Clock* clock,
                                      std::function<void(const Status&)> on_store_error) {
  AlertWriteBufferOptions b;
  b.channels = o.channels;
  b.repeat_interval = o.repeat_interval;
  b.group_wait = o.group_wait;
  b.clock = clock;
  b.on_enqueued = o.on_enqueued;
  b.on_store_error = std::move(on_store_error);
  return b;
}

AlertEvaluatorOptions EvaluatorOptions(const AlerterOptions& o) {
  AlertEvaluatorOptions e;
  e.channels = o.channels;
  e.pool_stats = o.pool_stats;
  e.digest = o.digest;
  e.on_enqueued = o.on_enqueued;
  return e;
}

}  // namespace

Alerter::Alerter(std::shared_ptr<Store> store, AlerterOptions options)
    : options_(std::move(options)),
      clock_(options_.clock ? options_.clock : &SystemClock()),
      // A failed write is an outage for the db_unreachable rule. The
      // callback runs only on writes, after events_ has been built.
      buffer_(store,
              BufferOptions(options_, clock_,
                            [this](const Status& s) { events_.OnStoreError(kLoopName, s); })),
      events_(options_.rules, *clock_, buffer_),
      evaluator_(store, options_.rules, EvaluatorOptions(options_), *clock_, events_, buffer_) {}

Alerter::~Alerter() { Stop(); }

void Alerter::OnJobFinished(const Job& job, JobState new_state, Micros, const AttemptError* error) {
  events_.OnJobFinished(job, new_state, error);
}

void Alerter::OnJobsRescued(const std::vector<RescuedJob>& jobs) { events_.OnJobsRescued(jobs); }

void Alerter::OnStoreError(std::string_view loop, const Status& status) {
  events_.OnStoreError(loop, status);
}

void Alerter::OnStoreRecovered(std::string_view) { events_.OnStoreRecovered(); }

void Alerter::OnCheckDown(const std::string& name, const std::string& detail) {
  events_.OnCheckDown(name, detail);
}

void Alerter::OnCheckUp(const std::string& name) { events_.OnCheckUp(name); }

void Alerter::OnCheckStateChanged(const CheckTransition& t) { events_.OnCheckStateChanged(t); }

void Alerter::OnScheduleFired(const ScheduleFireResult& r) {
  if (!r.error.empty()) events_.OnScheduleBroken(r.name, r.error);
}

void Alerter::Fire(const std::string& rule, const AlertLabels& labels, const std::string& summary,
                   const std::string& detail, std::optional<int64_t> job_id, int64_t count,
                   const std::string& severity) {
  events_.Fire(rule, labels, summary, detail, job_id, count, severity);
}

void Alerter::Resolve(const std::string& rule, const AlertLabels& labels,
                      const std::string& detail) {
  events_.Resolve(rule, labels, detail);
}

Status Alerter::Flush() { return buffer_.Write(/*force=*/true); }

void Alerter::Evaluate() { evaluator_.Evaluate(); }

void Alerter::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void Alerter::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
    (void)buffer_.Write(/*force=*/true);  // one last try for what was gathering
    if (options_.health) options_.health->OnLoopStopped(kLoopName);
  }
}

void Alerter::Run() {
  auto last_eval = std::chrono::steady_clock::now();
  while (true) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, options_.flush_interval, [&] { return stop_; });
      if (stop_) return;
    }
    if (std::chrono::steady_clock::now() - last_eval >= options_.eval_interval) {
      last_eval = std::chrono::steady_clock::now();
      evaluator_.Evaluate();
    }
    (void)buffer_.Write(/*force=*/false);
    if (options_.health) options_.health->OnLoopTick(kLoopName);
  }
}

}  // namespace steward
