// Conformance: alerts and the notification outbox (store/alert_store.h),
// on every backend.
#include <algorithm>
#include <atomic>
#include <latch>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "store/store_fixture.h"

namespace steward::testing {
namespace {

using namespace std::chrono_literals;
using Change = AlertUpsertResult::Change;

class AlertStoreTest : public StoreTest {
 protected:
  AlertUpsertParams Fire(const std::string& fp, Timestamp now, int64_t count = 1) {
    AlertUpsertParams p;
    p.fingerprint = fp;
    p.rule = "job_discarded";
    p.labels_json = R"({"kind":"email"})";
    p.summary = "Jobs of kind email discarded";
    p.detail = "smtp: connection refused";
    p.job_id = 42;
    p.count = count;
    p.now = now;
    p.repeat_interval = 4h;
    p.channels = {"slack", "webhook"};
    return p;
  }
  AlertUpsertParams ResolveP(const std::string& fp, Timestamp now) {
    AlertUpsertParams p = Fire(fp, now);
    p.action = AlertUpsertParams::Action::kResolve;
    return p;
  }
  std::vector<OutboxRow> All() {
    OutboxListParams p;
    auto r = store().OutboxList(p);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<OutboxRow>{};
  }
  std::vector<OutboxRow> ClaimRows(const std::string& owner, Timestamp now, int limit = 50,
                                   Micros lease = 60s) {
    OutboxClaimParams p;
    p.owner = owner;
    p.now = now;
    p.lease_until = now + lease;
    p.limit = limit;
    auto r = store().OutboxClaim(p);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<OutboxRow>{};
  }
};

TEST_P(AlertStoreTest, OpenWritesOneRowPerChannelInTheSameTransaction) {
  auto r = store().AlertUpsert(Fire("job_discarded:kind=email", At(1)));
  ASSERT_OK(r);
  EXPECT_EQ(r->change, Change::kOpened);
  EXPECT_EQ(r->count, 1);
  ASSERT_EQ(r->enqueued.size(), 2u);
  auto rows = All();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].id, r->enqueued[0]);
  EXPECT_EQ(rows[0].channel, "slack");
  EXPECT_EQ(rows[1].channel, "webhook");
  for (const auto& row : rows) {
    EXPECT_EQ(row.event, "open");
    EXPECT_EQ(row.alert_id, r->alert_id);
    EXPECT_EQ(row.attempts, 0);
    EXPECT_FALSE(row.delivered_at.has_value());
    auto j = nlohmann::json::parse(row.payload_json);
    EXPECT_EQ(j["fingerprint"], "job_discarded:kind=email");
    EXPECT_EQ(j["labels"]["kind"], "email");
    EXPECT_EQ(j["count"], 1);
    EXPECT_EQ(j["job_id"], 42);
    EXPECT_EQ(j["detail"], "smtp: connection refused");
  }
  auto a = store().AlertGetOpen("job_discarded:kind=email");
  ASSERT_OK(a);
  EXPECT_TRUE(a->open);
  EXPECT_EQ(a->first_seen, At(1));
}

TEST_P(AlertStoreTest, RepeatsCountWithoutMessagesUntilTheRepeatInterval) {
  ASSERT_OK(store().AlertUpsert(Fire("fp", At(0))));
  auto r = store().AlertUpsert(Fire("fp", At(60), 999));
  ASSERT_OK(r);
  EXPECT_EQ(r->change, Change::kRepeated);
  EXPECT_EQ(r->count, 1000);
  EXPECT_TRUE(r->enqueued.empty());
  EXPECT_EQ(All().size(), 2u);
  // 4 h after the open notification: one reminder per channel.
  r = store().AlertUpsert(Fire("fp", At(4 * 3600)));
  ASSERT_OK(r);
  EXPECT_EQ(r->change, Change::kReminded);
  EXPECT_EQ(r->enqueued.size(), 2u);
  // ...and not again right after it.
  r = store().AlertUpsert(Fire("fp", At(4 * 3600 + 10)));
  ASSERT_OK(r);
  EXPECT_EQ(r->change, Change::kRepeated);
  auto rows = All();
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[2].event, "repeat");
  EXPECT_EQ(nlohmann::json::parse(rows[2].payload_json)["count"], 1001);
  auto a = store().AlertGetOpen("fp");
  ASSERT_OK(a);
  EXPECT_EQ(a->count, 1002);
  EXPECT_EQ(a->last_seen, At(4 * 3600 + 10));
}

TEST_P(AlertStoreTest, ResolveEnqueuesAndTheNextFiringOpensANewAlert) {
  auto opened = store().AlertUpsert(Fire("fp", At(0)));
  ASSERT_OK(opened);
  auto r = store().AlertUpsert(ResolveP("fp", At(100)));
  ASSERT_OK(r);
  EXPECT_EQ(r->change, Change::kResolved);
  EXPECT_EQ(r->enqueued.size(), 2u);
  EXPECT_THAT(store().AlertGetOpen("fp"), StatusIs(StatusCode::kNotFound));
  // Resolving again is a no-op without rows.
  r = store().AlertUpsert(ResolveP("fp", At(101)));
  ASSERT_OK(r);
  EXPECT_EQ(r->change, Change::kNone);
  EXPECT_TRUE(r->enqueued.empty());
  auto again = store().AlertUpsert(Fire("fp", At(200)));
  ASSERT_OK(again);
  EXPECT_EQ(again->change, Change::kOpened);
  EXPECT_NE(again->alert_id, opened->alert_id);
  auto list = store().AlertList(false, 10);
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_TRUE((*list)[0].open);
  EXPECT_FALSE((*list)[1].open);
  EXPECT_EQ((*list)[1].resolved_at, At(100));
}

// Writes are batched and wait out outages: first_seen is when the first
// occurrence happened (occurred_at), not when the alert row was written.
TEST_P(AlertStoreTest, AnOpenAlertIsSeenSinceItsFirstOccurrence) {
  // Fires `fp` at `now` with an occurrence at `occurred`; the open alert's first_seen.
  auto first_seen_after = [&](const std::string& fp, Timestamp now, Timestamp occurred) {
    AlertUpsertParams p = Fire(fp, now);
    p.occurred_at = occurred;
    EXPECT_OK(store().AlertUpsert(p));
    auto a = store().AlertGetOpen(fp);
    EXPECT_OK(a);
    return a.ok() ? a->first_seen : Timestamp{};
  };
  EXPECT_EQ(first_seen_after("fp", At(10), At(3)), At(3));
  auto open = store().AlertGetOpen("fp");
  ASSERT_OK(open);
  EXPECT_EQ(open->last_seen, At(10));
  auto rows = All();
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(nlohmann::json::parse(rows[0].payload_json)["first_seen"], ToMicros(At(3)));
  // Later occurrences of the open alert do not move it.
  EXPECT_EQ(first_seen_after("fp", At(20), At(15)), At(3));
  // An occurrence "after now" is taken as now.
  EXPECT_EQ(first_seen_after("fp2", At(5), At(9)), At(5));
}

TEST_P(AlertStoreTest, InvalidParamsAreRefusedAndWriteNothing) {
  AlertUpsertParams p = Fire("", At(0));
  EXPECT_THAT(store().AlertUpsert(p), StatusIs(StatusCode::kInvalidArgument));
  p = Fire("fp", At(0));
  p.count = 0;
  EXPECT_THAT(store().AlertUpsert(p), StatusIs(StatusCode::kInvalidArgument));
  p = Fire("fp", At(0));
  p.labels_json = "[1]";
  EXPECT_THAT(store().AlertUpsert(p), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_TRUE(All().empty());
}

TEST_P(AlertStoreTest, ClaimLeasesDeliverAndRetry) {
  ASSERT_OK(store().AlertUpsert(Fire("fp", At(0))));
  auto rows = ClaimRows("n1", At(1));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].attempts, 1);
  EXPECT_EQ(rows[0].lease_owner, "n1");
  // Leased rows are not handed out again before the lease ends.
  EXPECT_TRUE(ClaimRows("n2", At(2)).empty());
  auto ok = store().OutboxMarkDelivered(rows[0].id, "n1", At(3));
  ASSERT_OK(ok);
  EXPECT_TRUE(*ok);
  // Someone else cannot complete a row it does not hold.
  auto stolen = store().OutboxMarkDelivered(rows[1].id, "n2", At(3));
  ASSERT_OK(stolen);
  EXPECT_FALSE(*stolen);
  auto failed = store().OutboxMarkFailed(rows[1].id, "n1", At(3), At(30), "HTTP 503", false);
  ASSERT_OK(failed);
  EXPECT_TRUE(*failed);
  EXPECT_TRUE(ClaimRows("n2", At(29)).empty());  // not due yet
  auto again = ClaimRows("n2", At(30));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].id, rows[1].id);
  EXPECT_EQ(again[0].attempts, 2);
  EXPECT_EQ(again[0].last_error, "HTTP 503");
  // The lease of n2 expires unfinished: another claimer takes the row over.
  auto taken = ClaimRows("n3", At(30 + 61));
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].attempts, 3);
  auto late = store().OutboxMarkDelivered(rows[1].id, "n2", At(92));
  ASSERT_OK(late);
  EXPECT_FALSE(*late);
  // Permanent failure: never claimed again.
  ASSERT_OK(store().OutboxMarkFailed(rows[1].id, "n3", At(92), At(92), "HTTP 404", true));
  EXPECT_TRUE(ClaimRows("n4", At(10000)).empty());
  OutboxListParams lp;
  lp.undelivered_only = true;
  auto pending = store().OutboxList(lp);
  ASSERT_OK(pending);
  EXPECT_TRUE(pending->empty());
}

TEST_P(AlertStoreTest, ReleaseGivesUntriedRowsBackAtOnce) {
  ASSERT_OK(store().AlertUpsert(Fire("a", At(0))));
  ASSERT_OK(store().AlertUpsert(Fire("b", At(0))));
  auto rows = ClaimRows("n1", At(1));
  ASSERT_EQ(rows.size(), 4u);
  ASSERT_OK(store().OutboxMarkFailed(rows[3].id, "n1", At(2), At(2), "HTTP 503", false));
  // Only the holder's unfinished rows: not another owner's, not a finished one.
  std::vector<int64_t> ids = {rows[0].id, rows[1].id, rows[3].id};
  auto none = store().OutboxRelease(ids, "n2");
  ASSERT_OK(none);
  EXPECT_EQ(*none, 0);
  auto released = store().OutboxRelease(ids, "n1");
  ASSERT_OK(released);
  EXPECT_EQ(*released, 2);  // rows[3] was already given back
  auto empty = store().OutboxRelease({}, "n1");
  ASSERT_OK(empty);
  EXPECT_EQ(*empty, 0);
  // Claimable at once, by anyone, with the attempt undone; rows[2] is still
  // leased to n1.
  auto again = ClaimRows("n2", At(2));
  std::vector<int64_t> got;
  for (const auto& r : again) got.push_back(r.id);
  EXPECT_THAT(got, ::testing::UnorderedElementsAre(rows[0].id, rows[1].id, rows[3].id));
  for (const auto& r : again) {
    EXPECT_EQ(r.attempts, r.id == rows[3].id ? 2 : 1) << r.id;
    EXPECT_EQ(r.last_error.has_value(), r.id == rows[3].id) << r.id;
  }
}

TEST_P(AlertStoreTest, RowsOfOneAlertAreHandedOutInOrderPerChannel) {
  AlertUpsertParams p = Fire("fp", At(0));
  p.channels = {"slack"};
  ASSERT_OK(store().AlertUpsert(p));
  AlertUpsertParams r = ResolveP("fp", At(1));
  r.channels = {"slack"};
  ASSERT_OK(store().AlertUpsert(r));
  // The resolve waits while the open is pending, even when the open is
  // failing and scheduled for later.
  auto first = ClaimRows("n1", At(2));
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].event, "open");
  ASSERT_OK(store().OutboxMarkFailed(first[0].id, "n1", At(2), At(100), "down", false));
  EXPECT_TRUE(ClaimRows("n1", At(50)).empty());
  auto open_again = ClaimRows("n1", At(100));
  ASSERT_EQ(open_again.size(), 1u);
  EXPECT_EQ(open_again[0].event, "open");
  ASSERT_OK(store().OutboxMarkDelivered(open_again[0].id, "n1", At(101)));
  auto resolve = ClaimRows("n1", At(101));
  ASSERT_EQ(resolve.size(), 1u);
  EXPECT_EQ(resolve[0].event, "resolve");
}

TEST_P(AlertStoreTest, ClaimReportsTheAlertsLiveCount) {
  ASSERT_OK(store().AlertUpsert(Fire("fp", At(0))));
  ASSERT_OK(store().AlertUpsert(Fire("fp", At(5), 1499)));
  auto rows = ClaimRows("n1", At(6));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(rows[0].payload_json)["count"], 1);
  EXPECT_EQ(rows[0].alert_count, 1500);
  EXPECT_EQ(rows[0].alert_last_seen, At(5));
}

TEST_P(AlertStoreTest, StandaloneMessagesAndRetention) {
  auto id = store().OutboxEnqueue("email", "test", R"({"summary":"hello"})", At(0));
  ASSERT_OK(id);
  auto rows = ClaimRows("n1", At(0));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].id, *id);
  EXPECT_FALSE(rows[0].alert_id.has_value());
  ASSERT_OK(store().OutboxMarkDelivered(*id, "n1", At(1)));
  auto deleted = store().OutboxDeleteFinished(At(1), 100);
  ASSERT_OK(deleted);
  EXPECT_EQ(*deleted, 0);  // delivered at At(1), not before it
  deleted = store().OutboxDeleteFinished(At(2), 100);
  ASSERT_OK(deleted);
  EXPECT_EQ(*deleted, 1);
  EXPECT_TRUE(All().empty());
}

TEST_P(AlertStoreTest, ConcurrentClaimersNeverGetTheSameRow) {
  for (int i = 0; i < 40; ++i) {
    AlertUpsertParams p = Fire("fp-" + std::to_string(i), At(0));
    p.channels = {"slack", "webhook", "email"};
    ASSERT_OK(store().AlertUpsert(p));
  }
  std::mutex mu;
  std::vector<int64_t> got;
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        OutboxClaimParams p;
        p.owner = "claimer-" + std::to_string(t);
        p.now = At(1);
        p.lease_until = At(100);
        p.limit = 3;
        auto r = store().OutboxClaim(p);
        if (!r.ok()) {
          // SQLite may report busy under contention; that is a retry, not a duplicate.
          if (r.status().code() != StatusCode::kUnavailable) ++errors;
          continue;
        }
        std::lock_guard lock(mu);
        for (const auto& row : *r) got.push_back(row.id);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
  std::set<int64_t> unique(got.begin(), got.end());
  EXPECT_EQ(unique.size(), got.size()) << "a row was claimed twice";
  EXPECT_EQ(got.size(), 120u);
}

TEST_P(AlertStoreTest, FiringKeepsWhatItDoesNotSayAndResolveKeepsTheCount) {
  ASSERT_OK(store().AlertUpsert(Fire("fp", At(0))));
  // A later firing without summary, detail or job: the alert keeps its own.
  AlertUpsertParams quiet = Fire("fp", At(10), 2);
  quiet.summary.clear();
  quiet.detail.clear();
  quiet.job_id.reset();
  ASSERT_OK(store().AlertUpsert(quiet));
  auto a = store().AlertGetOpen("fp");
  ASSERT_OK(a);
  EXPECT_EQ(a->summary, "Jobs of kind email discarded");
  EXPECT_EQ(a->detail, "smtp: connection refused");
  EXPECT_EQ(a->job_id, 42);
  EXPECT_EQ(a->count, 3);
  // One that says them replaces them.
  AlertUpsertParams loud = Fire("fp", At(20));
  loud.summary = "Jobs of kind email keep failing";
  loud.detail = "smtp: 550 mailbox full";
  loud.job_id = 43;
  ASSERT_OK(store().AlertUpsert(loud));
  a = store().AlertGetOpen("fp");
  ASSERT_OK(a);
  EXPECT_EQ(a->summary, "Jobs of kind email keep failing");
  EXPECT_EQ(a->detail, "smtp: 550 mailbox full");
  EXPECT_EQ(a->job_id, 43);
  EXPECT_EQ(a->last_seen, At(20));
  EXPECT_EQ(a->last_notified_at, At(0));  // repeats within the interval notify nobody

  // The resolve takes its detail, keeps the count, and its message says both.
  AlertUpsertParams resolve = ResolveP("fp", At(30));
  resolve.detail = "delivered again";
  auto r = store().AlertUpsert(resolve);
  ASSERT_OK(r);
  EXPECT_EQ(r->count, 4);
  auto list = store().AlertList(false, 10);
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_FALSE((*list)[0].open);
  EXPECT_EQ((*list)[0].detail, "delivered again");
  EXPECT_EQ((*list)[0].count, 4);
  EXPECT_EQ((*list)[0].summary, "Jobs of kind email keep failing");
  auto rows = All();
  ASSERT_EQ(rows.size(), 4u);  // open x2, resolve x2
  auto j = nlohmann::json::parse(rows[3].payload_json);
  EXPECT_EQ(rows[3].event, "resolve");
  EXPECT_EQ(j["detail"], "delivered again");
  EXPECT_EQ(j["count"], 4);
}

TEST_P(AlertStoreTest, AChangeWithoutChannelsWritesNoRows) {
  AlertUpsertParams p = Fire("fp", At(0));
  p.channels.clear();
  auto r = store().AlertUpsert(p);
  ASSERT_OK(r);
  EXPECT_EQ(r->change, Change::kOpened);
  EXPECT_TRUE(r->enqueued.empty());
  EXPECT_TRUE(All().empty());
  EXPECT_OK(store().AlertGetOpen("fp"));
}

TEST_P(AlertStoreTest, ConcurrentFirstFiringsOpenOneAlert) {
  constexpr int kThreads = 6;
  std::latch start(kThreads);
  std::atomic<int> opened{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      auto r = store().AlertUpsert(Fire("fp", At(0)));
      if (!r.ok()) {
        ++failed;
        return;
      }
      if (r->change == Change::kOpened) ++opened;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(opened.load(), 1);
  auto a = store().AlertGetOpen("fp");
  ASSERT_OK(a);
  EXPECT_EQ(a->count, kThreads);
  EXPECT_EQ(All().size(), 2u);  // one open message per channel, once
}

// --- acknowledgement and silence (dashboard) -------------------------------------

TEST_P(AlertStoreTest, AlertGetReadsOpenAndResolvedAlertsById) {
  auto opened = store().AlertUpsert(Fire("fp", At(1)));
  ASSERT_OK(opened);
  auto a = store().AlertGet(opened->alert_id);
  ASSERT_OK(a);
  EXPECT_EQ(a->fingerprint, "fp");
  EXPECT_TRUE(a->open);
  EXPECT_FALSE(a->acked_at.has_value());
  EXPECT_EQ(a->acked_by, "");
  EXPECT_FALSE(a->silenced_until.has_value());
  ASSERT_OK(store().AlertUpsert(ResolveP("fp", At(2))));
  a = store().AlertGet(opened->alert_id);
  ASSERT_OK(a);
  EXPECT_FALSE(a->open);
  EXPECT_EQ(a->resolved_at, At(2));
  EXPECT_THAT(store().AlertGet(opened->alert_id + 1000), StatusIs(StatusCode::kNotFound));
}

TEST_P(AlertStoreTest, AcknowledgeRecordsWhoAndWhenAndOnlyOnOpenAlerts) {
  auto opened = store().AlertUpsert(Fire("fp", At(1)));
  ASSERT_OK(opened);
  ASSERT_OK(store().AlertAcknowledge(opened->alert_id, "ops", std::nullopt, At(5)));
  auto a = store().AlertGet(opened->alert_id);
  ASSERT_OK(a);
  EXPECT_EQ(a->acked_at, At(5));
  EXPECT_EQ(a->acked_by, "ops");
  EXPECT_FALSE(a->silenced_until.has_value());
  // The list and the open-alert read carry it too.
  auto open = store().AlertGetOpen("fp");
  ASSERT_OK(open);
  EXPECT_EQ(open->acked_by, "ops");
  auto list = store().AlertList(true, 10);
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].acked_at, At(5));

  // A later acknowledgement with a silence sets it; one without keeps it.
  ASSERT_OK(store().AlertAcknowledge(opened->alert_id, "dev", At(3600), At(6)));
  ASSERT_OK(store().AlertAcknowledge(opened->alert_id, "dev", std::nullopt, At(7)));
  a = store().AlertGet(opened->alert_id);
  ASSERT_OK(a);
  EXPECT_EQ(a->acked_by, "dev");
  EXPECT_EQ(a->acked_at, At(7));
  EXPECT_EQ(a->silenced_until, At(3600));

  ASSERT_OK(store().AlertUpsert(ResolveP("fp", At(8))));
  EXPECT_THAT(store().AlertAcknowledge(opened->alert_id, "ops", std::nullopt, At(9)),
              StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(store().AlertAcknowledge(opened->alert_id + 1000, "ops", std::nullopt, At(9)),
              StatusIs(StatusCode::kNotFound));
}

TEST_P(AlertStoreTest, SilencedAlertSendsNoReminderButResolveDoes) {
  auto opened = store().AlertUpsert(Fire("fp", At(0)));
  ASSERT_OK(opened);
  const size_t after_open = All().size();
  const Timestamp until = At(0) + 24h;
  ASSERT_OK(store().AlertAcknowledge(opened->alert_id, "ops", until, At(60)));

  // Past repeat_interval (4h) while silenced: counted, not reminded.
  auto fired = store().AlertUpsert(Fire("fp", At(0) + 5h, 3));
  ASSERT_OK(fired);
  EXPECT_EQ(fired->change, Change::kRepeated);
  EXPECT_THAT(fired->enqueued, ::testing::IsEmpty());
  EXPECT_EQ(fired->count, 4);
  EXPECT_EQ(All().size(), after_open);
  auto a = store().AlertGet(opened->alert_id);
  ASSERT_OK(a);
  EXPECT_EQ(a->last_seen, At(0) + 5h);

  // Resolve still notifies, and says who acknowledged and the silence.
  auto resolved = store().AlertUpsert(ResolveP("fp", At(0) + 6h));
  ASSERT_OK(resolved);
  EXPECT_EQ(resolved->change, Change::kResolved);
  ASSERT_EQ(resolved->enqueued.size(), 2u);
  const auto rows = All();
  ASSERT_EQ(rows.size(), after_open + 2);
  auto payload = nlohmann::json::parse(rows.back().payload_json);
  EXPECT_EQ(payload["event"], "resolve");
  EXPECT_EQ(payload["acked_by"], "ops");
  EXPECT_EQ(payload["acked_at"], ToMicros(At(60)));
  EXPECT_EQ(payload["silenced_until"], ToMicros(until));
}

TEST_P(AlertStoreTest, RemindersResumeWhenTheSilenceEnds) {
  auto opened = store().AlertUpsert(Fire("fp", At(0)));
  ASSERT_OK(opened);
  ASSERT_OK(store().AlertAcknowledge(opened->alert_id, "ops", At(0) + 1h, At(1)));
  auto fired = store().AlertUpsert(Fire("fp", At(0) + 5h));
  ASSERT_OK(fired);
  EXPECT_EQ(fired->change, Change::kReminded);
  EXPECT_EQ(fired->enqueued.size(), 2u);
}

STEWARD_INSTANTIATE_STORE_SUITE(AlertStoreTest);

}  // namespace
}  // namespace steward::testing
