// PostgreSQL queue stats come from counters that triggers keep
// (migration 0007), not from counting the jobs table. These tests hold the
// counters to the table itself: after several nodes claim and complete at
// once, and after other applications write jobs with plain SQL.
#include <gtest/gtest.h>

#include <latch>
#include <map>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "store/store.h"
#include "support/pg_admin.h"
#include "support/pg_harness.h"

namespace steward::testing {
namespace {

using namespace std::chrono_literals;
using Counts = std::map<std::tuple<std::string, std::string>, int64_t>;  // (queue, state) -> n

Timestamp T0() { return FromMicros(1'790'000'000'000'000); }

// Runs SQL on a connection of its own (another application).
void Sql(const std::string& url, const std::string& sql) { PgAdmin(url).Rows(sql); }

// What the jobs table itself says.
Counts CountedInTable(const std::string& url) {
  Counts out;
  for (const auto& row :
       PgAdmin(url).Rows("SELECT queue, state, count(*) FROM steward.jobs GROUP BY 1, 2")) {
    out[{row[0], row[1]}] = std::stoll(row[2]);
  }
  return out;
}

// What QueueStatsAll says, in the same shape (zero counts left out).
Counts FromStats(Store& store) {
  Counts out;
  auto stats = store.QueueStatsAll(T0());
  EXPECT_TRUE(stats.ok()) << stats.status().ToString();
  if (!stats.ok()) return out;
  for (const QueueStats& s : *stats) {
    const std::pair<const char*, int64_t> by_state[] = {
        {"scheduled", s.scheduled}, {"available", s.available}, {"running", s.running},
        {"retryable", s.retryable}, {"completed", s.completed}, {"discarded", s.discarded},
        {"cancelled", s.cancelled}};
    for (const auto& [state, n] : by_state) {
      if (n != 0) out[{s.queue, state}] = n;
    }
  }
  return out;
}

std::unique_ptr<Store> Open(const std::string& url) {
  auto s = OpenStore(url);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

TEST(PostgresQueueStatsTest, CountsMatchTheTableAfterConcurrentNodesAndOtherWriters) {
  const std::string url = PostgresFreshDatabaseUrl();
  auto first = Open(url);
  ASSERT_NE(first, nullptr);
  ASSERT_TRUE(first->Migrate().ok());

  // Four nodes, each with its own connections, insert, claim and finish
  // jobs of three queues at the same time, with every kind of outcome.
  constexpr int kNodes = 4;
  std::vector<std::unique_ptr<Store>> nodes;
  for (int n = 0; n < kNodes; ++n) nodes.push_back(Open(url));
  std::latch start(kNodes);
  std::vector<std::thread> threads;
  for (int n = 0; n < kNodes; ++n) {
    threads.emplace_back([&, n] {
      Store& store = *nodes[static_cast<size_t>(n)];
      start.arrive_and_wait();
      for (int round = 0; round < 10; ++round) {
        std::vector<NewJob> batch(20);
        for (size_t i = 0; i < batch.size(); ++i) {
          batch[i].kind = "k";
          batch[i].queue = "q" + std::to_string((n + static_cast<int>(i)) % 3);
          batch[i].max_attempts = 2;
          if (i % 7 == 0) batch[i].run_at = T0() + 1h;  // scheduled, not claimable yet
        }
        ASSERT_TRUE(store.JobInsertMany(batch, T0()).ok());
        const std::string worker = "node-" + std::to_string(n);
        auto claimed = store.JobClaim({.queue = "q" + std::to_string(round % 3),
                                       .limit = 12,
                                       .worker_id = worker,
                                       .now = T0(),
                                       .lease_until = T0() + 30s});
        ASSERT_TRUE(claimed.ok()) << claimed.status().ToString();
        std::vector<JobCompletion> done;
        for (size_t i = 0; i < claimed->size(); ++i) {
          if (i % 5 == 4) continue;  // left running
          JobCompletion c;
          c.id = (*claimed)[i].id;
          c.worker_id = worker;
          c.attempt = (*claimed)[i].attempt;
          c.finished_at = T0();
          c.retry_at = T0() + 1min;
          const JobCompletion::Kind kinds[] = {
              JobCompletion::Kind::kCompleted, JobCompletion::Kind::kRetry,
              JobCompletion::Kind::kDiscard, JobCompletion::Kind::kCancelled};
          c.kind = kinds[i % 4];
          if (c.kind == JobCompletion::Kind::kRetry || c.kind == JobCompletion::Kind::kDiscard) {
            c.error =
                AttemptError{.attempt = c.attempt, .at = T0(), .message = "boom", .detail = "", .worker = "", .duration = std::nullopt};
          }
          done.push_back(c);
        }
        ASSERT_TRUE(store.JobCompleteMany(done).ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(FromStats(*first), CountedInTable(url));

  // Other applications, with plain SQL: the enqueue() function, an update
  // and a delete behind Steward's back, and a rolled-back insert.
  Sql(url, "SELECT steward.enqueue('k', '{}', queue => 'other')");
  Sql(url,
      "UPDATE steward.jobs SET state = 'cancelled', finished_at = now() "
      "WHERE id IN (SELECT id FROM steward.jobs WHERE state = 'available' LIMIT 5)");
  Sql(url,
      "DELETE FROM steward.jobs WHERE id IN "
      "(SELECT id FROM steward.jobs WHERE state = 'completed' LIMIT 7)");
  Sql(url, "BEGIN; SELECT steward.enqueue('k', '{}', queue => 'ghost'); ROLLBACK");
  // Retention, through the store.
  ASSERT_TRUE(first
                  ->JobDeleteFinished(
                      {.completed_before = T0() + 1h, .failed_before = T0() + 1h, .limit = 3})
                  .ok());
  const Counts counted = CountedInTable(url);
  EXPECT_EQ(FromStats(*first), counted);
  EXPECT_EQ(counted.count({"ghost", "available"}), 0u);
  EXPECT_EQ(counted.at({"other", "available"}), 1);

  // The stats are read from the counters, not from the jobs: a count added
  // behind the triggers' back shows.
  Sql(url, "INSERT INTO steward.job_counts VALUES ('q0', 'completed', 99, 1000)");
  Counts skewed = counted;
  skewed[{"q0", "completed"}] += 1000;
  EXPECT_EQ(FromStats(*first), skewed);
  Sql(url, "DELETE FROM steward.job_counts WHERE shard = 99");

  // Emptied: no queue is listed any more.
  Sql(url, "TRUNCATE steward.jobs");
  auto stats = first->QueueStatsAll(T0());
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_TRUE(stats->empty());
}

}  // namespace
}  // namespace steward::testing
