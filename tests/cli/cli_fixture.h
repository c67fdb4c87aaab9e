// Runs the real `steward` binary against a database in a temporary
// directory. The database is migrated first: only `serve` and `migrate`
// may create one.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <string>
#include <vector>

#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace steward::testing {

struct CmdResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

class CliFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    CmdResult m = Run({"--db", Db(), "migrate"});
    ASSERT_EQ(m.exit_code, 0) << m.output;
  }
  // steward ARGS (the caller gives --db where it wants one).
  CmdResult Run(std::vector<std::string> args, std::vector<std::string> env = {}) {
    args.insert(args.begin(), StewardBinary());
    return Exec(std::move(args), std::move(env));
  }
  // Any program: argv[0] is its path.
  CmdResult Exec(std::vector<std::string> argv, std::vector<std::string> env = {}) {
    std::string out = dir_.File("out-" + std::to_string(++runs_) + ".txt");
    env.push_back("STEWARD_LOG_FORMAT=json");
    Subprocess p(argv, out, env);
    auto st = p.Wait(std::chrono::seconds(30));
    CmdResult r;
    if (st && WIFEXITED(*st)) r.exit_code = WEXITSTATUS(*st);
    r.output = ReadFile(out);
    return r;
  }
  std::string Db() { return dir_.File("steward.db"); }

  TempDir dir_;
  int runs_ = 0;
};

}  // namespace steward::testing
