// Links from notifications into the dashboard (the page of what a
// notification is about, the alert's own page), and the note on a resolve
// that someone had acknowledged or silenced the alert.
#include <date/date.h>

#include <cctype>

#include "watch/notify.h"

namespace steward::notify {

namespace {

std::string Label(const nlohmann::json& labels, const char* key) {
  if (!labels.is_object() || !labels.contains(key)) return "";
  const auto& v = labels[key];
  return v.is_string() ? v.get<std::string>() : v.dump();
}

// The page of what a notification is about: the digest's is the Now page.
std::string SubjectPath(const Notification& n) {
  if (n.event == "digest" || n.event == "test") return "/ui/";
  return AlertSubjectPath(n.rule, n.labels);
}

// "14:00 UTC", with the date when it is not the day of `ref`.
std::string ClockTime(Timestamp t, Timestamp ref) {
  const auto secs = std::chrono::floor<std::chrono::seconds>(t);
  const bool same_day =
      std::chrono::floor<date::days>(t) == std::chrono::floor<date::days>(ref);
  return date::format(same_day ? "%H:%M UTC" : "%F %H:%M UTC", secs);
}

}  // namespace

std::string AlertSubjectPath(std::string_view rule, const nlohmann::json& labels) {
  if (rule == "job_discarded" || rule == "kind_failing" || rule == "kind_failure_ratio") {
    if (auto kind = Label(labels, "kind"); !kind.empty()) return "/ui/failures?kind=" + PercentEncode(kind);
  }
  if (rule == "check_down") {
    if (auto name = Label(labels, "check"); !name.empty()) return "/ui/checks/" + PercentEncode(name);
  }
  if (rule == "schedule_broken") {
    if (auto name = Label(labels, "schedule"); !name.empty()) return "/ui/schedules/" + PercentEncode(name);
  }
  if (rule == "queue_lag") {
    if (auto name = Label(labels, "queue"); !name.empty()) return "/ui/queues/" + PercentEncode(name);
  }
  if (rule == "worker_lost") return "/ui/nodes";
  return "";
}

std::string PercentEncode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

DashboardLinkSet DashboardLinks(const Notification& n, const std::string& dashboard_url) {
  DashboardLinkSet links;
  std::string base = dashboard_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  if (base.empty()) return links;
  if (n.alert_id) links.alert = base + "/ui/alerts/" + std::to_string(*n.alert_id);
  if (n.job_id) links.job = base + "/ui/jobs/" + std::to_string(*n.job_id);
  const std::string path = SubjectPath(n);
  links.page = !path.empty() ? base + path : !links.alert.empty() ? links.alert : base + "/ui/alerts";
  return links;
}

std::string AckNote(const Notification& n) {
  const Timestamp ref = n.resolved_at ? *n.resolved_at : n.last_seen;
  const std::string by = n.acked_by.empty() ? "" : " by " + n.acked_by;
  if (n.silenced_until) return "it was silenced until " + ClockTime(*n.silenced_until, ref) + by;
  if (n.acked_at || !n.acked_by.empty()) {
    return "it was acknowledged" + by + (n.acked_at ? " at " + ClockTime(*n.acked_at, ref) : "");
  }
  return "";
}

}  // namespace steward::notify
