// What a person reads in a notification, end to end: runtime events into a
// real Alerter over a real SQLite store, delivered by a real Notifier to real
// receivers (HTTP, SMTP). Time is a ManualClock.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/receiver.h"
#include "support/smtp_sink.h"
#include "support/temp_dir.h"
#include "support/test_time.h"
#include "watch/alerter.h"
#include "watch/digest.h"
#include "watch/fault_store.h"
#include "watch/notifier.h"
#include "watch/open_store.h"
#include "watch/test_jobs.h"

namespace steward {
namespace {

using namespace std::chrono_literals;
using testing::Receiver;
using testing::T;

class NotifyMessagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    real_ = testing::OpenSqliteStore(dir_, "alerts.db");
    store_ = std::make_shared<testing::FaultStore>(real_);
    opts_.clock = &clock_;
    opts_.channels = {"webhook"};
    opts_.group_wait = 1h;  // only Flush() writes: the test decides when
  }
  std::unique_ptr<Notifier> MakeNotifier(
      std::map<std::string, std::unique_ptr<notify::Sender>> senders) {
    NotifierOptions o;
    o.owner = "test-node";
    o.clock = &clock_;
    return std::make_unique<Notifier>(real_, std::move(senders), o);
  }
  std::unique_ptr<Notifier> WebhookNotifier() {
    std::map<std::string, std::unique_ptr<notify::Sender>> senders;
    notify::WebhookConfig c;
    c.url = rx_.url("/hook");
    senders["webhook"] = notify::MakeWebhookSender(c);
    return MakeNotifier(std::move(senders));
  }
  // Writes what the alerter gathered and delivers every due row.
  void Deliver(Alerter& alerter, Notifier& notifier) {
    ASSERT_TRUE(alerter.Flush().ok());
    for (int i = 0; i < 5; ++i) notifier.RunOnce();
  }
  std::vector<nlohmann::json> Webhooks() {
    std::vector<nlohmann::json> out;
    for (const auto& r : rx_.Requests("/hook")) out.push_back(nlohmann::json::parse(r.body));
    return out;
  }
  static Job MakeJob(int64_t id, const std::string& kind) {
    return testing::FinishedJob(id, kind, 3);
  }

  testing::TempDir dir_;
  std::shared_ptr<Store> real_;
  std::shared_ptr<testing::FaultStore> store_;
  ManualClock clock_{T("2026-12-01T10:00:00Z")};
  AlerterOptions opts_;
  Receiver rx_;
};

TEST(ErrorTailTest, LastLineCutToItsEnd) {
  EXPECT_EQ(
      ErrorTail(
          "Traceback (most recent call last):\n  File \"x.py\", line 3\nValueError: bad input\n\n"),
      "ValueError: bad input");
  EXPECT_EQ(ErrorTail("  one line  "), "one line");
  EXPECT_EQ(ErrorTail(""), "");
  const std::string tail = ErrorTail(std::string(5000, 'x') + "THE-END");
  EXPECT_LE(tail.size(), kErrorTailBytes + 3);  // + "…"
  EXPECT_EQ(tail.substr(tail.size() - 7), "THE-END");
  EXPECT_EQ(tail.substr(0, 3), "\xE2\x80\xA6");
  // Never starts inside a UTF-8 sequence: 7 bytes of "éé…" would begin
  // with the second byte of an "é".
  std::string accents(300, 'a');
  for (int i = 0; i < 100; ++i) accents += "é";
  EXPECT_EQ(ErrorTail(accents, 7), "\xE2\x80\xA6ééé");
}

TEST_F(NotifyMessagesTest, JobDiscardedNamesTheJobAndTheErrorsTail) {
  auto alerter = std::make_unique<Alerter>(store_, opts_);
  auto notifier = WebhookNotifier();
  AttemptError err;
  err.attempt = 3;
  err.at = clock_.Now();
  err.message = "Traceback (most recent call last):\n" + std::string(3000, '.') +
                "\nSMTPRecipientsRefused: 550 mailbox unavailable\n";
  alerter->OnJobFinished(MakeJob(4242, "email"), JobState::kDiscarded, 1ms, &err);
  Deliver(*alerter, *notifier);
  auto got = Webhooks();
  ASSERT_EQ(got.size(), 1u);
  const std::string headline = got[0]["headline"];
  EXPECT_NE(headline.find("job 4242"), std::string::npos) << headline;
  EXPECT_NE(headline.find("SMTPRecipientsRefused: 550 mailbox unavailable"), std::string::npos)
      << headline;
  EXPECT_EQ(got[0]["job_id"], 4242);
  EXPECT_LT(headline.size(), 500u) << "the tail, not the whole trace";
}

TEST_F(NotifyMessagesTest, SinceIsWhenTheFailureHappenedNotWhenTheAlertWasWritten) {
  auto alerter = std::make_unique<Alerter>(store_, opts_);
  auto notifier = WebhookNotifier();
  const Timestamp failed_at = clock_.Now();
  AttemptError err;
  err.at = failed_at;
  err.message = "boom";
  alerter->OnJobFinished(MakeJob(1, "email"), JobState::kDiscarded, 1ms, &err);
  // The database is away for a while: the alert is written 7 minutes later.
  store_->SetUnreachable(true);
  EXPECT_FALSE(alerter->Flush().ok());
  clock_.Advance(7min);
  store_->SetUnreachable(false);
  Deliver(*alerter, *notifier);
  auto open = real_->AlertGetOpen("job_discarded:kind=email");
  ASSERT_TRUE(open.ok()) << open.status().ToString();
  EXPECT_EQ(open->first_seen, failed_at);
  auto got = Webhooks();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]["first_seen"], FormatTimestamp(failed_at));
  EXPECT_NE(got[0]["headline"].get<std::string>().find("since 2026-12-01T10:00:00Z"),
            std::string::npos)
      << got[0]["headline"];

  // A check reports when it went down, which may be before the alerter hears.
  CheckTransition t;
  t.name = "backup";
  t.from = CheckState::kUp;
  t.to = CheckState::kDown;
  t.at = clock_.Now() - 90s;
  t.reason = "grace expired";
  alerter->OnCheckStateChanged(t);
  ASSERT_TRUE(alerter->Flush().ok());
  auto check = real_->AlertGetOpen("check_down:check=backup");
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check->first_seen, t.at);
}

// A kind whose every attempt fails crosses both the consecutive-failures
// rule and the failure-ratio rule: one notification, not two.
TEST_F(NotifyMessagesTest, OneBrokenKindSendsOneNotification) {
  auto alerter = std::make_unique<Alerter>(store_, opts_);
  auto notifier = WebhookNotifier();
  AttemptError err;
  err.message = "HTTP 502";
  for (int i = 1; i <= 40; ++i) {
    err.at = clock_.Now();
    alerter->OnJobFinished(MakeJob(i, "sync"), JobState::kRetryable, 1ms, &err);
    clock_.Advance(1s);
    if (i % 5 == 0)
      Deliver(*alerter, *notifier);  // writes spread over time, as the flush loop does
  }
  auto got = Webhooks();
  ASSERT_EQ(got.size(), 1u) << got.back().dump();
  EXPECT_EQ(got[0]["rule"], "kind_failing");
  EXPECT_FALSE(real_->AlertGetOpen("kind_failure_ratio:kind=sync").ok());

  // One success ends the streak, but 40 of 41 attempts failed: the kind is
  // still broken, and the ratio alert now speaks for it.
  alerter->OnJobFinished(MakeJob(100, "sync"), JobState::kCompleted, 1ms, nullptr);
  err.at = clock_.Now();
  alerter->OnJobFinished(MakeJob(101, "sync"), JobState::kRetryable, 1ms, &err);
  Deliver(*alerter, *notifier);
  got = Webhooks();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[1]["event"], "resolve");
  EXPECT_EQ(got[1]["rule"], "kind_failing");
  EXPECT_EQ(got[2]["event"], "open");
  EXPECT_EQ(got[2]["rule"], "kind_failure_ratio");
}

// The other order: a kind failing half the time opens the ratio alert; when
// it then fails five times in a row, that is the same broken kind.
TEST_F(NotifyMessagesTest, AnOpenRatioAlertAbsorbsTheConsecutiveFailures) {
  auto alerter = std::make_unique<Alerter>(store_, opts_);
  auto notifier = WebhookNotifier();
  AttemptError err;
  err.message = "HTTP 502";
  for (int i = 0; i < 20; ++i) {
    const bool fail = i % 2 == 1;
    alerter->OnJobFinished(MakeJob(i, "sync"), fail ? JobState::kRetryable : JobState::kCompleted,
                           1ms, fail ? &err : nullptr);
  }
  Deliver(*alerter, *notifier);
  ASSERT_EQ(Webhooks().size(), 1u);
  EXPECT_EQ(Webhooks()[0]["rule"], "kind_failure_ratio");
  for (int i = 0; i < 10; ++i)
    alerter->OnJobFinished(MakeJob(50 + i, "sync"), JobState::kRetryable, 1ms, &err);
  Deliver(*alerter, *notifier);
  EXPECT_EQ(Webhooks().size(), 1u);
  EXPECT_FALSE(real_->AlertGetOpen("kind_failing:kind=sync").ok());
}

TEST_F(NotifyMessagesTest, ResolvedHeadlinesSayWhatIsTrueNow) {
  testing::SmtpSink smtp;
  opts_.channels = {"webhook", "slack", "email"};
  auto alerter = std::make_unique<Alerter>(store_, opts_);
  std::map<std::string, std::unique_ptr<notify::Sender>> senders;
  notify::WebhookConfig wc;
  wc.url = rx_.url("/hook");
  senders["webhook"] = notify::MakeWebhookSender(wc);
  notify::SlackConfig sc;
  sc.webhook_url = rx_.url("/slack");
  sc.min_interval = Micros(0);
  senders["slack"] = notify::MakeSlackSender(sc);
  notify::EmailConfig ec;
  ec.url = "smtp://127.0.0.1:" + std::to_string(smtp.port());
  ec.from = "steward@example.com";
  ec.to = {"ops@example.com"};
  senders["email"] = notify::MakeEmailSender(ec);
  auto notifier = MakeNotifier(std::move(senders));

  const Timestamp down_at = clock_.Now();
  alerter->OnCheckDown("backup", "grace expired");
  Deliver(*alerter, *notifier);
  clock_.Advance(20min);
  alerter->OnCheckUp("backup");
  Deliver(*alerter, *notifier);

  const std::string was = "was: Check backup is late or down, 1 time since 2026-12-01T10:00:00Z";
  auto hooks = Webhooks();
  ASSERT_EQ(hooks.size(), 2u);
  EXPECT_EQ(hooks[1]["event"], "resolve");
  EXPECT_EQ(hooks[1]["headline"],
            "RESOLVED check_down check=backup: check backup is up again (" + was + ")");
  EXPECT_EQ(hooks[1]["first_seen"], FormatTimestamp(down_at));

  auto slack = rx_.Requests("/slack");
  ASSERT_EQ(slack.size(), 2u);
  auto resolved = nlohmann::json::parse(slack[1].body);
  EXPECT_EQ(resolved["text"], hooks[1]["headline"]);
  bool says_resolved = false;
  for (const auto& b : resolved["blocks"]) {
    if (b["type"] != "section" || !b.contains("text")) continue;
    const std::string text = b["text"]["text"];
    says_resolved =
        says_resolved || text.find("*Resolved: check backup is up again*") != std::string::npos;
    EXPECT_EQ(text.find("*Check backup is late or down*"), std::string::npos)
        << "the past in bold: " << text;
  }
  EXPECT_TRUE(says_resolved) << slack[1].body;

  auto mails = smtp.WaitForMessages(2, 10s);
  ASSERT_EQ(mails.size(), 2u);
  EXPECT_NE(mails[1].Header("Subject").value_or("").find("check backup is up again"),
            std::string::npos);
  const std::string body = mails[1].Body();
  EXPECT_NE(body.find("Resolved: check backup is up again"), std::string::npos) << body;
  EXPECT_EQ(body.find("Last error"), std::string::npos) << "a resolution is no error: " << body;
}

TEST_F(NotifyMessagesTest, AResolveWithoutDetailDoesNotRepeatTheLastError) {
  auto alerter = std::make_unique<Alerter>(store_, opts_);
  auto notifier = WebhookNotifier();
  alerter->Fire("pool_exhausted", {}, "Database connection pool exhausted", "10 in use, 3 waiting");
  Deliver(*alerter, *notifier);
  alerter->Resolve("pool_exhausted", {});
  Deliver(*alerter, *notifier);
  auto hooks = Webhooks();
  ASSERT_EQ(hooks.size(), 2u);
  EXPECT_EQ(hooks[1]["headline"],
            "RESOLVED pool_exhausted: pool_exhausted is no longer firing (was: Database connection "
            "pool exhausted, 1 time since 2026-12-01T10:00:00Z)");
}

TEST(DigestTextTest, AResolvedAlertReadsAsPast) {
  nlohmann::json d = {
      {"day", "2026-12-01"},
      {"alerts", nlohmann::json::array({{{"fingerprint", "check_down:check=backup"},
                                         {"summary", "Check backup is late or down"},
                                         {"state", "resolved"}}})}};
  const std::string text = DigestText(d);
  EXPECT_NE(text.find("RESOLVED check_down:check=backup (was: Check backup is late or down)"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace steward
