// The dashboard's JSON API over real HTTP and a real SQLite store: the Now
// page's problems, failure groups and their actions, alert ack + silence,
// check pause, job detail, and payloads hidden from the read-only role.
#include "server/dashboard_fixture.h"

namespace steward {
namespace {

using testing::DashboardServerTest;
using testing::kAdminToken;
using testing::kReaderToken;

class DashboardApiTest : public DashboardServerTest {
 protected:
  // Inserts a job, claims it and fails its attempt with `error`: discarded
  // when max_attempts is 1, retryable otherwise.
  int64_t FailJob(const std::string& kind, const std::string& error, int max_attempts = 1,
                  const std::string& payload = "{}") {
    const Timestamp now = clock_.Now();
    NewJob j;
    j.kind = kind;
    j.queue = "q-" + kind;
    j.max_attempts = max_attempts;
    j.payload = payload;
    auto ins = real_->JobInsertMany(std::span<const NewJob>(&j, 1), now);
    EXPECT_TRUE(ins.ok()) << ins.status().ToString();
    auto claimed = real_->JobClaim(JobClaimParams{.queue = j.queue, .limit = 1, .worker_id = "w1",
                                                  .now = now, .lease_until = now + std::chrono::minutes(1)});
    EXPECT_TRUE(claimed.ok() && claimed->size() == 1u);
    JobCompletion c;
    c.id = claimed->at(0).id;
    c.worker_id = "w1";
    c.attempt = claimed->at(0).attempt;
    c.kind = JobCompletion::Kind::kRetry;
    c.finished_at = now;
    c.retry_at = now + std::chrono::hours(1);
    c.error = AttemptError{.attempt = c.attempt, .at = now, .message = error, .detail = "",
                           .worker = "w1", .duration = std::chrono::milliseconds(1500)};
    auto done = real_->JobCompleteMany(std::span<const JobCompletion>(&c, 1));
    EXPECT_TRUE(done.ok()) << done.status().ToString();
    return c.id;
  }
  testing::HttpResult AdminGet(const std::string& path) { return GetWith(path, Bearer(kAdminToken)); }
  testing::HttpResult AdminPost(const std::string& path, const std::string& body = "") {
    return PostWith(path, Bearer(kAdminToken), body);
  }
  static bool HasProblem(const nlohmann::json& overview, const std::string& type,
                         const std::string& link) {
    for (const auto& p : overview["problems"]) {
      if (p["type"] == type && p["link"] == link) return true;
    }
    return false;
  }
};

TEST_F(DashboardApiTest, OverviewIsWellWhenNothingIsWrong) {
  StartDashboard();
  auto r = AdminGet("/api/v1/overview");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["ok"], true) << r.body;
  EXPECT_EQ(r.json["headline"], "All is well");
  EXPECT_EQ(r.json["database"]["reachable"], true);
  EXPECT_EQ(r.json["database"]["backend"], "sqlite");
}

TEST_F(DashboardApiTest, OverviewListsDiscardedKindDownCheckStaleNodeAndLaggingQueue) {
  const Timestamp now = clock_.Now();
  FailJob("send_email", "smtp 550 for user 17");
  CheckSpec spec;
  spec.name = "nightly-backup";
  spec.period = std::chrono::hours(24);
  ASSERT_TRUE(real_->CheckUpsert(spec, now).ok());
  CheckPingParams ping;
  ping.name = "nightly-backup";
  ping.kind = PingKind::kFail;
  ping.at = now;
  ASSERT_TRUE(real_->CheckPing(ping).ok());
  NodeInfo node;
  node.id = "node-a:1";
  node.host = "node-a";
  node.started_at = now - std::chrono::hours(1);
  node.last_seen_at = now - std::chrono::minutes(5);
  ASSERT_TRUE(real_->NodeHeartbeat(node).ok());
  NodeInfo alive = node;
  alive.id = "node-b:1";
  alive.host = "node-b";
  alive.last_seen_at = now;
  ASSERT_TRUE(real_->NodeHeartbeat(alive).ok());
  NewJob late;
  late.kind = "report";
  late.queue = "reports";
  late.run_at = now - std::chrono::minutes(20);
  ASSERT_TRUE(real_->JobInsertMany(std::span<const NewJob>(&late, 1), now - std::chrono::minutes(20)).ok());

  StartDashboard();
  auto r = GetWith("/api/v1/overview", Bearer(kReaderToken));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["ok"], false);
  EXPECT_NE(r.json["headline"].get<std::string>().find("need attention"), std::string::npos);
  EXPECT_TRUE(HasProblem(r.json, "discarded", "/ui/failures?kind=send_email")) << r.body;
  EXPECT_TRUE(HasProblem(r.json, "check", "/ui/checks/nightly-backup")) << r.body;
  EXPECT_TRUE(HasProblem(r.json, "node", "/ui/nodes")) << r.body;
  EXPECT_TRUE(HasProblem(r.json, "queue", "/ui/queues/reports")) << r.body;
  EXPECT_EQ(r.json["checks_down"], 1);
  EXPECT_EQ(r.json["nodes_stale"], 1);
  EXPECT_EQ(r.json["nodes_alive"], 1);
  EXPECT_EQ(r.json["queues_lagging"], 1);
  EXPECT_EQ(r.json["problems"][0]["severity"], "error");

  auto nodes = AdminGet("/api/v1/nodes");
  ASSERT_EQ(nodes.status, 200) << nodes.body;
  ASSERT_EQ(nodes.json["nodes"].size(), 2u);
  EXPECT_EQ(nodes.json["nodes"][0]["status"], "stale");
  EXPECT_EQ(nodes.json["nodes"][1]["status"], "alive");
}

TEST_F(DashboardApiTest, FailuresGroupMessagesThatDifferOnlyByIdsAndRetryTheGroup) {
  int64_t a = FailJob("send_email", "user 4211 not found");
  int64_t b = FailJob("send_email", "user 977 not found");
  int64_t other = FailJob("send_email", "smtp timeout");
  StartDashboard();
  auto list = AdminGet("/api/v1/failures?since=24h");
  ASSERT_EQ(list.status, 200) << list.body;
  ASSERT_EQ(list.json["groups"].size(), 2u) << list.body;
  nlohmann::json group;
  for (const auto& g : list.json["groups"]) {
    if (g["count"] == 2) group = g;
  }
  ASSERT_TRUE(group.is_object()) << list.body;
  EXPECT_EQ(group["kind"], "send_email");
  EXPECT_EQ(group["discarded"], 2);
  EXPECT_EQ(group["queues"], nlohmann::json::array({"q-send_email"}));
  EXPECT_EQ(group["example"], "user 977 not found");  // the newest
  const std::string id = group["id"];

  // The job page links to its group.
  auto job = AdminGet("/api/v1/jobs/" + std::to_string(a));
  ASSERT_EQ(job.status, 200) << job.body;
  EXPECT_EQ(job.json["failure_group"], id);
  ASSERT_EQ(job.json["attempts"].size(), 1u);
  EXPECT_EQ(job.json["attempts"][0]["worker"], "w1");
  EXPECT_EQ(job.json["attempts"][0]["duration_ms"], 1500.0);

  auto one = AdminGet("/api/v1/failures/" + id);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(one.json["jobs"].size(), 2u);
  EXPECT_EQ(AdminGet("/api/v1/failures/0000000000000000").status, 404);

  EXPECT_EQ(PostWith("/api/v1/failures/" + id + "/retry", Bearer(kReaderToken)).status, 403);
  auto retried = AdminPost("/api/v1/failures/" + id + "/retry?since=7d");
  ASSERT_EQ(retried.status, 200) << retried.body;
  EXPECT_EQ(retried.json["retried"], 2);
  for (int64_t jid : {a, b}) {
    EXPECT_EQ(AdminGet("/api/v1/jobs/" + std::to_string(jid)).json["state"], "available") << jid;
  }
  EXPECT_EQ(AdminGet("/api/v1/jobs/" + std::to_string(other)).json["state"], "discarded");
  auto audit = AdminGet("/api/v1/audit?object_type=failure_group&object_id=" + id);
  ASSERT_EQ(audit.json["entries"].size(), 1u) << audit.body;
  EXPECT_EQ(audit.json["entries"][0]["actor"], "ops");
  EXPECT_EQ(audit.json["entries"][0]["action"], "failure_group.retry");
  EXPECT_NE(audit.json["entries"][0]["detail"].get<std::string>().find("retried 2 jobs"), std::string::npos);
}

TEST_F(DashboardApiTest, DiscardingAGroupStopsItsRetryingJobs) {
  int64_t retrying = FailJob("sync", "account 42 locked", 5);
  int64_t discarded = FailJob("sync", "account 43 locked", 1);
  StartDashboard();
  auto list = AdminGet("/api/v1/failures?kind=sync");
  ASSERT_EQ(list.json["groups"].size(), 1u) << list.body;
  EXPECT_EQ(list.json["groups"][0]["retrying"], 1);
  const std::string id = list.json["groups"][0]["id"];
  auto r = AdminPost("/api/v1/failures/" + id + "/discard");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["discarded"], 1);
  EXPECT_EQ(AdminGet("/api/v1/jobs/" + std::to_string(retrying)).json["state"], "discarded");
  EXPECT_EQ(AdminGet("/api/v1/jobs/" + std::to_string(discarded)).json["state"], "discarded");
}

TEST_F(DashboardApiTest, AcknowledgeAnAlertAndSilenceItForAnHour) {
  AlertUpsertParams p;
  p.fingerprint = "job_discarded:kind=email";
  p.rule = "job_discarded";
  p.labels_json = R"({"kind":"email"})";
  p.summary = "email jobs discarded";
  p.now = clock_.Now();
  auto fired = real_->AlertUpsert(p);
  ASSERT_TRUE(fired.ok()) << fired.status().ToString();
  const std::string id = std::to_string(fired->alert_id);
  StartDashboard();
  auto list = AdminGet("/api/v1/alerts");
  ASSERT_EQ(list.status, 200) << list.body;
  ASSERT_EQ(list.json["alerts"].size(), 1u);
  EXPECT_EQ(list.json["alerts"][0]["link"], "/ui/failures?kind=email");
  EXPECT_EQ(list.json["alerts"][0]["state"], "open");

  EXPECT_EQ(AdminPost("/api/v1/alerts/" + id + "/ack", R"({"silence":"1w"})").status, 400);
  auto acked = AdminPost("/api/v1/alerts/" + id + "/ack", R"({"silence":"1h"})");
  ASSERT_EQ(acked.status, 200) << acked.body;
  EXPECT_EQ(acked.json["acked_by"], "ops");
  EXPECT_EQ(acked.json["silenced_until"], FormatTimestamp(clock_.Now() + std::chrono::hours(1)));
  ASSERT_EQ(acked.json["audit"].size(), 1u);
  EXPECT_EQ(acked.json["audit"][0]["action"], "alert.silence");
  EXPECT_EQ(AdminGet("/api/v1/alerts/999999").status, 404);
}

TEST_F(DashboardApiTest, PauseAndResumeACheck) {
  CheckSpec spec;
  spec.name = "heartbeat";
  spec.period = std::chrono::minutes(5);
  ASSERT_TRUE(real_->CheckUpsert(spec, clock_.Now()).ok());
  dashboard_.url = "https://steward.example.com";
  StartDashboard();
  auto paused = AdminPost("/api/v1/checks/heartbeat/pause");
  ASSERT_EQ(paused.status, 200) << paused.body;
  EXPECT_EQ(paused.json["state"], "paused");
  EXPECT_EQ(paused.json["ping_url"], "https://steward.example.com/ping/heartbeat");
  ASSERT_EQ(paused.json["audit"].size(), 1u);
  EXPECT_EQ(paused.json["audit"][0]["actor"], "ops");
  auto resumed = AdminPost("/api/v1/checks/heartbeat/resume");
  ASSERT_EQ(resumed.status, 200) << resumed.body;
  EXPECT_NE(resumed.json["state"], "paused");
  EXPECT_EQ(AdminPost("/api/v1/checks/nope/pause").status, 404);
}

TEST_F(DashboardApiTest, PayloadsHiddenFromTheReadOnlyRoleWhenConfigured) {
  int64_t id = FailJob("charge", "card declined", 1, R"({"account_id":42})");
  dashboard_.hide_payloads_from_read_only = true;
  StartDashboard();
  const std::string job = "/api/v1/jobs/" + std::to_string(id);
  auto reader = GetWith(job, Bearer(kReaderToken));
  ASSERT_EQ(reader.status, 200) << reader.body;
  EXPECT_FALSE(reader.json.contains("payload"));
  EXPECT_EQ(reader.json["payload_hidden"], true);
  auto reader_list = GetWith("/api/v1/jobs", Bearer(kReaderToken));
  ASSERT_EQ(reader_list.json["jobs"].size(), 1u) << reader_list.body;
  EXPECT_FALSE(reader_list.json["jobs"][0].contains("payload"));
  auto admin = AdminGet(job);
  EXPECT_EQ(admin.json["payload"]["account_id"], 42);
  EXPECT_FALSE(admin.json.contains("payload_hidden"));
}

TEST_F(DashboardApiTest, JobSearchFiltersByErrorAndPayload) {
  FailJob("charge", "card declined", 1, R"({"account_id":42})");
  FailJob("charge", "insufficient funds", 1, R"({"account_id":7})");
  StartDashboard();
  auto by_error = AdminGet("/api/v1/jobs?error=DECLINED");
  ASSERT_EQ(by_error.status, 200) << by_error.body;
  ASSERT_EQ(by_error.json["jobs"].size(), 1u);
  EXPECT_EQ(by_error.json["jobs"][0]["last_error"], "card declined");
  auto by_payload = AdminGet("/api/v1/jobs?payload=account_id%3D7");
  ASSERT_EQ(by_payload.json["jobs"].size(), 1u) << by_payload.body;
  EXPECT_EQ(by_payload.json["jobs"][0]["payload"]["account_id"], 7);
  EXPECT_EQ(AdminGet("/api/v1/jobs?payload=account%20id%3D7").status, 400);
}

TEST_F(DashboardApiTest, StatsFillEveryBucket) {
  StartDashboard();
  auto r = AdminGet("/api/v1/stats?range=1h");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["bucket_seconds"], 60);
  EXPECT_EQ(r.json["buckets"].size(), 60u);
  EXPECT_TRUE(r.json["buckets"][0]["wait_p50_ms"].is_null());
  EXPECT_EQ(AdminGet("/api/v1/stats?range=7d").json["buckets"].size(), 168u);
  EXPECT_EQ(AdminGet("/api/v1/stats?range=2h").status, 400);
}

TEST_F(DashboardApiTest, ScheduleShowsItsNextFiveFireTimes) {
  ScheduleSpec s;
  s.name = "hourly";
  s.cron = "0 * * * *";
  s.kind = "tick";
  ASSERT_TRUE(real_->ScheduleUpsert(s, clock_.Now()).ok());
  StartDashboard();
  auto r = AdminGet("/api/v1/schedules/hourly");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.json["next_fires"].size(), 5u);
  EXPECT_EQ(r.json["time_zone"], "UTC");
  EXPECT_LT(r.json["next_fires"][0].get<std::string>(), r.json["next_fires"][1].get<std::string>());
  ASSERT_EQ(AdminPost("/api/v1/schedules/hourly/pause").status, 200);
  auto paused = AdminGet("/api/v1/schedules/hourly");
  EXPECT_EQ(paused.json["audit"].size(), 1u);
  EXPECT_EQ(paused.json["audit"][0]["action"], "schedule.pause");
}

}  // namespace
}  // namespace steward
