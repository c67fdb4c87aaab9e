// The notifier against a real local HTTP receiver: outages, Retry-After,
// ordering, and storms turned into one message. Real SQLite store, real
// HTTP; only time is compressed (short backoff, a ManualClock for storms).
#include "watch/notifier.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "core/log.h"
#include "support/eventually.h"
#include "support/receiver.h"
#include "support/temp_dir.h"
#include "watch/alerter.h"
#include "watch/open_store.h"
#include "watch/test_jobs.h"

namespace steward {
namespace {

using namespace std::chrono_literals;
using testing::Eventually;
using testing::Receiver;

std::shared_ptr<Store> OpenSqlite(const testing::TempDir& dir) {
  return testing::OpenSqliteStore(dir, "alerts.db");
}

AlertUpsertParams Params(const std::string& fp, Timestamp now, bool resolve = false) {
  AlertUpsertParams p;
  p.action = resolve ? AlertUpsertParams::Action::kResolve : AlertUpsertParams::Action::kFire;
  p.fingerprint = fp;
  p.rule = "job_discarded";
  p.labels_json = R"({"kind":"email"})";
  p.summary = "discarded";
  p.now = now;
  p.channels = {"webhook"};
  return p;
}

std::map<std::string, std::unique_ptr<notify::Sender>> Webhook(const std::string& url) {
  std::map<std::string, std::unique_ptr<notify::Sender>> m;
  notify::WebhookConfig c;
  c.url = url;
  c.secret = "s3cret";
  c.timeout = 2s;
  m["webhook"] = notify::MakeWebhookSender(c);
  return m;
}

NotifierOptions FastOptions() {
  NotifierOptions o;
  o.owner = "test-node";
  o.poll_interval = 20ms;
  o.backoff_base = 50ms;
  o.backoff_max = 300ms;
  o.lease = 30s;
  return o;
}

TEST(NotifierTest, ReceiverOutageLosesAndDuplicatesNothingAndKeepsOrder) {
  testing::TempDir dir;
  auto store = OpenSqlite(dir);
  Receiver rx;
  const std::string url = rx.url("/hook");
  rx.Stop();  // connection refused from the start
  // Five alerts, each opened then resolved: 10 rows, 2 per alert.
  for (int i = 0; i < 5; ++i) {
    const std::string fp = "job_discarded:kind=k" + std::to_string(i);
    ASSERT_TRUE(store->AlertUpsert(Params(fp, SystemClock().Now())).ok());
    ASSERT_TRUE(store->AlertUpsert(Params(fp, SystemClock().Now(), true)).ok());
  }
  Notifier notifier(store, Webhook(url), FastOptions());
  notifier.Start();
  // "Down for a while": until the notifier has failed at least three times
  // on some row, rather than for a time that assumes its pace.
  OutboxListParams lp;
  lp.undelivered_only = true;
  auto max_attempts = [&] {
    int most = 0;
    auto rows = store->OutboxList(lp);
    if (rows.ok()) {
      for (const auto& r : *rows) most = std::max(most, r.attempts);
    }
    return most;
  };
  EXPECT_TRUE(Eventually([&] { return max_attempts() >= 3; }))
      << "the notifier should have kept retrying";
  auto pending = store->OutboxList(lp);
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(pending->size(), 10u) << "nothing can be delivered while the receiver is away";

  rx.Start();
  rx.SetDown(true);  // back, but answering 503 for a while
  // Until it has refused some attempts (they must not count as deliveries).
  EXPECT_TRUE(Eventually([&] { return rx.Requests("/hook").size() >= 3; }));
  rx.SetDown(false);
  // The receiver's record now holds 503'd attempts too; count only 200s by
  // waiting until the outbox is empty.
  EXPECT_TRUE(Eventually(
      [&] {
        pending = store->OutboxList(lp);
        return pending.ok() && pending->empty();
      },
      15s))
      << (pending.ok() ? pending->size() : 0) << " notifications still pending";
  // Stop() joins the delivery thread: after it nothing more can arrive, so
  // the record below is complete (no waiting for "nothing more").
  notifier.Stop();

  auto all = store->OutboxList(OutboxListParams{});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 10u);
  // Every row delivered exactly once: the last successful request per row.
  // Requests while the receiver was in down mode got 503 and do not count;
  // each row's delivered request is the last one carrying its id.
  auto reqs = rx.Requests("/hook");
  std::map<int64_t, std::vector<size_t>> by_row;
  for (size_t i = 0; i < reqs.size(); ++i) {
    by_row[std::stoll(reqs[i].Header("X-Steward-Delivery").value_or("0"))].push_back(i);
  }
  EXPECT_EQ(by_row.size(), 10u);
  std::map<int64_t, Timestamp> delivered_at;
  for (const auto& row : *all) {
    ASSERT_TRUE(row.delivered_at.has_value()) << "row " << row.id;
    EXPECT_FALSE(row.failed_at.has_value());
    delivered_at[row.id] = *row.delivered_at;
  }
  // Order per alert: the open row is delivered before the resolve row.
  std::map<int64_t, std::vector<const OutboxRow*>> per_alert;
  for (const auto& row : *all) per_alert[*row.alert_id].push_back(&row);
  for (const auto& [alert, rows] : per_alert) {
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0]->event, "open");
    EXPECT_EQ(rows[1]->event, "resolve");
    EXPECT_LE(*rows[0]->delivered_at, *rows[1]->delivered_at);
    // The receiver saw the open's last request before the resolve's first.
    EXPECT_LT(by_row[rows[0]->id].back(), by_row[rows[1]->id].front());
  }
}

TEST(NotifierTest, RetryAfterIsHonoured) {
  testing::TempDir dir;
  auto store = OpenSqlite(dir);
  Receiver rx;
  testing::Behaviour b;
  b.path_prefix = "/slack";
  b.status = 429;
  b.times = 1;
  b.retry_after = "2";
  rx.SetBehaviour(b);
  std::map<std::string, std::unique_ptr<notify::Sender>> senders;
  notify::SlackConfig sc;
  sc.webhook_url = rx.url("/slack/services/T0/B0/SECRET");
  sc.min_interval = Micros(0);
  senders["slack"] = notify::MakeSlackSender(sc);
  AlertUpsertParams p = Params("fp", SystemClock().Now());
  p.channels = {"slack"};
  ASSERT_TRUE(store->AlertUpsert(p).ok());
  Notifier notifier(store, std::move(senders), FastOptions());
  notifier.Start();
  auto got = rx.WaitForRequests(2, 8s);
  // The receiver records a request before it answers: wait for the notifier
  // to have marked the row delivered, or Stop() may interrupt that.
  EXPECT_TRUE(Eventually([&] {
    auto rows = store->OutboxList(OutboxListParams{});
    return rows.ok() && rows->size() == 1 && (*rows)[0].delivered_at.has_value();
  }));
  notifier.Stop();
  ASSERT_EQ(got.size(), 2u);
  const auto gap = got[1].received_at - got[0].received_at;
  EXPECT_GE(gap, 1990ms) << "retried after only "
                         << std::chrono::duration_cast<std::chrono::milliseconds>(gap).count() << " ms";
  auto all = store->OutboxList(OutboxListParams{});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_TRUE((*all)[0].delivered_at.has_value());
  EXPECT_EQ((*all)[0].attempts, 2);
}

TEST(NotifierTest, PermanentErrorIsNotRetriedAndSecretsStayOutOfLogs) {
  testing::TempDir dir;
  auto store = OpenSqlite(dir);
  Receiver rx;
  testing::Behaviour b;
  b.path_prefix = "/slack";
  b.status = 404;
  b.times = -1;
  b.body = "channel_not_found";
  rx.SetBehaviour(b);
  std::map<std::string, std::unique_ptr<notify::Sender>> senders;
  notify::SlackConfig sc;
  sc.webhook_url = rx.url("/slack/services/T0/B0/XOXSECRET");
  sc.min_interval = Micros(0);
  senders["slack"] = notify::MakeSlackSender(sc);
  AlertUpsertParams p = Params("fp", SystemClock().Now());
  p.channels = {"slack"};
  ASSERT_TRUE(store->AlertUpsert(p).ok());
  std::string logs;
  log::SetSinkForTesting(&logs);
  Notifier notifier(store, std::move(senders), FastOptions());
  for (int i = 0; i < 5; ++i) notifier.RunOnce();
  log::SetSinkForTesting(nullptr);
  EXPECT_EQ(rx.Requests("/slack/services/T0/B0/XOXSECRET").size(), 1u);
  auto all = store->OutboxList(OutboxListParams{});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_TRUE((*all)[0].failed_at.has_value());
  ASSERT_TRUE((*all)[0].last_error.has_value());
  EXPECT_NE((*all)[0].last_error->find("404"), std::string::npos);
  EXPECT_EQ((*all)[0].last_error->find("XOXSECRET"), std::string::npos) << *(*all)[0].last_error;
  EXPECT_NE(logs.find("failed permanently"), std::string::npos) << logs;
  EXPECT_EQ(logs.find("XOXSECRET"), std::string::npos) << logs;
}

Job DiscardedJob(int64_t id) { return testing::FinishedJob(id, "email", 3); }

TEST(NotifierTest, AThousandFailuresBecomeOneNotificationPlusOneReminderPerInterval) {
  testing::TempDir dir;
  auto store = OpenSqlite(dir);
  Receiver rx;
  ManualClock clock(SystemClock().Now());
  AlerterOptions ao;
  ao.channels = {"webhook"};
  ao.clock = &clock;
  ao.group_wait = 1h;  // only Flush() writes: the test decides when
  ao.repeat_interval = 4h;
  Alerter alerter(store, ao);
  NotifierOptions no = FastOptions();
  no.clock = &clock;
  Notifier notifier(store, Webhook(rx.url("/hook")), no);
  auto deliver_all = [&] {
    for (int i = 0; i < 5; ++i) notifier.RunOnce();
  };

  AttemptError err;
  err.message = "smtp: 550 mailbox unavailable";
  for (int i = 1; i <= 1000; ++i) {
    alerter.OnJobFinished(DiscardedJob(i), JobState::kDiscarded, 1ms, &err);
    if (i % 100 == 0) clock.Advance(5s);  // within one minute in all
  }
  ASSERT_TRUE(alerter.Flush().ok());
  deliver_all();
  auto reqs = rx.Requests("/hook");
  ASSERT_EQ(reqs.size(), 1u);
  auto body = nlohmann::json::parse(reqs[0].body);
  EXPECT_EQ(body["event"], "open");
  EXPECT_EQ(body["fingerprint"], "job_discarded:kind=email");
  EXPECT_GE(body["count"].get<int64_t>(), 1000);
  EXPECT_EQ(body["job_id"], 1000);

  // The storm goes on for hours: no message until the repeat interval...
  for (int hour = 1; hour <= 3; ++hour) {
    clock.Advance(1h);
    for (int i = 0; i < 100; ++i) {
      alerter.OnJobFinished(DiscardedJob(1000 + hour * 100 + i), JobState::kDiscarded, 1ms, &err);
    }
    ASSERT_TRUE(alerter.Flush().ok());
    deliver_all();
  }
  EXPECT_EQ(rx.Requests("/hook").size(), 1u);
  // ...then exactly one reminder with the running count.
  clock.Advance(61min);
  alerter.OnJobFinished(DiscardedJob(5000), JobState::kDiscarded, 1ms, &err);
  ASSERT_TRUE(alerter.Flush().ok());
  clock.Advance(1min);
  alerter.OnJobFinished(DiscardedJob(5001), JobState::kDiscarded, 1ms, &err);
  ASSERT_TRUE(alerter.Flush().ok());
  deliver_all();
  reqs = rx.Requests("/hook");
  ASSERT_EQ(reqs.size(), 2u);
  body = nlohmann::json::parse(reqs[1].body);
  EXPECT_EQ(body["event"], "repeat");
  EXPECT_GE(body["count"].get<int64_t>(), 1301);

  // Quiet for the quiet period: resolved, one message.
  clock.Advance(ao.rules.quiet_period + 1min);
  alerter.Evaluate();
  ASSERT_TRUE(alerter.Flush().ok());
  deliver_all();
  reqs = rx.Requests("/hook");
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(nlohmann::json::parse(reqs[2].body)["event"], "resolve");
}

TEST(NotifierTest, StopWithoutStartAndTwiceIsHarmless) {
  testing::TempDir dir;
  auto store = OpenSqlite(dir);
  Notifier n(store, {}, FastOptions());
  n.Stop();
  n.Start();
  n.Stop();
  n.Stop();
  Alerter a(store, AlerterOptions{});
  a.Stop();
  a.Start();
  a.Stop();
  a.Stop();
}

}  // namespace
}  // namespace steward
