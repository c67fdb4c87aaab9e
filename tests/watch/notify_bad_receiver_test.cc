// Receivers that are broken rather than down: one that answers bytes that are
// not HTTP (or SMTP), one too slow to answer within the timeout, one whose
// TLS certificate cannot be verified, and a plain-HTTP server behind an
// https:// URL. Each is a real process on 127.0.0.1. For every one the
// notifier must keep the notification (retryable, never marked failed), try
// again, and log the channel's trouble once rather than once per attempt.
// Time between rounds is a ManualClock; the network is real.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>

#include "core/log.h"
#include "support/bad_peer.h"
#include "support/receiver.h"
#include "support/temp_dir.h"
#include "watch/notifier.h"
#include "watch/open_store.h"

namespace steward {
namespace {

using namespace std::chrono_literals;
using testing::BadPeer;
using testing::Receiver;

using Senders = std::map<std::string, std::unique_ptr<notify::Sender>>;

std::unique_ptr<notify::Sender> Webhook(const std::string& url, Micros timeout = 2s) {
  notify::WebhookConfig c;
  c.url = url;
  c.secret = "s3cret";
  c.timeout = timeout;
  return notify::MakeWebhookSender(c);
}

// Every request to /hook is answered 200, but only after `ms`.
testing::Behaviour AnswersAfter(int ms) {
  testing::Behaviour b;
  b.path_prefix = "/hook";
  b.status = 200;
  b.times = -1;
  b.delay_ms = ms;
  return b;
}

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t p = haystack.find(needle); p != std::string::npos; p = haystack.find(needle, p + 1))
    ++n;
  return n;
}

// A store with `alerts` open alerts, each with one notification row per
// channel, and a notifier driven round by round on the test's thread (so the
// captured log is not written concurrently).
class BadReceiverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log::Configure(log::Level::kInfo, log::Format::kJson);
    log::SetSinkForTesting(&logs_);
  }
  void TearDown() override {
    log::SetSinkForTesting(nullptr);
    log::Configure(log::Level::kInfo, log::Format::kAuto);
  }

  void Start(Senders senders, int alerts, std::vector<std::string> channels) {
    store_ = testing::OpenSqliteStore(dir_, "alerts.db");
    for (int i = 0; i < alerts; ++i) {
      AlertUpsertParams p;
      p.fingerprint = "job_discarded:kind=k" + std::to_string(i);
      p.rule = "job_discarded";
      p.labels_json = R"({"kind":"k"})";
      p.summary = "discarded";
      p.now = clock_.Now();
      p.channels = channels;
      ASSERT_TRUE(store_->AlertUpsert(p).ok());
    }
    NotifierOptions o;
    o.owner = "test-node";
    o.clock = &clock_;
    o.backoff_base = 1s;
    o.backoff_max = 5s;
    o.failure_log_interval = 1min;
    notifier_ = std::make_unique<Notifier>(store_, std::move(senders), o);
  }
  // One delivery round, then time moves past every retry's backoff.
  int Round() {
    const int delivered = notifier_->RunOnce();
    clock_.Advance(10s);
    return delivered;
  }
  std::vector<OutboxRow> Rows() {
    auto rows = store_->OutboxList(OutboxListParams{});
    EXPECT_TRUE(rows.ok());
    return rows.ok() ? *rows : std::vector<OutboxRow>{};
  }
  // Every row still pending for retry after `attempts` attempts, its last
  // error naming `cause`.
  void ExpectAllRetryable(int attempts, const std::string& cause) {
    auto rows = Rows();
    ASSERT_FALSE(rows.empty());
    for (const auto& row : rows) {
      EXPECT_FALSE(row.delivered_at.has_value()) << row.id;
      EXPECT_FALSE(row.failed_at.has_value())
          << "row " << row.id << " given up: " << row.last_error.value_or("");
      EXPECT_EQ(row.attempts, attempts) << row.id;
      ASSERT_TRUE(row.last_error.has_value());
      EXPECT_NE(row.last_error->find(cause), std::string::npos) << *row.last_error;
    }
  }

  testing::TempDir dir_;
  ManualClock clock_{SystemClock().Now()};
  std::shared_ptr<Store> store_;
  std::unique_ptr<Notifier> notifier_;
  std::string logs_;
};

TEST_F(BadReceiverTest, GarbageAnswersAreRetriedAndLoggedOncePerChannel) {
  BadPeer peer(BadPeer::Mode::kGarbage);
  Senders senders;
  senders["webhook"] = Webhook(peer.url("/hook"));
  notify::EmailConfig ec;  // an "SMTP server" that greets with garbage
  ec.url = "smtp://127.0.0.1:" + std::to_string(peer.port());
  ec.from = "steward@example.com";
  ec.to = {"oncall@example.com"};
  ec.timeout = 2s;
  senders["email"] = notify::MakeEmailSender(ec);
  Start(std::move(senders), 2, {"webhook", "email"});

  for (int i = 0; i < 4; ++i) EXPECT_EQ(Round(), 0);
  EXPECT_EQ(peer.connections(), 2 * 2 * 4) << "every attempt reached the peer";
  ExpectAllRetryable(4, "127.0.0.1");
  EXPECT_NE(logs_.find("HTTP/0.9"), std::string::npos) << "curl's detail is kept: " << logs_;
  EXPECT_EQ(Count(logs_, "notification channel failing"), 2u) << logs_;
  EXPECT_EQ(Count(logs_, "\"channel\":\"webhook\""), 1u) << logs_;
  EXPECT_EQ(Count(logs_, "\"channel\":\"email\""), 1u) << logs_;
  EXPECT_EQ(Count(logs_, "still failing"), 0u) << logs_;

  // Past the log interval: one reminder per channel, counting the attempts
  // so far (8, and this round's first).
  clock_.Advance(1min);
  Round();
  EXPECT_EQ(Count(logs_, "notification channel still failing"), 2u) << logs_;
  EXPECT_NE(logs_.find("\"failed_attempts\":9"), std::string::npos) << logs_;
  ExpectAllRetryable(5, "127.0.0.1");
}

TEST_F(BadReceiverTest, SlowReceiverTimesOutIsRetriedAndRecoveryIsLoggedOnce) {
  Receiver rx;
  testing::Behaviour slow = AnswersAfter(4000);
  rx.SetBehaviour(slow);
  Senders senders;
  senders["webhook"] = Webhook(rx.url("/hook"), 300ms);
  Start(std::move(senders), 2, {"webhook"});

  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Round(), 0);
  const auto took = std::chrono::steady_clock::now() - start;
  // Two deliveries abandoned after 300 ms each, long before the 4 s answer.
  EXPECT_LT(took, 3s) << "the timeout was not enforced";
  EXPECT_EQ(rx.Requests("/hook").size(), 2u);
  ExpectAllRetryable(1, "timed out");
  EXPECT_EQ(Count(logs_, "notification channel failing"), 1u) << logs_;

  slow.times = 0;  // removes the rule: answers at once again
  rx.SetBehaviour(slow);
  EXPECT_EQ(Round(), 2);
  for (const auto& row : Rows()) {
    EXPECT_TRUE(row.delivered_at.has_value()) << row.id;
    EXPECT_EQ(row.attempts, 2);
  }
  EXPECT_EQ(Count(logs_, "notification channel delivering again"), 1u) << logs_;
  EXPECT_NE(logs_.find("\"failed_attempts\":2"), std::string::npos) << logs_;
  // A new failure later is a new outage: logged once more. (Re-pointing the
  // sink also resets the logger's own sampling of repeated lines, which
  // would otherwise hide a second identical line within 10 s.)
  log::SetSinkForTesting(&logs_);
  rx.SetDown(true);
  AlertUpsertParams p;
  p.fingerprint = "job_discarded:kind=later";
  p.rule = "job_discarded";
  p.now = clock_.Now();
  p.channels = {"webhook"};
  ASSERT_TRUE(store_->AlertUpsert(p).ok());
  EXPECT_EQ(Round(), 0);
  EXPECT_EQ(Round(), 0);
  EXPECT_EQ(Count(logs_, "notification channel failing"), 2u) << logs_;
}

TEST_F(BadReceiverTest, UnverifiableCertificateIsRetriedAndLoggedOnce) {
  BadPeer peer(BadPeer::Mode::kTlsSelfSigned);
  Senders senders;
  senders["webhook"] = Webhook(peer.url("/hook"));
  Start(std::move(senders), 2, {"webhook"});
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Round(), 0);
  EXPECT_EQ(peer.connections(), 2 * 3);
  ExpectAllRetryable(3, "certificate");
  EXPECT_EQ(Count(logs_, "notification channel failing"), 1u) << logs_;
  EXPECT_EQ(Count(logs_, "s3cret"), 0u);
}

TEST_F(BadReceiverTest, PlainHttpServerBehindAnHttpsUrlIsATlsErrorRetried) {
  Receiver rx;
  Senders senders;
  senders["webhook"] = Webhook("https://127.0.0.1:" + std::to_string(rx.port()) + "/hook");
  Start(std::move(senders), 1, {"webhook"});
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Round(), 0);
  ExpectAllRetryable(3, "SSL");
  EXPECT_TRUE(rx.Requests("/hook").empty()) << "no request may leave without TLS";
  EXPECT_EQ(Count(logs_, "notification channel failing"), 1u) << logs_;
}

// Stop() while a receiver hangs: the delivery is abandoned at once instead
// of holding up the shutdown for the sender's 20 s timeout, and its row is
// due again right away (for this node after a restart, or any other).
TEST_F(BadReceiverTest, StopAbandonsAHangingDeliveryAndLeavesItDue) {
  Receiver rx;
  testing::Behaviour hang = AnswersAfter(30000);
  rx.SetBehaviour(hang);
  Senders senders;
  senders["webhook"] = Webhook(rx.url("/hook"), 20s);
  Start(std::move(senders), 2, {"webhook"});  // both claimed in one batch
  notifier_->Start();
  ASSERT_EQ(rx.WaitForRequests(1, 10s, "/hook").size(), 1u) << "the delivery never started";

  const auto start = std::chrono::steady_clock::now();
  notifier_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s) << "Stop waited for the hanging receiver";
  auto rows = Rows();
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& row : rows) {
    EXPECT_FALSE(row.delivered_at.has_value());
    EXPECT_FALSE(row.failed_at.has_value());
    EXPECT_FALSE(row.lease_owner.has_value()) << "row " << row.id << " must not wait for its lease to expire";
    EXPECT_LE(row.next_attempt_at, clock_.Now());
  }
  // The one in flight was attempted and says why it stopped; the other was
  // never tried: released with its attempt undone.
  EXPECT_EQ(rows[0].attempts, 1);
  EXPECT_NE(rows[0].last_error.value_or("").find("interrupted"), std::string::npos);
  EXPECT_EQ(rows[1].attempts, 0);
  EXPECT_FALSE(rows[1].last_error.has_value());
  EXPECT_EQ(Count(logs_, "notification channel failing"), 0u) << "a shutdown is not a channel failure";

  // The next notifier (a restart) delivers it once the receiver answers.
  hang.times = 0;
  rx.SetBehaviour(hang);
  Senders again;
  again["webhook"] = Webhook(rx.url("/hook"), 20s);
  NotifierOptions o;
  o.owner = "restarted";
  o.clock = &clock_;
  Notifier restarted(store_, std::move(again), o);
  EXPECT_EQ(restarted.RunOnce(), 2);
  rows = Rows();
  EXPECT_TRUE(rows[0].delivered_at.has_value());
  EXPECT_TRUE(rows[1].delivered_at.has_value());
}

}  // namespace
}  // namespace steward
