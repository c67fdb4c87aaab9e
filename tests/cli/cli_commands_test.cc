// The command line's own defects found by outside testing: unknown
// commands, --version, --json after the subcommand, job ids, empty
// durations, never-firing schedules, readable views with UTC times, no
// silent ./steward.db, run-now and --force, and the missing-handler warning.
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli/cli_fixture.h"
#include "store/store.h"

namespace steward::testing {
namespace {

class CliCommandsTest : public CliFixture {
 protected:
  // steward --db DB ARGS
  CmdResult Steward(std::vector<std::string> args) {
    args.insert(args.begin(), {"--db", Db()});
    return Run(std::move(args));
  }
  // Claims the oldest due job of the default queue and ends its attempt
  // as `kind` (as a worker would); returns its id.
  int64_t ClaimAndEnd(JobCompletion::Kind kind, std::optional<AttemptError> error = {}) {
    auto store = OpenStore(Db());
    EXPECT_TRUE(store.ok());
    const Timestamp now = SystemClock().Now();
    JobClaimParams claim;
    claim.queue = "default";
    claim.worker_id = "w";
    claim.now = now;
    claim.lease_until = now + std::chrono::minutes(1);
    auto jobs = (*store)->JobClaim(claim);
    EXPECT_TRUE(jobs.ok() && jobs->size() == 1u);
    if (!jobs.ok() || jobs->empty()) return 0;
    JobCompletion done;
    done.id = jobs->at(0).id;
    done.attempt = jobs->at(0).attempt;
    done.worker_id = "w";
    done.kind = kind;
    done.finished_at = now;
    done.retry_at = now;
    done.error = error;
    auto r = (*store)->JobCompleteMany(std::span<const JobCompletion>(&done, 1));
    EXPECT_TRUE(r.ok() && r->at(0).applied);
    return done.id;
  }
  // A job discarded after one attempt that failed with `message`.
  int64_t FailedJob(const std::string& message) {
    EXPECT_EQ(Steward({"enqueue", "broken", "{}", "--max-attempts", "1"}).exit_code, 0);
    AttemptError e;
    e.attempt = 1;
    e.at = SystemClock().Now();
    e.message = message;
    e.detail = "line one\nline two";
    return ClaimAndEnd(JobCompletion::Kind::kRetry, e);
  }
};

TEST_F(CliCommandsTest, UnknownCommandsAreNamedWithTheValidOnes) {
  CmdResult r = Run({"frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("unknown command \"frobnicate\""), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("enqueue"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("A subcommand is required"), std::string::npos) << r.output;

  r = Run({"jobs", "lsit"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("unknown command \"jobs lsit\"; did you mean list?"), std::string::npos)
      << r.output;

  // Not implemented: said plainly, not "A subcommand is required".
  r = Run({"completion", "bash"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("unknown command \"completion\""), std::string::npos) << r.output;

  r = Run({"--version"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.rfind("steward 0.", 0), 0u) << r.output;
}

TEST_F(CliCommandsTest, GlobalOptionsWorkAfterTheSubcommand) {
  CmdResult r = Run({"enqueue", "email", "--db", Db(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto enqueued = nlohmann::json::parse(r.output);
  const int64_t id = enqueued.at("id").get<int64_t>();
  // With --json the warning is part of the answer, not stray text.
  EXPECT_NE(enqueued.at("warning").get<std::string>().find("no [kinds.email]"), std::string::npos);
  r = Run({"jobs", "show", std::to_string(id), "--json", "--db", Db()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(nlohmann::json::parse(r.output).at("id"), id);
}

TEST_F(CliCommandsTest, JobIdsMustBePositiveIntegers) {
  CmdResult r = Steward({"jobs", "show", "abc"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("job id must be a positive integer, got 'abc'"), std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find("Could not convert"), std::string::npos) << r.output;
  r = Steward({"jobs", "show", "99999999999999999999"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("job id must be at most 9223372036854775807, got '99999999999999999999'"),
            std::string::npos)
      << r.output;
  for (const char* bad : {"0", "-3", "12x", "1.5"}) {
    r = Steward({"jobs", "retry", bad});
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_NE(r.output.find("job id must be a positive integer"), std::string::npos) << r.output;
  }
}

TEST_F(CliCommandsTest, EmptyDurationsAreRefused) {
  CmdResult r = Steward({"enqueue", "k", "{}", "--in", ""});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("duration is empty"), std::string::npos) << r.output;
  r = Steward({"enqueue", "k", "{}", "--run-at", ""});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  // Nothing was enqueued.
  r = Steward({"--json", "jobs", "list"});
  EXPECT_EQ(nlohmann::json::parse(r.output).size(), 0u) << r.output;
  // The common grammar: decimals work here as in @every.
  r = Steward({"enqueue", "k", "{}", "--in", "1.5h"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST_F(CliCommandsTest, ScheduleThatNeverFiresIsRefused) {
  CmdResult r = Steward({"schedules", "add", "s", "--cron", "0 0 30 2 *", "--kind", "k"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("never fires"), std::string::npos) << r.output;
  r = Steward({"--json", "schedules", "list"});
  EXPECT_EQ(nlohmann::json::parse(r.output).size(), 0u) << r.output;
}

TEST_F(CliCommandsTest, ListShowsTheLastErrorInTextAndJson) {
  const int64_t id = FailedJob("connection refused by upstream");
  CmdResult r = Steward({"jobs", "list"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("connection refused by upstream"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(" UTC"), std::string::npos) << r.output;
  r = Steward({"--json", "jobs", "list"});
  auto list = nlohmann::json::parse(r.output);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].at("id"), id);
  EXPECT_EQ(list[0].at("last_error").at("message"), "connection refused by upstream");
  EXPECT_EQ(list[0].at("last_error").at("attempt"), 1);
}

TEST_F(CliCommandsTest, ShowPrintsAReadableViewAndJsonOnRequest) {
  const int64_t id = FailedJob("boom");
  CmdResult r = Steward({"jobs", "show", std::to_string(id)});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("\"id\""), std::string::npos) << "not JSON: " << r.output;
  EXPECT_NE(r.output.find("job " + std::to_string(id)), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("discarded"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("attempt 1 at "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(" UTC: boom"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("      line two"), std::string::npos) << r.output;

  ASSERT_EQ(
      Steward({"schedules", "add", "nightly", "--cron", "0 3 * * *", "--kind", "k"}).exit_code, 0);
  r = Steward({"schedules", "show", "nightly"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("\"name\""), std::string::npos) << "not JSON: " << r.output;
  EXPECT_NE(r.output.find("03:00:00 UTC"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("0 3 * * * (UTC)"), std::string::npos) << r.output;
  r = Steward({"schedules", "show", "nightly", "--json"});
  EXPECT_EQ(nlohmann::json::parse(r.output).at("name"), "nightly");

  ASSERT_EQ(Steward({"checks", "add", "backup", "--period", "1d"}).exit_code, 0);
  r = Steward({"checks", "show", "backup"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("\"name\""), std::string::npos) << "not JSON: " << r.output;
  EXPECT_NE(r.output.find("period"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("1d"), std::string::npos) << r.output;
  r = Steward({"checks", "show", "backup", "--json"});
  EXPECT_EQ(nlohmann::json::parse(r.output).at("name"), "backup");
}

TEST_F(CliCommandsTest, OnlyServeAndMigrateCreateADatabase) {
  const std::string missing = dir_.File("elsewhere.db");
  CmdResult r = Run({"--db", missing, "enqueue", "k"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("no database at " + missing + " (chosen by --db)"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("STEWARD_DATABASE"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(missing));

  r = Run({"jobs", "list"}, {"STEWARD_DATABASE=" + missing});
  EXPECT_NE(r.output.find("chosen by STEWARD_DATABASE"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(missing));

  // The default ./steward.db, in a directory without one.
  const std::string empty_dir = dir_.File("empty");
  std::filesystem::create_directory(empty_dir);
  r = Exec({"/bin/sh", "-c", "cd '" + empty_dir + "' && exec '" + StewardBinary() + "' queues"});
  EXPECT_NE(r.output.find("no database at ./steward.db (chosen by the default)"), std::string::npos)
      << r.output;
  EXPECT_FALSE(std::filesystem::exists(empty_dir + "/steward.db"));

  r = Run({"--db", missing, "migrate"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(std::filesystem::exists(missing));
}

TEST_F(CliCommandsTest, RetryRunsPendingJobsNowAndCompletedOnlyWithForce) {
  CmdResult r = Steward({"--json", "enqueue", "k", "{}", "--in", "1h"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const int64_t scheduled = nlohmann::json::parse(r.output).at("id");
  r = Steward({"jobs", "retry", std::to_string(scheduled)});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = Steward({"--json", "jobs", "show", std::to_string(scheduled)});
  EXPECT_EQ(nlohmann::json::parse(r.output).at("state"), "available");

  // A completed job is not re-run by accident.
  const std::string id = std::to_string(ClaimAndEnd(JobCompletion::Kind::kCompleted));
  r = Steward({"jobs", "retry", id});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("already completed; running it again needs force (--force"), std::string::npos)
      << r.output;
  r = Steward({"--json", "jobs", "show", id});
  EXPECT_EQ(nlohmann::json::parse(r.output).at("state"), "completed");
  r = Steward({"jobs", "retry", id, "--force"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = Steward({"--json", "jobs", "show", id});
  EXPECT_EQ(nlohmann::json::parse(r.output).at("state"), "available");
}

TEST_F(CliCommandsTest, KindWithoutAHandlerWarns) {
  const std::string cfg = dir_.File("steward.toml");
  std::ofstream(cfg) << "[kinds.resize]\ntype = \"exec\"\ncommand = [\"true\"]\n";
  CmdResult r = Steward({"--config", cfg, "enqueue", "resize"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("warning"), std::string::npos) << r.output;
  r = Steward({"--config", cfg, "enqueue", "rezise"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("warning: no [kinds.rezise] in " + cfg), std::string::npos) << r.output;
  r = Steward({"--config", cfg, "schedules", "add", "s", "--cron", "@daily", "--kind", "rezise"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("warning: no [kinds.rezise]"), std::string::npos) << r.output;
}

TEST_F(CliCommandsTest, CronNextPrintsFireTimesInTheZone) {
  CmdResult r = Run({"cron", "next", "30 2 * * *", "--tz", "Europe/Berlin", "--from",
                     "2026-03-27T12:00:00Z", "--count", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output,
            "2026-03-28T01:30:00Z        2026-03-28T02:30:00+01:00 CET\n"
            // 02:30 does not exist on the 29th: the first instant after the gap.
            "2026-03-29T01:00:00Z        2026-03-29T03:00:00+02:00 CEST\n"
            "2026-03-30T00:30:00Z        2026-03-30T02:30:00+02:00 CEST\n");

  r = Run({"cron", "next", "@every 1.5h", "--from", "2026-01-01T00:00:00Z", "-n", "2", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0].at("at"), "2026-01-01T01:30:00Z");
  EXPECT_EQ(j[1].at("local"), "2026-01-01T03:00:00+00:00 UTC");

  r = Run({"cron", "next", "0 0 30 2 *"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("never fires"), std::string::npos) << r.output;
  r = Run({"cron", "next", "61 * * * *"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("minute"), std::string::npos) << r.output;
  r = Run({"cron", "next", "@daily", "--tz", "Mars/Base"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("unknown time zone \"Mars/Base\""), std::string::npos) << r.output;
  r = Run({"cron", "next", "@daily", "--count", "0"});
  EXPECT_EQ(r.exit_code, 2);
  r = Run({"cron", "next", "@daily", "--from", "yesterday"});
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
}  // namespace steward::testing
