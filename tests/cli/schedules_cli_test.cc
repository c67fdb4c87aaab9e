// `steward schedules ...` and `steward checks ...` as a real process, and the
// [schedules.*] / [checks.*] config sections applied declaratively.
#include <nlohmann/json.hpp>

#include "cli/cli_fixture.h"
#include "cli/config_schedules.h"
#include "store/store.h"

namespace steward::testing {
namespace {

using namespace std::chrono_literals;

class SchedulesCliTest : public CliFixture {
 protected:
  CmdResult Steward(std::vector<std::string> args) {
    args.insert(args.begin(), {"--db", Db()});
    return Run(std::move(args));
  }
};

TEST_F(SchedulesCliTest, AddListShowPauseResumeTrigger) {
  CmdResult r = Steward({"schedules", "add", "nightly", "--cron", "0 3 * * *", "--kind", "report",
                         "--tz", "Europe/Berlin", "--payload", R"({"format":"pdf"})",
                         "--catch-up", "all", "--overlap", "forbid"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("next fire"), std::string::npos) << r.output;

  r = Steward({"schedules", "list"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("nightly"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Europe/Berlin"), std::string::npos) << r.output;

  r = Steward({"--json", "schedules", "show", "nightly"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto s = nlohmann::json::parse(r.output);
  EXPECT_EQ(s["catch_up"], "all");
  EXPECT_EQ(s["overlap"], "forbid");
  EXPECT_EQ(s["source"], "cli");
  EXPECT_EQ(s["payload"]["format"], "pdf");

  ASSERT_EQ(Steward({"schedules", "pause", "nightly"}).exit_code, 0);
  r = Steward({"--json", "schedules", "show", "nightly"});
  EXPECT_EQ(nlohmann::json::parse(r.output)["paused"], true);
  ASSERT_EQ(Steward({"schedules", "resume", "nightly"}).exit_code, 0);

  r = Steward({"--json", "schedules", "trigger", "nightly"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const int64_t id = nlohmann::json::parse(r.output)["job_id"].get<int64_t>();
  r = Steward({"--json", "jobs", "show", std::to_string(id)});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(nlohmann::json::parse(r.output)["payload"]["_steward"]["schedule"], "nightly");

  // Clear errors with distinct exit codes.
  r = Steward({"schedules", "add", "bad", "--cron", "61 * * * *", "--kind", "k"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("minute"), std::string::npos) << r.output;
  r = Steward({"schedules", "add", "bad", "--cron", "@daily", "--kind", "k", "--overlap", "never"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = Steward({"schedules", "show", "nope"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("not found"), std::string::npos) << r.output;
}

TEST_F(SchedulesCliTest, ChecksAddListPing) {
  ASSERT_EQ(Steward({"checks", "add", "backup", "--period", "1d", "--grace", "1h"}).exit_code, 0);
  CmdResult r = Steward({"checks", "list"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("backup"), std::string::npos);
  EXPECT_NE(r.output.find("new"), std::string::npos);

  r = Steward({"checks", "ping", "backup"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("is up"), std::string::npos) << r.output;
  r = Steward({"checks", "ping", "backup", "--fail"});
  EXPECT_NE(r.output.find("is down"), std::string::npos) << r.output;
  r = Steward({"checks", "ping", "backup", "--exit-status", "0"});
  EXPECT_NE(r.output.find("is up"), std::string::npos) << r.output;
  r = Steward({"checks", "ping", "backup", "--start", "--rid", "r1"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = Steward({"--json", "checks", "list"});
  auto list = nlohmann::json::parse(r.output);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_TRUE(list[0]["started"].get<bool>());
  EXPECT_EQ(Steward({"checks", "ping", "nope"}).exit_code, 1);
  EXPECT_NE(Steward({"checks", "ping", "backup", "--fail", "--start"}).exit_code, 0);
}

TEST(ScheduleConfigTest, ParsesSectionsAndAppliesDeclaratively) {
  const char* toml = R"(
database = "sqlite://./x.db"
[schedules.nightly]
cron = "0 3 * * *"
timezone = "Europe/Berlin"
kind = "report"
payload = { format = "pdf", pages = 3 }
catch_up = "all"
max_catch_up = 10
overlap = "replace"
grace = "30m"
[schedules.cleanup]
cron = "@every 10m"
kind = "cleanup"
payload = '{"dry_run": true}'
[checks.backup]
period = "1d"
grace = "1h"
)";
  auto cfg = ParseScheduleConfig(toml);
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  ASSERT_EQ(cfg->schedules.size(), 2u);
  const ScheduleSpec* nightly = nullptr;
  for (const auto& s : cfg->schedules) {
    if (s.name == "nightly") nightly = &s;
  }
  ASSERT_NE(nightly, nullptr);
  EXPECT_EQ(nightly->catch_up, CatchUpPolicy::kAll);
  EXPECT_EQ(nightly->overlap, OverlapPolicy::kReplace);
  EXPECT_EQ(nightly->max_catch_up, 10);
  EXPECT_EQ(nightly->grace, 30min);
  EXPECT_EQ(nlohmann::json::parse(nightly->payload)["pages"], 3);
  EXPECT_EQ(nightly->source, "config");
  ASSERT_EQ(cfg->checks.size(), 1u);
  EXPECT_EQ(*cfg->checks[0].period, 24h);

  TempDir dir;
  auto opened = OpenStore("sqlite://" + dir.File("cfg.db"));
  ASSERT_TRUE(opened.ok());
  std::unique_ptr<Store> store = std::move(opened).value();
  ASSERT_TRUE(store->Migrate().ok());
  const Timestamp now = SystemClock().Now();
  ScheduleSpec cli;
  cli.name = "by-hand";
  cli.cron = "@hourly";
  cli.kind = "k";
  ASSERT_TRUE(store->ScheduleUpsert(cli, now).ok());
  ASSERT_TRUE(ApplyScheduleConfig(*store, *cfg, now).ok());
  EXPECT_TRUE(store->ScheduleGet("cleanup")->spec.enabled);

  // "cleanup" and the check are removed from the file: disabled / paused;
  // the CLI-made schedule is left alone.
  auto smaller = ParseScheduleConfig(R"(
[schedules.nightly]
cron = "0 3 * * *"
kind = "report"
)");
  ASSERT_TRUE(smaller.ok()) << smaller.status().ToString();
  ASSERT_TRUE(ApplyScheduleConfig(*store, *smaller, now + 1s).ok());
  EXPECT_FALSE(store->ScheduleGet("cleanup")->spec.enabled);
  EXPECT_TRUE(store->ScheduleGet("nightly")->spec.enabled);
  EXPECT_TRUE(store->ScheduleGet("by-hand")->spec.enabled);
  EXPECT_EQ(store->CheckGet("backup")->state, CheckState::kPaused);

  // Errors name the key.
  auto bad = ParseScheduleConfig("[schedules.x]\ncron = \"@daily\"\nkind = \"k\"\novelap = \"forbid\"\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("schedules.x.ovelap"), std::string::npos)
      << bad.status().ToString();
  bad = ParseScheduleConfig("[schedules.x]\ncron = \"@daily\"\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("schedules.x.kind"), std::string::npos);
  bad = ParseScheduleConfig("[checks.c]\ngrace = \"1h\"\n");
  EXPECT_FALSE(bad.ok());
}

}  // namespace
}  // namespace steward::testing
