// /api/v1/schedules, /api/v1/checks and the /ping URLs over real HTTP.
#include "server/server_fixture.h"

namespace steward {
namespace {

using namespace std::chrono_literals;
using testing::ServerTest;

TEST_F(ServerTest, SchedulesListShowTriggerPauseResume) {
  StartServer();
  ScheduleSpec spec;
  spec.name = "nightly";
  spec.cron = "0 3 * * *";
  spec.time_zone = "Europe/Berlin";
  spec.kind = "report";
  spec.payload = R"({"format":"pdf"})";
  ASSERT_TRUE(real_->ScheduleUpsert(spec, SystemClock().Now()).ok());

  auto r = Get("/api/v1/schedules");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.json["schedules"].size(), 1u);
  EXPECT_EQ(r.json["schedules"][0]["name"], "nightly");
  EXPECT_EQ(r.json["schedules"][0]["timezone"], "Europe/Berlin");
  EXPECT_EQ(r.json["schedules"][0]["payload"]["format"], "pdf");
  EXPECT_TRUE(r.json["schedules"][0]["next_fire_at"].is_string());

  EXPECT_EQ(Get("/api/v1/schedules/nope").status, 404);
  r = Post("/api/v1/schedules/nightly/trigger", std::string(""));
  ASSERT_EQ(r.status, 201) << r.body;
  auto job = real_->JobGet(r.json["job_id"].get<int64_t>());
  ASSERT_TRUE(job.ok());
  auto payload = nlohmann::json::parse(job->payload);
  EXPECT_EQ(payload["_steward"]["schedule"], "nightly");

  r = Post("/api/v1/schedules/nightly/pause", std::string(""));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["paused"], true);
  EXPECT_EQ(Get("/api/v1/checks/nightly").json["state"], "paused");
  r = Post("/api/v1/schedules/nightly/resume", std::string(""));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["paused"], false);
  EXPECT_EQ(Get("/api/v1/schedules/nightly").json["paused"], false);
}

TEST_F(ServerTest, PingsInEveryHealthchecksForm) {
  StartServer();
  CheckSpec spec;
  spec.name = "backup";
  spec.period = 1h;
  ASSERT_TRUE(real_->CheckUpsert(spec, SystemClock().Now()).ok());

  auto r = Get("/api/v1/checks");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.json["checks"].size(), 1u);
  EXPECT_EQ(r.json["checks"][0]["state"], "new");

  r = Get("/ping/backup/start?rid=r1");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(Get("/api/v1/checks/backup").json["started"].get<bool>());
  r = Post("/ping/backup?rid=r1", std::string("backup finished: 3 GB"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["state"], "up");
  auto c = Get("/api/v1/checks/backup").json;
  EXPECT_EQ(c["last_ping_body"], "backup finished: 3 GB");
  EXPECT_FALSE(c["started"].get<bool>());

  EXPECT_EQ(Get("/ping/backup/fail").json["state"], "down");
  EXPECT_EQ(Get("/ping/backup/0").json["state"], "up");
  EXPECT_EQ(Post("/ping/backup/2", std::string("exit 2")).json["state"], "down");
  EXPECT_EQ(Get("/api/v1/checks/backup").json["last_exit_status"], 2);
  // HEAD works like GET (curl -I in a crontab).
  auto head = client_->Head("/ping/backup");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(Get("/api/v1/checks/backup").json["state"], "up");

  EXPECT_EQ(Get("/ping/backup/256").status, 404);
  EXPECT_EQ(Get("/ping/backup/bogus").status, 404);
  EXPECT_EQ(Get("/ping/nope").status, 404);
  EXPECT_EQ(Get("/api/v1/checks/nope").status, 404);
}

}  // namespace
}  // namespace steward
