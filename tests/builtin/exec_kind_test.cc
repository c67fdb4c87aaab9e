// The exec kind against real processes (/bin/sh scripts given as argv).
#include "builtin/exec_kind.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace steward {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using std::chrono::steady_clock;
using namespace std::chrono_literals;

// A job as the runtime would pass it, plus its cancel flag.
struct Harness {
  Job job;
  std::atomic<bool> cancelled{false};
  Harness() {
    job.id = 42;
    job.attempt = 2;
    job.max_attempts = 5;
    job.kind = "resize";
    job.queue = "media";
  }
  Outcome Run(const Handler& handler, nlohmann::json payload = {{"hello", "world"}}) {
    JobContext ctx(job, std::move(payload), &cancelled);
    return handler(ctx);
  }
};

ExecKindConfig Sh(const std::string& script, std::vector<std::string> args = {}) {
  ExecKindConfig c;
  c.command = {"/bin/sh", "-c", script, "sh"};
  c.command.insert(c.command.end(), args.begin(), args.end());
  return c;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Waits for a file the child writes (atomically, via mv) to appear.
std::string AwaitFile(const std::string& path, std::chrono::seconds timeout = 10s) {
  const auto deadline = steady_clock::now() + timeout;
  while (steady_clock::now() < deadline) {
    if (access(path.c_str(), F_OK) == 0) return ReadFile(path);
    std::this_thread::sleep_for(10ms);  // awaiting the child's write
  }
  return {};
}

// kill(pid, 0) alone is not enough: an orphaned grandchild is reparented to
// PID 1, and in a container PID 1 may never reap it, leaving a zombie that
// kill() still "finds". A zombie has stopped running, so it counts as dead.
bool ProcessAlive(pid_t pid) {
  if (::kill(pid, 0) != 0) return false;
  std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  size_t paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] != 'Z';
}

bool AwaitDeath(pid_t pid, std::chrono::seconds timeout = 5s) {
  const auto deadline = steady_clock::now() + timeout;
  while (ProcessAlive(pid)) {
    if (steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);  // awaiting the kernel's delivery
  }
  return true;
}

TEST(ExecKindTest, SuccessGetsPayloadOnStdin) {
  testing::TempDir dir;
  const std::string out = dir.File("payload.json");
  Harness h;
  nlohmann::json payload = {{"image", "cat.png"}, {"sizes", {64, 128}}, {"name", "Zoë"}};
  Outcome o = h.Run(MakeExecHandler(Sh("cat > \"$1\"", {out})), payload);
  EXPECT_EQ(o.kind(), Outcome::Kind::kSuccess) << o.message() << "\n" << o.detail();
  EXPECT_EQ(ReadFile(out), payload.dump());
}

TEST(ExecKindTest, JobEnvironmentConfiguredEnvAndWorkdir) {
  testing::TempDir dir;
  const std::string out = dir.File("env.txt");
  ::setenv("STEWARD_TEST_DAEMON_SECRET", "hunter2", 1);
  ExecKindConfig c = Sh(
      "printf '%s|' \"$STEWARD_JOB_ID\" \"$STEWARD_ATTEMPT\" \"$STEWARD_MAX_ATTEMPTS\" "
      "\"$STEWARD_KIND\" \"$STEWARD_QUEUE\" \"$STEWARD_IDEMPOTENCY_KEY\" \"$GREETING\" "
      "\"${STEWARD_TEST_DAEMON_SECRET:-unset}\" \"$(pwd)\" > \"$1\"",
      {out});
  c.env = {{"GREETING", "hi there"}};
  c.workdir = dir.path().string();
  ASSERT_TRUE(ValidateExecKindConfig(c).ok());
  Harness h;
  Outcome o = h.Run(MakeExecHandler(c));
  ::unsetenv("STEWARD_TEST_DAEMON_SECRET");
  ASSERT_EQ(o.kind(), Outcome::Kind::kSuccess) << o.message() << "\n" << o.detail();
  EXPECT_EQ(ReadFile(out), "42|2|5|resize|media|steward-42|hi there|unset|" +
                               std::filesystem::canonical(dir.path()).string() + "|");
}

TEST(ExecKindTest, ExitTempFailIsRetryWithPolicyDelay) {
  Harness h;
  Outcome o = h.Run(MakeExecHandler(Sh("echo busy; exit 75")));
  EXPECT_EQ(o.kind(), Outcome::Kind::kRetry);
  EXPECT_EQ(o.message(), "exit status 75: retry later");
  EXPECT_FALSE(o.delay().has_value());
  EXPECT_THAT(o.detail(), HasSubstr("stdout tail:\nbusy\n"));
}

TEST(ExecKindTest, NonZeroExitFailsWithStderrTail) {
  Harness h;
  Outcome o = h.Run(MakeExecHandler(Sh("echo progress; echo 'disk on fire' >&2; exit 3")));
  EXPECT_EQ(o.kind(), Outcome::Kind::kRetry);  // a plain failure: the policy decides
  EXPECT_EQ(o.message(), "exit status 3");
  EXPECT_EQ(o.detail(), "stdout tail:\nprogress\n\nstderr tail:\ndisk on fire\n");
}

TEST(ExecKindTest, KilledBySignalIsNamed) {
  Harness h;
  Outcome o = h.Run(MakeExecHandler(Sh("kill -9 $$")));
  EXPECT_EQ(o.kind(), Outcome::Kind::kRetry);
  EXPECT_EQ(o.message(), "killed by signal SIGKILL");
}

TEST(ExecKindTest, OutputTailIsBounded) {
  ExecKindConfig c = Sh(
      "head -c 1048576 /dev/zero | tr '\\0' a; printf END; "
      "head -c 1048576 /dev/zero | tr '\\0' b >&2; printf ERR >&2; exit 1");
  c.output_tail_bytes = 100;
  Harness h;
  Outcome o = h.Run(MakeExecHandler(c));
  EXPECT_EQ(o.message(), "exit status 1");
  EXPECT_EQ(o.detail(), "stdout tail:\n" + std::string(97, 'a') + "END\nstderr tail:\n" +
                            std::string(97, 'b') + "ERR");
}

TEST(ExecKindTest, BigPayloadWhileChildFloodsStdoutDoesNotDeadlock) {
  // cat echoes stdin to stdout as it reads, so both pipes are full at once:
  // a parent that writes all input before reading output would hang.
  ExecKindConfig c = Sh("cat; exit 1");
  c.output_tail_bytes = 64;
  std::string big(1 << 20, 'x');
  nlohmann::json payload = {{"data", big + "TAIL"}};
  Harness h;
  const auto start = steady_clock::now();
  Outcome o = h.Run(MakeExecHandler(c), payload);
  EXPECT_LT(steady_clock::now() - start, 10s);
  EXPECT_EQ(o.message(), "exit status 1");
  const std::string dumped = payload.dump();
  EXPECT_EQ(o.detail(), "stdout tail:\n" + dumped.substr(dumped.size() - 64) + "\nstderr tail:\n");
}

TEST(ExecKindTest, CommandThatIgnoresStdinSucceeds) {
  // The write end gets EPIPE; that must neither fail the job nor raise a
  // SIGPIPE that kills this process.
  Harness h;
  Outcome o = h.Run(MakeExecHandler(Sh("exit 0")), {{"data", std::string(1 << 20, 'y')}});
  EXPECT_EQ(o.kind(), Outcome::Kind::kSuccess) << o.message();
}

TEST(ExecKindTest, CancellationKillsTheWholeProcessGroup) {
  testing::TempDir dir;
  const std::string pids = dir.File("pids");
  Harness h;
  Handler handler = MakeExecHandler(
      Sh("sleep 1000 & printf '%s %s\\n' \"$!\" \"$$\" > \"$1.tmp\" && mv \"$1.tmp\" \"$1\"; wait",
         {pids}));
  std::optional<Outcome> result;
  std::thread runner([&] { result = h.Run(handler); });
  std::istringstream in(AwaitFile(pids));
  pid_t grandchild = 0, child = 0;
  in >> grandchild >> child;
  ASSERT_GT(grandchild, 0);
  ASSERT_GT(child, 0);
  EXPECT_TRUE(ProcessAlive(grandchild));
  const auto cancelled_at = steady_clock::now();
  h.cancelled = true;
  runner.join();
  EXPECT_LT(steady_clock::now() - cancelled_at, 1500ms);  // SIGTERM sufficed
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->kind(), Outcome::Kind::kRetry);
  EXPECT_EQ(result->message(), "cancelled/timed out: process group killed");
  EXPECT_FALSE(ProcessAlive(child));  // reaped by the handler
  EXPECT_TRUE(AwaitDeath(grandchild));
}

TEST(ExecKindTest, CancellationEscalatesToSigkill) {
  testing::TempDir dir;
  const std::string pids = dir.File("pids");
  Harness h;
  // Ignoring SIGTERM is inherited by the background sleep too.
  Handler handler = MakeExecHandler(Sh(
      "trap '' TERM; sleep 1000 & printf '%s\\n' \"$!\" > \"$1.tmp\" && mv \"$1.tmp\" \"$1\"; "
      "wait; wait",
      {pids}));
  std::optional<Outcome> result;
  std::thread runner([&] { result = h.Run(handler); });
  pid_t grandchild = std::atoi(AwaitFile(pids).c_str());
  ASSERT_GT(grandchild, 0);
  const auto cancelled_at = steady_clock::now();
  h.cancelled = true;
  runner.join();
  const auto took = steady_clock::now() - cancelled_at;
  EXPECT_GE(took, 1900ms);
  EXPECT_LT(took, 5s);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->message(), "cancelled/timed out: process group killed");
  EXPECT_TRUE(AwaitDeath(grandchild));
}

TEST(ExecKindTest, BackgroundChildrenDieWhenTheCommandExits) {
  testing::TempDir dir;
  const std::string pid_file = dir.File("pid");
  Harness h;
  Outcome o = h.Run(MakeExecHandler(
      Sh("sleep 1000 >/dev/null 2>&1 & echo $! > \"$1\"; exit 0", {pid_file})));
  EXPECT_EQ(o.kind(), Outcome::Kind::kSuccess) << o.message();
  pid_t left = std::atoi(ReadFile(pid_file).c_str());
  ASSERT_GT(left, 0);
  EXPECT_TRUE(AwaitDeath(left));
}

TEST(ExecKindTest, CommandDiesWhenTheDaemonIsKilled) {
  testing::TempDir dir;
  const std::string pid_file = dir.File("pid");
  // The "daemon" is a forked copy of this test process running the handler.
  pid_t daemon = ::fork();
  ASSERT_GE(daemon, 0);
  if (daemon == 0) {
    Harness h;
    h.Run(MakeExecHandler(
        Sh("echo $$ > \"$1.tmp\" && mv \"$1.tmp\" \"$1\"; exec sleep 1000", {pid_file})));
    ::_exit(0);
  }
  pid_t command = std::atoi(AwaitFile(pid_file).c_str());
  ::kill(daemon, SIGKILL);
  int status;
  ::waitpid(daemon, &status, 0);
  ASSERT_GT(command, 0);
  EXPECT_TRUE(AwaitDeath(command));
}

TEST(ExecKindTest, MissingCommandFailsNamingIt) {
  Harness h;
  ExecKindConfig by_path;
  by_path.command = {"/nonexistent/steward-no-such-binary"};
  Outcome o = h.Run(MakeExecHandler(by_path));
  EXPECT_EQ(o.kind(), Outcome::Kind::kRetry);
  EXPECT_THAT(o.message(), HasSubstr("/nonexistent/steward-no-such-binary"));
  EXPECT_THAT(o.message(), HasSubstr("No such file or directory"));

  ExecKindConfig by_name;
  by_name.command = {"steward-no-such-command-xyz"};
  o = h.Run(MakeExecHandler(by_name));
  EXPECT_EQ(o.kind(), Outcome::Kind::kRetry);
  EXPECT_EQ(o.message(), "command not found in PATH: steward-no-such-command-xyz");
}

TEST(ExecKindTest, FindsCommandsInPath) {
  ExecKindConfig c;
  c.command = {"sh", "-c", "exit 0"};
  Harness h;
  EXPECT_EQ(h.Run(MakeExecHandler(c)).kind(), Outcome::Kind::kSuccess);
}

TEST(ExecKindTest, ValidationRejectsBadConfig) {
  ExecKindConfig c;
  EXPECT_EQ(ValidateExecKindConfig(c).code(), StatusCode::kInvalidArgument);
  c.command = {"/bin/true"};
  EXPECT_TRUE(ValidateExecKindConfig(c).ok());
  c.env = {{"STEWARD_JOB_ID", "1"}};
  EXPECT_THAT(ValidateExecKindConfig(c).message(), HasSubstr("STEWARD_JOB_ID"));
  c.env = {{"A=B", "1"}};
  EXPECT_EQ(ValidateExecKindConfig(c).code(), StatusCode::kInvalidArgument);
  c.env = {};
  c.workdir = "/nonexistent/dir";
  EXPECT_THAT(ValidateExecKindConfig(c).message(), StartsWith("workdir"));
  c.workdir = "";
  c.output_tail_bytes = 0;
  EXPECT_THAT(ValidateExecKindConfig(c).message(), StartsWith("output_tail_bytes"));
}

TEST(ExecKindTest, TailsAreMadeValidUtf8) {
  using builtin_internal::ToValidUtf8;
  // "ë" cut in half by the tail, a stray byte, a NUL, an overlong encoding.
  EXPECT_EQ(ToValidUtf8("\xABok"), "ok");
  EXPECT_EQ(ToValidUtf8("a\xFF" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(ToValidUtf8(std::string("a\0b", 3)), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(ToValidUtf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(ToValidUtf8("Zo\xC3\xAB \xF0\x9F\x98\x80"), "Zo\xC3\xAB \xF0\x9F\x98\x80");
  std::string tail;
  builtin_internal::AppendTail(&tail, "abcdef", 4);
  builtin_internal::AppendTail(&tail, "gh", 4);
  EXPECT_EQ(tail, "efgh");
}

}  // namespace
}  // namespace steward
