// Structured logging: JSON fields, sampling of repeated errors, redaction.
#include "core/log.h"

#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <sstream>
#include <vector>

namespace steward {
namespace {

std::vector<nlohmann::json> Lines(const std::string& sink) {
  std::vector<nlohmann::json> out;
  std::istringstream in(sink);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log::Configure(log::Level::kInfo, log::Format::kJson);
    log::SetSinkForTesting(&sink_);
  }
  void TearDown() override {
    log::SetSinkForTesting(nullptr);
    log::Configure(log::Level::kInfo, log::Format::kAuto);
  }
  std::string sink_;
};

TEST_F(LogTest, JsonLineHasTimestampLevelMessageAndFields) {
  log::Warn("job failed", {{"kind", "email"}, {"job_id", 42}, {"attempt", 3}});
  auto lines = Lines(sink_);
  ASSERT_EQ(lines.size(), 1u) << sink_;
  const auto& j = lines[0];
  EXPECT_EQ(j["level"], "warn");
  EXPECT_EQ(j["msg"], "job failed");
  EXPECT_EQ(j["kind"], "email");
  EXPECT_EQ(j["job_id"], 42);
  EXPECT_EQ(j["attempt"], 3);
  ASSERT_TRUE(j["ts"].is_string());
  EXPECT_TRUE(std::regex_match(j["ts"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z)")))
      << j["ts"];
  // One object per line: nothing else was written.
  EXPECT_EQ(std::count(sink_.begin(), sink_.end(), '\n'), 1);
}

TEST_F(LogTest, BelowMinimumLevelIsDropped) {
  log::Debug("noise");
  EXPECT_TRUE(sink_.empty());
  log::Configure(log::Level::kError, log::Format::kJson);
  log::Warn("also dropped");
  EXPECT_TRUE(sink_.empty());
}

// 1,000 identical errors within a second become one line; the first line
// after the sampling window reports how many were suppressed.
TEST_F(LogTest, RepeatedErrorsAreSampled) {
  // Sampling time is moved by the test, not waited for.
  auto now = std::chrono::steady_clock::now();
  log::SetSteadyNowForTesting([&] { return now; });
  struct Restore {
    ~Restore() { log::SetSteadyNowForTesting(nullptr); }
  } restore;
  for (int i = 0; i < 1000; ++i) {
    log::Error("claim failed", {{"loop", "fetcher:default"}, {"i", i}});
    now += std::chrono::milliseconds(1);  // all within one second
  }
  auto lines = Lines(sink_);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_FALSE(lines[0].contains("repeated"));
  // A different group (another loop) is not suppressed by the first.
  log::Error("claim failed", {{"loop", "fetcher:email"}});
  EXPECT_EQ(Lines(sink_).size(), 2u);

  // The window is 10 s (core/log.cc kSampleWindow): just inside it, still
  // suppressed; past it, the next line reports the suppressed ones.
  now += std::chrono::milliseconds(8999);  // 9.999 s after the first line
  log::Error("claim failed", {{"loop", "fetcher:default"}});
  EXPECT_EQ(Lines(sink_).size(), 2u) << sink_;
  now += std::chrono::milliseconds(1);
  log::Error("claim failed", {{"loop", "fetcher:default"}});
  lines = Lines(sink_);
  ASSERT_EQ(lines.size(), 3u) << sink_;
  EXPECT_EQ(lines[2]["repeated"], 1000);
}

TEST(RedactUrlTest, HidesPasswordsAndSecretParameters) {
  EXPECT_EQ(log::RedactUrl("postgres://app:hunter2@db.example:5432/steward"),
            "postgres://app:***@db.example:5432/steward");
  EXPECT_EQ(log::RedactUrl("postgresql://app:p%40ss@db/steward?sslmode=require&password=x"),
            "postgresql://app:***@db/steward?sslmode=require&password=***");
  EXPECT_EQ(log::RedactUrl("https://hooks.example/x?token=abc&channel=ops&API_KEY=k&secret=s"),
            "https://hooks.example/x?token=***&channel=ops&API_KEY=***&secret=***");
  // '@' inside the password: the userinfo ends at the last '@'.
  EXPECT_EQ(log::RedactUrl("postgres://u:a@b@host/db"), "postgres://u:***@host/db");
  // libpq key/value strings.
  EXPECT_EQ(log::RedactUrl("host=db user=app password=hunter2 dbname=s"),
            "host=db user=app password=*** dbname=s");
}

TEST(RedactUrlTest, LeavesHarmlessUrlsAlone) {
  EXPECT_EQ(log::RedactUrl("sqlite://./steward.db"), "sqlite://./steward.db");
  EXPECT_EQ(log::RedactUrl("sqlite:///var/lib/steward.db?synchronous=full"),
            "sqlite:///var/lib/steward.db?synchronous=full");
  EXPECT_EQ(log::RedactUrl("postgres://app@db/steward"), "postgres://app@db/steward");
  EXPECT_EQ(log::RedactUrl(""), "");
  EXPECT_EQ(log::RedactUrl("/plain/path.db"), "/plain/path.db");
}

TEST_F(LogTest, RedactedUrlInALogLineCarriesNoSecret) {
  log::Info("database", {{"url", log::RedactUrl("postgres://app:hunter2@db/s?token=t0k")}});
  EXPECT_EQ(sink_.find("hunter2"), std::string::npos) << sink_;
  EXPECT_EQ(sink_.find("t0k"), std::string::npos) << sink_;
  EXPECT_NE(sink_.find("postgres://app:***@db/s?token=***"), std::string::npos) << sink_;
}

}  // namespace
}  // namespace steward
