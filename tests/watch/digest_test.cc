// The daily digest: due at the configured local time (DST-aware), written
// once into the outbox with correct counts even with two alerters (nodes) on
// one database, and rendered by the real senders to a real receiver.
#include "watch/digest.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/time_parse.h"
#include "support/receiver.h"
#include "support/smtp_sink.h"
#include "support/temp_dir.h"
#include "watch/alerter.h"
#include "watch/notifier.h"
#include "watch/open_store.h"

namespace steward {
namespace {

using namespace std::chrono_literals;

Timestamp Utc(const std::string& rfc3339) {
  auto t = ParseTimestamp(rfc3339);
  if (!t.ok()) throw std::runtime_error(t.status().ToString());
  return *t;
}

std::shared_ptr<Store> Open(const testing::TempDir& dir) {
  return testing::OpenSqliteStore(dir, "digest.db");
}

DigestConfig Berlin() {
  DigestConfig c;
  c.enabled = true;
  c.at = "09:00";
  c.time_zone = "Europe/Berlin";
  return c;
}

TEST(DigestTest, DueAtTheLocalTimeAcrossDaylightSavingAndNotWhenTooLate) {
  auto d = Digest::Make(Berlin());
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  // Winter (CET, UTC+1): 09:00 local is 08:00 UTC.
  EXPECT_FALSE(d->Latest(Utc("2026-11-27T07:59:59Z")).has_value())
      << "yesterday's is more than 12 h late";
  auto s = d->Latest(Utc("2026-11-27T08:00:00Z"));
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->day, "2026-11-27");
  EXPECT_EQ(s->at, Utc("2026-11-27T08:00:00Z"));
  s = d->Latest(Utc("2026-11-27T19:59:00Z"));
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->day, "2026-11-27");
  EXPECT_FALSE(d->Latest(Utc("2026-11-27T20:01:00Z")).has_value());
  // DST starts on 2026-03-29: 09:00 CEST is 07:00 UTC that day.
  s = d->Latest(Utc("2026-03-29T07:30:00Z"));
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->day, "2026-03-29");
  EXPECT_EQ(s->at, Utc("2026-03-29T07:00:00Z"));
  // The day before, still CET: 08:00 UTC.
  s = d->Latest(Utc("2026-03-28T08:30:00Z"));
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->day, "2026-03-28");
  EXPECT_EQ(s->at, Utc("2026-03-28T08:00:00Z"));
  EXPECT_FALSE(d->Latest(Utc("2026-03-29T06:59:00Z")).has_value());

  DigestConfig bad = Berlin();
  bad.at = "9am";
  EXPECT_EQ(Digest::Make(bad).status().code(), StatusCode::kInvalidArgument);
  bad = Berlin();
  bad.time_zone = "Mars/Base";
  EXPECT_EQ(Digest::Make(bad).status().code(), StatusCode::kInvalidArgument);
}

class DigestAlerterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = Open(dir_);
    opts_.clock = &clock_;
    opts_.channels = {"slack", "sentry", "webhook"};
    opts_.digest = Berlin();
  }
  // A job of `queue` inserted, claimed and finished at `at`.
  void Job(const std::string& queue, JobCompletion::Kind kind, Timestamp at) {
    NewJob j;
    j.kind = "k";
    j.queue = queue;
    j.max_attempts = 1;
    ASSERT_TRUE(store_->JobInsertMany(std::span<const NewJob>(&j, 1), at - 1min).ok());
    JobClaimParams cp;
    cp.queue = queue;
    cp.worker_id = "w";
    cp.now = at - 30s;
    cp.lease_until = at + 1min;
    auto claimed = store_->JobClaim(cp);
    ASSERT_TRUE(claimed.ok() && claimed->size() == 1);
    JobCompletion c;
    c.id = (*claimed)[0].id;
    c.worker_id = "w";
    c.attempt = (*claimed)[0].attempt;
    c.kind = kind;
    c.finished_at = at;
    if (kind != JobCompletion::Kind::kCompleted) c.error = AttemptError{1, at, "boom", "", "", std::nullopt};
    ASSERT_TRUE(store_->JobCompleteMany(std::span<const JobCompletion>(&c, 1)).ok());
  }
  std::vector<OutboxRow> Digests() {
    auto rows = store_->OutboxList(OutboxListParams{});
    std::vector<OutboxRow> out;
    for (const auto& r : *rows) {
      if (r.event == "digest") out.push_back(r);
    }
    return out;
  }

  testing::TempDir dir_;
  std::shared_ptr<Store> store_;
  ManualClock clock_{Utc("2026-11-27T07:58:00Z")};  // 08:58 in Berlin
  AlerterOptions opts_;
};

TEST_F(DigestAlerterTest, OneDigestPerDayWithCorrectCountsEvenWithTwoNodes) {
  const Timestamp now = clock_.Now();
  Job("mail", JobCompletion::Kind::kCompleted, now - 2h);
  Job("mail", JobCompletion::Kind::kCompleted, now - 20h);
  Job("mail", JobCompletion::Kind::kDiscard, now - 3h);
  Job("default", JobCompletion::Kind::kCompleted, now - 1h);
  Job("default", JobCompletion::Kind::kCompleted, now - 30h);  // before the window
  AlertUpsertParams fire;
  fire.fingerprint = "job_discarded:kind=k";
  fire.rule = "job_discarded";
  fire.summary = "Jobs of kind k discarded";
  fire.now = now - 3h;
  ASSERT_TRUE(store_->AlertUpsert(fire).ok());
  CheckSpec check;
  check.name = "nightly-backup";
  check.period = 24h;
  ASSERT_TRUE(store_->CheckUpsert(check, now - 5h).ok());
  CheckPingParams ping;
  ping.name = "nightly-backup";
  ping.exit_status = 1;  // a fail ping: down at once
  ping.at = now - 4h;
  ASSERT_EQ(store_->CheckPing(ping)->state, CheckState::kDown);

  Alerter node_a(store_, opts_);
  node_a.Evaluate();
  EXPECT_TRUE(Digests().empty()) << "08:58 is before the digest time";
  clock_.Advance(3min);  // 09:01 Berlin
  node_a.Evaluate();
  auto rows = Digests();
  ASSERT_EQ(rows.size(), 2u) << "slack and webhook; Sentry gets no digest";
  EXPECT_EQ(rows[0].channel, "slack");
  EXPECT_EQ(rows[1].channel, "webhook");
  auto payload = nlohmann::json::parse(rows[0].payload_json);
  EXPECT_EQ(payload["fingerprint"], "digest:2026-11-27");
  const auto& d = payload["digest"];
  ASSERT_EQ(d["queues"].size(), 2u);
  EXPECT_EQ(d["queues"][0]["queue"], "default");
  EXPECT_EQ(d["queues"][0]["run"], 1);
  EXPECT_EQ(d["queues"][1]["queue"], "mail");
  EXPECT_EQ(d["queues"][1]["run"], 3);
  EXPECT_EQ(d["queues"][1]["completed"], 2);
  EXPECT_EQ(d["queues"][1]["failed"], 1);
  EXPECT_EQ(d["totals"]["run"], 4);
  EXPECT_EQ(d["alerts_opened"], 1);
  EXPECT_EQ(d["alerts_resolved"], 0);
  EXPECT_EQ(d["alerts_open_now"], 1);
  ASSERT_EQ(d["checks_down"].size(), 1u);
  EXPECT_EQ(d["checks_down"][0]["name"], "nightly-backup");
  const std::string summary = payload["summary"];
  EXPECT_NE(summary.find("4 jobs run, 1 failed, 1 alerts opened, 0 resolved, 1 checks down"),
            std::string::npos)
      << summary;

  // A second node on the same database, and the first one again: nothing.
  auto other_store = Open(dir_);
  Alerter node_b(other_store, opts_);
  node_b.Evaluate();
  clock_.Advance(1min);
  node_b.Evaluate();
  node_a.Evaluate();
  EXPECT_EQ(Digests().size(), 2u);

  // The next day brings the next digest.
  clock_.Advance(24h);
  node_b.Evaluate();
  node_a.Evaluate();
  rows = Digests();
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(nlohmann::json::parse(rows[2].payload_json)["fingerprint"], "digest:2026-11-28");
}

TEST_F(DigestAlerterTest, SendersRenderTheDigest) {
  Job("mail", JobCompletion::Kind::kDiscard, clock_.Now() - 1h);
  clock_.Advance(3min);
  opts_.channels.push_back("email");
  Alerter alerter(store_, opts_);
  alerter.Evaluate();
  ASSERT_EQ(Digests().size(), 3u);  // slack, webhook, email (Sentry gets none)
  testing::Receiver rx;
  testing::SmtpSink smtp;
  std::map<std::string, std::unique_ptr<notify::Sender>> senders;
  notify::SlackConfig sc;
  sc.webhook_url = rx.url("/slack");
  sc.min_interval = Micros(0);
  sc.dashboard_url = "https://dash.example.com";
  senders["slack"] = notify::MakeSlackSender(sc);
  notify::WebhookConfig wc;
  wc.url = rx.url("/hook");
  wc.dashboard_url = "https://dash.example.com";
  senders["webhook"] = notify::MakeWebhookSender(wc);
  notify::EmailConfig ec;
  ec.url = smtp.url();
  ec.from = "steward@example.com";
  ec.to = {"owner@example.com"};
  ec.dashboard_url = "https://dash.example.com";
  senders["email"] = notify::MakeEmailSender(ec);
  NotifierOptions no;
  no.clock = &clock_;
  Notifier notifier(store_, std::move(senders), no);
  EXPECT_EQ(notifier.RunOnce(), 3);

  // E-mail: delivered through a real SMTP server, the table in the body.
  auto mails = smtp.WaitForMessages(1, 10s);
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_NE(mails[0].Header("Subject").value_or("").find("digest"), std::string::npos)
      << mails[0].raw;
  EXPECT_NE(mails[0].Body().find("Steward daily digest for 2026-11-27"), std::string::npos)
      << mails[0].raw;
  EXPECT_NE(mails[0].Body().find("mail"), std::string::npos) << mails[0].raw;
  EXPECT_NE(mails[0].Body().find("Open in dashboard: https://dash.example.com/ui/"), std::string::npos)
      << "the digest links the Now page: " << mails[0].raw;

  auto slack = rx.Requests("/slack");
  ASSERT_EQ(slack.size(), 1u);
  auto sj = nlohmann::json::parse(slack[0].body);
  EXPECT_EQ(sj["blocks"][0]["text"]["text"], "Steward daily digest 2026-11-27");
  EXPECT_LE(sj["blocks"].size(), 50u);
  EXPECT_NE(slack[0].body.find("mail"), std::string::npos);
  EXPECT_NE(slack[0].body.find("<https://dash.example.com/ui/|Open in dashboard>"), std::string::npos)
      << slack[0].body;
  EXPECT_NE(sj["text"].get<std::string>().find("1 jobs run, 1 failed"), std::string::npos)
      << sj["text"];

  auto hook = rx.Requests("/hook");
  ASSERT_EQ(hook.size(), 1u);
  auto hj = nlohmann::json::parse(hook[0].body);
  EXPECT_EQ(hj["event"], "digest");
  EXPECT_EQ(hj["digest"]["queues"][0]["queue"], "mail");
  EXPECT_EQ(hj["digest"]["queues"][0]["failed"], 1);
  EXPECT_EQ(hj["links"]["page"], "https://dash.example.com/ui/");
  EXPECT_FALSE(hj["links"].contains("alert")) << "a digest is about no one alert";
  // The plain text (e-mail body) carries the same table.
  const std::string text = DigestText(hj["digest"]);
  EXPECT_NE(text.find("Steward daily digest for 2026-11-27"), std::string::npos) << text;
  EXPECT_NE(text.find("mail"), std::string::npos) << text;
  EXPECT_NE(text.find("Checks down: none"), std::string::npos) << text;
}

}  // namespace
}  // namespace steward
