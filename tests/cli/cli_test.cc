// The steward command line, run as a real process: output, exit codes and
// clear one-line errors for bad input.
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli/cli_fixture.h"
#include "store/store.h"

namespace steward::testing {
namespace {

using namespace std::chrono_literals;

class CliTest : public CliFixture {
 protected:
  CmdResult Steward(std::vector<std::string> args) { return Run(std::move(args)); }
};

TEST_F(CliTest, EnqueueListShowRetryCancel) {
  CmdResult r = Steward({"--db", Db(), "--json", "enqueue", "email", R"({"to":"a@b.c"})", "--in", "1h"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  int64_t id = j.at("id").get<int64_t>();
  EXPECT_FALSE(j.at("duplicate").get<bool>());

  r = Steward({"--db", Db(), "jobs", "list"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("email"), std::string::npos);
  EXPECT_NE(r.output.find("scheduled"), std::string::npos);

  r = Steward({"--db", Db(), "--json", "jobs", "show", std::to_string(id)});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto shown = nlohmann::json::parse(r.output);
  EXPECT_EQ(shown.at("payload").at("to"), "a@b.c");
  EXPECT_EQ(shown.at("state"), "scheduled");

  // Retrying a scheduled job runs it now.
  r = Steward({"--db", Db(), "jobs", "retry", std::to_string(id)});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("available now (was scheduled)"), std::string::npos) << r.output;

  r = Steward({"--db", Db(), "jobs", "cancel", std::to_string(id)});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = Steward({"--db", Db(), "jobs", "retry", std::to_string(id)});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = Steward({"--db", Db(), "--json", "jobs", "show", std::to_string(id)});
  EXPECT_EQ(nlohmann::json::parse(r.output).at("state"), "available");

  r = Steward({"--db", Db(), "jobs", "show", "999999"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("not_found"), std::string::npos) << r.output;
}

TEST_F(CliTest, UniqueKeyReturnsExistingJob) {
  CmdResult a = Steward({"--db", Db(), "--json", "enqueue", "report", "--unique-key", "daily-2026-11-26"});
  CmdResult b = Steward({"--db", Db(), "--json", "enqueue", "report", "--unique-key", "daily-2026-11-26"});
  ASSERT_EQ(a.exit_code, 0) << a.output;
  ASSERT_EQ(b.exit_code, 0) << b.output;
  auto ja = nlohmann::json::parse(a.output), jb = nlohmann::json::parse(b.output);
  EXPECT_EQ(ja.at("id"), jb.at("id"));
  EXPECT_TRUE(jb.at("duplicate").get<bool>());
}

TEST_F(CliTest, MalformedPayloadIsRejectedAndNothingStored) {
  ASSERT_EQ(Steward({"--db", Db(), "enqueue", "keep", "{}"}).exit_code, 0);
  CmdResult r = Steward({"--db", Db(), "enqueue", "email", "{not json"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("payload is not valid JSON"), std::string::npos) << r.output;
  auto store = OpenStore(Db());
  ASSERT_TRUE(store.ok());
  auto jobs = (*store)->JobList(JobListParams{});
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ(jobs->at(0).kind, "keep");
}

TEST_F(CliTest, BadNamesLimitsAndTimesGetClearErrors) {
  CmdResult r = Steward({"--db", Db(), "enqueue", "bad kind!"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("kind \"bad kind!\""), std::string::npos) << r.output;
  r = Steward({"--db", Db(), "enqueue", "ok", "--queue", ""});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("queue must be 1-128 characters"), std::string::npos) << r.output;
  r = Steward({"--db", Db(), "enqueue", "ok", "--max-attempts", "0"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("max_attempts must be in 1..1000"), std::string::npos) << r.output;
  r = Steward({"--db", Db(), "jobs", "list", "--limit", "-5"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("--limit must be in 1..1000"), std::string::npos) << r.output;
  r = Steward({"--db", Db(), "jobs", "list", "--state", "exploded"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("unknown state \"exploded\""), std::string::npos) << r.output;
  r = Steward({"--db", Db(), "enqueue", "ok", "--run-at", "tomorrow"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("not RFC 3339"), std::string::npos) << r.output;
  r = Steward({"--db", Db(), "enqueue", "ok", "--in", "10 parsecs"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("duration"), std::string::npos) << r.output;
}

TEST_F(CliTest, NotAStewardDatabaseIsRefusedAndLeftUntouched) {
  std::string path = dir_.File("notes.txt");
  {
    std::ofstream f(path);
    f << "these are my notes, not a database\n";
  }
  CmdResult r = Steward({"--db", path, "jobs", "list"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("not a Steward database"), std::string::npos) << r.output;
  EXPECT_EQ(ReadFile(path), "these are my notes, not a database\n");
}

TEST_F(CliTest, BadConfigNamesTheKey) {
  std::string cfg = dir_.File("steward.toml");
  {
    std::ofstream f(cfg);
    f << "[worker]\nlease = \"forever\"\n";
  }
  CmdResult r = Steward({"--config", cfg, "--db", Db(), "queues"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("worker.lease"), std::string::npos) << r.output;
  {
    std::ofstream f(cfg);
    f << "[kinds.run]\ntype = \"exec\"\n";
  }
  r = Steward({"--config", cfg, "--db", Db(), "queues"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("kinds.run.command"), std::string::npos) << r.output;
  r = Steward({"--config", dir_.File("missing.toml"), "queues"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("missing.toml"), std::string::npos) << r.output;
}

TEST_F(CliTest, HelpOnEveryCommandAndVersion) {
  for (auto cmd : std::vector<std::vector<std::string>>{
           {"--help"}, {"serve", "--help"}, {"enqueue", "--help"}, {"jobs", "list", "--help"},
           {"jobs", "show", "--help"}, {"queues", "--help"}, {"migrate", "--help"}}) {
    CmdResult r = Steward(cmd);
    EXPECT_EQ(r.exit_code, 0) << cmd[0];
    EXPECT_NE(r.output.find("Usage"), std::string::npos) << cmd[0] << ": " << r.output;
  }
  CmdResult v = Steward({"version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_NE(v.output.find("steward 0."), std::string::npos);
}

TEST_F(CliTest, QueuesPauseResumeAndMigrate) {
  ASSERT_EQ(Steward({"--db", Db(), "enqueue", "x", "--queue", "mail"}).exit_code, 0);
  CmdResult r = Steward({"--db", Db(), "queues", "pause", "mail"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = Steward({"--db", Db(), "--json", "queues"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto q = nlohmann::json::parse(r.output);
  bool found = false;
  for (const auto& e : q) {
    if (e.at("name") == "mail") {  // same shape as GET /api/v1/queues
      found = true;
      EXPECT_TRUE(e.at("paused").get<bool>());
      EXPECT_EQ(e.at("jobs").at("available"), 1);
    }
  }
  EXPECT_TRUE(found);
  r = Steward({"--db", Db(), "migrate"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.output.find("schema at version"), std::string::npos);
}

}  // namespace
}  // namespace steward::testing
