// `steward doctor` as a real process: PASS/FAIL lines, exit status, and
// --send-test reaching real receivers (HTTP and SMTP).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>

#include "support/receiver.h"
#include "support/smtp_sink.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace steward::testing {
namespace {

using namespace std::chrono_literals;

struct DoctorRun {
  int exit_code = -1;
  std::string output;
};

DoctorRun Doctor(const TempDir& dir, const std::string& toml, std::vector<std::string> extra_args,
           std::vector<std::string> env = {}) {
  const std::string cfg = dir.File("steward.toml");
  std::ofstream(cfg) << toml;
  const std::string out = dir.File("doctor.out");
  std::remove(out.c_str());
  std::vector<std::string> args = {StewardBinary(), "--config", cfg, "doctor"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  env.push_back("STEWARD_LOG_FORMAT=json");
  Subprocess p(args, out, env);
  auto st = p.Wait(60s);
  DoctorRun r;
  r.output = ReadFile(out);
  if (st && WIFEXITED(*st)) r.exit_code = WEXITSTATUS(*st);
  return r;
}

TEST(DoctorTest, SendTestReachesEveryChannelAndKeepsSecretsOut) {
  TempDir dir;
  Receiver rx;
  SmtpSink smtp;
  const std::string toml =
      "database = \"sqlite://" + dir.File("d.db") + "\"\n" +
      "[notify.slack]\nwebhook_url = \"env:TEST_SLACK_URL\"\n" +
      "[notify.webhook]\nurl = \"" + rx.url("/hook") + "\"\nsecret = \"s\"\n" +
      "[notify.sentry]\ndsn = \"http://sentrykey999@127.0.0.1:" + std::to_string(rx.port()) + "/3\"\n" +
      "[notify.email]\nurl = \"" + smtp.url() + "\"\nfrom = \"steward@example.com\"\nto = \"ops@example.com\"\n";
  // The database must exist and be migrated for the migrations check.
  Subprocess m({StewardBinary(), "--db", "sqlite://" + dir.File("d.db"), "migrate"}, dir.File("m.out"),
               {"STEWARD_LOG_FORMAT=json"});
  ASSERT_TRUE(m.Wait(30s).has_value());
  DoctorRun r = Doctor(dir, toml, {"--send-test"},
                 {"TEST_SLACK_URL=" + rx.url("/slack/services/T/B/SLACKSECRET")});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  for (const char* line : {"PASS  config", "PASS  database ", "PASS  database ping", "PASS  database migrations",
                           "PASS  send-test slack", "PASS  send-test webhook", "PASS  send-test sentry",
                           "PASS  send-test email"}) {
    EXPECT_NE(r.output.find(line), std::string::npos) << line << "\n" << r.output;
  }
  EXPECT_EQ(r.output.find("SLACKSECRET"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("sentrykey999"), std::string::npos) << r.output;
  EXPECT_EQ(rx.Requests("/slack/services/T/B/SLACKSECRET").size(), 1u);
  EXPECT_EQ(rx.Requests("/hook").size(), 1u);
  EXPECT_EQ(rx.Requests("/api/3/envelope/").size(), 1u);
  auto mails = smtp.WaitForMessages(1, 5s);
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_NE(mails[0].Header("Subject").value_or("").find("TEST"), std::string::npos);
}

TEST(DoctorTest, FailingChannelFailsTheRun) {
  TempDir dir;
  Receiver rx;
  Behaviour b;
  b.path_prefix = "/hook";
  b.status = 410;
  b.times = -1;
  rx.SetBehaviour(b);
  const std::string toml = "database = \"sqlite://" + dir.File("d.db") + "\"\n" +
                           "[notify.slack]\nwebhook_url = \"" + rx.url("/hook") + "\"\n";
  DoctorRun r = Doctor(dir, toml, {"--send-test"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("FAIL  send-test slack"), std::string::npos) << r.output;
}

TEST(DoctorTest, MissingDatabaseIsAWarningAndIsNotCreated) {
  TempDir dir;
  const std::string toml = "database = \"sqlite://" + dir.File("d.db") + "\"\n";
  DoctorRun r = Doctor(dir, toml, {});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("WARN  database "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("does not exist yet"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("FAIL"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir.File("d.db")));
}

TEST(DoctorTest, FreshDatabaseWillBeMigratedByServe) {
  TempDir dir;
  std::ofstream(dir.File("d.db")).flush();  // an empty file: SQLite's empty database
  const std::string toml = "database = \"sqlite://" + dir.File("d.db") + "\"\n";
  DoctorRun r = Doctor(dir, toml, {"--json"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  // Not migrated: reported, not fixed behind the user's back, and not a failure.
  EXPECT_NE(r.output.find("will be migrated by `steward serve`"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("\"result\": \"warn\""), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("\"result\": \"fail\""), std::string::npos) << r.output;
}

TEST(DoctorTest, BadConfigFails) {
  TempDir dir;
  DoctorRun r = Doctor(dir, "[notify.email]\nurl = \"http://x\"\n", {});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("FAIL  alerts config"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("notify.email.url"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace steward::testing
