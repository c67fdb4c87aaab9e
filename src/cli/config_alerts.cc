#include "cli/config_alerts.h"

#include <cstdlib>

#include <toml++/toml.h>

#include "cli/config_keys.h"
#include "core/duration.h"

namespace steward::cli {

namespace {

Status KeyError(const std::string& key, const std::string& why) {
  return InvalidArgument(key + ": " + why);
}

std::string Fmt(double v) {
  std::string s = std::to_string(v);
  while (s.size() > 1 && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

class Reader {
 public:
  Reader(const toml::table* t, std::string prefix, const std::map<std::string, std::string>* env)
      : t_(t), prefix_(std::move(prefix)), env_(env) {}

  // "env:NAME" reads the environment; a missing variable is an error so a
  // typo does not silently disable a channel.
  Status String(const char* key, std::string& out) const {
    const toml::node* n = t_ ? t_->get(key) : nullptr;
    if (!n) return Status::Ok();
    auto v = n->value<std::string>();
    if (!v) return KeyError(prefix_ + key, "expected a string");
    if (v->rfind("env:", 0) == 0) {
      const std::string name = v->substr(4);
      std::optional<std::string> got;
      if (env_) {
        auto it = env_->find(name);
        if (it != env_->end()) got = it->second;
      } else if (const char* e = std::getenv(name.c_str())) {
        got = e;
      }
      if (!got) return KeyError(prefix_ + key, "environment variable " + name + " is not set");
      out = *got;
    } else {
      out = *v;
    }
    return Status::Ok();
  }
  Status Bool(const char* key, bool& out) const {
    const toml::node* n = t_ ? t_->get(key) : nullptr;
    if (!n) return Status::Ok();
    auto v = n->value<bool>();
    if (!v) return KeyError(prefix_ + key, "expected true or false");
    out = *v;
    return Status::Ok();
  }
  Status Int(const char* key, int& out, int min) const {
    const toml::node* n = t_ ? t_->get(key) : nullptr;
    if (!n) return Status::Ok();
    auto v = n->value<int64_t>();
    if (!v || *v < min || *v > 1'000'000) return KeyError(prefix_ + key, "expected an integer >= " + std::to_string(min));
    out = static_cast<int>(*v);
    return Status::Ok();
  }
  Status Double(const char* key, double& out, double min, double max) const {
    const toml::node* n = t_ ? t_->get(key) : nullptr;
    if (!n) return Status::Ok();
    auto v = n->value<double>();  // an integer converts too
    if (!v || *v < min || *v > max) {
      return KeyError(prefix_ + key, "expected a number from " + Fmt(min) + " to " + Fmt(max));
    }
    out = *v;
    return Status::Ok();
  }
  Status Duration(const char* key, Micros& out) const {
    std::string s;
    STEWARD_RETURN_IF_ERROR(String(key, s));
    if (s.empty()) return Status::Ok();
    auto d = ParseDuration(s);
    if (!d.ok()) return KeyError(prefix_ + key, d.status().message());
    out = *d;
    return Status::Ok();
  }
  Status StringList(const char* key, std::vector<std::string>& out) const {
    const toml::node* n = t_ ? t_->get(key) : nullptr;
    if (!n) return Status::Ok();
    if (auto s = n->value<std::string>()) {
      out = {*s};
      return Status::Ok();
    }
    const toml::array* arr = n->as_array();
    if (!arr) return KeyError(prefix_ + key, "expected a string or an array of strings");
    out.clear();
    for (const auto& e : *arr) {
      auto s = e.value<std::string>();
      if (!s) return KeyError(prefix_ + key, "expected strings");
      out.push_back(*s);
    }
    return Status::Ok();
  }
  Status Enabled(bool& out) const { return Bool("enabled", out); }
  // Rejects any key of this table not in `allowed` (typos are errors).
  Status Keys(std::initializer_list<std::string_view> allowed) const {
    if (!t_) return Status::Ok();
    return CheckKeys(*t_, std::string_view(prefix_).substr(0, prefix_.size() - 1), allowed);
  }

 private:
  const toml::table* t_;
  std::string prefix_;
  const std::map<std::string, std::string>* env_;
};

bool ValidHttpUrl(const std::string& u) { return u.rfind("https://", 0) == 0 || u.rfind("http://", 0) == 0; }

}  // namespace

std::vector<std::string> AlertsConfig::channels() const {
  std::vector<std::string> out;
  if (slack) out.push_back("slack");
  if (sentry) out.push_back("sentry");
  if (webhook) out.push_back("webhook");
  if (email) out.push_back("email");
  return out;
}

Result<AlertsConfig> ParseAlertsConfig(const Config& config, const std::map<std::string, std::string>* env) {
  AlertsConfig c;
  if (config.toml_text.empty()) return c;
  toml::table root;
  try {
    root = toml::parse(config.toml_text, config.source.empty() ? "steward.toml" : config.source);
  } catch (const toml::parse_error& err) {
    return InvalidArgument(std::string(err.description()));
  }
  const toml::table* alerts = root["alerts"].as_table();
  Reader a(alerts, "alerts.", env);
  STEWARD_RETURN_IF_ERROR(a.Keys({"enabled", "repeat_interval", "quiet_period", "group_wait",
                                  "dashboard_url", "kind_failing_consecutive", "failure_ratio",
                                  "failure_ratio_window", "failure_ratio_min_attempts",
                                  "queue_lag_threshold", "db_unreachable_after", "rules",
                                  "digest"}));
  STEWARD_RETURN_IF_ERROR(a.Enabled(c.enabled));
  STEWARD_RETURN_IF_ERROR(a.Duration("repeat_interval", c.repeat_interval));
  STEWARD_RETURN_IF_ERROR(a.Duration("quiet_period", c.rules.quiet_period));
  STEWARD_RETURN_IF_ERROR(a.Duration("group_wait", c.group_wait));
  STEWARD_RETURN_IF_ERROR(a.String("dashboard_url", c.dashboard_url));
  STEWARD_RETURN_IF_ERROR(a.Int("kind_failing_consecutive", c.rules.kind_failing_consecutive, 1));
  STEWARD_RETURN_IF_ERROR(a.Double("failure_ratio", c.rules.failure_ratio, 0.01, 1.0));
  STEWARD_RETURN_IF_ERROR(a.Duration("failure_ratio_window", c.rules.failure_ratio_window));
  STEWARD_RETURN_IF_ERROR(a.Int("failure_ratio_min_attempts", c.rules.failure_ratio_min_attempts, 1));
  if (c.rules.failure_ratio_window < std::chrono::minutes(1)) {
    return KeyError("alerts.failure_ratio_window", "must be at least 1m");
  }
  STEWARD_RETURN_IF_ERROR(a.Duration("queue_lag_threshold", c.rules.queue_lag_threshold));
  STEWARD_RETURN_IF_ERROR(a.Duration("db_unreachable_after", c.rules.db_unreachable_after));
  if (c.repeat_interval < std::chrono::minutes(1)) {
    return KeyError("alerts.repeat_interval", "must be at least 1m (reminders would flood the channel)");
  }
  if (!c.dashboard_url.empty() && !ValidHttpUrl(c.dashboard_url)) {
    return KeyError("alerts.dashboard_url", "expected an http:// or https:// URL");
  }
  // [dashboard] url is the newer home of the same setting; the old key
  // keeps working, and both must agree when both are set.
  if (auto url = root["dashboard"]["url"].value<std::string>()) {
    std::string base = *url;
    while (base.ends_with('/')) base.pop_back();
    std::string old = c.dashboard_url;
    while (old.ends_with('/')) old.pop_back();
    if (!old.empty() && old != base) {
      return KeyError("alerts.dashboard_url",
                      "differs from dashboard.url; set only dashboard.url");
    }
    if (ValidHttpUrl(base)) c.dashboard_url = base;
  }
  const toml::table* rules = alerts ? (*alerts)["rules"].as_table() : nullptr;
  Reader r(rules, "alerts.rules.", env);
  STEWARD_RETURN_IF_ERROR(r.Keys({"job_discarded", "kind_failing", "kind_failure_ratio",
                                  "queue_lag", "db_unreachable", "pool", "worker_lost",
                                  "check_down"}));
  STEWARD_RETURN_IF_ERROR(r.Bool("job_discarded", c.rules.job_discarded));
  STEWARD_RETURN_IF_ERROR(r.Bool("kind_failing", c.rules.kind_failing));
  STEWARD_RETURN_IF_ERROR(r.Bool("kind_failure_ratio", c.rules.kind_failure_ratio));
  STEWARD_RETURN_IF_ERROR(r.Bool("queue_lag", c.rules.queue_lag));
  STEWARD_RETURN_IF_ERROR(r.Bool("db_unreachable", c.rules.db_unreachable));
  STEWARD_RETURN_IF_ERROR(r.Bool("pool", c.rules.pool));
  STEWARD_RETURN_IF_ERROR(r.Bool("worker_lost", c.rules.worker_lost));
  STEWARD_RETURN_IF_ERROR(r.Bool("check_down", c.rules.check_down));

  const toml::table* digest = alerts ? (*alerts)["digest"].as_table() : nullptr;
  Reader d(digest, "alerts.digest.", env);
  STEWARD_RETURN_IF_ERROR(d.Keys({"enabled", "at", "time_zone", "max_late"}));
  STEWARD_RETURN_IF_ERROR(d.Enabled(c.digest.enabled));
  STEWARD_RETURN_IF_ERROR(d.String("at", c.digest.at));
  STEWARD_RETURN_IF_ERROR(d.String("time_zone", c.digest.time_zone));
  STEWARD_RETURN_IF_ERROR(d.Duration("max_late", c.digest.max_late));
  if (auto made = Digest::Make(c.digest); !made.ok()) {
    const bool zone = made.status().message().find("zone") != std::string::npos;
    return KeyError(zone ? "alerts.digest.time_zone" : "alerts.digest.at", made.status().message());
  }

  const toml::table* notify = root["notify"].as_table();
  if (notify) {
    STEWARD_RETURN_IF_ERROR(CheckKeys(*notify, "notify", {"slack", "sentry", "webhook", "email"}));
    for (const auto& [k, v] : *notify) {
      if (!v.is_table()) return KeyError("notify." + std::string(k.str()), "expected a table");
    }
  }
  auto section = [&](const char* name) -> const toml::table* {
    return notify ? (*notify)[name].as_table() : nullptr;
  };
  if (const toml::table* t = section("slack")) {
    Reader s(t, "notify.slack.", env);
    STEWARD_RETURN_IF_ERROR(s.Keys({"enabled", "webhook_url", "timeout", "min_interval"}));
    bool on = true;
    STEWARD_RETURN_IF_ERROR(s.Enabled(on));
    notify::SlackConfig sc;
    STEWARD_RETURN_IF_ERROR(s.String("webhook_url", sc.webhook_url));
    STEWARD_RETURN_IF_ERROR(s.Duration("timeout", sc.timeout));
    STEWARD_RETURN_IF_ERROR(s.Duration("min_interval", sc.min_interval));
    sc.dashboard_url = c.dashboard_url;
    if (!ValidHttpUrl(sc.webhook_url)) return KeyError("notify.slack.webhook_url", "expected an https:// URL");
    if (on) c.slack = sc;
  }
  if (const toml::table* t = section("sentry")) {
    Reader s(t, "notify.sentry.", env);
    STEWARD_RETURN_IF_ERROR(s.Keys({"enabled", "dsn", "environment", "release",
                                    "max_events_per_fingerprint", "cron_check_ins", "timeout"}));
    bool on = true;
    STEWARD_RETURN_IF_ERROR(s.Enabled(on));
    notify::SentryConfig sc;
    STEWARD_RETURN_IF_ERROR(s.String("dsn", sc.dsn));
    STEWARD_RETURN_IF_ERROR(s.String("environment", sc.environment));
    STEWARD_RETURN_IF_ERROR(s.String("release", sc.release));
    STEWARD_RETURN_IF_ERROR(s.Int("max_events_per_fingerprint", sc.max_events_per_fingerprint, 1));
    STEWARD_RETURN_IF_ERROR(s.Bool("cron_check_ins", sc.cron_check_ins));
    STEWARD_RETURN_IF_ERROR(s.Duration("timeout", sc.timeout));
    if (auto d = notify::ParseSentryDsn(sc.dsn); !d.ok()) return KeyError("notify.sentry.dsn", d.status().message());
    if (on) c.sentry = sc;
  }
  if (const toml::table* t = section("webhook")) {
    Reader s(t, "notify.webhook.", env);
    STEWARD_RETURN_IF_ERROR(s.Keys({"enabled", "url", "secret", "timeout"}));
    bool on = true;
    STEWARD_RETURN_IF_ERROR(s.Enabled(on));
    notify::WebhookConfig wc;
    STEWARD_RETURN_IF_ERROR(s.String("url", wc.url));
    STEWARD_RETURN_IF_ERROR(s.String("secret", wc.secret));
    STEWARD_RETURN_IF_ERROR(s.Duration("timeout", wc.timeout));
    if (!ValidHttpUrl(wc.url)) return KeyError("notify.webhook.url", "expected an http:// or https:// URL");
    if (on) c.webhook = wc;
  }
  if (const toml::table* t = section("email")) {
    Reader s(t, "notify.email.", env);
    STEWARD_RETURN_IF_ERROR(s.Keys({"enabled", "url", "username", "password", "from", "to",
                                    "subject_prefix", "timeout"}));
    bool on = true;
    STEWARD_RETURN_IF_ERROR(s.Enabled(on));
    notify::EmailConfig ec;
    STEWARD_RETURN_IF_ERROR(s.String("url", ec.url));
    STEWARD_RETURN_IF_ERROR(s.String("username", ec.username));
    STEWARD_RETURN_IF_ERROR(s.String("password", ec.password));
    STEWARD_RETURN_IF_ERROR(s.String("from", ec.from));
    STEWARD_RETURN_IF_ERROR(s.StringList("to", ec.to));
    STEWARD_RETURN_IF_ERROR(s.String("subject_prefix", ec.subject_prefix));
    STEWARD_RETURN_IF_ERROR(s.Duration("timeout", ec.timeout));
    ec.dashboard_url = c.dashboard_url;
    if (ec.url.rfind("smtp://", 0) != 0 && ec.url.rfind("smtps://", 0) != 0) {
      return KeyError("notify.email.url", "expected smtp://host:port or smtps://host:port");
    }
    if (ec.from.find('@') == std::string::npos) return KeyError("notify.email.from", "expected an address");
    if (ec.to.empty()) return KeyError("notify.email.to", "expected at least one address");
    for (const auto& to : ec.to) {
      if (to.find('@') == std::string::npos) return KeyError("notify.email.to", "\"" + to + "\" is not an address");
    }
    if (on) c.email = ec;
  }
  return c;
}

Result<std::map<std::string, std::unique_ptr<notify::Sender>>> MakeSenders(const AlertsConfig& c,
                                                                          const std::string& node) {
  std::map<std::string, std::unique_ptr<notify::Sender>> out;
  if (c.slack) out["slack"] = notify::MakeSlackSender(*c.slack);
  if (c.sentry) {
    notify::SentryConfig sc = *c.sentry;
    sc.node = node;
    auto s = notify::MakeSentrySender(sc);
    if (!s) return InvalidArgument("notify.sentry.dsn: invalid DSN");
    out["sentry"] = std::move(s);
  }
  if (c.webhook) out["webhook"] = notify::MakeWebhookSender(*c.webhook);
  if (c.email) out["email"] = notify::MakeEmailSender(*c.email);
  return out;
}

}  // namespace steward::cli
