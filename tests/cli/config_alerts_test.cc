// [alerts] and [notify.*]: defaults, every key, env: secrets, and errors
// that name the key.
#include <gtest/gtest.h>

#include "cli/config_alerts.h"

namespace steward::cli {
namespace {

using namespace std::chrono_literals;

Result<AlertsConfig> Parse(const std::string& toml, const std::map<std::string, std::string>& env = {}) {
  auto c = ParseConfig(toml);
  if (!c.ok()) return c.status();
  return ParseAlertsConfig(*c, &env);
}

TEST(ConfigAlertsTest, DefaultsHaveEveryRuleOnAndNoChannel) {
  auto c = Parse("");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->enabled);
  EXPECT_TRUE(c->rules.job_discarded && c->rules.kind_failing && c->rules.queue_lag &&
              c->rules.db_unreachable && c->rules.pool && c->rules.worker_lost && c->rules.check_down);
  EXPECT_EQ(c->rules.kind_failing_consecutive, 5);
  EXPECT_EQ(c->rules.queue_lag_threshold, Micros(5min));
  EXPECT_EQ(c->rules.db_unreachable_after, Micros(60s));
  EXPECT_EQ(c->repeat_interval, Micros(4h));
  EXPECT_TRUE(c->channels().empty());
}

TEST(ConfigAlertsTest, EverySectionParsesAndSecretsComeFromTheEnvironment) {
  auto c = Parse(R"(
[alerts]
repeat_interval = "2h"
quiet_period = "30m"
dashboard_url = "https://steward.example.com"
kind_failing_consecutive = 3
queue_lag_threshold = "10m"
db_unreachable_after = "2m"
[alerts.rules]
queue_lag = false
[notify.slack]
webhook_url = "env:SLACK_URL"
[notify.sentry]
dsn = "env:SENTRY_DSN"
environment = "staging"
cron_check_ins = true
[notify.webhook]
url = "https://hooks.example.com/steward"
secret = "env:HOOK_SECRET"
[notify.email]
url = "smtp://mail.example.com:587"
from = "steward@example.com"
to = ["a@example.com", "b@example.com"]
password = "env:SMTP_PASSWORD"
)",
                 {{"SLACK_URL", "https://hooks.slack.com/services/T/B/X"},
                  {"SENTRY_DSN", "https://k@o1.ingest.sentry.io/7"},
                  {"HOOK_SECRET", "whsec"},
                  {"SMTP_PASSWORD", "pw"}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->repeat_interval, Micros(2h));
  EXPECT_EQ(c->rules.quiet_period, Micros(30min));
  EXPECT_EQ(c->rules.kind_failing_consecutive, 3);
  EXPECT_FALSE(c->rules.queue_lag);
  EXPECT_TRUE(c->rules.job_discarded);
  ASSERT_TRUE(c->slack && c->sentry && c->webhook && c->email);
  EXPECT_EQ(c->slack->webhook_url, "https://hooks.slack.com/services/T/B/X");
  EXPECT_EQ(c->slack->dashboard_url, "https://steward.example.com");
  EXPECT_EQ(c->sentry->environment, "staging");
  EXPECT_TRUE(c->sentry->cron_check_ins);
  EXPECT_EQ(c->webhook->secret, "whsec");
  EXPECT_EQ(c->email->password, "pw");
  EXPECT_EQ(c->email->to.size(), 2u);
  EXPECT_EQ(c->channels(), (std::vector<std::string>{"slack", "sentry", "webhook", "email"}));
  auto senders = MakeSenders(*c, "node-1");
  ASSERT_TRUE(senders.ok());
  EXPECT_EQ(senders->size(), 4u);
  EXPECT_EQ(senders->at("slack")->describe(), "https://hooks.slack.com/***");
}

TEST(ConfigAlertsTest, ErrorsNameTheKeyAndNeverTheSecret) {
  auto c = Parse("[notify.slack]\nwebhook_url = \"env:NOPE\"\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("notify.slack.webhook_url"), std::string::npos);
  EXPECT_NE(c.status().message().find("NOPE"), std::string::npos);

  c = Parse("[notify.sentry]\ndsn = \"https://verysecretkey@host\"\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("notify.sentry.dsn"), std::string::npos);
  EXPECT_EQ(c.status().message().find("verysecretkey"), std::string::npos) << c.status().message();

  c = Parse("[notify.pager]\nurl = \"x\"\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("notify.pager"), std::string::npos);

  c = Parse("[alerts]\nqueue_lag_threshold = \"soon\"\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("alerts.queue_lag_threshold"), std::string::npos);

  c = Parse("[notify.email]\nurl = \"smtp://m:25\"\nfrom = \"a@b\"\nto = []\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("notify.email.to"), std::string::npos);
}

TEST(ConfigAlertsTest, FailureRatioAndDigestKeys) {
  auto c = Parse("");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->rules.kind_failure_ratio);
  EXPECT_DOUBLE_EQ(c->rules.failure_ratio, 0.5);
  EXPECT_EQ(c->rules.failure_ratio_window, Micros(10min));
  EXPECT_EQ(c->rules.failure_ratio_min_attempts, 20);
  EXPECT_FALSE(c->digest.enabled) << "the digest is off by default";
  EXPECT_FALSE(notify::SentryConfig{}.cron_check_ins) << "check-ins are off by default";

  c = Parse(R"(
[alerts]
failure_ratio = 0.25
failure_ratio_window = "30m"
failure_ratio_min_attempts = 50
[alerts.rules]
kind_failure_ratio = false
[alerts.digest]
enabled = true
at = "07:30"
time_zone = "Europe/Berlin"
)");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_FALSE(c->rules.kind_failure_ratio);
  EXPECT_DOUBLE_EQ(c->rules.failure_ratio, 0.25);
  EXPECT_EQ(c->rules.failure_ratio_window, Micros(30min));
  EXPECT_EQ(c->rules.failure_ratio_min_attempts, 50);
  EXPECT_TRUE(c->digest.enabled);
  EXPECT_EQ(c->digest.at, "07:30");
  EXPECT_EQ(c->digest.time_zone, "Europe/Berlin");

  for (const auto& [toml, key] : std::vector<std::pair<std::string, std::string>>{
           {"[alerts]\nfailure_ratio = 1.5\n", "alerts.failure_ratio"},
           {"[alerts]\nfailure_ratio = \"half\"\n", "alerts.failure_ratio"},
           {"[alerts]\nfailure_ratio_window = \"10s\"\n", "alerts.failure_ratio_window"},
           {"[alerts]\nfailure_ratio_min_attempts = 0\n", "alerts.failure_ratio_min_attempts"},
           {"[alerts.digest]\nat = \"25:00\"\n", "alerts.digest.at"},
           {"[alerts.digest]\ntime_zone = \"Mars/Base\"\n", "alerts.digest.time_zone"},
       }) {
    auto bad = Parse(toml);
    ASSERT_FALSE(bad.ok()) << toml;
    EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(bad.status().message().find(key), std::string::npos) << bad.status().message();
  }
}

TEST(ConfigAlertsTest, DisabledChannelIsNotUsed) {
  auto c = Parse("[notify.webhook]\nenabled = false\nurl = \"https://x.example.com/\"\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->channels().empty());
}

}  // namespace
}  // namespace steward::cli
