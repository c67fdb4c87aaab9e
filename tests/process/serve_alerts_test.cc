// End to end: `steward serve` as a real process discards a failing job and
// the alert reaches a real webhook receiver, signed; after SIGTERM nothing
// is left undelivered in the outbox. And a receiver that hangs does not hold
// up job execution.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <memory>
#include <thread>

#include <nlohmann/json.hpp>

#include "store/store.h"
#include "support/receiver.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace steward::testing {
namespace {

using namespace std::chrono_literals;

// Starts `steward serve` with this config and returns once it has migrated
// and listens (a concurrent migration would make an enqueue wait on the
// database lock).
std::unique_ptr<Subprocess> StartServe(const TempDir& dir, const std::string& cfg,
                                       const std::vector<std::string>& env) {
  auto serve = std::make_unique<Subprocess>(
      std::vector<std::string>{StewardBinary(), "--config", cfg, "serve", "--listen", "127.0.0.1:0"},
      dir.File("serve.out"), env);
  auto ready = std::chrono::steady_clock::now() + 30s;
  while (ReadFile(dir.File("serve.out")).find("\"http listening\"") == std::string::npos &&
         std::chrono::steady_clock::now() < ready && serve->running()) {
    std::this_thread::sleep_for(20ms);
  }
  return serve;
}

// `steward enqueue broken --max-attempts 1`: a job that is discarded at once.
void EnqueueDoomedJob(const TempDir& dir, const std::string& cfg, const std::vector<std::string>& env) {
  Subprocess enq({StewardBinary(), "--config", cfg, "enqueue", "broken", "--max-attempts", "1"},
                 dir.File("enq.out"), env);
  auto st = enq.Wait(30s);
  ASSERT_TRUE(st && WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << ReadFile(dir.File("enq.out"));
}

TEST(ServeAlertsTest, DiscardedJobReachesTheWebhookOnce) {
  TempDir dir;
  Receiver rx;
  const std::string db = "sqlite://" + dir.File("s.db");
  const std::string cfg = dir.File("steward.toml");
  std::ofstream(cfg) << "database = \"" << db << "\"\n"
                     << "[kinds.broken]\ntype = \"exec\"\ncommand = [\"/bin/false\"]\n"
                     << "[alerts]\ngroup_wait = \"1s\"\n"
                     << "[notify.webhook]\nurl = \"" << rx.url("/hook") << "\"\nsecret = \"env:HOOK_SECRET\"\n";
  const std::vector<std::string> env = {"STEWARD_LOG_FORMAT=json", "HOOK_SECRET=topsecret"};
  auto serve = StartServe(dir, cfg, env);
  for (int i = 0; i < 3; ++i) ASSERT_NO_FATAL_FAILURE(EnqueueDoomedJob(dir, cfg, env));
  auto got = rx.WaitForRequests(1, 20s, "/hook");
  ASSERT_GE(got.size(), 1u) << ReadFile(dir.File("serve.out"));
  auto body = nlohmann::json::parse(got[0].body);
  EXPECT_EQ(body["event"], "open");
  EXPECT_EQ(body["fingerprint"], "job_discarded:kind=broken");
  EXPECT_GE(body["count"].get<int>(), 1);
  EXPECT_TRUE(got[0].Header("X-Steward-Signature").has_value());
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(rx.Requests("/hook").size(), 1u) << "three discards within group_wait: one message";
  serve->Signal(SIGTERM);
  auto st = serve->Wait(40s);
  ASSERT_TRUE(st.has_value());
  const std::string out = ReadFile(dir.File("serve.out"));
  EXPECT_EQ(out.find("topsecret"), std::string::npos);

  auto store = OpenStore(db);
  ASSERT_TRUE(store.ok());
  auto alert = (*store)->AlertGetOpen("job_discarded:kind=broken");
  ASSERT_TRUE(alert.ok()) << alert.status().ToString();
  EXPECT_EQ(alert->count, 3);
  OutboxListParams lp;
  lp.undelivered_only = true;
  auto pending = (*store)->OutboxList(lp);
  ASSERT_TRUE(pending.ok());
  EXPECT_TRUE(pending->empty());
}

// The webhook receiver takes 30 s to answer (the sender gives up after
// 20 s). While that delivery is in flight, 50 jobs enqueued behind it run to
// completion: notifications have their own thread, never the workers'. And
// SIGTERM does not wait for the receiver either.
TEST(ServeAlertsTest, HangingReceiverDoesNotHoldUpJobs) {
  TempDir dir;
  Receiver rx;
  Behaviour hang;
  hang.path_prefix = "/hook";
  hang.status = 200;
  hang.times = -1;
  hang.delay_ms = 30000;
  rx.SetBehaviour(hang);
  const std::string db = "sqlite://" + dir.File("s.db");
  const std::string cfg = dir.File("steward.toml");
  std::ofstream(cfg) << "database = \"" << db << "\"\n"
                     << "[kinds.broken]\ntype = \"exec\"\ncommand = [\"/bin/false\"]\n"
                     << "[kinds.fine]\ntype = \"exec\"\ncommand = [\"/bin/true\"]\n"
                     << "[alerts]\ngroup_wait = \"1s\"\n"
                     << "[notify.webhook]\nurl = \"" << rx.url("/hook") << "\"\ntimeout = \"20s\"\n";
  const std::vector<std::string> env = {"STEWARD_LOG_FORMAT=json"};
  auto serve = StartServe(dir, cfg, env);
  ASSERT_NO_FATAL_FAILURE(EnqueueDoomedJob(dir, cfg, env));
  // The alert's delivery has started and hangs.
  ASSERT_EQ(rx.WaitForRequests(1, 30s, "/hook").size(), 1u) << ReadFile(dir.File("serve.out"));

  auto store = OpenStore(db);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  std::vector<NewJob> jobs(50);
  for (auto& j : jobs) j.kind = "fine";
  ASSERT_TRUE((*store)->JobInsertMany(jobs, SystemClock().Now()).ok());
  JobListParams done;
  done.kind = "fine";
  done.state = JobState::kCompleted;
  done.limit = 100;
  size_t completed = 0;
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (completed < jobs.size() && std::chrono::steady_clock::now() < deadline) {
    auto list = (*store)->JobList(done);
    ASSERT_TRUE(list.ok()) << list.status().ToString();
    completed = list->size();
    if (completed < jobs.size()) std::this_thread::sleep_for(50ms);  // polling, with a deadline
  }
  ASSERT_EQ(completed, jobs.size()) << ReadFile(dir.File("serve.out"));
  // ...and all of them while the first delivery was still in flight: its
  // row is claimed once with no outcome recorded, and no second request
  // was made.
  auto rows = (*store)->OutboxList(OutboxListParams{});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].attempts, 1);
  EXPECT_FALSE((*rows)[0].last_error.has_value()) << "the jobs waited for the notification";
  EXPECT_FALSE((*rows)[0].delivered_at.has_value());
  EXPECT_EQ(rx.Requests("/hook").size(), 1u);
  // SIGTERM does not wait out the hanging delivery (20 s): it is abandoned
  // and its row left due for the next start.
  const auto term = std::chrono::steady_clock::now();
  serve->Signal(SIGTERM);
  auto exit = serve->Wait(15s);
  ASSERT_TRUE(exit.has_value()) << "shutdown waited for the receiver";
  EXPECT_LT(std::chrono::steady_clock::now() - term, 10s);
  rows = (*store)->OutboxList(OutboxListParams{});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_FALSE((*rows)[0].delivered_at.has_value());
  EXPECT_FALSE((*rows)[0].failed_at.has_value());
  EXPECT_FALSE((*rows)[0].lease_owner.has_value());
}

}  // namespace
}  // namespace steward::testing
