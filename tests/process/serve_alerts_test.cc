// End to end: `steward serve` as a real process discards a failing job and
// the alert reaches a real webhook receiver, signed; after SIGTERM nothing
// is left undelivered in the outbox.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "store/store.h"
#include "support/receiver.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace steward::testing {
namespace {

using namespace std::chrono_literals;

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
  Subprocess serve({StewardBinary(), "--config", cfg, "serve", "--listen", "127.0.0.1:0"},
                   dir.File("serve.out"), env);
  // Enqueue once serve has migrated and listens (a concurrent migration
  // would make the enqueue wait on the database lock).
  auto ready = std::chrono::steady_clock::now() + 30s;
  while (ReadFile(dir.File("serve.out")).find("\"http listening\"") == std::string::npos &&
         std::chrono::steady_clock::now() < ready && serve.running()) {
    std::this_thread::sleep_for(20ms);
  }
  for (int i = 0; i < 3; ++i) {
    Subprocess enq({StewardBinary(), "--config", cfg, "enqueue", "broken", "--max-attempts", "1"},
                   dir.File("enq.out"), env);
    auto st = enq.Wait(30s);
    ASSERT_TRUE(st && WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << ReadFile(dir.File("enq.out"));
  }
  auto got = rx.WaitForRequests(1, 20s, "/hook");
  ASSERT_GE(got.size(), 1u) << ReadFile(dir.File("serve.out"));
  auto body = nlohmann::json::parse(got[0].body);
  EXPECT_EQ(body["event"], "open");
  EXPECT_EQ(body["fingerprint"], "job_discarded:kind=broken");
  EXPECT_GE(body["count"].get<int>(), 1);
  EXPECT_TRUE(got[0].Header("X-Steward-Signature").has_value());
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(rx.Requests("/hook").size(), 1u) << "three discards within group_wait: one message";
  serve.Signal(SIGTERM);
  auto st = serve.Wait(40s);
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

}  // namespace
}  // namespace steward::testing
