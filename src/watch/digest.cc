#include "watch/digest.h"

#include <date/date.h>
#include <date/tz.h>

#include <cstdio>

#include "watch/notify.h"

namespace steward {

namespace {

// "09:00" -> (9, 0).
std::optional<std::pair<int, int>> ParseClock(const std::string& s) {
  int h = -1, m = -1;
  char extra = 0;
  if (s.size() != 5 || std::sscanf(s.c_str(), "%2d:%2d%c", &h, &m, &extra) != 2)
    return std::nullopt;
  if (h < 0 || h > 23 || m < 0 || m > 59) return std::nullopt;
  return std::make_pair(h, m);
}

std::string Pad(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

std::string Num(const nlohmann::json& j, const char* key) {
  return std::to_string(j.value(key, int64_t{0}));
}

}  // namespace

Result<Digest> Digest::Make(const DigestConfig& config) {
  auto hm = ParseClock(config.at);
  if (!hm)
    return InvalidArgument("digest time \"" + config.at + "\": expected HH:MM (00:00 to 23:59)");
  STEWARD_ASSIGN_OR_RETURN(CronZone zone, CronZone::Locate(config.time_zone));
  STEWARD_ASSIGN_OR_RETURN(
      CronSchedule cron,
      CronSchedule::Parse(std::to_string(hm->second) + " " + std::to_string(hm->first) + " * * *",
                          config.time_zone));
  return Digest(config, std::move(cron), std::move(zone));
}

std::optional<Digest::Slot> Digest::Latest(Timestamp now) const {
  // A local day is 23 to 25 hours long: start a little over a day back.
  std::optional<Timestamp> t = cron_.Next(now - std::chrono::hours(26));
  if (!t || *t > now) return std::nullopt;
  while (true) {
    auto next = cron_.Next(*t);
    if (!next || *next > now) break;
    t = next;
  }
  if (now - *t > c_.max_late) return std::nullopt;
  const auto secs = std::chrono::floor<std::chrono::seconds>(*t);
  const auto local = secs + zone_.SysInfo(date::sys_seconds(secs.time_since_epoch())).offset;
  const date::year_month_day ymd{
      date::floor<date::days>(date::sys_seconds(local.time_since_epoch()))};
  return Slot{*t, date::format("%F", ymd)};
}

Result<std::string> Digest::BuildPayload(Store& store, const Slot& slot) const {
  ActivitySummarizeParams p;
  p.since = slot.at - std::chrono::hours(24);
  p.until = slot.at;
  p.alert_limit = 20;
  STEWARD_ASSIGN_OR_RETURN(ActivitySummary a, store.ActivitySummarize(p));
  STEWARD_ASSIGN_OR_RETURN(std::vector<Check> checks, store.CheckList());
  STEWARD_ASSIGN_OR_RETURN(std::vector<Alert> open, store.AlertList(/*open_only=*/true, 1000));

  nlohmann::json queues = nlohmann::json::array();
  int64_t run = 0, completed = 0, discarded = 0, cancelled = 0, failed_attempts = 0;
  for (const QueueActivity& q : a.queues) {
    const int64_t q_run = q.completed + q.discarded + q.cancelled;
    queues.push_back({{"queue", q.queue},
                      {"run", q_run},
                      {"completed", q.completed},
                      {"failed", q.discarded},
                      {"cancelled", q.cancelled},
                      {"failed_attempts", q.failed_attempts}});
    run += q_run;
    completed += q.completed;
    discarded += q.discarded;
    cancelled += q.cancelled;
    failed_attempts += q.failed_attempts;
  }
  nlohmann::json alerts = nlohmann::json::array();
  for (const Alert& al : a.alerts) {
    nlohmann::json j = {{"fingerprint", al.fingerprint},
                        {"rule", al.rule},
                        {"summary", al.summary},
                        {"state", al.open ? "open" : "resolved"},
                        {"count", al.count},
                        {"first_seen", FormatTimestamp(al.first_seen)}};
    if (al.resolved_at) j["resolved_at"] = FormatTimestamp(*al.resolved_at);
    alerts.push_back(std::move(j));
  }
  nlohmann::json down = nlohmann::json::array();
  for (const Check& c : checks) {
    if (c.state != CheckState::kDown) continue;
    nlohmann::json j = {{"name", c.spec.name}};
    if (c.last_ping_at) j["last_ping_at"] = FormatTimestamp(*c.last_ping_at);
    down.push_back(std::move(j));
  }
  nlohmann::json digest = {
      {"day", slot.day},
      {"time_zone", c_.time_zone},
      {"since", FormatTimestamp(p.since)},
      {"until", FormatTimestamp(p.until)},
      {"queues", queues},
      {"totals",
       {{"run", run},
        {"completed", completed},
        {"failed", discarded},
        {"cancelled", cancelled},
        {"failed_attempts", failed_attempts}}},
      {"alerts_opened", a.alerts_opened},
      {"alerts_resolved", a.alerts_resolved},
      {"alerts_open_now", static_cast<int64_t>(open.size())},
      {"alerts", alerts},
      {"checks_down", down},
  };
  const bool fine = discarded == 0 && open.empty() && down.empty();
  const std::string summary =
      std::string(fine ? "All fine. " : "") + "Daily digest " + slot.day + ": " +
      std::to_string(run) + " jobs run, " + std::to_string(discarded) + " failed, " +
      std::to_string(a.alerts_opened) + " alerts opened, " + std::to_string(a.alerts_resolved) +
      " resolved, " + std::to_string(down.size()) + " checks down";
  nlohmann::json payload = {
      {"event", "digest"},
      {"fingerprint", "digest:" + slot.day},
      {"rule", "daily_digest"},
      {"severity", "info"},
      {"summary", summary},
      {"detail", DigestText(digest)},
      {"first_seen", ToMicros(p.since)},
      {"last_seen", ToMicros(p.until)},
      {"digest", digest},
  };
  return payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<int> Digest::Tick(Store& store, const std::vector<std::string>& channels, Timestamp now) {
  auto slot = Latest(now);
  if (!slot || slot->day == done_) return 0;
  OutboxEnqueueOnceParams p;
  p.dedup_key = "digest:" + slot->day;
  p.event = "digest";
  p.now = now;
  std::vector<std::string> targets;
  for (const auto& ch : channels) {
    if (ch != "sentry") targets.push_back(ch);  // Sentry is for errors
  }
  if (!targets.empty()) {
    STEWARD_ASSIGN_OR_RETURN(std::string payload, BuildPayload(store, *slot));
    for (const auto& ch : targets) p.rows.emplace_back(ch, payload);
    STEWARD_ASSIGN_OR_RETURN(std::vector<int64_t> ids, store.OutboxEnqueueOnce(p));
    done_ = slot->day;
    return static_cast<int>(ids.size());
  }
  done_ = slot->day;
  return 0;
}

std::string DigestText(const nlohmann::json& d) {
  std::string out = "Steward daily digest for " + d.value("day", std::string()) +
                    " (the 24 hours to " + d.value("until", std::string()) + ", " +
                    d.value("time_zone", std::string("UTC")) + ")\n\n";
  out += "Jobs finished, per queue (from the jobs retention has kept):\n";
  out += "  " + Pad("queue", 20) + Pad("run", 9) + Pad("completed", 11) + Pad("failed", 8) +
         Pad("cancelled", 11) + "failed attempts\n";
  const auto queues = d.value("queues", nlohmann::json::array());
  for (const auto& q : queues) {
    out += "  " + Pad(notify::Truncate(q.value("queue", std::string()), 19), 20) +
           Pad(Num(q, "run"), 9) + Pad(Num(q, "completed"), 11) + Pad(Num(q, "failed"), 8) +
           Pad(Num(q, "cancelled"), 11) + Num(q, "failed_attempts") + "\n";
  }
  if (queues.empty()) out += "  (no job finished)\n";
  const auto totals = d.value("totals", nlohmann::json::object());
  if (queues.size() > 1) {
    out += "  " + Pad("total", 20) + Pad(Num(totals, "run"), 9) +
           Pad(Num(totals, "completed"), 11) + Pad(Num(totals, "failed"), 8) +
           Pad(Num(totals, "cancelled"), 11) + Num(totals, "failed_attempts") + "\n";
  }
  out += "\nAlerts: " + Num(d, "alerts_opened") + " opened, " + Num(d, "alerts_resolved") +
         " resolved, " + Num(d, "alerts_open_now") + " open now\n";
  for (const auto& a : d.value("alerts", nlohmann::json::array())) {
    // A resolved alert's summary says what was wrong, so it is marked as past.
    const bool open = a.value("state", "") == "open";
    const std::string summary = notify::Truncate(a.value("summary", std::string()), 200);
    out += "  - " + std::string(open ? "OPEN     " : "RESOLVED ") +
           a.value("fingerprint", std::string()) +
           (open ? ": " + summary : " (was: " + summary + ")") + "\n";
  }
  const auto down = d.value("checks_down", nlohmann::json::array());
  out += "\nChecks down: " + std::string(down.empty() ? "none" : "") + "\n";
  for (const auto& c : down) {
    out += "  - " + c.value("name", std::string()) +
           (c.contains("last_ping_at") ? " (last ping " + c["last_ping_at"].get<std::string>() + ")"
                                       : "") +
           "\n";
  }
  return out;
}

}  // namespace steward
