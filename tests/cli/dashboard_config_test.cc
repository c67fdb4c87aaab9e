// [dashboard]: defaults, every key, errors naming the key, and its url
// feeding the notification links (the older [alerts] dashboard_url still
// works; both set must agree).
#include <gtest/gtest.h>

#include "cli/config.h"
#include "cli/config_alerts.h"
#include "cli/server_config.h"

namespace steward::cli {
namespace {

using namespace std::chrono_literals;

const std::map<std::string, std::string> kNoEnv;

TEST(DashboardConfigTest, DefaultsAndEveryKey) {
  auto d = ParseServerConfig("", &kNoEnv);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->dashboard.url, "");
  EXPECT_EQ(d->dashboard.session_ttl, Micros(24h * 30));
  EXPECT_FALSE(d->dashboard.hide_payloads_from_read_only);

  auto s = ParseServerConfig(
      "[dashboard]\nurl = \"https://steward.example.com/\"\nsession_ttl = \"12h\"\n"
      "hide_payloads_from_read_only = true\n",
      &kNoEnv);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->dashboard.url, "https://steward.example.com");
  EXPECT_EQ(s->dashboard.session_ttl, Micros(12h));
  EXPECT_TRUE(s->dashboard.hide_payloads_from_read_only);
  // The top-level parser knows the section.
  EXPECT_TRUE(ParseConfig("[dashboard]\nsession_ttl = \"1d\"\n").ok());
}

TEST(DashboardConfigTest, ErrorsNameTheKey) {
  for (const auto& [toml, key] : std::vector<std::pair<std::string, std::string>>{
           {"[dashboard]\nurl = \"steward.example.com\"\n", "dashboard.url"},
           {"[dashboard]\nsession_ttl = \"1m\"\n", "dashboard.session_ttl"},
           {"[dashboard]\nsession_ttl = \"forever\"\n", "dashboard.session_ttl"},
           {"[dashboard]\nhide_payloads_from_read_only = \"yes\"\n", "dashboard.hide_payloads_from_read_only"},
           {"[dashboard]\nsesion_ttl = \"1d\"\n", "sesion_ttl"}}) {
    auto s = ParseServerConfig(toml, &kNoEnv);
    ASSERT_FALSE(s.ok()) << toml;
    EXPECT_NE(s.status().message().find(key), std::string::npos) << s.status().message();
  }
}

TEST(DashboardConfigTest, DashboardUrlFeedsNotificationLinks) {
  auto alerts = [](const std::string& toml) -> Result<AlertsConfig> {
    auto c = ParseConfig(toml);
    if (!c.ok()) return c.status();
    return ParseAlertsConfig(*c, &kNoEnv);
  };
  auto a = alerts("[dashboard]\nurl = \"https://dash.example.com/\"\n");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->dashboard_url, "https://dash.example.com");
  auto old = alerts("[alerts]\ndashboard_url = \"https://old.example.com\"\n");
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->dashboard_url, "https://old.example.com");
  auto both = alerts("[alerts]\ndashboard_url = \"https://a.example.com\"\n"
                     "[dashboard]\nurl = \"https://b.example.com\"\n");
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.status().message().find("dashboard.url"), std::string::npos);
  EXPECT_TRUE(alerts("[alerts]\ndashboard_url = \"https://a.example.com/\"\n"
                     "[dashboard]\nurl = \"https://a.example.com\"\n")
                  .ok());
}

}  // namespace
}  // namespace steward::cli
