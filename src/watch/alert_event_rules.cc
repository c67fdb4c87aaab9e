#include "watch/alert_event_rules.h"

#include <map>

namespace steward {

namespace {

// "50%": a ratio rounded to a whole percent, as people read it.
std::string Percent(double ratio) {
  return std::to_string(static_cast<int>(ratio * 100 + 0.5)) + "%";
}

}  // namespace

AlertEventRules::AlertEventRules(const AlertRulesConfig& rules, Clock& clock,
                                 AlertWriteBuffer& buffer)
    : rules_(rules),
      clock_(clock),
      buffer_(buffer),
      labels_(rules.max_label_values),
      ratio_window_(rules.failure_ratio_window) {}

AlertLabels AlertEventRules::Capped(const AlertLabels& labels) {
  AlertLabels capped;
  for (const auto& [k, v] : labels) capped.emplace_back(k, labels_.Apply(k, v));
  return capped;
}

void AlertEventRules::Fire(const std::string& rule, const AlertLabels& labels,
                           const std::string& summary, const std::string& detail,
                           std::optional<int64_t> job_id, int64_t count,
                           const std::string& severity, std::optional<Timestamp> at) {
  const AlertLabels capped = Capped(labels);
  AlertChange change;
  change.count = count;
  change.rule = rule;
  change.labels_json = AlertLabelsJson(capped);
  change.severity = severity;
  change.summary = summary;
  change.detail = detail;
  change.job_id = job_id;
  change.occurred_at = at.value_or(clock_.Now());
  change.recorded = std::chrono::steady_clock::now();
  buffer_.Add(AlertFingerprint(rule, capped), std::move(change));
}

void AlertEventRules::Resolve(const std::string& rule, const AlertLabels& labels,
                              const std::string& detail) {
  AlertChange change;
  change.resolve = true;
  change.rule = rule;
  // A resolve's detail is what is true now (read after "RESOLVED"); an empty
  // one would leave the last error in its place.
  change.detail = detail.empty() ? rule + " is no longer firing" : detail;
  change.recorded = std::chrono::steady_clock::now();
  buffer_.Add(AlertFingerprint(rule, Capped(labels)), std::move(change));
}

void AlertEventRules::OnJobFinished(const Job& job, JobState new_state, const AttemptError* error) {
  const std::string message = error ? error->message : std::string();
  // The failure's own time: the alert may be written much later (group_wait,
  // an outage), and "since" in the message must say when things went wrong.
  const std::optional<Timestamp> at =
      error && error->at != Timestamp{} ? std::optional<Timestamp>(error->at) : std::nullopt;
  if (new_state == JobState::kDiscarded && rules_.job_discarded) {
    // Which job, and the end of its error (where an exception's type and
    // message are), so the message is useful without opening the dashboard.
    const std::string tail = ErrorTail(message);
    std::string detail = message;
    if (error && !error->detail.empty()) detail += "\n" + error->detail;
    Fire("job_discarded", {{"kind", job.kind}},
         "Jobs of kind " + job.kind + " discarded (last: job " + std::to_string(job.id) + ")" +
             (tail.empty() ? "" : ": " + tail),
         detail, job.id, 1, "error", at);
  }
  // Discards have their own rule; counting them here too would send two
  // messages for one storm.
  const bool failed = error != nullptr && new_state == JobState::kRetryable;
  const bool succeeded = new_state == JobState::kCompleted;
  if (!failed && !succeeded) return;
  if (rules_.kind_failure_ratio) {
    CheckFailureRatio(labels_.Apply("kind", job.kind), failed, job.id, message, at);
  }
  if (rules_.kind_failing) CheckConsecutiveFailures(job, failed, message, at);
}

void AlertEventRules::CheckConsecutiveFailures(const Job& job, bool failed,
                                               const std::string& message,
                                               std::optional<Timestamp> at) {
  int streak = 0;
  bool was_failing = false, fire = false;
  {
    std::lock_guard lock(mu_);
    streak = streaks_.Record(job.kind, failed);
    was_failing = failing_kinds_.count(job.kind) > 0;
    // An open kind_failure_ratio already speaks for this kind.
    fire = streak >= rules_.kind_failing_consecutive && ratio_kinds_.count(job.kind) == 0;
    if (fire) failing_kinds_.insert(job.kind);
    if (!failed) failing_kinds_.erase(job.kind);
  }
  if (fire) {
    Fire("kind_failing", {{"kind", job.kind}},
         "Kind " + job.kind + " failing: " + std::to_string(streak) + " failed attempts in a row",
         message, job.id, 1, "warning", at);
  } else if (!failed && was_failing) {
    Resolve("kind_failing", {{"kind", job.kind}}, "a job of kind " + job.kind + " succeeded");
  }
}

void AlertEventRules::CheckFailureRatio(const std::string& kind, std::optional<bool> failed,
                                        std::optional<int64_t> job_id, const std::string& message,
                                        std::optional<Timestamp> at) {
  const Timestamp now = clock_.Now();
  FailureWindow::Counts c;
  bool fire = false, resolve = false;
  {
    std::lock_guard lock(mu_);
    if (failed) ratio_window_.Record(kind, *failed, now);
    c = ratio_window_.Get(kind, now);
    const bool above = c.attempts > 0 && c.ratio() >= rules_.failure_ratio;
    if (above && c.attempts >= rules_.failure_ratio_min_attempts) {
      ratio_above_.insert(kind);
      // While kind_failing is open it speaks for the kind. Otherwise each
      // failure while open is an occurrence (count, last_seen), and the
      // opening itself fires whatever the outcome.
      if (failing_kinds_.count(kind) == 0) {
        const bool opened = ratio_kinds_.insert(kind).second;
        fire = opened || failed.value_or(false);
      }
    } else if (!above && ratio_above_.erase(kind) > 0) {
      // Below the threshold, or no attempts left in the window. Too few
      // attempts at a high ratio keeps it open (not enough evidence).
      resolve = ratio_kinds_.erase(kind) > 0;
    }
  }
  const std::string window = HumanDuration(rules_.failure_ratio_window);
  if (fire) {
    Fire("kind_failure_ratio", {{"kind", kind}},
         "Kind " + kind + " failing: " + Percent(c.ratio()) + " of " + std::to_string(c.attempts) +
             " attempts failed in the last " + window,
         message, job_id, 1, "warning", at);
  } else if (resolve) {
    Resolve("kind_failure_ratio", {{"kind", kind}},
            "failure ratio of kind " + kind + " down to " + Percent(c.ratio()) + " of " +
                std::to_string(c.attempts) + " attempts in the last " + window);
  }
}

void AlertEventRules::RecheckFailureRatios() {
  if (!rules_.kind_failure_ratio) return;
  std::vector<std::string> kinds;
  {
    std::lock_guard lock(mu_);
    kinds.assign(ratio_above_.begin(), ratio_above_.end());
  }
  for (const auto& kind : kinds) {
    CheckFailureRatio(kind, std::nullopt, std::nullopt, "", std::nullopt);
  }
}

bool AlertEventRules::FailureRatioOpenHere(const std::string& kind) const {
  std::lock_guard lock(mu_);
  return ratio_kinds_.count(kind) > 0;
}

void AlertEventRules::OnJobsRescued(const std::vector<RescuedJob>& jobs) {
  if (!rules_.worker_lost || jobs.empty()) return;
  std::map<std::string, std::vector<const RescuedJob*>> by_worker;
  for (const auto& j : jobs) by_worker[j.lost_worker].push_back(&j);
  for (const auto& [worker, list] : by_worker) {
    std::string detail = "rescued jobs:";
    for (size_t i = 0; i < list.size() && i < kRescuedJobsListed; ++i) {
      detail += " " + std::to_string(list[i]->id) + " (" + list[i]->kind + ")";
    }
    if (list.size() > kRescuedJobsListed)
      detail += " and " + std::to_string(list.size() - kRescuedJobsListed) + " more";
    Fire("worker_lost", {{"worker", worker.empty() ? "unknown" : worker}},
         "Worker " + worker + " stopped heartbeating; its jobs were rescued", detail,
         list.front()->id, static_cast<int64_t>(list.size()), "warning");
  }
}

void AlertEventRules::OnStoreError(std::string_view loop, const Status& status) {
  std::lock_guard lock(mu_);
  if (!store_down_since_) store_down_since_ = clock_.Now();
  store_error_ = std::string(loop) + ": " + status.ToString();
}

void AlertEventRules::OnStoreRecovered() {
  bool resolve = false;
  std::string detail;
  {
    std::lock_guard lock(mu_);
    if (!store_down_since_) return;
    detail = "database reachable again after " + HumanDuration(clock_.Now() - *store_down_since_);
    store_down_since_.reset();
    resolve = db_alert_fired_;
    db_alert_fired_ = false;
  }
  if (resolve) Resolve("db_unreachable", {}, detail);
}

std::optional<AlertEventRules::DbOutage> AlertEventRules::DbUnreachableDue(Timestamp now,
                                                                           Micros after) {
  std::lock_guard lock(mu_);
  if (!store_down_since_ || db_alert_fired_ || now - *store_down_since_ < after) {
    return std::nullopt;
  }
  db_alert_fired_ = true;
  return DbOutage{*store_down_since_,
                  "unreachable since " + FormatTimestamp(*store_down_since_) + ": " + store_error_};
}

void AlertEventRules::OnCheckDown(const std::string& name, const std::string& detail,
                                  std::optional<Timestamp> at) {
  if (!rules_.check_down) return;
  Fire("check_down", {{"check", name}}, "Check " + name + " is late or down", detail, std::nullopt,
       1, "error", at);
}

void AlertEventRules::OnCheckUp(const std::string& name) {
  // Read after "RESOLVED": it says what is true now.
  Resolve("check_down", {{"check", name}}, "check " + name + " is up again");
}

void AlertEventRules::OnCheckStateChanged(const CheckTransition& t) {
  if (t.to == CheckState::kDown) {
    std::string detail = t.reason.empty() ? std::string("down") : t.reason;
    if (t.schedule) detail = "schedule " + *t.schedule + ": " + detail;
    OnCheckDown(t.name, detail,
                t.at != Timestamp{} ? std::optional<Timestamp>(t.at) : std::nullopt);
  } else if (t.from == CheckState::kDown &&
             (t.to == CheckState::kUp || t.to == CheckState::kPaused)) {
    // A paused check is no longer expected to ping: its alert would never
    // resolve otherwise.
    OnCheckUp(t.name);
  }
}

void AlertEventRules::OnScheduleBroken(const std::string& schedule, const std::string& error) {
  if (!rules_.check_down) return;
  Fire("schedule_broken", {{"schedule", schedule}}, "Schedule " + schedule + " stopped", error);
}

}  // namespace steward
