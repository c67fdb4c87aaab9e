// Slack coalescing against the real local receiver: notifications due
// together to one webhook go out as ONE message (within Slack's limits),
// while each outbox row is still recorded delivered, or retried, once.
#include <gtest/gtest.h>

#include <map>

#include <nlohmann/json.hpp>

#include "support/eventually.h"
#include "support/receiver.h"
#include "support/temp_dir.h"
#include "watch/notifier.h"
#include "watch/open_store.h"

namespace steward {
namespace {

using namespace std::chrono_literals;
using testing::Eventually;
using testing::Receiver;

std::shared_ptr<Store> OpenSqlite(const testing::TempDir& dir) {
  return testing::OpenSqliteStore(dir, "coalesce.db");
}

std::string Fp(int i) { return "job_discarded:kind=kind" + std::to_string(i); }

void OpenAlert(Store& store, int i) {
  AlertUpsertParams p;
  p.fingerprint = Fp(i);
  p.rule = "job_discarded";
  p.labels_json = R"({"kind":"kind)" + std::to_string(i) + R"("})";
  p.summary = "Jobs of kind kind" + std::to_string(i) + " discarded";
  p.detail = "error number " + std::to_string(i);
  p.now = SystemClock().Now();
  p.channels = {"slack"};
  auto r = store.AlertUpsert(p);
  if (!r.ok()) throw std::runtime_error(r.status().ToString());
}

std::map<std::string, std::unique_ptr<notify::Sender>> Slack(const std::string& url) {
  notify::SlackConfig c;
  c.webhook_url = url;
  c.min_interval = 1s;  // Slack's pace
  c.timeout = 5s;
  std::map<std::string, std::unique_ptr<notify::Sender>> m;
  m["slack"] = notify::MakeSlackSender(c);
  return m;
}

NotifierOptions Options() {
  NotifierOptions o;
  o.owner = "coalesce-test";
  o.poll_interval = 20ms;
  o.backoff_base = 50ms;
  o.backoff_max = 200ms;
  return o;
}

// How often each fingerprint appears in the messages' context blocks.
std::map<std::string, int> Fingerprints(const std::vector<testing::RecordedRequest>& reqs) {
  std::map<std::string, int> seen;
  for (const auto& r : reqs) {
    auto body = nlohmann::json::parse(r.body);
    for (const auto& b : body["blocks"]) {
      if (b["type"] != "context") continue;
      std::string t = b["elements"][0]["text"].get<std::string>();
      seen[t.substr(1, t.find('`', 1) - 1)]++;  // "`fp` · steward" or "`fp`"
    }
  }
  return seen;
}

bool AllDelivered(Store& store, size_t n) {
  auto rows = store.OutboxList(OutboxListParams{});
  if (!rows.ok() || rows->size() != n) return false;
  for (const auto& r : *rows) {
    if (!r.delivered_at) return false;
  }
  return true;
}

TEST(SlackCoalescingTest, TenDueAtOnceArriveAsOneMessageEachAlertOnce) {
  testing::TempDir dir;
  auto store = OpenSqlite(dir);
  Receiver rx;
  for (int i = 0; i < 10; ++i) OpenAlert(*store, i);
  Notifier notifier(store, Slack(rx.url("/slack/T/B/X")), Options());
  EXPECT_EQ(notifier.RunOnce(), 10);
  auto reqs = rx.Requests("/slack/T/B/X");
  ASSERT_EQ(reqs.size(), 1u) << "10 notifications due at once should be one Slack message";
  auto body = nlohmann::json::parse(reqs[0].body);
  const std::string text = body["text"].get<std::string>();
  EXPECT_LE(body["blocks"].size(), 50u);
  EXPECT_NE(text.find("10 notifications"), std::string::npos) << text;
  auto seen = Fingerprints(reqs);
  ASSERT_EQ(seen.size(), 10u);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(seen[Fp(i)], 1) << Fp(i);
    EXPECT_NE(text.find("kind=kind" + std::to_string(i)), std::string::npos)
        << "fallback text lacks alert " << i;
    EXPECT_NE(reqs[0].body.find("error number " + std::to_string(i)), std::string::npos);
  }
  auto rows = store->OutboxList(OutboxListParams{});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 10u);
  for (const auto& r : *rows) {
    EXPECT_TRUE(r.delivered_at.has_value()) << r.id;
    EXPECT_EQ(r.attempts, 1) << r.id;
  }
}

TEST(SlackCoalescingTest, ManyAreSplitWithinSlackLimitsAndArrivalsDuringTheSpacingJoin) {
  testing::TempDir dir;
  auto store = OpenSqlite(dir);
  Receiver rx;
  const std::string path = "/slack/T/B/Y";
  NotifierOptions o = Options();
  o.batch = 100;
  Notifier notifier(store, Slack(rx.url(path)), o);
  notifier.Start();
  OpenAlert(*store, 0);
  notifier.Wake();
  ASSERT_EQ(rx.WaitForRequests(1, 10s, path).size(), 1u);
  // 30 more right after the first message: they are due within its spacing
  // interval; 30 exceed one message's 50 blocks, so they take two.
  for (int i = 1; i <= 30; ++i) OpenAlert(*store, i);
  notifier.Wake();
  EXPECT_TRUE(Eventually([&] { return AllDelivered(*store, 31); }, 15s));
  notifier.Stop();
  ASSERT_TRUE(AllDelivered(*store, 31));
  auto reqs = rx.Requests(path);
  EXPECT_EQ(reqs.size(), 3u) << "1 + two messages of at most 24 notifications";
  for (size_t i = 1; i < reqs.size(); ++i) {
    EXPECT_GE(reqs[i].received_at - reqs[i - 1].received_at, 990ms)
        << "spacing of one message per second";
    EXPECT_LE(nlohmann::json::parse(reqs[i].body)["blocks"].size(), 50u);
  }
  auto seen = Fingerprints(reqs);
  EXPECT_EQ(seen.size(), 31u);
  for (const auto& [fp, n] : seen) EXPECT_EQ(n, 1) << fp;
}

TEST(SlackCoalescingTest, AFailedCombinedMessageRetriesEachRowOnce) {
  testing::TempDir dir;
  auto store = OpenSqlite(dir);
  Receiver rx;
  const std::string path = "/slack/T/B/Z";
  testing::Behaviour b;
  b.path_prefix = path;
  b.status = 503;
  b.times = 1;
  rx.SetBehaviour(b);
  for (int i = 0; i < 5; ++i) OpenAlert(*store, i);
  Notifier notifier(store, Slack(rx.url(path)), Options());
  EXPECT_EQ(notifier.RunOnce(), 0);
  auto rows = store->OutboxList(OutboxListParams{});
  ASSERT_TRUE(rows.ok());
  for (const auto& r : *rows) {
    EXPECT_FALSE(r.delivered_at.has_value());
    EXPECT_FALSE(r.failed_at.has_value()) << "503 is retryable";
    ASSERT_TRUE(r.last_error.has_value());
    EXPECT_NE(r.last_error->find("503"), std::string::npos);
  }
  notifier.Start();
  EXPECT_TRUE(Eventually([&] { return AllDelivered(*store, 5); }, 10s));
  notifier.Stop();
  ASSERT_TRUE(AllDelivered(*store, 5));
  rows = store->OutboxList(OutboxListParams{});
  for (const auto& r : *rows) EXPECT_EQ(r.attempts, 2) << r.id;
  auto reqs = rx.Requests(path);
  ASSERT_EQ(reqs.size(), 2u);  // the failed message, then its retry as one
  auto seen = Fingerprints({reqs[1]});
  EXPECT_EQ(seen.size(), 5u);
}

}  // namespace
}  // namespace steward
