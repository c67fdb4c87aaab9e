// Links from notifications into the dashboard (CONTRACT link table), and
// the note on a resolve of an acknowledged or silenced alert: the rules on
// their own, then through each sender to a real receiver (HTTP, SMTP).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "store/alert_store.h"
#include "support/receiver.h"
#include "support/smtp_sink.h"
#include "watch/notify.h"

namespace steward::notify {
namespace {

using namespace std::chrono_literals;
using testing::Receiver;

const std::string kDash = "https://steward.example.com";
const Timestamp kT0 = FromMicros(1'790'000'000'000'000);

Notification Firing(std::string rule, nlohmann::json labels) {
  Notification n;
  n.outbox_id = 11;
  n.alert_id = 5;
  n.event = "open";
  n.rule = std::move(rule);
  n.labels = std::move(labels);
  n.fingerprint = n.rule;
  n.summary = "something is wrong";
  n.count = 2;
  n.first_seen = kT0;
  n.last_seen = kT0 + 1min;
  return n;
}

// A resolve of an alert that "ops" silenced until 14:00 UTC the same day.
Notification SilencedResolve() {
  Notification n = Firing("check_down", {{"check", "nightly"}});
  n.event = "resolve";
  n.detail = "check nightly is up again";
  const auto day = std::chrono::floor<std::chrono::days>(kT0);
  n.resolved_at = Timestamp(day + 13h + 30min);
  n.acked_by = "ops";
  n.acked_at = Timestamp(day + 13h);
  n.silenced_until = Timestamp(day + 14h);
  return n;
}

TEST(DashboardLinksTest, EachAlertLeadsToThePageOfWhatItIsAbout) {
  struct Case {
    std::string rule;
    nlohmann::json labels;
    std::string page;
  };
  const Case cases[] = {
      {"job_discarded", {{"kind", "send_email"}}, "/ui/failures?kind=send_email"},
      {"kind_failing", {{"kind", "a b/c"}}, "/ui/failures?kind=a%20b%2Fc"},
      {"kind_failure_ratio", {{"kind", "x&y=z"}}, "/ui/failures?kind=x%26y%3Dz"},
      {"check_down", {{"check", "nightly backup"}}, "/ui/checks/nightly%20backup"},
      {"schedule_broken", {{"schedule", "r\xC3\xA9sum\xC3\xA9"}}, "/ui/schedules/r%C3%A9sum%C3%A9"},
      {"queue_lag", {{"queue", "email"}}, "/ui/queues/email"},
      {"worker_lost", {{"worker", "host:1:ab"}}, "/ui/nodes"},
      {"db_unreachable", nlohmann::json::object(), "/ui/alerts/5"},
      {"job_discarded", nlohmann::json::object(), "/ui/alerts/5"},  // no kind: the alert itself
  };
  for (const Case& c : cases) {
    const DashboardLinkSet l = DashboardLinks(Firing(c.rule, c.labels), kDash);
    EXPECT_EQ(l.page, kDash + c.page) << c.rule << " " << c.labels.dump();
    EXPECT_EQ(l.alert, kDash + "/ui/alerts/5") << "every alert also links its own page";
    EXPECT_EQ(l.job, "");
  }
}

TEST(DashboardLinksTest, JobsDigestsTrailingSlashAndNoUrl) {
  Notification n = Firing("job_discarded", {{"kind", "k"}});
  n.job_id = 42;
  const DashboardLinkSet l = DashboardLinks(n, kDash + "//");
  EXPECT_EQ(l.page, kDash + "/ui/failures?kind=k");
  EXPECT_EQ(l.job, kDash + "/ui/jobs/42");

  Notification digest;
  digest.event = "digest";
  const DashboardLinkSet d = DashboardLinks(digest, kDash);
  EXPECT_EQ(d.page, kDash + "/ui/") << "the digest links the Now page";
  EXPECT_EQ(d.alert, "");

  const DashboardLinkSet none = DashboardLinks(n, "");
  EXPECT_EQ(none.page, "");
  EXPECT_EQ(none.alert, "");
  EXPECT_EQ(none.job, "");
  EXPECT_EQ(PercentEncode("aZ09-._~ /?#%"), "aZ09-._~%20%2F%3F%23%25");
}

TEST(AckNoteTest, SilencedAcknowledgedOrNeither) {
  Notification n = SilencedResolve();
  EXPECT_EQ(AckNote(n), "it was silenced until 14:00 UTC by ops");
  EXPECT_EQ(ResolvedNow(n), "check nightly is up again \xE2\x80\x94 it was silenced until 14:00 UTC by ops");
  EXPECT_NE(Headline(n).find("RESOLVED check_down check=nightly: check nightly is up again \xE2\x80\x94 "
                             "it was silenced until 14:00 UTC by ops"),
            std::string::npos)
      << Headline(n);

  n.silenced_until = *n.resolved_at + 24h;  // another day: the date says which
  EXPECT_NE(AckNote(n).find(FormatTimestamp(*n.silenced_until).substr(0, 10) + " 13:30 UTC"),
            std::string::npos)
      << AckNote(n);

  n.silenced_until.reset();
  EXPECT_EQ(AckNote(n), "it was acknowledged by ops at 13:00 UTC");
  n.acked_by.clear();
  n.acked_at.reset();
  EXPECT_EQ(AckNote(n), "");
  EXPECT_EQ(ResolvedNow(n), "check nightly is up again");
}

TEST(AckNoteTest, ReadFromTheOutboxPayloadInMicrosOrRfc3339) {
  const Notification want = SilencedResolve();
  OutboxRow row;
  row.id = 1;
  row.alert_id = 5;
  row.channel = "slack";
  row.event = "resolve";
  row.payload_json = nlohmann::json{{"rule", "check_down"},
                                    {"detail", "up"},
                                    {"acked_by", "ops"},
                                    {"acked_at", ToMicros(*want.acked_at)},
                                    {"silenced_until", FormatTimestamp(*want.silenced_until)}}
                         .dump();
  Notification n = Notification::FromRow(row);
  EXPECT_EQ(n.acked_by, "ops");
  EXPECT_EQ(n.acked_at, want.acked_at);
  EXPECT_EQ(n.silenced_until, want.silenced_until);
  row.payload_json = R"({"rule":"check_down"})";
  n = Notification::FromRow(row);
  EXPECT_EQ(n.acked_by, "");
  EXPECT_FALSE(n.acked_at || n.silenced_until);
}

std::string SlackText(const nlohmann::json& j) { return j.dump(); }

TEST(SlackLinksTest, LinksAndTheSilencedResolveReachTheReceiver) {
  Receiver rx;
  SlackConfig c;
  c.webhook_url = rx.url("/slack");
  c.dashboard_url = kDash + "/";
  c.min_interval = Micros(0);
  auto sender = MakeSlackSender(c);
  ASSERT_TRUE(sender->Deliver(Firing("queue_lag", {{"queue", "email"}})).ok);
  ASSERT_TRUE(sender->Deliver(SilencedResolve()).ok);
  auto got = rx.WaitForRequests(2, 5s);
  ASSERT_EQ(got.size(), 2u);
  const std::string first = SlackText(nlohmann::json::parse(got[0].body));
  EXPECT_NE(first.find("<" + kDash + "/ui/queues/email|Open in dashboard> · <" + kDash +
                       "/ui/alerts/5|Alert>"),
            std::string::npos)
      << first;
  const auto second = nlohmann::json::parse(got[1].body);
  EXPECT_NE(second["text"].get<std::string>().find("it was silenced until 14:00 UTC by ops"),
            std::string::npos)
      << second["text"];
  EXPECT_NE(SlackText(second).find(kDash + "/ui/checks/nightly|Open in dashboard"), std::string::npos);

  // Several in one message: each item carries its links.
  std::vector<Notification> many = {Firing("worker_lost", {{"worker", "w"}}), SilencedResolve()};
  const std::string combined = SlackText(SlackPayloadMany(many, kDash));
  EXPECT_NE(combined.find("<" + kDash + "/ui/nodes|Open in dashboard>"), std::string::npos) << combined;
  EXPECT_NE(combined.find("<" + kDash + "/ui/checks/nightly|Open in dashboard>"), std::string::npos);
}

TEST(SlackLinksTest, NoDashboardUrlNoLinks) {
  Receiver rx;
  SlackConfig c;
  c.webhook_url = rx.url("/slack");
  auto sender = MakeSlackSender(c);
  Notification n = Firing("job_discarded", {{"kind", "k"}});
  n.job_id = 9;
  ASSERT_TRUE(sender->Deliver(n).ok);
  auto got = rx.WaitForRequests(1, 5s);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].body.find("/ui/"), std::string::npos) << got[0].body;
  EXPECT_EQ(got[0].body.find("Open in dashboard"), std::string::npos);
}

TEST(WebhookLinksTest, LinksObjectOnlyWithADashboardUrl) {
  Receiver rx;
  WebhookConfig c;
  c.url = rx.url("/hook");
  c.dashboard_url = kDash;
  Notification n = Firing("kind_failing", {{"kind", "send email"}});
  n.job_id = 77;
  ASSERT_TRUE(MakeWebhookSender(c)->Deliver(n).ok);
  ASSERT_TRUE(MakeWebhookSender(c)->Deliver(SilencedResolve()).ok);
  c.dashboard_url = "";
  ASSERT_TRUE(MakeWebhookSender(c)->Deliver(n).ok);
  auto got = rx.WaitForRequests(3, 5s);
  ASSERT_EQ(got.size(), 3u);
  auto j = nlohmann::json::parse(got[0].body);
  EXPECT_EQ(j["links"]["page"], kDash + "/ui/failures?kind=send%20email");
  EXPECT_EQ(j["links"]["alert"], kDash + "/ui/alerts/5");
  EXPECT_EQ(j["links"]["job"], kDash + "/ui/jobs/77");
  auto r = nlohmann::json::parse(got[1].body);
  EXPECT_EQ(r["links"]["page"], kDash + "/ui/checks/nightly");
  EXPECT_EQ(r["acked_by"], "ops");
  EXPECT_EQ(r["silenced_until"], FormatTimestamp(*SilencedResolve().silenced_until));
  EXPECT_NE(r["headline"].get<std::string>().find("silenced until 14:00 UTC by ops"), std::string::npos);
  EXPECT_FALSE(nlohmann::json::parse(got[2].body).contains("links"));
}

TEST(EmailLinksTest, LinksInTheTextAndTheSilencedResolve) {
  testing::SmtpSink smtp;
  EmailConfig c;
  c.url = smtp.url();
  c.from = "steward@example.com";
  c.to = {"oncall@example.com"};
  c.dashboard_url = kDash;
  c.timeout = 10s;
  ASSERT_TRUE(MakeEmailSender(c)->Deliver(Firing("schedule_broken", {{"schedule", "nightly"}})).ok);
  ASSERT_TRUE(MakeEmailSender(c)->Deliver(SilencedResolve()).ok);
  c.dashboard_url = "";
  ASSERT_TRUE(MakeEmailSender(c)->Deliver(Firing("schedule_broken", {{"schedule", "nightly"}})).ok);
  auto mails = smtp.WaitForMessages(3, 10s);
  ASSERT_EQ(mails.size(), 3u);
  const std::string body = mails[0].Body();
  EXPECT_NE(body.find("Open in dashboard: " + kDash + "/ui/schedules/nightly"), std::string::npos) << body;
  EXPECT_NE(body.find(kDash + "/ui/alerts/5"), std::string::npos) << body;
  EXPECT_NE(mails[1].Body().find("it was silenced until 14:00 UTC by ops"), std::string::npos)
      << mails[1].raw;
  EXPECT_NE(mails[1].Header("Subject").value_or("").find("silenced until 14:00 UTC by ops"),
            std::string::npos);
  EXPECT_EQ(mails[2].Body().find("/ui/"), std::string::npos) << mails[2].raw;
}

}  // namespace
}  // namespace steward::notify
