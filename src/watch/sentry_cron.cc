#include "watch/sentry_cron.h"

#include <cctype>

#include "core/log.h"
#include "steward/cron.h"

#ifndef STEWARD_VERSION
#define STEWARD_VERSION "0.1.0"
#endif

namespace steward {

namespace {

constexpr size_t kMaxQueued = 1000;
constexpr size_t kMaxRunning = 10000;
const char* const kZeroId = "00000000000000000000000000000000";

// The monitor's schedule for upserts: a crontab, or an interval for @every.
std::optional<nlohmann::json> MonitorConfig(const Schedule& s) {
  auto cron = CronSchedule::Parse(s.spec.cron, s.spec.time_zone);
  if (!cron.ok()) return std::nullopt;
  nlohmann::json schedule;
  if (auto every = cron->interval()) {
    const int64_t minutes = std::max<int64_t>(1, (every->count() + 59'999'999) / 60'000'000);
    schedule = {{"type", "interval"}, {"value", minutes}, {"unit", "minute"}};
  } else {
    schedule = {{"type", "crontab"}, {"value", cron->ToString()}};
  }
  nlohmann::json config = {{"schedule", schedule}, {"timezone", s.spec.time_zone}};
  // Sentry's margins are minutes: the schedule's grace is how late is late.
  const int64_t grace_min = std::chrono::duration_cast<std::chrono::minutes>(s.spec.grace).count();
  if (grace_min > 0) config["checkin_margin"] = grace_min;
  return config;
}

}  // namespace

std::string SentryMonitorSlug(std::string_view schedule) {
  std::string out;
  for (char c : schedule) {
    const auto u = static_cast<unsigned char>(c);
    out += (std::isalnum(u) || c == '_' || c == '-') ? static_cast<char>(std::tolower(u)) : '-';
  }
  return out.substr(0, 50);  // Sentry's slug limit
}

Result<std::unique_ptr<SentryCron>> SentryCron::Create(std::shared_ptr<Store> store,
                                                       notify::SentryConfig config) {
  STEWARD_ASSIGN_OR_RETURN(notify::SentryDsn dsn, notify::ParseSentryDsn(config.dsn));
  return std::unique_ptr<SentryCron>(
      new SentryCron(std::move(store), std::move(config), std::move(dsn)));
}

SentryCron::~SentryCron() { Stop(); }

void SentryCron::Push(Pending p) {
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= kMaxQueued) queue_.pop_front();
    queue_.push_back(std::move(p));
  }
  cv_.notify_all();
}

void SentryCron::OnScheduleFired(const ScheduleFireResult& r) {
  for (int64_t job_id : r.job_ids) {
    Pending p{r.name, "in_progress", notify::RandomHex32(), std::nullopt};
    {
      std::lock_guard lock(mu_);
      if (running_.size() >= kMaxRunning) running_.erase(running_.begin());
      running_[job_id] = {p.check_in_id, std::chrono::steady_clock::now()};
    }
    Push(std::move(p));
  }
}

void SentryCron::OnScheduleRunFinished(std::string_view schedule, int64_t job_id, bool success) {
  Pending p{std::string(schedule), success ? "ok" : "error", kZeroId, std::nullopt};
  {
    std::lock_guard lock(mu_);
    auto it = running_.find(job_id);
    if (it != running_.end()) {
      p.check_in_id = it->second.first;
      p.duration_s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - it->second.second)
              .count();
      running_.erase(it);
    }
  }
  Push(std::move(p));
}

void SentryCron::Send(const Pending& p) {
  nlohmann::json payload = {
      {"check_in_id", p.check_in_id},
      {"monitor_slug", SentryMonitorSlug(p.schedule)},
      {"status", p.status},
      {"environment", c_.environment},
      {"release", c_.release.empty() ? std::string("steward@" STEWARD_VERSION) : c_.release},
  };
  if (p.duration_s) payload["duration"] = *p.duration_s;
  if (p.status == "in_progress") {
    // The schedule as stored now (the store call stays off the scheduler thread).
    if (auto s = store_->ScheduleGet(p.schedule); s.ok()) {
      if (auto config = MonitorConfig(*s)) payload["monitor_config"] = *config;
    }
  }
  const std::string body = payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  const nlohmann::json header = {{"sent_at", FormatTimestamp(SystemClock().Now())}};
  const nlohmann::json item = {{"type", "check_in"}, {"length", body.size()}};
  const std::string envelope = header.dump() + "\n" + item.dump() + "\n" + body;
  std::vector<std::string> headers = {
      "Content-Type: application/x-sentry-envelope",
      "X-Sentry-Auth: Sentry sentry_version=7, sentry_client=steward/" STEWARD_VERSION
      ", sentry_key=" +
          dsn_.key,
  };
  auto r = notify::HttpPost(dsn_.envelope_url(), headers, envelope, c_.timeout, &aborting_);
  auto d = notify::ClassifyHttp(r, dsn_.scheme + "://" + dsn_.host + "/" + dsn_.project);
  if (d.ok) {
    std::lock_guard lock(mu_);
    ++sent_;
  } else {
    log::Warn("sentry cron check-in not sent",
              {{"schedule", p.schedule}, {"status", p.status}, {"error", d.message}});
  }
}

void SentryCron::Run() {
  while (true) {
    Pending p;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      p = std::move(queue_.front());
      queue_.pop_front();
    }
    Send(p);
  }
}

void SentryCron::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void SentryCron::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  aborting_ = true;
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  aborting_ = false;
}

int64_t SentryCron::sent() const {
  std::lock_guard lock(mu_);
  return sent_;
}

}  // namespace steward
