// Sentry: one error event per alert opening or reminder, sent as an
// envelope to <scheme>://<host>/api/<project>/envelope/ with the DSN's key in
// X-Sentry-Auth. Resolutions are not sent (Sentry resolves issues itself).
//
// Quota protection, because a storm must not exhaust a Sentry quota:
//   - the outbox already turns a storm into one event per repeat interval;
//   - at most max_events_per_fingerprint events per fingerprint per hour
//     leave this process (the rest are dropped as "sampled out");
//   - 429 + Retry-After (bare 429: 60 s) and X-Sentry-Rate-Limits on any
//     response stop sending to this DSN for the time given.
#include <deque>
#include <map>

#include "watch/notify.h"

#ifndef STEWARD_VERSION
#define STEWARD_VERSION "0.1.0"
#endif

namespace steward::notify {

namespace {

std::string Tag(const std::string& s) { return Truncate(s, 199); }

class SentrySender final : public Sender {
 public:
  SentrySender(SentryConfig c, SentryDsn dsn) : c_(std::move(c)), dsn_(std::move(dsn)) {}
  std::string channel() const override { return "sentry"; }
  std::string describe() const override { return dsn_.scheme + "://" + dsn_.host + "/" + dsn_.project; }

  DeliveryResult Deliver(const Notification& n) override {
    DeliveryResult d;
    if (n.resolved() || n.event == "digest") {
      d.ok = true;
      d.message = "sentry: " + n.event + " not sent (Sentry resolves issues itself)";
      return d;
    }
    const auto now_steady = std::chrono::steady_clock::now();
    if (now_steady < blocked_until_) {
      d.retry_after = std::chrono::duration_cast<Micros>(blocked_until_ - now_steady);
      d.message = describe() + ": rate limited by Sentry";
      return d;
    }
    auto& sent = sent_[n.fingerprint];
    while (!sent.empty() && now_steady - sent.front() > std::chrono::hours(1)) sent.pop_front();
    if (n.event != "test" && static_cast<int>(sent.size()) >= c_.max_events_per_fingerprint) {
      d.ok = true;
      d.message = "sentry: sampled out (" + std::to_string(sent.size()) + " events for " +
                  n.fingerprint + " in the last hour)";
      return d;
    }
    const Timestamp now = SystemClock().Now();
    const std::string body = SentryEnvelope(n, c_, RandomHex32(), now);
    std::vector<std::string> headers = {
        "Content-Type: application/x-sentry-envelope",
        "X-Sentry-Auth: Sentry sentry_version=7, sentry_client=steward/" STEWARD_VERSION
        ", sentry_key=" + dsn_.key,
    };
    HttpResponse r = HttpPost(dsn_.envelope_url(), headers, body, c_.timeout, aborting());
    d = ClassifyHttp(r, describe());
    // Rate limits may come with any response, including a 200.
    if (auto rl = r.Header("x-sentry-rate-limits")) {
      if (auto limit = ParseSentryRateLimits(*rl)) {
        blocked_until_ = now_steady + *limit;
        if (!d.ok) d.retry_after = *limit;
      }
    } else if (r.status == 429 && d.retry_after) {
      blocked_until_ = now_steady + *d.retry_after;
    }
    if (d.ok) sent.push_back(now_steady);
    if (sent_.size() > 10000) sent_.clear();  // bounded memory; fingerprints are bounded anyway
    return d;
  }

 private:
  SentryConfig c_;
  SentryDsn dsn_;
  std::chrono::steady_clock::time_point blocked_until_{};
  std::map<std::string, std::deque<std::chrono::steady_clock::time_point>> sent_;
};

}  // namespace

Result<SentryDsn> ParseSentryDsn(std::string_view dsn) {
  auto bad = [&](const std::string& why) {
    return InvalidArgument("Sentry DSN " + SafeTarget(dsn) + ": " + why +
                           " (expected https://<key>@<host>/<project>)");
  };
  auto se = dsn.find("://");
  if (se == std::string_view::npos) return bad("no scheme");
  SentryDsn d;
  d.scheme = std::string(dsn.substr(0, se));
  if (d.scheme != "http" && d.scheme != "https") return bad("scheme must be http or https");
  std::string_view rest = dsn.substr(se + 3);
  auto at = rest.find('@');
  if (at == std::string_view::npos || at == 0) return bad("no public key");
  std::string_view userinfo = rest.substr(0, at);
  d.key = std::string(userinfo.substr(0, userinfo.find(':')));  // legacy DSNs carry ":secret"
  rest = rest.substr(at + 1);
  auto slash = rest.rfind('/');
  if (slash == std::string_view::npos || slash + 1 >= rest.size()) return bad("no project id");
  d.project = std::string(rest.substr(slash + 1));
  // Self-hosted Sentry may live under a path prefix: host/prefix/project.
  d.host = std::string(rest.substr(0, slash));
  if (d.host.empty()) return bad("no host");
  for (char c : d.project) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return bad("project id must be numeric");
  }
  return d;
}

std::string SentryEnvelope(const Notification& n, const SentryConfig& c, const std::string& event_id,
                           Timestamp now) {
  nlohmann::json tags = {{"rule", Tag(n.rule)}, {"event", n.event}};
  for (const char* key : {"kind", "queue", "attempt", "worker", "check", "schedule"}) {
    if (n.labels.contains(key)) {
      const auto& v = n.labels[key];
      tags[key] = Tag(v.is_string() ? v.get<std::string>() : v.dump());
    }
  }
  tags["node"] = Tag(c.node.empty() ? std::string("unknown") : c.node);
  const std::string level = n.event == "test" ? "info" : n.severity == "warning" ? "warning" : "error";
  nlohmann::json event = {
      {"event_id", event_id},
      {"timestamp", FormatTimestamp(now)},
      {"platform", "native"},
      {"level", level},
      {"logger", "steward"},
      {"server_name", Tag(c.node)},
      {"environment", c.environment},
      {"release", c.release.empty() ? std::string("steward@" STEWARD_VERSION) : c.release},
      {"message", {{"formatted", Truncate(Headline(n), 8000)}}},
      {"exception",
       {{"values", nlohmann::json::array({{{"type", n.rule.empty() ? std::string("steward") : n.rule},
                                           {"value", Truncate(n.summary + (n.detail.empty() ? "" : ": " + n.detail), 8000)}}})}}},
      {"tags", tags},
      // One Sentry issue per alert identity, whatever the message says.
      {"fingerprint", nlohmann::json::array({n.fingerprint.empty() ? std::string("steward-test") : n.fingerprint})},
      {"extra", {{"count", n.count}, {"first_seen", FormatTimestamp(n.first_seen)},
                 {"last_seen", FormatTimestamp(n.last_seen)}, {"labels", n.labels}}},
  };
  if (n.job_id) event["extra"]["job_id"] = *n.job_id;
  const std::string payload = event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  nlohmann::json header = {{"event_id", event_id}, {"sent_at", FormatTimestamp(now)}};
  nlohmann::json item = {{"type", "event"}, {"length", payload.size()}};
  return header.dump() + "\n" + item.dump() + "\n" + payload;
}

std::unique_ptr<Sender> MakeSentrySender(SentryConfig config) {
  auto dsn = ParseSentryDsn(config.dsn);
  if (!dsn.ok()) return nullptr;
  return std::make_unique<SentrySender>(std::move(config), *dsn);
}

}  // namespace steward::notify
