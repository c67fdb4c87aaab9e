// /api/v1/queues over real HTTP.
#include "server/server_fixture.h"
#include "steward/client.h"

namespace steward {
namespace {

using namespace std::chrono_literals;
using testing::ServerTest;

TEST_F(ServerTest, QueuesShowStatsAndPauseResume) {
  StartServer();
  Client c(real_);
  NewJob j;
  j.kind = "k";
  j.queue = "mail";
  j.run_at = SystemClock().Now() - 10s;
  ASSERT_TRUE(c.Enqueue(j).ok());

  auto r = Get("/api/v1/queues");
  ASSERT_EQ(r.status, 200) << r.body;
  nlohmann::json mail;
  for (const auto& q : r.json["queues"]) {
    if (q["name"] == "mail") mail = q;
  }
  ASSERT_TRUE(mail.is_object()) << r.body;
  EXPECT_EQ(mail["jobs"]["available"], 1);
  EXPECT_EQ(mail["due"], 1);
  EXPECT_EQ(mail["paused"], false);
  EXPECT_GE(mail["oldest_due_age_seconds"].get<double>(), 9.0);

  auto p = Post("/api/v1/queues/mail/pause", std::string());
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_EQ(p.json, nlohmann::json({{"name", "mail"}, {"paused", true}}));
  r = Get("/api/v1/queues");
  for (const auto& q : r.json["queues"]) {
    if (q["name"] == "mail") {
      EXPECT_EQ(q["paused"], true);
    }
  }
  // Paused means nothing is claimed from it.
  JobClaimParams cp;
  cp.queue = "mail";
  cp.worker_id = "w";
  cp.now = SystemClock().Now();
  cp.lease_until = cp.now + 1h;
  EXPECT_EQ(real_->JobClaim(cp)->size(), 0u);

  auto resume = Post("/api/v1/queues/mail/resume", std::string());
  ASSERT_EQ(resume.status, 200) << resume.body;
  EXPECT_EQ(resume.json["paused"], false);
  EXPECT_EQ(real_->JobClaim(cp)->size(), 1u);

  auto bad = Post("/api/v1/queues/bad%20name/pause", std::string());
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(Get("/api/v1/queues/mail/pause").status, 405);
}

}  // namespace
}  // namespace steward
