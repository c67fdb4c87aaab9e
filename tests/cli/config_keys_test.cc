// Unknown keys are errors in every section of steward.toml, and the error
// names the key with its section and suggests the nearest valid key.
#include "cli/config_keys.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli/config.h"
#include "cli/config_alerts.h"
#include "cli/config_schedules.h"
#include "cli/server_config.h"

namespace steward::cli {
namespace {

// The error of the first parser that rejects `toml` (core config, then the
// sections owned by other modules, as `steward serve` reads them), or "".
std::string FirstError(const std::string& toml) {
  auto c = ParseConfig(toml);
  if (!c.ok()) return c.status().message();
  const std::map<std::string, std::string> env;
  if (auto a = ParseAlertsConfig(*c, &env); !a.ok()) return a.status().message();
  if (auto s = ParseScheduleConfig(toml, "steward.toml"); !s.ok()) return s.status().message();
  if (auto s = ParseServerConfig(toml, &env); !s.ok()) return s.status().message();
  return "";
}

TEST(ConfigKeysTest, NearestKeyAllowsSmallTyposOnly) {
  const std::vector<std::string_view> worker = {"lease", "id"};
  const std::vector<std::string_view> alerts = {"group_wait", "quiet_period"};
  const std::vector<std::string_view> kind = {"command", "env"};
  const std::vector<std::string_view> digest = {"id", "at"};
  EXPECT_EQ(NearestKey("leese", worker), "lease");
  EXPECT_EQ(NearestKey("group_wiat", alerts), "group_wait");  // a swap is one edit
  EXPECT_EQ(NearestKey("comand", kind), "command");
  EXPECT_EQ(NearestKey("xyz", digest), "");
  EXPECT_EQ(NearestKey("totally_different", worker), "");
}

TEST(ConfigKeysTest, EverySectionRejectsATypoAndSuggestsTheKey) {
  struct Case {
    const char* toml;
    const char* error;
  };
  const Case cases[] = {
      {"databse = \"x.db\"\n", "steward.toml: unknown key databse; did you mean database?"},
      {"[worker]\nleese = \"30s\"\n", "unknown key worker.leese; did you mean lease?"},
      {"[queues.default]\nconcurency = 4\n",
       "unknown key queues.default.concurency; did you mean concurrency?"},
      {"[kinds.x]\ntype = \"exec\"\ncommand = [\"true\"]\ntimout = \"5s\"\n",
       "unknown key kinds.x.timout; did you mean timeout?"},
      {"[alerts]\ngroup_wiat = \"10s\"\n",
       "unknown key alerts.group_wiat; did you mean group_wait?"},
      {"[alerts.rules]\nqueue_lagg = false\n",
       "unknown key alerts.rules.queue_lagg; did you mean queue_lag?"},
      {"[alerts.digest]\ntimezone = \"UTC\"\n",
       "unknown key alerts.digest.timezone; did you mean time_zone?"},
      {"[notify.webhook]\nurl = \"https://h.example\"\nsecrett = \"s\"\n",
       "unknown key notify.webhook.secrett; did you mean secret?"},
      {"[notify.slack]\nwebhook_url = \"https://h.example\"\nwebhookurl = \"x\"\n",
       "unknown key notify.slack.webhookurl; did you mean webhook_url?"},
      {"[notify.sentry]\ndsn = \"https://k@o.example/1\"\nenviroment = \"p\"\n",
       "unknown key notify.sentry.enviroment; did you mean environment?"},
      {"[notify.email]\nurl = \"smtp://m:25\"\nfrom = \"a@b\"\nto = [\"c@d\"]\nsubject = \"x\"\n",
       "unknown key notify.email.subject (expected one of: enabled, url, username, password, "
       "from, to, subject_prefix, timeout)"},
      {"[notify.slak]\nwebhook_url = \"https://h.example\"\n",
       "unknown key notify.slak; did you mean slack?"},
      {"[schedules.s]\ncron = \"@daily\"\nkind = \"k\"\noverlapp = \"allow\"\n",
       "unknown key schedules.s.overlapp; did you mean overlap?"},
      {"[checks.c]\nperiod = \"1d\"\ngrase = \"1h\"\n",
       "unknown key checks.c.grase; did you mean grace?"},
      {"[server]\nthreds = 4\n", "unknown key server.threds; did you mean threads?"},
      {"[server]\ntokens = [{ name = \"a\", role = \"admin\", sha265 = \"00\" }]\n",
       "unknown key server.tokens[0].sha265; did you mean sha256?"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(FirstError(c.toml), c.error) << c.toml;
  }
}

TEST(ConfigKeysTest, MisspelledRequiredKeyNamesTheTypoNotTheMissingKey) {
  EXPECT_EQ(FirstError("[kinds.x]\ntype = \"exec\"\ncomand = [\"true\"]\n"),
            "unknown key kinds.x.comand; did you mean command?");
  EXPECT_EQ(FirstError("[kinds.x]\ntyep = \"exec\"\ncommand = [\"true\"]\n"),
            "unknown key kinds.x.tyep; did you mean type?");
}

TEST(ConfigKeysTest, KeysOfTheOtherKindTypeAreNamed) {
  EXPECT_EQ(FirstError("[kinds.x]\ntype = \"exec\"\ncommand = [\"true\"]\nurl = \"http://h\"\n"),
            "kinds.x.url: only used with type = \"http\"");
}

TEST(ConfigKeysTest, DashboardRetentionIsConfigurable) {
  auto c = ParseConfig("[worker]\nkeep_nodes = \"1d\"\nkeep_stats = \"2d\"\nkeep_audit = \"0s\"\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->worker.keep_nodes, std::chrono::hours(24));
  EXPECT_EQ(c->worker.keep_stats, std::chrono::hours(48));
  EXPECT_EQ(c->worker.keep_audit, Micros(0));
  EXPECT_FALSE(ParseConfig("[worker]\nkeep_audit = \"soon\"\n").ok());
}

TEST(ConfigKeysTest, AFullValidConfigStillParses) {
  EXPECT_EQ(FirstError(R"(
database = "sqlite://./x.db"
listen = "127.0.0.1:0"
log_level = "info"
log_format = "json"
[worker]
id = "w1"
lease = "30s"
rescue_interval = "15s"
poll_interval = "1s"
default_timeout = "30m"
shutdown_grace = "25s"
keep_completed = "24h"
keep_failed = "14d"
keep_nodes = "7d"
keep_stats = "8d"
keep_audit = "90d"
retry_base = "15s"
retry_max = "6h"
claim_batch = 100
prefetch = 64
prefetch_hold = "2s"
[queues.default]
concurrency = 4
[kinds.run]
type = "exec"
command = ["true"]
env = { A = "b" }
workdir = "/tmp"
timeout = "1.5m"
retry_base = "1s"
retry_max = "1m"
[kinds.post]
type = "http"
url = "http://127.0.0.1:9/x"
headers = { X = "y" }
timeout = "10s"
[alerts]
enabled = true
group_wait = "10s"
[alerts.rules]
pool = false
[alerts.digest]
enabled = true
at = "09:00"
time_zone = "UTC"
max_late = "1h"
[notify.webhook]
enabled = true
url = "https://h.example"
secret = "s"
timeout = "5s"
[schedules.s]
cron = "@every 1.5h"
kind = "run"
grace = "1.5h"
[checks.c]
period = "1d"
grace = "1h"
[server]
threads = 4
)"),
            "");
}

}  // namespace
}  // namespace steward::cli
