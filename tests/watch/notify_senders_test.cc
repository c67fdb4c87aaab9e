// Each sender against a real receiver: Slack payload shape and limits, the
// Sentry envelope field by field, the webhook signature checked with
// OpenSSL, e-mail through a real SMTP server (aiosmtpd).
#include <gtest/gtest.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <regex>

#include <nlohmann/json.hpp>

#include "core/log.h"
#include "support/receiver.h"
#include "support/smtp_sink.h"
#include "watch/notify.h"

namespace steward::notify {
namespace {

using namespace std::chrono_literals;
using testing::Receiver;

Notification Sample() {
  Notification n;
  n.outbox_id = 7;
  n.alert_id = 3;
  n.event = "open";
  n.fingerprint = "job_discarded:kind=email";
  n.rule = "job_discarded";
  n.labels = {{"kind", "email"}};
  n.summary = "Jobs of kind email discarded";
  n.detail = "smtp: 550 mailbox unavailable";
  n.count = 1234;
  n.first_seen = FromMicros(1'790'000'000'000'000);
  n.last_seen = n.first_seen + 50s;
  n.job_id = 99;
  return n;
}

TEST(SlackTest, PayloadShapeWithinLimits) {
  Receiver rx;
  SlackConfig c;
  c.webhook_url = rx.url("/services/T1/B2/abc");
  c.dashboard_url = "https://steward.example.com/";
  auto sender = MakeSlackSender(c);
  Notification n = Sample();
  n.detail = std::string(10000, 'x') + "<b>&";  // far beyond Slack's limits
  auto r = sender->Deliver(n);
  EXPECT_TRUE(r.ok) << r.message;
  auto got = rx.WaitForRequests(1, 5s);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].Header("Content-Type"), "application/json");
  auto j = nlohmann::json::parse(got[0].body);
  ASSERT_TRUE(j["text"].is_string());
  EXPECT_NE(j["text"].get<std::string>().find("FIRING job_discarded kind=email"), std::string::npos);
  EXPECT_NE(j["text"].get<std::string>().find("1234 times"), std::string::npos);
  ASSERT_TRUE(j["blocks"].is_array());
  EXPECT_LE(j["blocks"].size(), 50u);
  bool link = false, count = false;
  for (const auto& b : j["blocks"]) {
    ASSERT_TRUE(b.contains("type"));
    if (b["type"] == "header") {
      EXPECT_LE(b["text"]["text"].get<std::string>().size(), 150u);
    }
    if (b["type"] == "section" && b.contains("text")) {
      const std::string t = b["text"]["text"];
      EXPECT_LE(t.size(), 3000u);
      EXPECT_EQ(t.find("<b>"), std::string::npos) << "mrkdwn control characters must be escaped";
      link = link ||
             t.find("<https://steward.example.com/ui/failures?kind=email|Open in dashboard> · "
                    "<https://steward.example.com/ui/alerts/3|Alert> · "
                    "<https://steward.example.com/ui/jobs/99|Job 99>") != std::string::npos;
    }
    if (b.contains("fields")) {
      EXPECT_LE(b["fields"].size(), 10u);
      for (const auto& f : b["fields"]) {
        EXPECT_LE(f["text"].get<std::string>().size(), 2000u);
        count = count || f["text"].get<std::string>().find("1234") != std::string::npos;
      }
    }
  }
  EXPECT_TRUE(link) << "links to the failures of the kind, the alert and the job";
  EXPECT_TRUE(count) << "how often";
}

TEST(SlackTest, OnlyTwoHundredIsSuccessAndErrorsAreClassified) {
  Receiver rx;
  SlackConfig c;
  c.webhook_url = rx.url("/hook");
  auto sender = MakeSlackSender(c);
  for (int status : {400, 403, 404, 410}) {
    testing::Behaviour b;
    b.path_prefix = "/hook";
    b.status = status;
    rx.SetBehaviour(b);
    auto r = sender->Deliver(Sample());
    EXPECT_FALSE(r.ok);
    EXPECT_TRUE(r.permanent_error) << status;
  }
  testing::Behaviour b;
  b.path_prefix = "/hook";
  b.status = 204;
  rx.SetBehaviour(b);
  auto r = sender->Deliver(Sample());
  EXPECT_FALSE(r.ok) << "Slack answers 200; anything else is not a delivery";
  b.status = 429;
  b.retry_after = "17";
  rx.SetBehaviour(b);
  r = sender->Deliver(Sample());
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.permanent_error);
  ASSERT_TRUE(r.retry_after.has_value());
  EXPECT_EQ(*r.retry_after, 17s);
}

TEST(SentryTest, EnvelopeFieldByField) {
  Receiver rx;
  SentryConfig c;
  c.dsn = "http://0123abcdkey@127.0.0.1:" + std::to_string(rx.port()) + "/42";
  c.environment = "staging";
  c.release = "steward@9.9.9";
  c.node = "node-1";
  auto sender = MakeSentrySender(c);
  ASSERT_NE(sender, nullptr);
  Notification n = Sample();
  n.labels = {{"kind", "email"}, {"queue", std::string(500, 'q')}};
  auto r = sender->Deliver(n);
  EXPECT_TRUE(r.ok) << r.message;
  auto got = rx.WaitForRequests(1, 5s, "/api/42/envelope/");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].Header("Content-Type"), "application/x-sentry-envelope");
  const std::string auth = got[0].Header("X-Sentry-Auth").value_or("");
  EXPECT_NE(auth.find("Sentry sentry_version=7"), std::string::npos) << auth;
  EXPECT_NE(auth.find("sentry_client=steward/"), std::string::npos) << auth;
  EXPECT_NE(auth.find("sentry_key=0123abcdkey"), std::string::npos) << auth;

  const std::string& body = got[0].body;
  auto nl1 = body.find('\n');
  ASSERT_NE(nl1, std::string::npos);
  auto nl2 = body.find('\n', nl1 + 1);
  ASSERT_NE(nl2, std::string::npos);
  EXPECT_EQ(body.find('\n', nl2 + 1), std::string::npos) << "exactly three lines";
  auto header = nlohmann::json::parse(body.substr(0, nl1));
  auto item = nlohmann::json::parse(body.substr(nl1 + 1, nl2 - nl1 - 1));
  const std::string payload = body.substr(nl2 + 1);
  auto event = nlohmann::json::parse(payload);
  const std::regex hex32("^[0-9a-f]{32}$");
  ASSERT_TRUE(header["event_id"].is_string());
  EXPECT_TRUE(std::regex_match(header["event_id"].get<std::string>(), hex32));
  EXPECT_TRUE(std::regex_match(header["sent_at"].get<std::string>(),
                               std::regex(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$)")));
  EXPECT_EQ(item["type"], "event");
  EXPECT_EQ(item["length"].get<size_t>(), payload.size());
  EXPECT_EQ(event["event_id"], header["event_id"]);
  EXPECT_TRUE(event["timestamp"].is_string());
  EXPECT_EQ(event["platform"], "native");
  EXPECT_EQ(event["level"], "error");
  EXPECT_EQ(event["environment"], "staging");
  EXPECT_EQ(event["release"], "steward@9.9.9");
  ASSERT_EQ(event["exception"]["values"].size(), 1u);
  EXPECT_EQ(event["exception"]["values"][0]["type"], "job_discarded");
  EXPECT_NE(event["exception"]["values"][0]["value"].get<std::string>().find("550 mailbox"), std::string::npos);
  EXPECT_EQ(event["tags"]["kind"], "email");
  EXPECT_EQ(event["tags"]["node"], "node-1");
  EXPECT_LT(event["tags"]["queue"].get<std::string>().size(), 200u);
  EXPECT_EQ(event["fingerprint"], nlohmann::json::array({"job_discarded:kind=email"}));
  // Resolutions are not sent.
  n.event = "resolve";
  EXPECT_TRUE(sender->Deliver(n).ok);
  EXPECT_EQ(rx.Requests("/api/42/envelope/").size(), 1u);
}

TEST(SentryTest, RateLimitsStopSendingAndSamplingBoundsAFingerprint) {
  Receiver rx;
  SentryConfig c;
  c.dsn = "http://k@127.0.0.1:" + std::to_string(rx.port()) + "/5";
  c.max_events_per_fingerprint = 3;
  auto sender = MakeSentrySender(c);
  ASSERT_NE(sender, nullptr);
  Notification n = Sample();
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(sender->Deliver(n).ok);
  EXPECT_EQ(rx.Requests("/api/5/envelope/").size(), 3u) << "sampled per fingerprint";

  // X-Sentry-Rate-Limits on a 200: accepted, but nothing more for 120 s.
  n.fingerprint = "other";
  testing::Behaviour b;
  b.path_prefix = "/api/5/";
  b.status = 200;
  b.headers = {{"X-Sentry-Rate-Limits", "120:error;transaction:organization"}};
  rx.SetBehaviour(b);
  EXPECT_TRUE(sender->Deliver(n).ok);
  auto r = sender->Deliver(n);
  EXPECT_FALSE(r.ok);
  ASSERT_TRUE(r.retry_after.has_value());
  EXPECT_GT(*r.retry_after, 110s);
  EXPECT_EQ(rx.Requests("/api/5/envelope/").size(), 4u) << "no request while limited";

  // A bare 429 means 60 s.
  Receiver rx2;
  c.dsn = "http://k@127.0.0.1:" + std::to_string(rx2.port()) + "/5";
  auto s2 = MakeSentrySender(c);
  testing::Behaviour b2;
  b2.path_prefix = "/api/5/";
  b2.status = 429;
  rx2.SetBehaviour(b2);
  r = s2->Deliver(n);
  EXPECT_FALSE(r.ok);
  ASSERT_TRUE(r.retry_after.has_value());
  EXPECT_EQ(*r.retry_after, 60s);
}

TEST(SentryTest, DsnParsing) {
  auto d = ParseSentryDsn("https://abc@o1.ingest.sentry.io/123");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->envelope_url(), "https://o1.ingest.sentry.io/api/123/envelope/");
  EXPECT_EQ(d->key, "abc");
  EXPECT_FALSE(ParseSentryDsn("https://o1.ingest.sentry.io/123").ok());
  EXPECT_FALSE(ParseSentryDsn("ftp://a@b/1").ok());
  auto bad = ParseSentryDsn("https://topsecretkey@host/notanumber");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().find("topsecretkey"), std::string::npos);
}

TEST(WebhookTest, SignatureVerifiesWithOpenSsl) {
  Receiver rx;
  WebhookConfig c;
  c.url = rx.url("/steward?token=abc");
  c.secret = "whsec_test";
  auto sender = MakeWebhookSender(c);
  auto r = sender->Deliver(Sample());
  EXPECT_TRUE(r.ok) << r.message;
  auto got = rx.WaitForRequests(1, 5s);
  ASSERT_EQ(got.size(), 1u);
  const std::string sig = got[0].Header("X-Steward-Signature").value_or("");
  ASSERT_EQ(sig.rfind("sha256=", 0), 0u) << sig;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const std::string& body = got[0].body;
  HMAC(EVP_sha256(), c.secret.data(), static_cast<int>(c.secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  char hex[2 * EVP_MAX_MD_SIZE + 1];
  for (unsigned int i = 0; i < len; ++i) std::snprintf(hex + 2 * i, 3, "%02x", mac[i]);
  EXPECT_EQ(sig.substr(7), std::string(hex, 2 * len));
  // A tampered body would not verify.
  EXPECT_NE(HmacSha256Hex(c.secret, body + " "), sig.substr(7));
  EXPECT_TRUE(got[0].Header("X-Steward-Timestamp").has_value());
  auto j = nlohmann::json::parse(body);
  EXPECT_EQ(j["fingerprint"], "job_discarded:kind=email");
  EXPECT_EQ(j["count"], 1234);
  EXPECT_EQ(j["event"], "open");
}

TEST(EmailTest, DeliveredToARealSmtpServer) {
  testing::SmtpSink smtp;
  EmailConfig c;
  c.url = smtp.url();
  c.from = "steward@example.com";
  c.to = {"oncall@example.com", "team@example.com"};
  c.timeout = 10s;
  auto sender = MakeEmailSender(c);
  auto r = sender->Deliver(Sample());
  ASSERT_TRUE(r.ok) << r.message;
  auto mails = smtp.WaitForMessages(1, 5s);
  ASSERT_EQ(mails.size(), 1u);
  const std::string subject = mails[0].Header("Subject").value_or("");
  EXPECT_EQ(subject.rfind("[steward] FIRING job_discarded kind=email", 0), 0u) << subject;
  EXPECT_EQ(mails[0].Header("From"), "steward@example.com");
  EXPECT_EQ(mails[0].Header("To"), "oncall@example.com, team@example.com");
  EXPECT_EQ(mails[0].Header("X-Envelope-To"), "oncall@example.com, team@example.com");
  EXPECT_NE(mails[0].Body().find("550 mailbox unavailable"), std::string::npos);
  // A newline in the summary cannot inject headers.
  Notification n = Sample();
  n.summary = "x\r\nBcc: evil@example.com";
  ASSERT_TRUE(sender->Deliver(n).ok);
  mails = smtp.WaitForMessages(2, 5s);
  ASSERT_EQ(mails.size(), 2u);
  EXPECT_FALSE(mails[1].Header("Bcc").has_value());
}

TEST(EmailTest, UnreachableServerIsRetryable) {
  EmailConfig c;
  c.url = "smtp://127.0.0.1:1";
  c.from = "a@example.com";
  c.to = {"b@example.com"};
  c.timeout = 2s;
  auto r = MakeEmailSender(c)->Deliver(Sample());
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.permanent_error);
}

TEST(NotifyHelpersTest, SafeTargetHidesSecrets) {
  EXPECT_EQ(SafeTarget("https://hooks.slack.com/services/T0/B0/XYZSECRET"), "https://hooks.slack.com/***");
  EXPECT_EQ(SafeTarget("https://key123@o1.ingest.sentry.io/42"), "https://o1.ingest.sentry.io/***");
  EXPECT_EQ(SafeTarget("smtp://user:pw@mail:587"), "smtp://mail:587/***");
  EXPECT_EQ(SafeTarget("http://h/x?token=abc"), "http://h/***");
  EXPECT_EQ(SafeTarget("not a url"), "***");
  // log::RedactUrl covers passwords and token-like query values.
  const std::string redacted = log::RedactUrl("smtp://user:hunter2@mail:587/?token=abc");
  EXPECT_EQ(redacted.find("hunter2"), std::string::npos);
  EXPECT_EQ(redacted.find("abc"), std::string::npos);
}

TEST(NotifyHelpersTest, CurlErrorKeepsTheDetailUnlessItQuotesTheUrl) {
  const std::string url = "https://hooks.slack.com/services/T0/B0/XYZSECRET";
  EXPECT_EQ(CurlErrorText(CURLE_PEER_FAILED_VERIFICATION,
                          "SSL certificate problem: self-signed certificate", url),
            "SSL peer certificate or SSH remote key was not OK: SSL certificate problem: "
            "self-signed certificate");
  EXPECT_EQ(CurlErrorText(CURLE_URL_MALFORMAT, ("bad URL " + url).c_str(), url),
            "URL using bad/illegal format or missing URL");
  EXPECT_EQ(CurlErrorText(CURLE_URL_MALFORMAT, "no scheme in /services/T0/B0/XYZSECRET", url),
            "URL using bad/illegal format or missing URL");
  EXPECT_EQ(CurlErrorText(CURLE_OPERATION_TIMEDOUT, "", url), "Timeout was reached");
}

TEST(NotifyHelpersTest, RetryAfterAndRateLimitHeaders) {
  const Timestamp now = FromMicros(1'445'412'480'000'000);  // Wed, 21 Oct 2015 07:28:00 GMT
  EXPECT_EQ(ParseRetryAfter("120", now), Micros(120s));
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:30 GMT", now), Micros(30s));
  EXPECT_FALSE(ParseRetryAfter("soon", now).has_value());
  EXPECT_EQ(ParseSentryRateLimits("60:error;transaction:organization, 2700::organization"), Micros(2700s));
  EXPECT_EQ(ParseSentryRateLimits("60:transaction:key"), std::nullopt);
  EXPECT_EQ(ParseSentryRateLimits("30:default;error"), Micros(30s));
}

TEST(NotifyHelpersTest, TruncateKeepsUtf8Whole) {
  const std::string s = "aé" + std::string(10, 'b');
  EXPECT_EQ(Truncate(s, 100), s);
  std::string t = Truncate("ééééé", 6);  // 10 bytes; room for "é" + "…"
  EXPECT_LE(t.size(), 6u);
  EXPECT_EQ(t, "é\xE2\x80\xA6");
}

}  // namespace
}  // namespace steward::notify
