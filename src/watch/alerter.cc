#include "watch/alerter.h"

#include <nlohmann/json.hpp>

#include "core/json_limits.h"
#include "core/log.h"
#include "runtime/store_outage.h"

namespace steward {

using Steady = std::chrono::steady_clock;

Alerter::Alerter(std::shared_ptr<Store> store, AlerterOptions options)
    : store_(std::move(store)),
      options_(std::move(options)),
      clock_(options_.clock ? options_.clock : &SystemClock()),
      labels_(options_.rules.max_label_values),
      ratio_window_(options_.rules.failure_ratio_window) {
  if (options_.digest.enabled) {
    auto d = Digest::Make(options_.digest);
    if (d.ok()) {
      digest_ = std::move(d).value();
    } else {
      log::Error("daily digest disabled: invalid configuration", {{"error", d.status().ToString()}});
    }
  }
}

Alerter::~Alerter() { Stop(); }

void Alerter::Enqueue(const std::string& fingerprint, Op op) {
  std::lock_guard lock(mu_);
  auto& ops = pending_[fingerprint];
  // Consecutive occurrences merge into one write with a count: this is what
  // bounds a storm to one database write (and one message) per flush.
  if (!op.resolve && !ops.empty() && !ops.back().resolve) {
    Op& last = ops.back();
    last.count += op.count;
    if (!op.detail.empty()) last.detail = std::move(op.detail);
    if (!op.summary.empty()) last.summary = std::move(op.summary);
    if (op.job_id) last.job_id = op.job_id;
    return;
  }
  if (op.resolve && !ops.empty() && ops.back().resolve) return;
  // Bounded: a fingerprint flapping while the database is down keeps only
  // its latest few transitions.
  if (ops.size() >= 16) ops.pop_front();
  ops.push_back(std::move(op));
}

void Alerter::Fire(const std::string& rule, const AlertLabels& labels, const std::string& summary,
                   const std::string& detail, std::optional<int64_t> job_id, int64_t count,
                   const std::string& severity) {
  AlertLabels capped;
  for (const auto& [k, v] : labels) capped.emplace_back(k, labels_.Apply(k, v));
  Op op;
  op.count = count;
  op.rule = rule;
  op.labels_json = AlertLabelsJson(capped);
  op.severity = severity;
  op.summary = summary;
  op.detail = detail;
  op.job_id = job_id;
  op.first = Steady::now();
  Enqueue(AlertFingerprint(rule, capped), std::move(op));
}

void Alerter::Resolve(const std::string& rule, const AlertLabels& labels, const std::string& detail) {
  AlertLabels capped;
  for (const auto& [k, v] : labels) capped.emplace_back(k, labels_.Apply(k, v));
  Op op;
  op.resolve = true;
  op.rule = rule;
  op.detail = detail;
  op.first = Steady::now();
  Enqueue(AlertFingerprint(rule, capped), std::move(op));
}

void Alerter::OnJobFinished(const Job& job, JobState new_state, Micros, const AttemptError* error) {
  const auto& r = options_.rules;
  const std::string message = error ? error->message : std::string();
  if (new_state == JobState::kDiscarded && r.job_discarded) {
    Fire("job_discarded", {{"kind", job.kind}}, "Jobs of kind " + job.kind + " discarded",
         message, job.id);
  }
  // Discards have their own rule; counting them here too would send two
  // messages for one storm.
  const bool failed = error != nullptr && new_state == JobState::kRetryable;
  const bool succeeded = new_state == JobState::kCompleted;
  if (!failed && !succeeded) return;
  if (r.kind_failure_ratio) CheckFailureRatio(labels_.Apply("kind", job.kind), failed, job.id, message);
  if (!r.kind_failing) return;
  int streak = 0;
  bool was_failing = false;
  {
    std::lock_guard lock(mu_);
    streak = streaks_.Record(job.kind, failed);
    was_failing = failing_kinds_.count(job.kind) > 0;
    if (streak >= r.kind_failing_consecutive) failing_kinds_.insert(job.kind);
    if (succeeded) failing_kinds_.erase(job.kind);
  }
  if (streak >= r.kind_failing_consecutive) {
    Fire("kind_failing", {{"kind", job.kind}},
         "Kind " + job.kind + " failing: " + std::to_string(streak) + " failed attempts in a row",
         message, job.id, 1, "warning");
  } else if (succeeded && was_failing) {
    Resolve("kind_failing", {{"kind", job.kind}}, "a job of kind " + job.kind + " succeeded");
  }
}

void Alerter::CheckFailureRatio(const std::string& kind, std::optional<bool> failed,
                                std::optional<int64_t> job_id, const std::string& message) {
  const auto& r = options_.rules;
  const Timestamp now = clock_->Now();
  FailureWindow::Counts c;
  bool fire = false, resolve = false;
  {
    std::lock_guard lock(mu_);
    if (failed) ratio_window_.Record(kind, *failed, now);
    c = ratio_window_.Get(kind, now);
    const bool above = c.attempts > 0 && c.ratio() >= r.failure_ratio;
    if (above && c.attempts >= r.failure_ratio_min_attempts) {
      // Each failure while open is an occurrence (count, last_seen); the
      // crossing itself opens the alert whatever the outcome.
      const bool crossed = ratio_kinds_.insert(kind).second;
      fire = crossed || failed.value_or(false);
    } else if (!above && ratio_kinds_.erase(kind) > 0) {
      // Below the threshold, or no attempts left in the window. Too few
      // attempts at a high ratio keeps it open (not enough evidence).
      resolve = true;
    }
  }
  const std::string pct = std::to_string(static_cast<int>(c.ratio() * 100 + 0.5)) + "%";
  if (fire) {
    Fire("kind_failure_ratio", {{"kind", kind}},
         "Kind " + kind + " failing: " + pct + " of " + std::to_string(c.attempts) + " attempts failed in the last " +
             HumanDuration(r.failure_ratio_window),
         message, job_id, 1, "warning");
  } else if (resolve) {
    Resolve("kind_failure_ratio", {{"kind", kind}},
            "failure ratio of kind " + kind + " down to " + pct + " of " + std::to_string(c.attempts) +
                " attempts in the last " + HumanDuration(r.failure_ratio_window));
  }
}

void Alerter::OnJobsRescued(const std::vector<RescuedJob>& jobs) {
  if (!options_.rules.worker_lost || jobs.empty()) return;
  std::map<std::string, std::vector<const RescuedJob*>> by_worker;
  for (const auto& j : jobs) by_worker[j.lost_worker].push_back(&j);
  for (const auto& [worker, list] : by_worker) {
    std::string detail = "rescued jobs:";
    for (size_t i = 0; i < list.size() && i < 20; ++i) {
      detail += " " + std::to_string(list[i]->id) + " (" + list[i]->kind + ")";
    }
    if (list.size() > 20) detail += " and " + std::to_string(list.size() - 20) + " more";
    Fire("worker_lost", {{"worker", worker.empty() ? "unknown" : worker}},
         "Worker " + worker + " stopped heartbeating; its jobs were rescued", detail,
         list.front()->id, static_cast<int64_t>(list.size()), "warning");
  }
}

void Alerter::OnStoreError(std::string_view loop, const Status& status) {
  std::lock_guard lock(mu_);
  if (!store_down_since_) store_down_since_ = clock_->Now();
  store_error_ = std::string(loop) + ": " + status.ToString();
}

void Alerter::OnStoreRecovered(std::string_view) {
  bool resolve = false;
  std::string detail;
  {
    std::lock_guard lock(mu_);
    if (!store_down_since_) return;
    detail = "database reachable again after " + HumanDuration(clock_->Now() - *store_down_since_);
    store_down_since_.reset();
    resolve = db_alert_fired_;
    db_alert_fired_ = false;
  }
  if (resolve) Resolve("db_unreachable", {}, detail);
}

void Alerter::OnCheckDown(const std::string& name, const std::string& detail) {
  if (!options_.rules.check_down) return;
  Fire("check_down", {{"check", name}}, "Check " + name + " is late or down", detail);
}

void Alerter::OnCheckUp(const std::string& name) {
  Resolve("check_down", {{"check", name}}, "check " + name + " is healthy again");
}

void Alerter::OnCheckStateChanged(const CheckTransition& t) {
  if (t.to == CheckState::kDown) {
    std::string detail = t.reason.empty() ? std::string("down") : t.reason;
    if (t.schedule) detail = "schedule " + *t.schedule + ": " + detail;
    OnCheckDown(t.name, detail);
  } else if (t.from == CheckState::kDown && (t.to == CheckState::kUp || t.to == CheckState::kPaused)) {
    // A paused check is no longer expected to ping: its alert would never
    // resolve otherwise.
    OnCheckUp(t.name);
  }
}

void Alerter::OnScheduleFired(const ScheduleFireResult& r) {
  if (!r.error.empty() && options_.rules.check_down) {
    Fire("schedule_broken", {{"schedule", r.name}}, "Schedule " + r.name + " stopped", r.error);
  }
}

Status Alerter::Process(bool force) {
  std::lock_guard process(process_mu_);
  // Take what is ready; leave the rest (still gathering) in place.
  std::vector<std::pair<std::string, Op>> ready;
  {
    std::lock_guard lock(mu_);
    const auto now = Steady::now();
    for (auto it = pending_.begin(); it != pending_.end();) {
      auto& ops = it->second;
      while (!ops.empty() && (force || ops.front().resolve || now - ops.front().first >= options_.group_wait)) {
        ready.emplace_back(it->first, std::move(ops.front()));
        ops.pop_front();
      }
      it = ops.empty() ? pending_.erase(it) : std::next(it);
    }
  }
  Status result = Status::Ok();
  bool enqueued = false;
  for (size_t i = 0; i < ready.size(); ++i) {
    const auto& [fp, op] = ready[i];
    AlertUpsertParams p;
    p.action = op.resolve ? AlertUpsertParams::Action::kResolve : AlertUpsertParams::Action::kFire;
    p.fingerprint = fp;
    p.rule = op.rule;
    if (!op.resolve) p.labels_json = op.labels_json;
    p.severity = op.severity.empty() ? "error" : op.severity;
    p.summary = op.summary;
    p.detail = op.detail;
    p.job_id = op.job_id;
    p.count = std::max<int64_t>(op.count, 1);
    p.now = clock_->Now();
    p.repeat_interval = options_.repeat_interval;
    p.channels = options_.channels;
    auto r = store_->AlertUpsert(p);
    if (r.ok()) {
      enqueued = enqueued || !r->enqueued.empty();
      if (r->change == AlertUpsertResult::Change::kOpened) {
        log::Warn("alert opened", {{"fingerprint", fp}, {"count", r->count}});
      } else if (r->change == AlertUpsertResult::Change::kResolved) {
        log::Info("alert resolved", {{"fingerprint", fp}});
      }
      continue;
    }
    if (r.status().code() == StatusCode::kInvalidArgument) {
      log::Error("alert dropped: invalid", {{"fingerprint", fp}, {"error", r.status().ToString()}});
      continue;
    }
    // The database is away: put this and the rest back, in order, and note
    // the outage for the db_unreachable rule.
    result = r.status();
    {
      std::lock_guard lock(mu_);
      for (size_t k = ready.size(); k-- > i;) pending_[ready[k].first].push_front(std::move(ready[k].second));
      if (!store_down_since_) store_down_since_ = clock_->Now();
      store_error_ = std::string("alerter: ") + r.status().ToString();
    }
    break;
  }
  if (enqueued && options_.on_enqueued) options_.on_enqueued();
  return result;
}

Status Alerter::Flush() { return Process(/*force=*/true); }

void Alerter::Evaluate() {
  const auto& r = options_.rules;
  const Timestamp now = clock_->Now();
  // db_unreachable: fires once per outage; the write waits for the database.
  if (r.db_unreachable) {
    std::optional<std::string> fire;
    {
      std::lock_guard lock(mu_);
      if (store_down_since_ && !db_alert_fired_ && now - *store_down_since_ >= r.db_unreachable_after) {
        db_alert_fired_ = true;
        fire = "unreachable since " + FormatTimestamp(*store_down_since_) + ": " + store_error_;
      }
    }
    if (fire) Fire("db_unreachable", {}, "Database unreachable", *fire);
  }
  // Queue lag, from the same numbers the metrics use.
  std::set<std::string> lagging;
  bool stats_ok = false;
  if (r.queue_lag) {
    auto stats = store_->QueueStatsAll(now);
    if (stats.ok()) {
      stats_ok = true;
      for (const QueueStats& q : *stats) {
        if (q.paused || !q.oldest_due_age || *q.oldest_due_age < r.queue_lag_threshold) continue;
        lagging.insert(q.queue);
        Fire("queue_lag", {{"queue", q.queue}},
             "Queue " + q.queue + " is behind: oldest due job waiting " + HumanDuration(*q.oldest_due_age),
             std::to_string(q.due) + " jobs due, " + std::to_string(q.running) + " running", std::nullopt,
             1, "warning");
      }
    } else {
      OnStoreError(kLoopName, stats.status());
    }
  }
  // Pool: waiters on two rounds in a row, and new leaks.
  if (r.pool && options_.pool_stats) {
    if (auto pool = options_.pool_stats()) {
      bool fire_exhausted = false, resolve_exhausted = false, leak = false;
      {
        std::lock_guard lock(mu_);
        pool_waiting_rounds_ = pool->waiters > 0 ? pool_waiting_rounds_ + 1 : 0;
        if (pool_waiting_rounds_ >= 2) fire_exhausted = true;
        if (pool_waiting_rounds_ == 0 && pool_alert_fired_) resolve_exhausted = true;
        pool_alert_fired_ = fire_exhausted || (pool_alert_fired_ && !resolve_exhausted);
        leak = pool_leaks_seen_ >= 0 && pool->leaks_detected_total > pool_leaks_seen_;
        pool_leaks_seen_ = pool->leaks_detected_total;
      }
      if (fire_exhausted) {
        Fire("pool_exhausted", {}, "Database connection pool exhausted",
             std::to_string(pool->in_use) + " in use, " + std::to_string(pool->waiters) + " waiting");
      }
      if (resolve_exhausted) Resolve("pool_exhausted", {}, "no more waiters");
      if (leak) Fire("pool_leak", {}, "Database connection held too long (leak)", "see the log for the holder");
    }
  }
  // kind_failure_ratio: the window drains as time passes.
  if (r.kind_failure_ratio) {
    std::vector<std::string> kinds;
    {
      std::lock_guard lock(mu_);
      kinds.assign(ratio_kinds_.begin(), ratio_kinds_.end());
    }
    for (const auto& kind : kinds) CheckFailureRatio(kind, std::nullopt, std::nullopt, "");
  }
  // The daily digest: written once across nodes (the store decides).
  if (digest_) {
    auto written = digest_->Tick(*store_, options_.channels, now);
    if (!written.ok()) {
      if (written.status().code() == StatusCode::kUnavailable) OnStoreError(kLoopName, written.status());
      (StoreOutageLog::Failed("alerter", written.status()) ? log::Warn : log::Debug)(
          "daily digest not written; will retry", {{"error", written.status().ToString()}});
    } else if (*written > 0) {
      log::Info("daily digest enqueued", {{"rows", *written}});
      if (options_.on_enqueued) options_.on_enqueued();
    }
  }
  // Resolution of what is open in the database (also after a restart).
  auto open = store_->AlertList(/*open_only=*/true, 1000);
  if (!open.ok()) return;
  for (const Alert& a : *open) {
    bool pending = false;
    {
      std::lock_guard lock(mu_);
      pending = pending_.count(a.fingerprint) > 0;
    }
    if (pending) continue;
    // Enqueued under the alert's own fingerprint: labels were capped when it
    // fired, so rebuilding the fingerprint here could differ.
    auto resolve = [&](const std::string& detail) {
      Op op;
      op.resolve = true;
      op.rule = a.rule;
      op.detail = detail;
      op.first = Steady::now();
      Enqueue(a.fingerprint, std::move(op));
    };
    if (ResolvesWhenQuiet(a.rule) && now - a.last_seen >= r.quiet_period) {
      resolve("no repeat for " + HumanDuration(r.quiet_period));
    } else if (a.rule == "kind_failure_ratio" && now - a.last_seen >= r.failure_ratio_window) {
      // Opened before a restart, or by a node that stopped reporting it: no
      // failure at the threshold for a whole window.
      bool local = false;
      {
        std::lock_guard lock(mu_);
        auto labels = ParseJsonOrDiscarded(a.labels_json);
        local = labels.is_object() && ratio_kinds_.count(labels.value("kind", "")) > 0;
      }
      if (!local) resolve("no failures at the threshold for " + HumanDuration(r.failure_ratio_window));
    } else if (a.rule == "queue_lag" && stats_ok) {
      auto labels = ParseJsonOrDiscarded(a.labels_json);
      const std::string q = labels.is_object() ? labels.value("queue", "") : "";
      if (!lagging.count(q)) resolve("lag below " + HumanDuration(r.queue_lag_threshold));
    }
  }
}

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
    (void)Process(/*force=*/true);  // one last try for what was gathering
    if (options_.health) options_.health->OnLoopStopped(kLoopName);
  }
}

void Alerter::Run() {
  auto last_eval = Steady::now();
  while (true) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, options_.flush_interval, [&] { return stop_; });
      if (stop_) return;
    }
    if (Steady::now() - last_eval >= options_.eval_interval) {
      last_eval = Steady::now();
      Evaluate();
    }
    (void)Process(/*force=*/false);
    if (options_.health) options_.health->OnLoopTick(kLoopName);
  }
}

}  // namespace steward
