// The http kind against a real HTTP server process (the test receiver).
#include "builtin/http_kind.h"

#include <atomic>
#include <chrono>
#include <ctime>
#include <optional>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/receiver.h"

namespace steward {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using std::chrono::steady_clock;
using testing::Behaviour;
using testing::Receiver;
using namespace std::chrono_literals;

struct Harness {
  Job job;
  std::atomic<bool> cancelled{false};
  Harness() {
    job.id = 42;
    job.attempt = 3;
    job.max_attempts = 10;
    job.kind = "invoice";
    job.queue = "billing";
  }
  Outcome Run(const Handler& handler, nlohmann::json payload = {{"invoice", 7}}) {
    JobContext ctx(job, std::move(payload), &cancelled);
    return handler(ctx);
  }
};

HttpKindConfig Config(const Receiver& rx, const std::string& path = "/hook") {
  HttpKindConfig c;
  c.url = rx.url(path);
  c.timeout = 5s;
  return c;
}

std::string HttpDate(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

TEST(HttpKindTest, SuccessPostsExactPayloadAndHeaders) {
  Receiver rx;
  HttpKindConfig c = Config(rx, "/hooks/invoice");
  c.url += "?token=s3cret";
  c.headers = {{"Authorization", "Bearer abc"}};
  ASSERT_TRUE(ValidateHttpKindConfig(c).ok());
  nlohmann::json payload = {{"invoice", 7}, {"lines", {1, 2, 3}}, {"who", "Zoë"}};
  Harness h;
  Outcome o = h.Run(MakeHttpHandler(c), payload);
  EXPECT_EQ(o.kind(), Outcome::Kind::kSuccess) << o.message();

  auto got = rx.Requests("/hooks/invoice");
  ASSERT_EQ(got.size(), 1u);
  const auto& r = got[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.query, "token=s3cret");
  EXPECT_EQ(r.body, payload.dump());
  EXPECT_EQ(r.Header("Content-Type"), "application/json");
  EXPECT_EQ(r.Header("Idempotency-Key"), "steward-42");
  EXPECT_EQ(r.Header("X-Steward-Job-Id"), "42");
  EXPECT_EQ(r.Header("X-Steward-Attempt"), "3");
  EXPECT_EQ(r.Header("X-Steward-Kind"), "invoice");
  EXPECT_EQ(r.Header("Authorization"), "Bearer abc");
  EXPECT_EQ(r.Header("Expect"), std::nullopt);
}

TEST(HttpKindTest, ConfiguredContentTypeReplacesDefault) {
  Receiver rx;
  HttpKindConfig c = Config(rx);
  c.headers = {{"content-type", "application/cloudevents+json"}};
  Harness h;
  ASSERT_EQ(h.Run(MakeHttpHandler(c)).kind(), Outcome::Kind::kSuccess);
  auto got = rx.Requests("/hook");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].Header("Content-Type"), "application/cloudevents+json");
  int content_types = 0;
  for (const auto& [name, value] : got[0].headers) {
    content_types += (name == "Content-Type" || name == "content-type");
  }
  EXPECT_EQ(content_types, 1);
}

TEST(HttpKindTest, ServiceUnavailableWithRetryAfterSeconds) {
  Receiver rx;
  rx.SetBehaviour({.path_prefix = "/hook", .status = 503, .retry_after = "7",
                   .body = "maintenance until noon"});
  Harness h;
  Outcome o = h.Run(MakeHttpHandler(Config(rx)));
  EXPECT_EQ(o.kind(), Outcome::Kind::kRetry);
  EXPECT_EQ(o.message(), "HTTP 503 Service Unavailable");
  ASSERT_TRUE(o.delay().has_value());
  EXPECT_EQ(*o.delay(), Micros(7s));
  EXPECT_EQ(o.detail(), "maintenance until noon");
}

TEST(HttpKindTest, TooManyRequestsWithRetryAfterDate) {
  Receiver rx;
  rx.SetBehaviour({.status = 429,
                   .retry_after = HttpDate(std::chrono::system_clock::now() + 120s)});
  Harness h;
  Outcome o = h.Run(MakeHttpHandler(Config(rx)));
  EXPECT_EQ(o.kind(), Outcome::Kind::kRetry);
  EXPECT_EQ(o.message(), "HTTP 429 Too Many Requests");
  ASSERT_TRUE(o.delay().has_value());
  EXPECT_GT(*o.delay(), Micros(100s));  // the date has one-second resolution
  EXPECT_LE(*o.delay(), Micros(121s));
}

TEST(HttpKindTest, RetryAfterIsCappedAtOneDay) {
  Receiver rx;
  rx.SetBehaviour({.status = 503, .retry_after = "99999999999999999999999"});
  Harness h;
  Outcome o = h.Run(MakeHttpHandler(Config(rx)));
  ASSERT_TRUE(o.delay().has_value());
  EXPECT_EQ(*o.delay(), Micros(24h));
}

TEST(HttpKindTest, StatusClassesMapToOutcomes) {
  Receiver rx;
  Handler handler = MakeHttpHandler(Config(rx));
  Harness h;
  for (int status : {408, 429, 500, 502, 503, 504}) {
    rx.SetBehaviour({.status = status});
    Outcome o = h.Run(handler);
    EXPECT_EQ(o.kind(), Outcome::Kind::kRetry) << status;
    EXPECT_FALSE(o.delay().has_value()) << status;  // no Retry-After: the kind's policy
    EXPECT_THAT(o.message(), StartsWith("HTTP " + std::to_string(status))) << status;
  }
  for (int status : {301, 400, 401, 403, 404, 410, 422}) {
    rx.SetBehaviour({.status = status, .body = "{\"error\":\"nope\"}"});
    Outcome o = h.Run(handler);
    EXPECT_EQ(o.kind(), Outcome::Kind::kDiscard) << status;
    EXPECT_THAT(o.message(), StartsWith("HTTP " + std::to_string(status))) << status;
    EXPECT_EQ(o.detail(), "{\"error\":\"nope\"}") << status;
  }
  for (int status : {200, 201, 202, 204}) {
    rx.SetBehaviour({.status = status});
    EXPECT_EQ(h.Run(handler).kind(), Outcome::Kind::kSuccess) << status;
  }
  EXPECT_EQ(rx.Requests("/hook").size(), 17u);
}

TEST(HttpKindTest, NotFoundIsDiscardedWithReason) {
  Receiver rx;
  rx.SetBehaviour({.status = 404, .body = "no such hook"});
  Harness h;
  Outcome o = h.Run(MakeHttpHandler(Config(rx)));
  EXPECT_EQ(o.kind(), Outcome::Kind::kDiscard);
  EXPECT_EQ(o.message(), "HTTP 404 Not Found");
  EXPECT_EQ(o.detail(), "no such hook");
}

TEST(HttpKindTest, BodyTailIsBounded) {
  Receiver rx;
  rx.SetBehaviour({.status = 500, .body = std::string(10000, 'x') + "END"});
  HttpKindConfig c = Config(rx);
  c.body_tail_bytes = 10;
  Harness h;
  EXPECT_EQ(h.Run(MakeHttpHandler(c)).detail(), "xxxxxxxEND");
}

TEST(HttpKindTest, ConnectionRefusedIsRetryThenRecovers) {
  Receiver rx;
  Handler handler = MakeHttpHandler(Config(rx));
  rx.Stop();
  Harness h;
  Outcome o = h.Run(handler);
  EXPECT_EQ(o.kind(), Outcome::Kind::kRetry);
  EXPECT_FALSE(o.delay().has_value());
  EXPECT_THAT(o.message(), StartsWith("request failed: "));
  EXPECT_THAT(o.message(), ::testing::Not(HasSubstr("/hook")));  // no URL path in errors
  rx.Start();  // same port
  EXPECT_EQ(h.Run(handler).kind(), Outcome::Kind::kSuccess);
  EXPECT_EQ(rx.Requests("/hook").size(), 1u);
}

TEST(HttpKindTest, DownModeAndLimitedFailures) {
  Receiver rx;
  Handler handler = MakeHttpHandler(Config(rx));
  Harness h;
  rx.SetDown(true);
  EXPECT_EQ(h.Run(handler).message(), "HTTP 503 Service Unavailable");
  rx.SetDown(false);
  rx.SetBehaviour({.status = 500, .times = 2});
  EXPECT_EQ(h.Run(handler).kind(), Outcome::Kind::kRetry);
  EXPECT_EQ(h.Run(handler).kind(), Outcome::Kind::kRetry);
  EXPECT_EQ(h.Run(handler).kind(), Outcome::Kind::kSuccess);
  auto got = rx.WaitForRequests(4, 5s, "/hook");
  ASSERT_EQ(got.size(), 4u);
  for (size_t i = 1; i < got.size(); ++i) {
    EXPECT_EQ(got[i].Header("Idempotency-Key"), "steward-42");  // stable across attempts
    EXPECT_GT(got[i].seq, got[i - 1].seq);
  }
}

TEST(HttpKindTest, TimeoutIsRetry) {
  Receiver rx;
  rx.SetBehaviour({.status = 200, .delay_ms = 3000});
  HttpKindConfig c = Config(rx);
  c.timeout = 300ms;
  Harness h;
  const auto start = steady_clock::now();
  Outcome o = h.Run(MakeHttpHandler(c));
  EXPECT_LT(steady_clock::now() - start, 2s);
  EXPECT_EQ(o.kind(), Outcome::Kind::kRetry);
  EXPECT_FALSE(o.delay().has_value());
  EXPECT_EQ(o.message(), "request timed out after 300 ms");
}

TEST(HttpKindTest, CancellationAbortsSlowRequestQuickly) {
  Receiver rx;
  rx.SetBehaviour({.status = 200, .delay_ms = 10000});
  HttpKindConfig c = Config(rx);
  c.timeout = 30s;
  Harness h;
  Handler handler = MakeHttpHandler(c);
  std::optional<Outcome> result;
  std::thread runner([&] { result = h.Run(handler); });
  // Cancel once the request is in flight at the receiver.
  ASSERT_EQ(rx.WaitForRequests(1, 5s, "/hook").size(), 1u);
  const auto cancelled_at = steady_clock::now();
  h.cancelled = true;
  runner.join();
  EXPECT_LT(steady_clock::now() - cancelled_at, 500ms);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->kind(), Outcome::Kind::kRetry);
  EXPECT_EQ(result->message(), "cancelled/timed out: request aborted");
}

TEST(HttpKindTest, ValidationRejectsBadConfig) {
  HttpKindConfig c;
  EXPECT_THAT(ValidateHttpKindConfig(c).message(), StartsWith("url"));
  c.url = "ftp://example.com/x";
  EXPECT_THAT(ValidateHttpKindConfig(c).message(), StartsWith("url"));
  c.url = "http://";
  EXPECT_THAT(ValidateHttpKindConfig(c).message(), HasSubstr("no host"));
  c.url = "http://user@:80/x";
  EXPECT_THAT(ValidateHttpKindConfig(c).message(), HasSubstr("no host"));
  c.url = "HTTPS://example.com/hook";
  EXPECT_TRUE(ValidateHttpKindConfig(c).ok());
  c.headers = {{"X-Steward-Job-Id", "1"}};
  EXPECT_THAT(ValidateHttpKindConfig(c).message(), HasSubstr("set by Steward"));
  c.headers = {{"Authorization", "Bearer x\r\nEvil: 1"}};
  Status st = ValidateHttpKindConfig(c);
  EXPECT_THAT(st.message(), HasSubstr("CR, LF"));
  EXPECT_THAT(st.message(), ::testing::Not(HasSubstr("Bearer")));  // secrets not echoed
  c.headers = {{"Bad Name", "x"}};
  EXPECT_EQ(ValidateHttpKindConfig(c).code(), StatusCode::kInvalidArgument);
  c.headers = {};
  c.timeout = Micros(0);
  EXPECT_THAT(ValidateHttpKindConfig(c).message(), StartsWith("timeout"));
}

TEST(HttpKindTest, ParseRetryAfter) {
  using builtin_internal::ParseRetryAfter;
  const Timestamp now = FromMicros(1'700'000'000'000'000);  // 2023-11-14T22:13:20Z
  EXPECT_EQ(ParseRetryAfter(" 120 ", now), Micros(120s));
  EXPECT_EQ(ParseRetryAfter("0", now), Micros(0));
  EXPECT_EQ(ParseRetryAfter("Tue, 14 Nov 2023 22:15:20 GMT", now), Micros(120s));
  EXPECT_EQ(ParseRetryAfter("Tue, 14 Nov 2023 22:00:00 GMT", now), Micros(0));  // past
  EXPECT_EQ(ParseRetryAfter("Fri, 14 Nov 2025 22:00:00 GMT", now), Micros(24h));
  EXPECT_EQ(ParseRetryAfter("soon", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("-5", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("", now), std::nullopt);
}

// The receiver itself, as other tests rely on it.
TEST(ReceiverTest, RecordsFiltersAndResets) {
  Receiver rx;
  Harness h;
  ASSERT_EQ(h.Run(MakeHttpHandler(Config(rx, "/a?x=1"))).kind(), Outcome::Kind::kSuccess);
  ASSERT_EQ(h.Run(MakeHttpHandler(Config(rx, "/b"))).kind(), Outcome::Kind::kSuccess);
  EXPECT_EQ(rx.Requests().size(), 2u);
  auto a = rx.Requests("/a");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].target, "/a?x=1");
  EXPECT_GT(a[0].received_at, FromMicros(0));
  // A longer prefix wins over "/", and times=-1 lasts.
  rx.SetBehaviour({.path_prefix = "/", .status = 500, .times = -1});
  rx.SetBehaviour({.path_prefix = "/b", .status = 404, .times = -1});
  EXPECT_EQ(h.Run(MakeHttpHandler(Config(rx, "/b"))).message(), "HTTP 404 Not Found");
  EXPECT_EQ(h.Run(MakeHttpHandler(Config(rx, "/b"))).message(), "HTTP 404 Not Found");
  EXPECT_EQ(h.Run(MakeHttpHandler(Config(rx, "/a"))).message(),
            "HTTP 500 Internal Server Error");
  rx.Reset();
  EXPECT_TRUE(rx.Requests().empty());
  EXPECT_EQ(h.Run(MakeHttpHandler(Config(rx, "/b"))).kind(), Outcome::Kind::kSuccess);
  EXPECT_EQ(rx.WaitForRequests(5, 100ms).size(), 1u);  // returns at the deadline
}

}  // namespace
}  // namespace steward
