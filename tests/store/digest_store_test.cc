// Conformance: what the daily digest reads and writes (alert_store.h,
// "daily digest" block), on every backend.
#include <atomic>
#include <thread>

#include <nlohmann/json.hpp>

#include "store/store_fixture.h"

namespace steward::testing {
namespace {

using namespace std::chrono_literals;
using Kind = JobCompletion::Kind;

class DigestStoreTest : public StoreTest {
 protected:
  // Claims the job with this id's queue and finishes it with `kind` at `at`.
  void Finish(const std::string& queue, Kind kind, Timestamp at) {
    auto jobs = Claim(queue, 1, at - 1s);
    ASSERT_EQ(jobs.size(), 1u);
    JobCompletion c = Completion(jobs[0], kind, at);
    if (kind != Kind::kCompleted) {
      AttemptError e;
      e.attempt = jobs[0].attempt;
      e.at = at;
      e.message = "boom";
      c.error = e;
    }
    ASSERT_TRUE(Complete(c).applied);
  }
  void FireAlert(const std::string& fp, Timestamp at) {
    AlertUpsertParams p;
    p.fingerprint = fp;
    p.rule = "job_discarded";
    p.now = at;
    ASSERT_OK(store().AlertUpsert(p));
  }
  void ResolveAlert(const std::string& fp, Timestamp at) {
    AlertUpsertParams p;
    p.action = AlertUpsertParams::Action::kResolve;
    p.fingerprint = fp;
    p.now = at;
    ASSERT_OK(store().AlertUpsert(p));
  }
  static OutboxEnqueueOnceParams Once(const std::string& key) {
    OutboxEnqueueOnceParams p;
    p.dedup_key = key;
    p.rows = {{"slack", R"({"summary":"digest"})"}, {"webhook", R"({"summary":"digest"})"}};
    p.now = At(1);
    return p;
  }
};

TEST_P(DigestStoreTest, ActivityCountsFinishedJobsFailedAttemptsAndAlertsOfTheWindow) {
  NewJob mail = MakeJob("send", "mail");
  mail.max_attempts = 1;  // a failure discards
  InsertN(4, mail);
  NewJob def = MakeJob("sync", "default");
  def.max_attempts = 5;  // a failure is retried
  InsertN(2, def);
  Finish("mail", Kind::kCompleted, At(100));
  Finish("mail", Kind::kCompleted, At(110));
  Finish("mail", Kind::kDiscard, At(120));
  Finish("mail", Kind::kCompleted, At(5000));  // after the window
  Finish("default", Kind::kCompleted, At(100));
  Finish("default", Kind::kRetry, At(130));  // retryable: a failed attempt, not a finished job

  FireAlert("a:opened", At(60));
  FireAlert("b:resolved", At(10));
  ResolveAlert("b:resolved", At(70));
  FireAlert("c:later", At(1500));

  ActivitySummarizeParams p;
  p.since = At(50);
  p.until = At(1000);
  auto r = store().ActivitySummarize(p);
  ASSERT_OK(r);
  ASSERT_EQ(r->queues.size(), 2u);
  const QueueActivity& d = r->queues[0];
  const QueueActivity& m = r->queues[1];
  EXPECT_EQ(d.queue, "default");
  EXPECT_EQ(d.completed, 1);
  EXPECT_EQ(d.discarded, 0);
  EXPECT_EQ(d.failed_attempts, 1);
  EXPECT_EQ(m.queue, "mail");
  EXPECT_EQ(m.completed, 2);
  EXPECT_EQ(m.discarded, 1);
  EXPECT_EQ(m.cancelled, 0);
  EXPECT_EQ(m.failed_attempts, 1);
  EXPECT_EQ(r->alerts_opened, 1);
  EXPECT_EQ(r->alerts_resolved, 1);
  ASSERT_EQ(r->alerts.size(), 2u);
  EXPECT_EQ(r->alerts[0].fingerprint, "b:resolved");  // newest first (by id)
  EXPECT_FALSE(r->alerts[0].open);
  EXPECT_EQ(r->alerts[1].fingerprint, "a:opened");

  // An empty window is empty, not an error.
  p.since = At(10000);
  p.until = At(20000);
  r = store().ActivitySummarize(p);
  ASSERT_OK(r);
  EXPECT_TRUE(r->queues.empty());
  EXPECT_EQ(r->alerts_opened, 0);
  EXPECT_TRUE(r->alerts.empty());
}

TEST_P(DigestStoreTest, EnqueueOnceWritesOneSetPerKey) {
  auto first = store().OutboxEnqueueOnce(Once("digest:2026-11-27"));
  ASSERT_OK(first);
  ASSERT_EQ(first->size(), 2u);
  auto again = store().OutboxEnqueueOnce(Once("digest:2026-11-27"));
  ASSERT_OK(again);
  EXPECT_TRUE(again->empty());
  auto next_day = store().OutboxEnqueueOnce(Once("digest:2026-11-28"));
  ASSERT_OK(next_day);
  EXPECT_EQ(next_day->size(), 2u);

  auto rows = store().OutboxList(OutboxListParams{});
  ASSERT_OK(rows);
  ASSERT_EQ(rows->size(), 4u);
  EXPECT_EQ((*rows)[0].channel, "slack");
  EXPECT_EQ((*rows)[1].channel, "webhook");
  for (const auto& row : *rows) {
    EXPECT_EQ(row.event, "digest");
    EXPECT_FALSE(row.alert_id.has_value());
    auto j = nlohmann::json::parse(row.payload_json);
    EXPECT_EQ(j["summary"], "digest");
    EXPECT_EQ(j["dedup_key"].get<std::string>().substr(0, 7), "digest:");
  }
  // Claimable like any row.
  OutboxClaimParams cp;
  cp.owner = "n";
  cp.now = At(2);
  cp.lease_until = At(60);
  auto claimed = store().OutboxClaim(cp);
  ASSERT_OK(claimed);
  EXPECT_EQ(claimed->size(), 4u);

  OutboxEnqueueOnceParams bad = Once("");
  EXPECT_THAT(store().OutboxEnqueueOnce(bad), StatusIs(StatusCode::kInvalidArgument));
  bad = Once("k");
  bad.rows = {{"slack", "[1,2]"}};
  EXPECT_THAT(store().OutboxEnqueueOnce(bad), StatusIs(StatusCode::kInvalidArgument));
}

TEST_P(DigestStoreTest, ConcurrentCallersWriteOneSet) {
  std::atomic<int> written{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        auto r = store().OutboxEnqueueOnce(Once("digest:2026-12-01"));
        if (r.ok()) {
          written += static_cast<int>(r->size());
        } else {
          ++failed;  // a busy database may refuse; the caller retries later
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(written.load(), 2);
  auto rows = store().OutboxList(OutboxListParams{});
  ASSERT_OK(rows);
  EXPECT_EQ(rows->size(), 2u);
  EXPECT_EQ(failed.load(), 0);
}

STEWARD_INSTANTIATE_STORE_SUITE(DigestStoreTest);

}  // namespace
}  // namespace steward::testing
