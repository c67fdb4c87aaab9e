// /livez /readyz /startupz /metrics and generic HTTP behaviour, over HTTP.
#include <chrono>

#include "server/server_fixture.h"
#include "support/eventually.h"
#include "watch/promtool.h"

namespace steward {
namespace {

using namespace std::chrono_literals;
using testing::Eventually;
using testing::ServerTest;

TEST_F(ServerTest, ProbesReflectHealth) {
  health_options_.stale_after = 300ms;
  health_options_.db_check_cache = 0ms;
  StartServer();
  health_->ExpectLoops({"fetcher:default"});

  auto startup = Get("/startupz");
  EXPECT_EQ(startup.status, 503) << startup.body;
  EXPECT_EQ(startup.headers.find("Cache-Control")->second, "no-store");
  health_->OnLoopTick("fetcher:default");
  EXPECT_EQ(Get("/startupz").status, 200);

  auto live = Get("/livez");
  EXPECT_EQ(live.status, 200);
  EXPECT_EQ(live.json, nlohmann::json({{"status", "ok"}}));
  EXPECT_EQ(Get("/readyz").status, 200);

  // A loop that stopped ticking: liveness 503 (once stale_after has passed)
  // naming it; readiness stays ok.
  ASSERT_TRUE(Eventually([&] {
    live = Get("/livez");
    return live.status == 503;
  })) << live.body;
  EXPECT_NE(live.body.find("fetcher:default"), std::string::npos) << live.body;
  EXPECT_EQ(Get("/readyz").status, 200);
  health_->OnLoopTick("fetcher:default");
  EXPECT_EQ(Get("/livez").status, 200);

  // Database outage: readiness 503, liveness 200.
  store_->SetUnreachable(true);
  auto ready = Get("/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.json["reason"].get<std::string>().find("database unreachable"), std::string::npos);
  EXPECT_EQ(Get("/livez").status, 200);
  store_->SetUnreachable(false);
  EXPECT_EQ(Get("/readyz").status, 200);

  // Draining: readiness 503 while the server keeps answering.
  health_->BeginDrain();
  ready = Get("/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(ready.json["reason"], "draining");
  EXPECT_EQ(Get("/livez").status, 200);
}

TEST_F(ServerTest, MetricsPassPromtool) {
  StartServer();
  Job j;
  j.queue = "default";
  j.kind = "email";
  metrics_->OnJobStarted(j, 1500ms);
  metrics_->OnJobFinished(j, JobState::kCompleted, 20ms, nullptr);
  ASSERT_EQ(Post("/api/v1/jobs", nlohmann::json{{"kind", "email"}}).status, 201);
  auto r = Get("/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.find("Content-Type")->second, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r.body.find("# TYPE steward_job_duration_seconds histogram"), std::string::npos);
  EXPECT_NE(r.body.find(R"(steward_jobs_enqueued_total{queue="default"} 1)"), std::string::npos);
  EXPECT_NE(r.body.find(R"(steward_build_info{backend="sqlite",version="test"} 1)"),
            std::string::npos)
      << r.body;
  auto [rc, out] = testing::PromtoolCheckMetrics(r.body);
  EXPECT_EQ(rc, 0) << out << "\n" << r.body;
}

TEST_F(ServerTest, UnknownRouteAndMethodAreJson) {
  StartServer();
  auto nf = Get("/nope");
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(ErrorCode(nf), "not_found");
  auto wrong = Convert(client_->Delete("/api/v1/queues"));
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.headers.find("Allow")->second, "GET");
  EXPECT_EQ(ErrorCode(wrong), "invalid_argument");
}

TEST_F(ServerTest, BusyPortIsAnErrorAndStopIsIdempotent) {
  StartServer();
  server::HttpServerOptions o;
  o.listen = "127.0.0.1:" + std::to_string(server_->port());
  server::HttpServer second(o, server::RouteTable());
  Status st = second.Start();
  EXPECT_EQ(st.code(), StatusCode::kUnavailable) << st.ToString();
  second.Stop();
  server_->Stop();
  server_->Stop();
  server::HttpServer never(o, server::RouteTable());
  never.Stop();
}

TEST(ListenAddressTest, Parses) {
  auto a = server::ParseListenAddress("127.0.0.1:8080");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->first, "127.0.0.1");
  EXPECT_EQ(a->second, 8080);
  auto v6 = server::ParseListenAddress("[::1]:0");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->first, "::1");
  EXPECT_EQ(server::ParseListenAddress("8080").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(server::ParseListenAddress("h:99999").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(server::ParseListenAddress("h:").status().code(), StatusCode::kInvalidArgument);
}

TEST(HttpStatusTest, MapsCodes) {
  EXPECT_EQ(server::HttpStatusFor(InvalidArgument("x")), 400);
  EXPECT_EQ(server::HttpStatusFor(NotFound("x")), 404);
  EXPECT_EQ(server::HttpStatusFor(AlreadyExists("x")), 409);
  EXPECT_EQ(server::HttpStatusFor(FailedPrecondition("x")), 409);
  EXPECT_EQ(server::HttpStatusFor(Unavailable("x")), 503);
  EXPECT_EQ(server::HttpStatusFor(ResourceExhausted("connection pool exhausted")), 503);
  // 507 comes from the typed reason the stores set, not from the message.
  EXPECT_EQ(server::HttpStatusFor(DiskFull("disk full: insert (database /x)")), 507);
  EXPECT_EQ(server::HttpStatusFor(DiskFull("could not extend file").WithContext("completing jobs")),
            507);
  EXPECT_EQ(server::HttpStatusFor(ResourceExhausted("disk full, says the message")), 503);
  EXPECT_EQ(server::HttpStatusFor(Aborted("deadlock detected")), 409);
  EXPECT_EQ(server::HttpStatusFor(Internal("x")), 500);
}

}  // namespace
}  // namespace steward
