// Sentry cron check-ins against the real local receiver: the envelope lines
// checked against the documented format (develop.sentry.dev/sdk/check-ins).
#include "watch/sentry_cron.h"

#include <gtest/gtest.h>

#include <regex>

#include <nlohmann/json.hpp>

#include "support/receiver.h"
#include "support/temp_dir.h"
#include "watch/open_store.h"

namespace steward {
namespace {

using namespace std::chrono_literals;

struct Envelope {
  nlohmann::json header, item, payload;
};

Envelope Split(const std::string& body) {
  const size_t a = body.find('\n');
  const size_t b = body.find('\n', a + 1);
  if (a == std::string::npos || b == std::string::npos)
    throw std::runtime_error("not an envelope: " + body);
  return {nlohmann::json::parse(body.substr(0, a)),
          nlohmann::json::parse(body.substr(a + 1, b - a - 1)),
          nlohmann::json::parse(body.substr(b + 1))};
}

TEST(SentryCronTest, FiredAndFinishedJobsReportCheckInsInTheDocumentedFormat) {
  testing::TempDir dir;
  auto store = testing::OpenSqliteStore(dir, "cron.db");
  ScheduleSpec spec;
  spec.name = "Nightly.Report";
  spec.cron = "0 3 * * *";
  spec.time_zone = "Europe/Berlin";
  spec.kind = "report";
  spec.grace = 15min;
  ASSERT_TRUE(store->ScheduleUpsert(spec, SystemClock().Now()).ok());

  testing::Receiver rx;
  notify::SentryConfig c;
  c.dsn = "http://publickey@127.0.0.1:" + std::to_string(rx.port()) + "/42";
  c.environment = "staging";
  c.timeout = 5s;
  auto cron = SentryCron::Create(store, c);
  ASSERT_TRUE(cron.ok()) << cron.status().ToString();
  (*cron)->Start();

  ScheduleFireResult fired;
  fired.name = "Nightly.Report";
  fired.fire_times = {SystemClock().Now()};
  fired.job_ids = {7};
  (*cron)->OnScheduleFired(fired);
  (*cron)->OnScheduleRunFinished("Nightly.Report", 7, true);
  (*cron)->OnScheduleRunFinished("Nightly.Report", 99, false);  // fired on another node
  auto reqs = rx.WaitForRequests(3, 10s, "/api/42/envelope/");
  (*cron)->Stop();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ((*cron)->sent(), 3);

  const std::regex hex32("^[0-9a-f]{32}$");
  std::vector<Envelope> envs;
  for (const auto& r : reqs) {
    EXPECT_EQ(r.Header("Content-Type"), "application/x-sentry-envelope");
    const std::string auth = r.Header("X-Sentry-Auth").value_or("");
    EXPECT_NE(auth.find("sentry_version=7"), std::string::npos) << auth;
    EXPECT_NE(auth.find("sentry_key=publickey"), std::string::npos) << auth;
    Envelope e = Split(r.body);
    EXPECT_TRUE(e.header.contains("sent_at"));
    EXPECT_EQ(e.item["type"], "check_in");
    // The item's length is the payload's byte length.
    EXPECT_EQ(e.item["length"].get<size_t>(),
              r.body.size() - r.body.find('\n', r.body.find('\n') + 1) - 1);
    EXPECT_TRUE(std::regex_match(e.payload["check_in_id"].get<std::string>(), hex32))
        << e.payload.dump();
    EXPECT_EQ(e.payload["monitor_slug"], "nightly-report");
    EXPECT_EQ(e.payload["environment"], "staging");
    envs.push_back(std::move(e));
  }
  // 1: in_progress with the monitor's schedule (upsert).
  EXPECT_EQ(envs[0].payload["status"], "in_progress");
  EXPECT_FALSE(envs[0].payload.contains("duration"));
  const auto& mc = envs[0].payload["monitor_config"];
  EXPECT_EQ(mc["schedule"]["type"], "crontab");
  EXPECT_EQ(mc["schedule"]["value"], "0 3 * * *");
  EXPECT_EQ(mc["timezone"], "Europe/Berlin");
  EXPECT_EQ(mc["checkin_margin"], 15);
  // 2: ok, same check-in, with a duration in seconds.
  EXPECT_EQ(envs[1].payload["status"], "ok");
  EXPECT_EQ(envs[1].payload["check_in_id"], envs[0].payload["check_in_id"]);
  ASSERT_TRUE(envs[1].payload["duration"].is_number());
  EXPECT_GE(envs[1].payload["duration"].get<double>(), 0.0);
  EXPECT_FALSE(envs[1].payload.contains("monitor_config"));
  // 3: error for a job this node did not fire: the all-zero id.
  EXPECT_EQ(envs[2].payload["status"], "error");
  EXPECT_EQ(envs[2].payload["check_in_id"], std::string(32, '0'));
}

// A Sentry that hangs (30 s) cannot hold up a shutdown for the 20 s timeout.
TEST(SentryCronTest, StopAbandonsACheckInInFlight) {
  testing::TempDir dir;
  auto store = testing::OpenSqliteStore(dir, "cron.db");
  testing::Receiver rx;
  testing::Behaviour hang;
  hang.path_prefix = "/api/";
  hang.status = 200;
  hang.times = -1;
  hang.delay_ms = 30000;
  rx.SetBehaviour(hang);
  notify::SentryConfig c;
  c.dsn = "http://publickey@127.0.0.1:" + std::to_string(rx.port()) + "/42";
  c.timeout = 20s;
  auto cron = SentryCron::Create(store, c);
  ASSERT_TRUE(cron.ok()) << cron.status().ToString();
  (*cron)->Start();
  ScheduleFireResult fired;
  fired.name = "hourly";
  fired.fire_times = {SystemClock().Now()};
  fired.job_ids = {1};
  (*cron)->OnScheduleFired(fired);
  ASSERT_EQ(rx.WaitForRequests(1, 10s, "/api/42/envelope/").size(), 1u);
  const auto start = std::chrono::steady_clock::now();
  (*cron)->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s) << "Stop waited for Sentry";
  EXPECT_EQ((*cron)->sent(), 0);
}

TEST(SentryCronTest, SlugsAndBadDsn) {
  EXPECT_EQ(SentryMonitorSlug("Nightly Report!"), "nightly-report-");
  EXPECT_EQ(SentryMonitorSlug("db_backup-2"), "db_backup-2");
  notify::SentryConfig c;
  c.dsn = "not a dsn";
  EXPECT_EQ(SentryCron::Create(nullptr, c).status().code(), StatusCode::kInvalidArgument);
  testing::TempDir dir;
  c.dsn = "http://k@127.0.0.1:1/1";
  auto cron = SentryCron::Create(testing::OpenSqliteStore(dir, "x.db"), c);
  ASSERT_TRUE(cron.ok());
  (*cron)->Stop();  // stop without start, and twice
  (*cron)->Start();
  (*cron)->Stop();
  (*cron)->Stop();
}

}  // namespace
}  // namespace steward
