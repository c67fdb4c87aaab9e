// Slack incoming webhooks: `text` (the notification fallback) plus Block
// Kit blocks, kept inside Slack's limits (header <= 150 chars, section text
// <= 3000, <= 10 fields of <= 2000, <= 50 blocks). Only HTTP 200 is success;
// 400 invalid_payload, 403, 404 channel_not_found and 410
// channel_is_archived are permanent; 429 waits for Retry-After.
#include "watch/notify.h"

namespace steward::notify {

namespace {

// mrkdwn treats &, < and > as control characters.
std::string Escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '&') {
      out += "&amp;";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else {
      out += c;
    }
  }
  return out;
}

nlohmann::json Mrkdwn(const std::string& text) {
  return {{"type", "mrkdwn"}, {"text", Truncate(text, 2000)}};
}

class SlackSender final : public Sender {
 public:
  explicit SlackSender(SlackConfig c) : c_(std::move(c)) {}
  std::string channel() const override { return "slack"; }
  std::string describe() const override { return SafeTarget(c_.webhook_url); }
  Micros min_interval() const override { return c_.min_interval; }

  DeliveryResult Deliver(const Notification& n) override {
    const std::string body =
        SlackPayload(n, c_.dashboard_url).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    HttpResponse r = HttpPost(c_.webhook_url, {"Content-Type: application/json"}, body, c_.timeout);
    return ClassifyHttp(r, describe(), 200);
  }

 private:
  SlackConfig c_;
};

}  // namespace

nlohmann::json SlackPayload(const Notification& n, const std::string& dashboard_url) {
  const bool resolved = n.resolved();
  const std::string icon = resolved ? ":white_check_mark:" : n.event == "test" ? ":wave:"
                           : n.severity == "warning" ? ":warning:" : ":rotating_light:";
  const std::string headline = Headline(n);
  nlohmann::json blocks = nlohmann::json::array();
  blocks.push_back({{"type", "header"},
                    {"text", {{"type", "plain_text"}, {"text", Truncate(headline, 150)}, {"emoji", true}}}});
  std::string what = icon + " *" + Escape(n.summary.empty() ? headline : n.summary) + "*";
  if (!n.detail.empty()) what += "\n```" + Escape(Truncate(n.detail, 2500)) + "```";
  blocks.push_back({{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", Truncate(what, 3000)}}}});
  if (n.event != "test" && n.event != "digest") {
    nlohmann::json fields = nlohmann::json::array();
    fields.push_back(Mrkdwn("*How often*\n" + std::to_string(n.count) + (n.count == 1 ? " time" : " times")));
    fields.push_back(Mrkdwn("*Since*\n" + FormatTimestamp(n.first_seen)));
    fields.push_back(Mrkdwn("*Last seen*\n" + FormatTimestamp(n.last_seen)));
    if (n.resolved_at) fields.push_back(Mrkdwn("*Resolved*\n" + FormatTimestamp(*n.resolved_at)));
    for (const auto& [k, v] : n.labels.items()) {
      if (fields.size() >= 10) break;
      fields.push_back(Mrkdwn("*" + Escape(k) + "*\n" + Escape(v.is_string() ? v.get<std::string>() : v.dump())));
    }
    blocks.push_back({{"type", "section"}, {"fields", fields}});
  }
  if (n.job_id && !dashboard_url.empty()) {
    std::string base = dashboard_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    const std::string link = base + "/jobs/" + std::to_string(*n.job_id);
    blocks.push_back({{"type", "section"},
                      {"text", {{"type", "mrkdwn"}, {"text", "<" + link + "|Open job " + std::to_string(*n.job_id) + " in the dashboard>"}}}});
  }
  blocks.push_back({{"type", "context"},
                    {"elements", nlohmann::json::array({Mrkdwn("`" + Escape(Truncate(n.fingerprint, 200)) + "` · steward")})}});
  return {{"text", Truncate(headline, 3000)}, {"blocks", blocks}};
}

std::unique_ptr<Sender> MakeSlackSender(SlackConfig config) {
  return std::make_unique<SlackSender>(std::move(config));
}

}  // namespace steward::notify
