// Generic webhook: the notification as JSON, signed so the receiver can
// check it came from us: X-Steward-Signature: sha256=<hex HMAC-SHA256 of the
// exact body bytes, keyed with the configured secret>, plus
// X-Steward-Timestamp (Unix seconds) so receivers can refuse old replays.
// 2xx is success; 429 and 5xx retry; other 4xx are permanent. With a
// dashboard_url the JSON carries "links" ({"page", "alert", "job"}: see
// DashboardLinks); a resolve of an acknowledged alert carries "acked_by",
// "acked_at" and "silenced_until".
#include "watch/notify.h"

namespace steward::notify {

namespace {

class WebhookSender final : public Sender {
 public:
  explicit WebhookSender(WebhookConfig c) : c_(std::move(c)) {}
  std::string channel() const override { return "webhook"; }
  std::string describe() const override { return SafeTarget(c_.url); }

  DeliveryResult Deliver(const Notification& n) override {
    nlohmann::json j = {
        {"event", n.event},           {"outbox_id", n.outbox_id}, {"fingerprint", n.fingerprint},
        {"rule", n.rule},             {"labels", n.labels},       {"severity", n.severity},
        {"summary", n.summary},       {"detail", n.detail},       {"count", n.count},
        {"first_seen", FormatTimestamp(n.first_seen)},
        {"last_seen", FormatTimestamp(n.last_seen)},
        {"headline", Headline(n)},
    };
    if (n.alert_id) j["alert_id"] = *n.alert_id;
    if (n.job_id) j["job_id"] = *n.job_id;
    if (n.resolved_at) j["resolved_at"] = FormatTimestamp(*n.resolved_at);
    if (!n.acked_by.empty()) j["acked_by"] = n.acked_by;
    if (n.acked_at) j["acked_at"] = FormatTimestamp(*n.acked_at);
    if (n.silenced_until) j["silenced_until"] = FormatTimestamp(*n.silenced_until);
    if (n.event == "digest") j["digest"] = n.digest;
    if (const DashboardLinkSet links = DashboardLinks(n, c_.dashboard_url); !links.page.empty()) {
      nlohmann::json l = {{"page", links.page}};
      if (!links.alert.empty()) l["alert"] = links.alert;
      if (!links.job.empty()) l["job"] = links.job;
      j["links"] = std::move(l);
    }
    const std::string body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::vector<std::string> headers = {
        "Content-Type: application/json",
        "X-Steward-Timestamp: " + std::to_string(ToMicros(SystemClock().Now()) / 1'000'000),
        // Lets receivers drop the duplicates at-least-once delivery may bring.
        "X-Steward-Delivery: " + std::to_string(n.outbox_id),
    };
    if (!c_.secret.empty()) headers.push_back("X-Steward-Signature: sha256=" + HmacSha256Hex(c_.secret, body));
    return ClassifyHttp(HttpPost(c_.url, headers, body, c_.timeout, aborting()), describe());
  }

 private:
  WebhookConfig c_;
};

}  // namespace

std::unique_ptr<Sender> MakeWebhookSender(WebhookConfig config) {
  return std::make_unique<WebhookSender>(std::move(config));
}

}  // namespace steward::notify
