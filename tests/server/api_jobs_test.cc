// /api/v1/jobs over real HTTP against a real SQLite store.
#include <atomic>
#include <chrono>

#include "runtime/observer.h"
#include "server/server_fixture.h"
#include "steward/worker.h"
#include "support/eventually.h"

namespace steward {
namespace {

using namespace std::chrono_literals;
using testing::Eventually;
using testing::ServerTest;

class JobsApiTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    StartServer();
  }
};

TEST_F(JobsApiTest, EnqueueShowAndList) {
  auto r = Post("/api/v1/jobs", nlohmann::json{{"kind", "email"},
                                               {"payload", {{"to", "a@b.c"}}},
                                               {"queue", "mail"},
                                               {"priority", 5},
                                               {"max_attempts", 3}});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json["duplicate"], false);
  int64_t id = r.json["id"];
  ASSERT_GT(id, 0);
  EXPECT_NE(r.headers.find("Content-Type")->second.find("application/json"), std::string::npos);

  auto show = Get("/api/v1/jobs/" + std::to_string(id));
  ASSERT_EQ(show.status, 200) << show.body;
  EXPECT_EQ(show.json["kind"], "email");
  EXPECT_EQ(show.json["queue"], "mail");
  EXPECT_EQ(show.json["priority"], 5);
  EXPECT_EQ(show.json["max_attempts"], 3);
  EXPECT_EQ(show.json["state"], "available");
  EXPECT_EQ(show.json["payload"], nlohmann::json({{"to", "a@b.c"}}));
  EXPECT_TRUE(show.json["errors"].is_array());

  auto list = Get("/api/v1/jobs?queue=mail&state=available&kind=email");
  ASSERT_EQ(list.status, 200) << list.body;
  ASSERT_EQ(list.json["jobs"].size(), 1u);
  EXPECT_EQ(list.json["jobs"][0]["id"], id);
  EXPECT_FALSE(list.json["jobs"][0].contains("errors"));
  EXPECT_TRUE(list.json["next_cursor"].is_null());
  EXPECT_EQ(Get("/api/v1/jobs?queue=other").json["jobs"].size(), 0u);

  std::string metrics = metrics_->Render();
  EXPECT_NE(metrics.find(R"(steward_jobs_enqueued_total{queue="mail"} 1)"), std::string::npos)
      << metrics;
}

TEST_F(JobsApiTest, RunAtAndRunInScheduleTheJob) {
  auto at = Post("/api/v1/jobs", nlohmann::json{{"kind", "k"}, {"run_at", "2099-01-02T03:04:05Z"}});
  ASSERT_EQ(at.status, 201) << at.body;
  auto job = Get("/api/v1/jobs/" + std::to_string(at.json["id"].get<int64_t>()));
  EXPECT_EQ(job.json["state"], "scheduled");
  EXPECT_EQ(job.json["run_at"], "2099-01-02T03:04:05.000000Z");
  auto in = Post("/api/v1/jobs", nlohmann::json{{"kind", "k"}, {"run_in", "10m"}});
  ASSERT_EQ(in.status, 201) << in.body;
  EXPECT_EQ(Get("/api/v1/jobs/" + std::to_string(in.json["id"].get<int64_t>())).json["state"],
            "scheduled");
  auto both = Post("/api/v1/jobs", nlohmann::json{{"kind", "k"}, {"run_in", "1m"},
                                                  {"run_at", "2099-01-02T03:04:05Z"}});
  EXPECT_EQ(both.status, 400) << both.body;
}

TEST_F(JobsApiTest, ListPaginatesWithCursor) {
  for (int i = 0; i < 5; ++i) ASSERT_EQ(Post("/api/v1/jobs", nlohmann::json{{"kind", "k"}}).status, 201);
  std::vector<int64_t> seen;
  std::string cursor;
  for (int page = 0; page < 5; ++page) {
    auto r = Get("/api/v1/jobs?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(r.status, 200) << r.body;
    for (const auto& j : r.json["jobs"]) seen.push_back(j["id"]);
    if (r.json["next_cursor"].is_null()) break;
    cursor = std::to_string(r.json["next_cursor"].get<int64_t>());
  }
  ASSERT_EQ(seen.size(), 5u);
  for (size_t i = 1; i < seen.size(); ++i) EXPECT_GT(seen[i - 1], seen[i]) << "newest first";
}

TEST_F(JobsApiTest, BadRequestsAreJsonErrorsWithTheRightStatus) {
  auto malformed = Post("/api/v1/jobs", std::string("{\"kind\": "));
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(ErrorCode(malformed), "invalid_argument");
  EXPECT_NE(malformed.json["error"]["message"].get<std::string>().find("malformed JSON"),
            std::string::npos);
  auto not_object = Post("/api/v1/jobs", std::string("[1,2]"));
  EXPECT_EQ(not_object.status, 400);
  auto no_kind = Post("/api/v1/jobs", nlohmann::json{{"queue", "q"}});
  EXPECT_EQ(no_kind.status, 400);
  EXPECT_NE(no_kind.json["error"]["message"].get<std::string>().find("kind"), std::string::npos);
  auto typo = Post("/api/v1/jobs", nlohmann::json{{"kind", "k"}, {"max_attempt", 3}});
  EXPECT_EQ(typo.status, 400);
  EXPECT_NE(typo.body.find("max_attempt"), std::string::npos);
  auto wrong_type = Post("/api/v1/jobs", nlohmann::json{{"kind", "k"}, {"priority", "high"}});
  EXPECT_EQ(wrong_type.status, 400);
  auto bad_time = Post("/api/v1/jobs", nlohmann::json{{"kind", "k"}, {"run_at", "tomorrow"}});
  EXPECT_EQ(bad_time.status, 400);
  auto bad_name = Post("/api/v1/jobs", nlohmann::json{{"kind", "has space"}});
  EXPECT_EQ(bad_name.status, 400);
  EXPECT_EQ(ErrorCode(bad_name), "invalid_argument");

  auto state = Get("/api/v1/jobs?state=exploded");
  EXPECT_EQ(state.status, 400);
  EXPECT_NE(state.body.find("exploded"), std::string::npos);
  EXPECT_EQ(Get("/api/v1/jobs?limit=0").status, 400);
  EXPECT_EQ(Get("/api/v1/jobs?limit=5000").status, 400);
  EXPECT_EQ(Get("/api/v1/jobs?cursor=abc").status, 400);
  EXPECT_EQ(Get("/api/v1/jobs?status=failed").status, 400);

  auto missing = Get("/api/v1/jobs/999999");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(ErrorCode(missing), "not_found");
  EXPECT_EQ(Get("/api/v1/jobs/abc").status, 400);
  EXPECT_EQ(Post("/api/v1/jobs/999999/retry", std::string()).status, 404);
  EXPECT_EQ(Post("/api/v1/jobs/999999/cancel", std::string()).status, 404);
}

TEST_F(JobsApiTest, UniqueKeyHitReturns200Duplicate) {
  nlohmann::json body = {{"kind", "k"}, {"unique_key", "report:2026-11-26"}};
  auto first = Post("/api/v1/jobs", body);
  ASSERT_EQ(first.status, 201) << first.body;
  auto second = Post("/api/v1/jobs", body);
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(second.json["duplicate"], true);
  EXPECT_EQ(second.json["id"], first.json["id"]);
}

TEST_F(JobsApiTest, IdempotencyKeyReplaysTheFirstResponse) {
  nlohmann::json body = {{"kind", "k"}, {"payload", {{"n", 1}}}};
  httplib::Headers h = {{"Idempotency-Key", "order-77"}};
  auto first = Post("/api/v1/jobs", body, h);
  ASSERT_EQ(first.status, 201) << first.body;
  int64_t id = first.json["id"];
  auto job = Get("/api/v1/jobs/" + std::to_string(id));
  EXPECT_EQ(job.json["unique_key"], "idem:order-77");

  auto again = Post("/api/v1/jobs", body, h);
  EXPECT_EQ(again.status, 201) << again.body;
  EXPECT_EQ(again.json, first.json);
  EXPECT_EQ(again.headers.count("Idempotent-Replayed"), 1u);
  // Even after the job finished (the database's uniqueness no longer
  // applies), the key does not enqueue a second job in this process.
  ASSERT_EQ(Post("/api/v1/jobs/" + std::to_string(id) + "/cancel", std::string()).status, 200);
  auto after = Post("/api/v1/jobs", body, h);
  EXPECT_EQ(after.json["id"], id);
  EXPECT_EQ(Get("/api/v1/jobs").json["jobs"].size(), 1u);

  auto other_body = Post("/api/v1/jobs", nlohmann::json{{"kind", "other"}}, h);
  EXPECT_EQ(other_body.status, 400) << other_body.body;
  auto both = Post("/api/v1/jobs", nlohmann::json{{"kind", "k"}, {"unique_key", "u"}},
                   {{"Idempotency-Key", "x"}});
  EXPECT_EQ(both.status, 400) << both.body;
}

TEST_F(JobsApiTest, BatchIsAllOrNothing) {
  auto bad = Post("/api/v1/jobs/batch",
                  nlohmann::json{{"jobs", {{{"kind", "a"}}, {{"kind", "b c"}}}}});
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_NE(bad.body.find("jobs[1]"), std::string::npos) << bad.body;
  EXPECT_EQ(Get("/api/v1/jobs").json["jobs"].size(), 0u) << "nothing inserted";

  httplib::Headers h = {{"Idempotency-Key", "batch-1"}};
  nlohmann::json body = {{"jobs", {{{"kind", "a"}}, {{"kind", "b"}, {"queue", "q2"}}}}};
  auto ok = Post("/api/v1/jobs/batch", body, h);
  ASSERT_EQ(ok.status, 201) << ok.body;
  ASSERT_EQ(ok.json["jobs"].size(), 2u);
  auto second = Get("/api/v1/jobs/" + std::to_string(ok.json["jobs"][1]["id"].get<int64_t>()));
  EXPECT_EQ(second.json["unique_key"], "idem:batch-1:1");
  auto replay = Post("/api/v1/jobs/batch", body, h);
  EXPECT_EQ(replay.json, ok.json);
  EXPECT_EQ(Get("/api/v1/jobs").json["jobs"].size(), 2u);

  EXPECT_EQ(Post("/api/v1/jobs/batch", nlohmann::json{{"jobs", nlohmann::json::array()}}).status, 400);
  EXPECT_EQ(Post("/api/v1/jobs/batch", nlohmann::json{{"job", nlohmann::json::array()}}).status, 400);
}

TEST_F(JobsApiTest, RetryAndCancelFollowTheJobStateRules) {
  auto r = Post("/api/v1/jobs", nlohmann::json{{"kind", "k"}, {"queue", "manual"}});
  ASSERT_EQ(r.status, 201);
  int64_t id = r.json["id"];
  // Claim it directly so it is running (as a worker elsewhere would).
  auto now = SystemClock().Now();
  JobClaimParams p;
  p.queue = "manual";
  p.worker_id = "test-worker";
  p.now = now;
  p.lease_until = now + 1h;
  auto claimed = real_->JobClaim(p);
  ASSERT_TRUE(claimed.ok());
  ASSERT_EQ(claimed->size(), 1u);

  auto retry_running = Post("/api/v1/jobs/" + std::to_string(id) + "/retry", std::string());
  EXPECT_EQ(retry_running.status, 409) << retry_running.body;
  EXPECT_EQ(ErrorCode(retry_running), "failed_precondition");

  auto cancel = Post("/api/v1/jobs/" + std::to_string(id) + "/cancel", std::string());
  ASSERT_EQ(cancel.status, 200) << cancel.body;
  EXPECT_EQ(cancel.json["cancel_requested"], true);

  auto r2 = Post("/api/v1/jobs", nlohmann::json{{"kind", "k"}, {"queue", "manual"}, {"run_in", "1h"}});
  int64_t id2 = r2.json["id"];
  auto cancel2 = Post("/api/v1/jobs/" + std::to_string(id2) + "/cancel", std::string());
  ASSERT_EQ(cancel2.status, 200) << cancel2.body;
  EXPECT_EQ(cancel2.json["state"], "cancelled");
  auto cancel_again = Post("/api/v1/jobs/" + std::to_string(id2) + "/cancel", std::string());
  EXPECT_EQ(cancel_again.status, 409) << cancel_again.body;
  auto retry = Post("/api/v1/jobs/" + std::to_string(id2) + "/retry", std::string());
  ASSERT_EQ(retry.status, 200) << retry.body;
  EXPECT_EQ(retry.json["state"], "available");
}

TEST_F(JobsApiTest, StoreOutageIs503) {
  store_->SetUnreachable(true);
  auto r = Get("/api/v1/queues");
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(ErrorCode(r), "unavailable");
}

// The API inserts through the worker's own Store object, so the worker is
// woken at once: with a one-hour poll interval, only the wake-up can run it.
TEST_F(JobsApiTest, EnqueueWakesTheInProcessWorker) {
  // Counts the fetcher's ticks: it ticks after each claim, so after the
  // first one the empty queue has been polled and the fetcher waits.
  struct FetchTicks final : RuntimeObserver {
    std::atomic<int> ticks{0};
    void OnLoopTick(std::string_view loop) override {
      if (loop.starts_with("fetcher")) ++ticks;
    }
  } fetches;
  WorkerOptions wo;
  wo.queues = {{"default", 2}};
  wo.poll_interval = 1h;
  wo.observer = &fetches;
  auto w = Worker::Create(store_, wo);
  ASSERT_TRUE(w.ok());
  std::atomic<int> ran{0};
  ASSERT_TRUE((*w)->Handle("wake",
                           [&](JobContext&) {
                             ++ran;
                             return Outcome::Success();
                           })
                  .ok());
  ASSERT_TRUE((*w)->Start().ok());
  // The first claim found nothing: from here only a wake-up runs the job.
  ASSERT_TRUE(Eventually([&] { return fetches.ticks.load() >= 1; }));
  auto r = Post("/api/v1/jobs", nlohmann::json{{"kind", "wake"}});
  ASSERT_EQ(r.status, 201);
  std::string path = "/api/v1/jobs/" + std::to_string(r.json["id"].get<int64_t>());
  std::string state;
  EXPECT_TRUE(Eventually([&] {
    state = Get(path).json["state"];
    return state == "completed";
  })) << state;
  EXPECT_EQ(ran.load(), 1);
  (*w)->Stop();
}

// "Retry" is "run it again now", with one rule for the CLI, the API and the
// Client (store/job_run_again.h): pending jobs run now with their attempts
// kept; a completed job only with force=true.
TEST_F(JobsApiTest, RetryRunsPendingJobsNowAndCompletedOnesOnlyWithForce) {
  auto r = Post("/api/v1/jobs", nlohmann::json{{"kind", "k"}, {"queue", "manual"}, {"run_in", "1h"}});
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string pending = std::to_string(r.json["id"].get<int64_t>());
  auto now_run = Post("/api/v1/jobs/" + pending + "/retry", std::string());
  ASSERT_EQ(now_run.status, 200) << now_run.body;
  EXPECT_EQ(now_run.json["state"], "available");
  EXPECT_EQ(now_run.json["attempt"], 0);

  // Make it completed for real: claim and complete it through the store.
  const Timestamp now = SystemClock().Now();
  auto claimed = real_->JobClaim(JobClaimParams{.queue = "manual", .limit = 1, .worker_id = "w",
                                                .now = now, .lease_until = now + std::chrono::minutes(1)});
  ASSERT_TRUE(claimed.ok()) << claimed.status().ToString();
  ASSERT_EQ(claimed->size(), 1u);
  JobCompletion c;
  c.id = claimed->at(0).id;
  c.worker_id = "w";
  c.attempt = claimed->at(0).attempt;
  c.finished_at = now;
  auto done = real_->JobCompleteMany(std::span<const JobCompletion>(&c, 1));
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  ASSERT_EQ(Get("/api/v1/jobs/" + pending).json["state"], "completed");

  auto refused = Post("/api/v1/jobs/" + pending + "/retry", std::string());
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_NE(refused.body.find("force"), std::string::npos) << refused.body;
  EXPECT_EQ(Get("/api/v1/jobs/" + pending).json["state"], "completed");
  EXPECT_EQ(Post("/api/v1/jobs/" + pending + "/retry?force=yes", std::string()).status, 400);

  auto forced = Post("/api/v1/jobs/" + pending + "/retry?force=true", std::string());
  ASSERT_EQ(forced.status, 200) << forced.body;
  EXPECT_EQ(forced.json["state"], "available");
}

}  // namespace
}  // namespace steward
