// PostgreSQL: a deadlock or serialization conflict is not an outage, and the
// store's own statements cannot deadlock each other. The heartbeat's lease
// extension and complete_jobs() once locked overlapping jobs in different
// orders and deadlocked under load; the deadlock then surfaced as
// "database unavailable" although the database was up.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <latch>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "store/conflict_retry.h"
#include "store/postgres/pg_conn.h"
#include "store/postgres_open.h"
#include "store/store_fixture.h"
#include "support/eventually.h"
#include "support/pg_admin.h"
#include "support/pg_harness.h"

namespace steward::testing {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

// Raises `errcode` (a PostgreSQL condition name) from the server.
std::string RaiseSql(const std::string& errcode) {
  return "DO $$ BEGIN RAISE EXCEPTION 'raised on purpose' USING ERRCODE = '" + errcode +
         "'; END $$";
}

TEST(PostgresErrorTest, ServerErrorsBecomeTypedStatuses) {
  auto store = OpenMigratedPostgres(PostgresFreshDatabaseUrl());
  ASSERT_NE(store, nullptr);
  auto conn = store->pool().Acquire("test");
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  auto raise = [&](const std::string& errcode) {
    return pg::Exec(conn->get(), "raising", RaiseSql(errcode).c_str()).status();
  };

  // 53100: a full disk, typed, so HTTP answers 507 without reading text.
  Status full = raise("disk_full");
  EXPECT_EQ(full.code(), StatusCode::kResourceExhausted) << full.ToString();
  EXPECT_TRUE(full.disk_full()) << full.ToString();
  EXPECT_THAT(full.message(), HasSubstr("53100"));
  EXPECT_TRUE(full.WithContext("completing jobs").disk_full());

  // Other class 53 states are exhausted resources, not a full disk.
  Status oom = raise("out_of_memory");
  EXPECT_EQ(oom.code(), StatusCode::kResourceExhausted) << oom.ToString();
  EXPECT_FALSE(oom.disk_full());

  // Lost conflicts: kAborted, never kUnavailable (the database is up).
  EXPECT_EQ(raise("deadlock_detected").code(), StatusCode::kAborted);
  EXPECT_EQ(raise("serialization_failure").code(), StatusCode::kAborted);
}

TEST(PostgresErrorTest, LostConflictsRunAgainABoundedNumberOfTimes) {
  auto store = OpenMigratedPostgres(PostgresFreshDatabaseUrl());
  ASSERT_NE(store, nullptr);
  auto conn = store->pool().Acquire("test");
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  PGconn* c = conn->get();
  // nextval() is not rolled back, so the sequence counts the runs.
  ASSERT_TRUE(pg::Exec(c, "setup", "CREATE SEQUENCE runs").ok());
  const std::string deadlock =
      "DO $$ BEGIN PERFORM nextval('runs'); RAISE EXCEPTION 'deadlock on purpose' "
      "USING ERRCODE = 'deadlock_detected'; END $$";
  auto runs = [&] {
    auto r = pg::Exec(c, "reading runs", "SELECT last_value FROM runs");
    return r.ok() ? pg::GetInt64(r->get(), 0, 0) : -1;
  };

  // A statement that is its own transaction runs again, kConflictAttempts
  // times in all, then reports kAborted.
  Status st = pg::Exec(c, "deadlocking", deadlock.c_str()).status();
  EXPECT_EQ(st.code(), StatusCode::kAborted) << st.ToString();
  EXPECT_EQ(runs(), kConflictAttempts);

  // Inside the caller's transaction block it is not run again: the block is
  // aborted, and the caller decides.
  ASSERT_TRUE(pg::Exec(c, "begin", "BEGIN").ok());
  EXPECT_EQ(pg::Exec(c, "deadlocking", deadlock.c_str()).status().code(), StatusCode::kAborted);
  ASSERT_TRUE(pg::Exec(c, "rollback", "ROLLBACK").ok());
  EXPECT_EQ(runs(), kConflictAttempts + 1);
}

// Lease extensions (the heartbeat) and completions over the same running
// jobs, concurrently, through a 5-connection pool, for a few seconds: no
// call fails. Before every multi-row lock was taken in id order, this
// deadlocked (40P01) and the worker logged "database unavailable".
TEST(PostgresConflictTest, LeaseExtensionsAndCompletionsNeverDeadlock) {
  const std::string db_url = PostgresFreshDatabaseUrl();
  const std::string url =
      db_url + (db_url.find('?') == std::string::npos ? "?" : "&") + "pool_max=5";
  auto store = OpenMigratedPostgres(url);
  ASSERT_NE(store, nullptr);

  constexpr int kJobs = 120;
  constexpr size_t kBatch = 10;
  std::mutex errors_mu;
  std::vector<std::string> errors;
  auto record = [&](const Status& st) {
    std::lock_guard lock(errors_mu);
    errors.push_back(st.ToString());
  };
  int64_t extensions = 0, completions = 0;
  int rounds = 0;
  const auto stop_at = std::chrono::steady_clock::now() + 3s;
  while (std::chrono::steady_clock::now() < stop_at) {
    ++rounds;
    std::vector<NewJob> jobs(kJobs);
    for (auto& j : jobs) j.kind = "test.conflict";
    ASSERT_TRUE(store->JobInsertMany(jobs, T0()).ok());
    JobClaimParams claim;
    claim.queue = "default";
    claim.worker_id = "w";
    claim.limit = kJobs;
    claim.now = T0();
    claim.lease_until = T0() + 60s;
    auto claimed = store->JobClaim(claim);
    ASSERT_TRUE(claimed.ok()) << claimed.status().ToString();
    ASSERT_EQ(claimed->size(), static_cast<size_t>(kJobs));
    std::vector<int64_t> ids;
    for (const Job& j : *claimed) ids.push_back(j.id);

    std::atomic<int> completers_left{2};
    std::atomic<int64_t> extended{0}, applied{0};
    std::latch start(4);
    std::vector<std::thread> threads;
    for (int h = 0; h < 2; ++h) {
      threads.emplace_back([&, h] {
        std::mt19937 rng(static_cast<unsigned>(rounds * 10 + h));
        std::vector<int64_t> mine = ids;
        start.arrive_and_wait();
        while (completers_left.load() > 0) {
          std::shuffle(mine.begin(), mine.end(), rng);
          auto r = store->JobExtendLeases("w", mine, T0() + 120s);
          if (!r.ok()) record(r.status());
          extended.fetch_add(1);
        }
      });
    }
    for (int k = 0; k < 2; ++k) {
      threads.emplace_back([&, k] {
        // Each completer takes every other job, newest first, in batches.
        std::vector<JobCompletion> mine;
        for (size_t i = ids.size(); i-- > 0;) {
          if (static_cast<int>(i % 2) != k) continue;
          JobCompletion c;
          c.id = ids[i];
          c.worker_id = "w";
          c.attempt = 1;
          c.finished_at = T0() + 1s;
          mine.push_back(c);
        }
        start.arrive_and_wait();
        for (size_t at = 0; at < mine.size(); at += kBatch) {
          const size_t n = std::min(kBatch, mine.size() - at);
          auto r = store->JobCompleteMany(std::span<const JobCompletion>(mine).subspan(at, n));
          if (!r.ok()) {
            record(r.status());
            continue;
          }
          for (const auto& res : *r) applied.fetch_add(res.applied ? 1 : 0);
        }
        completers_left.fetch_sub(1);
      });
    }
    for (auto& t : threads) t.join();
    extensions += extended.load();
    completions += applied.load();
    ASSERT_TRUE(errors.empty()) << "round " << rounds << ": " << errors.front();
    EXPECT_EQ(applied.load(), kJobs) << "round " << rounds;
  }
  EXPECT_GT(extensions, 0);
  EXPECT_EQ(completions, static_cast<int64_t>(rounds) * kJobs);

  // The store retries a lost deadlock, so "no error" alone would not show
  // that none happened: the server counts them. A backend's counters are
  // flushed when it exits, before it leaves pg_stat_activity.
  store.reset();
  PgAdmin admin(db_url);
  ASSERT_TRUE(Eventually([&] {
    return admin.Int(
               "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
               "AND pid <> pg_backend_pid()") == 0;
  }));
  EXPECT_EQ(admin.Int("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"),
            0);
}

}  // namespace
}  // namespace steward::testing
