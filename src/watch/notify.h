// Notification senders: one per channel (Slack, Sentry, generic webhook,
// e-mail), each turning one outbox row into one delivery attempt.
//
// A sender never retries by itself and never sleeps: it reports what
// happened (DeliveryResult) and the Notifier (watch/notifier.h) decides when
// to try again, so retries survive restarts (they live in the outbox).
// Deliver() is called from the notifier thread only; senders are not
// required to be thread-safe.
//
// Secrets: webhook URLs, DSNs and SMTP passwords are secrets. Anything a
// sender logs or returns in `message` names its target with SafeTarget().
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "steward/clock.h"
#include "steward/status.h"
#include "store/alert_store.h"

namespace steward::notify {

// What a sender gets: the outbox row decoded.
struct Notification {
  int64_t outbox_id = 0;
  std::optional<int64_t> alert_id;
  std::string channel;
  std::string event;  // "open" | "repeat" | "resolve" | "test" | "digest"
  std::string fingerprint;
  std::string rule;
  nlohmann::json labels = nlohmann::json::object();
  std::string severity = "error";
  std::string summary;
  std::string detail;
  int64_t count = 0;
  Timestamp first_seen{};
  Timestamp last_seen{};
  std::optional<Timestamp> resolved_at;
  std::optional<int64_t> job_id;
  int attempt = 1;  // delivery attempt of this row (1 = first)
  // event "digest": the structured numbers (watch/digest.h); null otherwise.
  nlohmann::json digest;
  // Someone acknowledged (and maybe silenced) the alert on the dashboard;
  // a resolve says so (AckNote).
  std::string acked_by;
  std::optional<Timestamp> acked_at;
  std::optional<Timestamp> silenced_until;

  // Decodes a claimed row. For open/repeat rows the alert's live count and
  // last_seen are used when larger, so a storm that went on after the row
  // was written is reported with its full count.
  static Notification FromRow(const OutboxRow& row);
  bool resolved() const { return event == "resolve"; }
};

struct DeliveryResult {
  bool ok = false;
  // Wait at least this long before the next attempt on this channel (429
  // Retry-After, Sentry rate limits). Applies to the whole channel.
  std::optional<Micros> retry_after;
  // Retrying cannot help (bad URL, 403/404/410, invalid payload): the row is
  // failed for good and the error logged.
  bool permanent_error = false;
  std::string message;  // what happened, safe to log (no secrets)
};

class Sender {
 public:
  virtual ~Sender() = default;
  virtual std::string channel() const = 0;
  virtual DeliveryResult Deliver(const Notification& n) = 0;
  // Minimum spacing between two messages to this channel (Slack allows
  // about one message per second per webhook).
  virtual Micros min_interval() const { return Micros(0); }
  // Coalescing (Slack): how many of the leading notifications of `ns` (in
  // outbox order) fit in ONE message; at least 1. DeliverMany then sends
  // that many as one message, and its one result applies to each of them.
  // Senders that do not coalesce keep these defaults.
  virtual size_t Coalescable(std::span<const Notification> ns) const {
    (void)ns;
    return 1;
  }
  virtual DeliveryResult DeliverMany(std::span<const Notification> ns) { return Deliver(ns.front()); }
  // The target without secrets, for doctor and logs.
  virtual std::string describe() const = 0;

  // While set, a delivery in flight gives up within about a second (it
  // fails, retryably) and new ones fail at once. The notifier sets it while
  // stopping, so a receiver that hangs cannot hold up a shutdown.
  void SetAborting(bool on) { aborting_.store(on); }

 protected:
  const std::atomic<bool>* aborting() const { return &aborting_; }

 private:
  std::atomic<bool> aborting_{false};
};

// --- configuration (parsed by cli/config_alerts.cc) ---------------------
struct SlackConfig {
  std::string webhook_url;    // secret
  std::string dashboard_url;  // e.g. https://steward.example.com (DashboardLinks)
  Micros timeout = std::chrono::seconds(10);
  Micros min_interval = std::chrono::seconds(1);
};
struct SentryConfig {
  std::string dsn;  // https://<key>@<host>/<project>; secret
  std::string environment = "production";
  std::string release;              // default "steward@<version>"
  std::string node;                 // tags.node (the worker id)
  int max_events_per_fingerprint = 10;  // per hour; the rest are sampled out
  bool cron_check_ins = false;          // schedules report Sentry cron check-ins (watch/sentry_cron.h)
  Micros timeout = std::chrono::seconds(10);
};
struct WebhookConfig {
  std::string url;     // secret (may carry a token)
  std::string secret;  // HMAC key for X-Steward-Signature; "" = unsigned
  std::string dashboard_url;  // adds "links" (DashboardLinks) to the JSON
  Micros timeout = std::chrono::seconds(10);
};
struct EmailConfig {
  std::string url;  // smtp://host:port or smtps://host:port
  std::string username;
  std::string password;  // secret
  std::string from;
  std::vector<std::string> to;
  std::string subject_prefix = "[steward]";
  std::string dashboard_url;
  Micros timeout = std::chrono::seconds(30);
};

std::unique_ptr<Sender> MakeSlackSender(SlackConfig config);
std::unique_ptr<Sender> MakeSentrySender(SentryConfig config);
std::unique_ptr<Sender> MakeWebhookSender(WebhookConfig config);
std::unique_ptr<Sender> MakeEmailSender(EmailConfig config);

// --- helpers shared by senders (and tested on their own) -----------------
// "scheme://host[:port]/***": no userinfo, path or query, so a webhook URL,
// DSN key or token never reaches a log. Non-URLs become "***".
std::string SafeTarget(std::string_view url);
// One line: "FIRING job_discarded kind=email: <summary> (1024 times since
// <time>)". A resolve says what is true now, then what it was:
// "RESOLVED check_down check=x: check x is up again (was: Check x is late
// or down, 3 times since <time>)".
std::string Headline(const Notification& n);
// What is true now that the alert resolved: the resolve's detail ("check x
// is up again"), or "<rule> is no longer firing", then AckNote if any
// ("check x is up again — it was silenced until 14:00 UTC by ops").
std::string ResolvedNow(const Notification& n);
// "it was silenced until 14:00 UTC by ops" / "it was acknowledged by ops
// at 13:10 UTC", or "" when nobody acknowledged the alert. The date is
// added when it is not the day of the resolve.
std::string AckNote(const Notification& n);

// Where a notification leads in the dashboard (docs/dashboard.md), all
// absolute URLs under `dashboard_url`, or all empty when it is "":
//   page   what the notification is about: the failure groups of a kind
//          (/ui/failures?kind=), the check, schedule or queue, the nodes,
//          else the alert; the Now page (/ui/) for digests and tests;
//   alert  the alert's own page (/ui/alerts/{id}: acknowledge, silence),
//          "" without an alert;
//   job    the job that triggered it (/ui/jobs/{id}), "" without one.
// Names are percent-encoded.
struct DashboardLinkSet {
  std::string page, alert, job;
};
DashboardLinkSet DashboardLinks(const Notification& n, const std::string& dashboard_url);
// RFC 3986 percent-encoding of everything but unreserved characters, for a
// path segment or a query value.
std::string PercentEncode(std::string_view s);
// The dashboard page (a path under /ui/) of what an alert of `rule` with
// `labels` is about: its failure groups, check, schedule, queue or the
// nodes; "" when only the alert's own page fits. Notifications and the
// alerts API link the same page.
std::string AlertSubjectPath(std::string_view rule, const nlohmann::json& labels);
// Retry-After: delta seconds or an HTTP-date; nullopt when unparsable.
std::optional<Micros> ParseRetryAfter(std::string_view value, Timestamp now);
// X-Sentry-Rate-Limits: the longest limit that applies to error events
// ("60:error;transaction:org, 2700::org" -> 2700 s); nullopt if none.
std::optional<Micros> ParseSentryRateLimits(std::string_view value);
// Lowercase hex of HMAC-SHA256(key, data).
std::string HmacSha256Hex(std::string_view key, std::string_view data);
// 32 lowercase hex characters (a UUID4 without dashes).
std::string RandomHex32();
// Truncates to at most `max` bytes without splitting a UTF-8 sequence,
// ending in "…" when cut.
std::string Truncate(std::string_view s, size_t max);

// Slack message JSON (text + Block Kit blocks within Slack's limits).
nlohmann::json SlackPayload(const Notification& n, const std::string& dashboard_url);
// Several alert notifications as ONE Slack message: a header, then a
// section (what, how often, since, last error, link) and a context line
// (fingerprint) per notification. SlackCoalescable says how many of the
// leading `ns` fit Slack's limits (50 blocks, 3000 characters per section,
// ~40,000 characters in all); tests, digests and single ones go alone.
nlohmann::json SlackPayloadMany(std::span<const Notification> ns, const std::string& dashboard_url);
size_t SlackCoalescable(std::span<const Notification> ns, const std::string& dashboard_url);
// The daily digest as a Slack message: per-queue table, alerts, checks
// down, and a link to the dashboard's Now page when dashboard_url is set.
nlohmann::json SlackDigestPayload(const Notification& n, const std::string& dashboard_url = "");

struct SentryDsn {
  std::string scheme, host, key, project;  // host includes ":port"
  std::string envelope_url() const { return scheme + "://" + host + "/api/" + project + "/envelope/"; }
};
Result<SentryDsn> ParseSentryDsn(std::string_view dsn);
// The envelope body: header line, item header, event JSON.
std::string SentryEnvelope(const Notification& n, const SentryConfig& config,
                           const std::string& event_id, Timestamp now);

// curl's name for error `code` (a CURLcode) plus the detail in its error
// buffer, unless that detail quotes `url` or its path (secrets live there).
std::string CurlErrorText(int code, const char* errbuf, const std::string& url);

// One HTTP POST with libcurl (used by the HTTP senders).
struct HttpResponse {
  int status = 0;  // 0 when no response (connection refused, timeout)
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string body;
  std::string error;  // curl's error when status == 0
  std::optional<std::string> Header(std::string_view lower_name) const;
};
// `abort`, when given and set, ends the request early (curl's progress
// callback, which runs at least about once a second).
HttpResponse HttpPost(const std::string& url, const std::vector<std::string>& headers,
                      const std::string& body, Micros timeout,
                      const std::atomic<bool>* abort = nullptr);
// Makes a curl handle give up once `*abort` is set (see HttpPost).
void AbortWhenSet(void* curl_handle, const std::atomic<bool>* abort);
// Maps an HTTP answer to a DeliveryResult the common way: 2xx ok (or only
// `only_ok` when set), 429 retry with Retry-After (default 60 s), 408/5xx
// and no answer retry, other 4xx permanent.
DeliveryResult ClassifyHttp(const HttpResponse& r, const std::string& target,
                            std::optional<int> only_ok = std::nullopt);

}  // namespace steward::notify
