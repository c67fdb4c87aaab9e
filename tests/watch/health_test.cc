// HealthRegistry against a real SQLite store and a real Worker; faults come
// from the forwarding FaultStore (fault injection, not a mock).
#include "watch/health.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

#include "steward/worker.h"
#include "support/eventually.h"
#include "support/temp_dir.h"
#include "watch/fault_store.h"

namespace steward {
namespace {

using namespace std::chrono_literals;
using testing::Eventually;
using testing::FaultStore;

class HealthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = OpenStore("sqlite://" + dir_.File("h.db"));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    ASSERT_TRUE((*s)->Migrate().ok());
    real_ = std::shared_ptr<Store>(std::move(s).value());
    fault_ = std::make_shared<FaultStore>(real_);
  }


  testing::TempDir dir_;
  std::shared_ptr<Store> real_;
  std::shared_ptr<FaultStore> fault_;
};

TEST_F(HealthTest, AllOkWhenNothingIsWrong) {
  HealthRegistry h(fault_);
  h.OnLoopTick("fetcher:default");
  auto live = h.Live();
  EXPECT_TRUE(live.ok);
  EXPECT_EQ(live.body, nlohmann::json({{"status", "ok"}}));
  auto ready = h.Ready();
  EXPECT_TRUE(ready.ok) << ready.body.dump();
  EXPECT_EQ(ready.body, nlohmann::json({{"status", "ok"}}));
}

// A fetcher whose store call hangs stops ticking: liveness fails naming it,
// while readiness (the database answers) stays ok.
TEST_F(HealthTest, StuckLoopFailsLivenessNamingIt) {
  HealthOptions ho;
  ho.stale_after = 1500ms;
  // Real time (the fetcher really hangs), plus a skew the test can add.
  std::atomic<int64_t> skew_ms{0};
  ho.steady_now = [&] {
    return std::chrono::steady_clock::now() + std::chrono::milliseconds(skew_ms.load());
  };
  HealthRegistry h(fault_, ho);
  // A loop that never ticked is not judged: the claims may only be blocked
  // once the fetcher has ticked, which Startup() then waits for.
  h.ExpectLoops({"fetcher:default"});
  WorkerOptions wo;
  wo.queues = {{"default", 2}};
  wo.poll_interval = 50ms;
  wo.rescue_interval = 100ms;  // the maintenance loop ticks well within stale_after
  wo.observer = &h;
  auto w = Worker::Create(fault_, wo);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ASSERT_TRUE((*w)->Start().ok());
  ASSERT_TRUE(Eventually([&] { return h.Startup().ok; })) << h.Startup().body.dump();
  EXPECT_TRUE(h.Live().ok) << h.Live().body.dump();

  fault_->BlockClaims();
  // Whatever fails below, the claim must be released before `w` is
  // destroyed, or stopping the worker waits for its fetcher forever.
  struct Unblock {
    FaultStore* store;
    ~Unblock() { store->UnblockClaims(); }
  } unblock{fault_.get()};
  ASSERT_TRUE(Eventually([&] { return !h.Live().ok; })) << "fetcher never reported stuck";
  auto live = h.Live();
  EXPECT_NE(live.body["reason"].get<std::string>().find("fetcher:default"), std::string::npos)
      << live.body.dump();
  // Named among the stuck loops. (On a starved machine another loop may be
  // late at the same moment, so the list is not required to hold only it.)
  bool named = false;
  for (const auto& loop : live.body["stuck_loops"]) named = named || loop["loop"] == "fetcher:default";
  EXPECT_TRUE(named) << live.body.dump();
  EXPECT_TRUE(h.Ready().ok) << h.Ready().body.dump();

  fault_->UnblockClaims();
  EXPECT_TRUE(Eventually([&] { return h.Live().ok; })) << h.Live().body.dump();
  (*w)->Stop();
  // Stopped loops are no longer expected to tick: past stale_after, their
  // silence is not a hang.
  skew_ms += 1600;
  EXPECT_TRUE(h.Live().ok) << h.Live().body.dump();
}

TEST_F(HealthTest, DatabaseOutageFailsReadinessNotLiveness) {
  HealthOptions ho;
  ho.db_check_cache = 0ms;
  HealthRegistry h(fault_, ho);
  h.OnLoopTick("fetcher:default");
  fault_->SetUnreachable(true);
  auto ready = h.Ready();
  EXPECT_FALSE(ready.ok);
  EXPECT_NE(ready.body["reason"].get<std::string>().find("database unreachable"),
            std::string::npos)
      << ready.body.dump();
  int pings_before = fault_->ping_count();
  EXPECT_TRUE(h.Live().ok) << h.Live().body.dump();
  EXPECT_EQ(fault_->ping_count(), pings_before) << "Live() must never touch the database";
  fault_->SetUnreachable(false);
  EXPECT_TRUE(h.Ready().ok) << h.Ready().body.dump();
}

TEST_F(HealthTest, DatabaseCheckIsCached) {
  HealthOptions ho;
  ho.db_check_cache = 500ms;
  HealthRegistry h(fault_, ho);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(h.Ready().ok);
  EXPECT_EQ(fault_->ping_count(), 1);
  // The cached "ok" hides an outage for at most the cache period.
  fault_->SetUnreachable(true);
  EXPECT_TRUE(Eventually([&] { return !h.Ready().ok; }, 2s));
  EXPECT_LE(fault_->ping_count(), 4);
}

TEST_F(HealthTest, DrainingFailsReadiness) {
  HealthRegistry h(fault_);
  ASSERT_TRUE(h.Ready().ok);
  h.BeginDrain();
  auto ready = h.Ready();
  EXPECT_FALSE(ready.ok);
  EXPECT_EQ(ready.body["reason"], "draining");
  EXPECT_TRUE(h.Live().ok);
}

TEST_F(HealthTest, ExtraReadinessCheckReportsItsReason) {
  HealthRegistry h(fault_);
  std::atomic<bool> exhausted{true};
  h.SetExtraReadinessCheck([&]() -> std::optional<std::string> {
    if (exhausted) return "connection pool exhausted: 10/10 in use";
    return std::nullopt;
  });
  auto ready = h.Ready();
  EXPECT_FALSE(ready.ok);
  EXPECT_EQ(ready.body["reason"], "connection pool exhausted: 10/10 in use");
  exhausted = false;
  EXPECT_TRUE(h.Ready().ok);
}

TEST_F(HealthTest, MigrationsBehindFailReadinessAndStartup) {
  auto s = OpenStore("sqlite://" + dir_.File("fresh.db"));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  std::shared_ptr<Store> fresh(std::move(s).value());
  auto v = fresh->SchemaVersion();
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  ASSERT_LT(v->first, v->second);
  HealthOptions ho;
  ho.db_check_cache = 0ms;
  HealthRegistry h(fresh, ho);
  h.OnLoopTick("fetcher:default");
  auto ready = h.Ready();
  EXPECT_FALSE(ready.ok);
  EXPECT_NE(ready.body["reason"].get<std::string>().find("migrations behind"), std::string::npos)
      << ready.body.dump();
  EXPECT_FALSE(h.Startup().ok);
  ASSERT_TRUE(fresh->Migrate().ok());
  EXPECT_TRUE(h.Ready().ok) << h.Ready().body.dump();
  EXPECT_TRUE(h.Startup().ok) << h.Startup().body.dump();
}

TEST_F(HealthTest, StartupWaitsForEveryFetcher) {
  HealthRegistry h(fault_);
  h.ExpectLoops({"fetcher:default", "fetcher:email"});
  auto st = h.Startup();
  EXPECT_FALSE(st.ok);
  EXPECT_EQ(st.body["waiting_for"], nlohmann::json({"fetcher:default", "fetcher:email"}));
  h.OnLoopTick("fetcher:default");
  st = h.Startup();
  EXPECT_FALSE(st.ok);
  EXPECT_EQ(st.body["waiting_for"], nlohmann::json({"fetcher:email"}));
  h.OnLoopTick("fetcher:email");
  EXPECT_TRUE(h.Startup().ok) << h.Startup().body.dump();
  // Latched: a later outage does not send a started process back to "starting".
  fault_->SetUnreachable(true);
  EXPECT_TRUE(h.Startup().ok);
}

TEST_F(HealthTest, PerLoopStaleAfterOverridesDefault) {
  HealthOptions ho;
  ho.stale_after = 10s;
  auto now = std::chrono::steady_clock::now();
  ho.steady_now = [&] { return now; };
  HealthRegistry h(nullptr, ho);
  h.SetStaleAfter("slow", 100ms);
  EXPECT_TRUE(h.Live().ok) << "a loop that never ticked is not judged (startup covers it)";
  h.OnLoopTick("slow");
  h.OnLoopTick("fast");
  now += 99ms;
  EXPECT_TRUE(h.Live().ok) << h.Live().body.dump();
  now += 151ms;
  auto live = h.Live();
  EXPECT_FALSE(live.ok);
  ASSERT_EQ(live.body["stuck_loops"].size(), 1u) << live.body.dump();
  EXPECT_EQ(live.body["stuck_loops"][0]["loop"], "slow");
  h.OnLoopStopped("slow");
  EXPECT_TRUE(h.Live().ok);
}

}  // namespace
}  // namespace steward
