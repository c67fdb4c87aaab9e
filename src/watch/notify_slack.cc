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

std::string Icon(const Notification& n) {
  return n.resolved() ? ":white_check_mark:" : n.event == "test" ? ":wave:"
         : n.severity == "warning" ? ":warning:" : ":rotating_light:";
}

// "<page|Open in dashboard> · <alert|Alert> · <job|Job 42>": one line of
// links a phone can tap; "" without a dashboard_url.
std::string LinkLine(const Notification& n, const std::string& dashboard_url) {
  const DashboardLinkSet links = DashboardLinks(n, dashboard_url);
  if (links.page.empty()) return "";
  std::string out = "<" + Escape(links.page) + "|Open in dashboard>";
  if (!links.alert.empty() && links.alert != links.page) out += " · <" + Escape(links.alert) + "|Alert>";
  if (!links.job.empty()) out += " · <" + Escape(links.job) + "|Job " + std::to_string(*n.job_id) + ">";
  return out;
}

std::string LabelText(const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// Limits of one combined message (https://api.slack.com/reference/block-kit/blocks).
constexpr size_t kMaxBlocks = 50;
constexpr size_t kBlocksPerItem = 2;   // section + context
constexpr size_t kMaxTotalChars = 38000;  // Slack truncates text beyond ~40,000
constexpr size_t kItemHeadlineChars = 300;

// One notification of a combined message as a section (<= 3000 chars).
std::string CompactSection(const Notification& n, const std::string& dashboard_url) {
  std::string out = Icon(n) + " *" + Escape(Truncate(Headline(n), 600)) + "*";
  std::string facts;
  if (n.resolved_at) facts += "resolved " + FormatTimestamp(*n.resolved_at) + " · ";
  facts += "last seen " + FormatTimestamp(n.last_seen);
  out += "\n" + facts;
  if (!n.detail.empty()) out += "\n```" + Escape(Truncate(n.detail, 1500)) + "```";
  if (auto links = LinkLine(n, dashboard_url); !links.empty()) out += "\n" + links;
  return Truncate(out, 3000);
}

bool Coalesces(const Notification& n) {
  return n.event == "open" || n.event == "repeat" || n.event == "resolve";
}

class SlackSender final : public Sender {
 public:
  explicit SlackSender(SlackConfig c) : c_(std::move(c)) {}
  std::string channel() const override { return "slack"; }
  std::string describe() const override { return SafeTarget(c_.webhook_url); }
  Micros min_interval() const override { return c_.min_interval; }

  DeliveryResult Deliver(const Notification& n) override {
    const std::string body =
        (n.event == "digest" ? SlackDigestPayload(n, c_.dashboard_url) : SlackPayload(n, c_.dashboard_url)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    HttpResponse r = HttpPost(c_.webhook_url, {"Content-Type: application/json"}, body, c_.timeout, aborting());
    return ClassifyHttp(r, describe(), 200);
  }

  size_t Coalescable(std::span<const Notification> ns) const override {
    return SlackCoalescable(ns, c_.dashboard_url);
  }
  DeliveryResult DeliverMany(std::span<const Notification> ns) override {
    if (ns.size() == 1) return Deliver(ns.front());
    const std::string body =
        SlackPayloadMany(ns, c_.dashboard_url).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    HttpResponse r = HttpPost(c_.webhook_url, {"Content-Type: application/json"}, body, c_.timeout, aborting());
    DeliveryResult d = ClassifyHttp(r, describe(), 200);
    d.message += " (" + std::to_string(ns.size()) + " notifications in one message)";
    return d;
  }

 private:
  SlackConfig c_;
};

}  // namespace

nlohmann::json SlackPayload(const Notification& n, const std::string& dashboard_url) {
  const std::string icon = Icon(n);
  const std::string headline = Headline(n);
  nlohmann::json blocks = nlohmann::json::array();
  blocks.push_back({{"type", "header"},
                    {"text", {{"type", "plain_text"}, {"text", Truncate(headline, 150)}, {"emoji", true}}}});
  std::string what;
  if (n.resolved()) {
    // What is true now first; the alert's own summary says what was wrong.
    what = icon + " *Resolved: " + Escape(ResolvedNow(n)) + "*";
    if (!n.summary.empty()) what += "\nWas: " + Escape(n.summary);
  } else {
    what = icon + " *" + Escape(n.summary.empty() ? headline : n.summary) + "*";
    if (!n.detail.empty()) what += "\n```" + Escape(Truncate(n.detail, 2500)) + "```";
  }
  blocks.push_back({{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", Truncate(what, 3000)}}}});
  if (n.event != "test" && n.event != "digest") {
    nlohmann::json fields = nlohmann::json::array();
    fields.push_back(Mrkdwn("*How often*\n" + std::to_string(n.count) + (n.count == 1 ? " time" : " times")));
    fields.push_back(Mrkdwn(std::string(n.resolved() ? "*Firing since*" : "*Since*") + "\n" +
                            FormatTimestamp(n.first_seen)));
    fields.push_back(Mrkdwn("*Last seen*\n" + FormatTimestamp(n.last_seen)));
    if (n.resolved_at) fields.push_back(Mrkdwn("*Resolved*\n" + FormatTimestamp(*n.resolved_at)));
    for (const auto& [k, v] : n.labels.items()) {
      if (fields.size() >= 10) break;
      fields.push_back(Mrkdwn("*" + Escape(k) + "*\n" + Escape(LabelText(v))));
    }
    blocks.push_back({{"type", "section"}, {"fields", fields}});
  }
  if (auto links = LinkLine(n, dashboard_url); !links.empty()) {
    blocks.push_back({{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", links}}}});
  }
  blocks.push_back({{"type", "context"},
                    {"elements", nlohmann::json::array({Mrkdwn("`" + Escape(Truncate(n.fingerprint, 200)) + "` · steward")})}});
  return {{"text", Truncate(headline, 3000)}, {"blocks", blocks}};
}

size_t SlackCoalescable(std::span<const Notification> ns, const std::string& dashboard_url) {
  if (ns.empty() || !Coalesces(ns.front())) return 1;
  size_t chars = 0, n = 0;
  for (const Notification& item : ns) {
    if (!Coalesces(item) || 1 + (n + 1) * kBlocksPerItem > kMaxBlocks) break;
    // The section, the context line and the headline in the text fallback.
    chars += CompactSection(item, dashboard_url).size() + kItemHeadlineChars + 210;
    if (n > 0 && chars > kMaxTotalChars) break;
    ++n;
  }
  return std::max<size_t>(n, 1);
}

nlohmann::json SlackPayloadMany(std::span<const Notification> ns, const std::string& dashboard_url) {
  size_t firing = 0;
  for (const Notification& n : ns) firing += n.resolved() ? 0 : 1;
  const std::string title = "Steward: " + std::to_string(ns.size()) + " notifications (" + std::to_string(firing) +
                            " firing, " + std::to_string(ns.size() - firing) + " resolved)";
  nlohmann::json blocks = nlohmann::json::array();
  blocks.push_back({{"type", "header"},
                    {"text", {{"type", "plain_text"}, {"text", Truncate(title, 150)}, {"emoji", true}}}});
  std::string text = title;
  for (const Notification& n : ns) {
    text += "\n" + Truncate(Headline(n), kItemHeadlineChars);
    blocks.push_back({{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", CompactSection(n, dashboard_url)}}}});
    blocks.push_back({{"type", "context"},
                      {"elements", nlohmann::json::array({Mrkdwn("`" + Escape(Truncate(n.fingerprint, 200)) + "`")})}});
  }
  return {{"text", Truncate(text, 39000)}, {"blocks", blocks}};
}

nlohmann::json SlackDigestPayload(const Notification& n, const std::string& dashboard_url) {
  const nlohmann::json& d = n.digest.is_object() ? n.digest : nlohmann::json::object();
  nlohmann::json blocks = nlohmann::json::array();
  blocks.push_back({{"type", "header"},
                    {"text", {{"type", "plain_text"},
                              {"text", Truncate("Steward daily digest " + d.value("day", std::string()), 150)},
                              {"emoji", true}}}});
  blocks.push_back({{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", Truncate(Escape(n.summary), 3000)}}}});
  // Per-queue numbers as a monospaced table; a code block keeps columns.
  std::string table = "queue               run      failed  failed attempts\n";
  const auto queues = d.value("queues", nlohmann::json::array());
  for (const auto& q : queues) {
    std::string name = Truncate(q.value("queue", std::string()), 19);
    name.resize(std::max<size_t>(name.size(), 20), ' ');
    std::string run = std::to_string(q.value("run", int64_t{0}));
    run.resize(std::max<size_t>(run.size(), 9), ' ');
    std::string failed = std::to_string(q.value("failed", int64_t{0}));
    failed.resize(std::max<size_t>(failed.size(), 8), ' ');
    table += name + run + failed + std::to_string(q.value("failed_attempts", int64_t{0})) + "\n";
  }
  if (queues.empty()) table += "(no job finished)\n";
  blocks.push_back({{"type", "section"},
                    {"text", {{"type", "mrkdwn"}, {"text", Truncate("*Jobs*\n```" + Escape(table) + "```", 3000)}}}});
  std::string alerts = "*Alerts*: " + std::to_string(d.value("alerts_opened", int64_t{0})) + " opened, " +
                       std::to_string(d.value("alerts_resolved", int64_t{0})) + " resolved, " +
                       std::to_string(d.value("alerts_open_now", int64_t{0})) + " open now";
  for (const auto& a : d.value("alerts", nlohmann::json::array())) {
    // A resolved alert's summary says what was wrong: mark it as past.
    const bool open = a.value("state", "") == "open";
    const std::string summary = Escape(Truncate(a.value("summary", std::string()), 150));
    alerts += "\n" + std::string(open ? ":rotating_light: " : ":white_check_mark: ") + "`" +
              Escape(a.value("fingerprint", std::string())) + "` " +
              (open ? summary : "resolved (was: " + summary + ")");
  }
  blocks.push_back({{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", Truncate(alerts, 3000)}}}});
  std::string checks = "*Checks down*: ";
  const auto down = d.value("checks_down", nlohmann::json::array());
  if (down.empty()) checks += "none";
  for (size_t i = 0; i < down.size(); ++i) {
    checks += (i ? ", " : "") + std::string("`") + Escape(down[i].value("name", std::string())) + "`";
  }
  blocks.push_back({{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", Truncate(checks, 3000)}}}});
  if (auto links = LinkLine(n, dashboard_url); !links.empty()) {
    blocks.push_back({{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", links}}}});
  }
  blocks.push_back({{"type", "context"},
                    {"elements", nlohmann::json::array({Mrkdwn("24 hours to " + d.value("until", std::string()) +
                                                               " · counts from the jobs retention kept · steward")})}});
  return {{"text", Truncate(n.summary, 3000)}, {"blocks", blocks}};
}

std::unique_ptr<Sender> MakeSlackSender(SlackConfig config) {
  return std::make_unique<SlackSender>(std::move(config));
}

}  // namespace steward::notify
