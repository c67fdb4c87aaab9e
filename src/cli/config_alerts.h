// The [alerts] and [notify.*] sections of steward.toml (docs/alerts.md).
//
//   [alerts]
//   enabled = true
//   repeat_interval = "4h"          # reminder while an alert keeps firing
//   quiet_period = "1h"             # discards etc. resolve after this without repeats
//   group_wait = "10s"              # a burst gathers this long before the first message
//   dashboard_url = "https://steward.example.com"
//   kind_failing_consecutive = 5
//   failure_ratio = 0.5             # kind_failure_ratio: share of failed attempts...
//   failure_ratio_window = "10m"    # ...over this window...
//   failure_ratio_min_attempts = 20 # ...once it has this many attempts
//   queue_lag_threshold = "5m"
//   db_unreachable_after = "60s"
//   [alerts.rules]                  # every rule is on by default
//   job_discarded = true  kind_failing = true  queue_lag = true
//   db_unreachable = true  pool = true  worker_lost = true  check_down = true
//   kind_failure_ratio = true
//   [alerts.digest]                 # off by default
//   enabled = true  at = "09:00"  time_zone = "Europe/Berlin"
//
//   [notify.slack]   webhook_url = "env:SLACK_WEBHOOK_URL"
//   [notify.sentry]  dsn = "env:SENTRY_DSN"  environment = "production"  cron_check_ins = false
//   [notify.webhook] url = "https://..."  secret = "env:STEWARD_WEBHOOK_SECRET"
//   [notify.email]   url = "smtp://mail:587"  from = "..."  to = ["..."]
//                    username = "..."  password = "env:SMTP_PASSWORD"
//
// Any string value may be "env:NAME": it is read from the environment, so
// secrets stay out of the file. A channel is configured when its section
// exists (and `enabled` is not false).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cli/config.h"
#include "watch/alert_rules.h"
#include "watch/digest.h"
#include "watch/notify.h"

namespace steward::cli {

struct AlertsConfig {
  bool enabled = true;
  AlertRulesConfig rules;
  Micros repeat_interval = std::chrono::hours(4);
  Micros group_wait = std::chrono::seconds(10);
  std::string dashboard_url;
  DigestConfig digest;  // [alerts.digest]
  std::optional<notify::SlackConfig> slack;
  std::optional<notify::SentryConfig> sentry;
  std::optional<notify::WebhookConfig> webhook;
  std::optional<notify::EmailConfig> email;

  std::vector<std::string> channels() const;
};

// Parses [alerts] and [notify.*] from config.toml_text. `env` replaces
// getenv (tests). kInvalidArgument names the key ("notify.email.to: ...").
Result<AlertsConfig> ParseAlertsConfig(const Config& config,
                                       const std::map<std::string, std::string>* env = nullptr);

// One sender per configured channel; kInvalidArgument if one cannot be
// built (bad DSN...). `node` tags Sentry events.
Result<std::map<std::string, std::unique_ptr<notify::Sender>>> MakeSenders(const AlertsConfig& config,
                                                                          const std::string& node);

}  // namespace steward::cli
