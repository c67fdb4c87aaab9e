// PostgreSQL-only behaviour: concurrency on one database from many
// connections, the connection pool (bound, timeout, leak reports, broken
// connections), migrations under contention, LISTEN/NOTIFY between separate
// stores, and the SQL enqueue() function. Each test uses its own database in
// the throwaway cluster of tests/support/pg_harness.h.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <latch>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/postgres/pg_errors.h"
#include "store/postgres/postgres_store.h"
#include "store/postgres_open.h"
#include "support/pg_admin.h"
#include "support/pg_harness.h"

namespace steward::testing {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

Timestamp T0() { return FromMicros(1'790'000'000'000'000); }

NewJob Job(std::string queue = "default") {
  NewJob j;
  j.kind = "test.pg";
  j.queue = std::move(queue);
  return j;
}

// Waits (without sleeping) until `pred` holds or the timeout passes.
class Signal {
 public:
  void Notify(const std::string& value) {
    std::lock_guard lock(mu_);
    values_.insert(value);
    cv_.notify_all();
  }
  bool WaitFor(const std::string& value, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return values_.count(value) > 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> values_;
};

TEST(PostgresUrlTest, StripsStewardOptionsAndKeepsLibpqOnes) {
  auto o = ParsePostgresUrl(
      "postgres://u:p@h:5/db?sslmode=disable&schema=jobs_x&pool_max=3&pool_acquire_timeout_ms=250"
      "&pool_max_lifetime_s=60&pool_idle_timeout_s=30&leak_threshold_ms=900&connect_timeout=2");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->conninfo, "postgres://u:p@h:5/db?sslmode=disable&connect_timeout=2");
  EXPECT_EQ(o->schema, "jobs_x");
  EXPECT_EQ(o->pool.max_size, 3);
  EXPECT_EQ(o->pool.acquire_timeout, 250ms);
  EXPECT_EQ(o->pool.max_lifetime, Micros(60s));
  EXPECT_EQ(o->pool.idle_timeout, Micros(30s));
  EXPECT_EQ(o->pool.leak_threshold, 900ms);

  auto d = ParsePostgresUrl("postgresql://h/db");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->conninfo, "postgresql://h/db");
  EXPECT_EQ(d->schema, "steward");
  EXPECT_EQ(d->pool.max_size, 10);
  EXPECT_EQ(d->pool.acquire_timeout, 5000ms);
  EXPECT_EQ(d->pool.leak_threshold, 30000ms);

  EXPECT_EQ(ParsePostgresUrl("postgres://h/db?pool_max=0").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ParsePostgresUrl("postgres://h/db?schema=Bad-Name").status().code(),
            StatusCode::kInvalidArgument);
}

TEST(PostgresErrorsTest, MapsSqlStatesInOnePlace) {
  // Lost conflicts: the database is up, so not kUnavailable (no outage).
  EXPECT_EQ(pg::CodeForSqlState("40001"), StatusCode::kAborted);
  EXPECT_EQ(pg::CodeForSqlState("40P01"), StatusCode::kAborted);
  EXPECT_EQ(pg::CodeForSqlState("08006"), StatusCode::kUnavailable);
  EXPECT_EQ(pg::CodeForSqlState("57P01"), StatusCode::kUnavailable);
  EXPECT_EQ(pg::CodeForSqlState("23505"), StatusCode::kAlreadyExists);
  EXPECT_EQ(pg::CodeForSqlState("53300"), StatusCode::kResourceExhausted);
  EXPECT_EQ(pg::CodeForSqlState("53100"), StatusCode::kResourceExhausted);
  EXPECT_EQ(pg::CodeForSqlState("42501"), StatusCode::kPermissionDenied);
  EXPECT_EQ(pg::CodeForSqlState("42P01"), StatusCode::kFailedPrecondition);
  EXPECT_EQ(pg::CodeForSqlState("XX000"), StatusCode::kInternal);
}

TEST(PostgresStoreTest, OpenFailsClearlyWhenTheDatabaseIsMissing) {
  std::string admin = PostgresAdminUrl();
  auto store = OpenPostgresStore(admin.substr(0, admin.rfind('/')) + "/no_such_db");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition) << store.status().ToString();
  EXPECT_THAT(store.status().message(), HasSubstr("no_such_db"));
}

TEST(PostgresStoreTest, CapabilitiesAndSchemaVersion) {
  auto store = OpenPostgres(PostgresFreshDatabaseUrl());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Capabilities().backend, "postgres");
  // Through the Store interface, without knowing the backend.
  const Store& as_store = *store;
  auto pool = as_store.pool_stats();
  ASSERT_TRUE(pool.has_value());
  EXPECT_GT(pool->max, 0);
  auto before = store->SchemaVersion();
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  EXPECT_EQ(before->first, 0);
  EXPECT_EQ(before->second, static_cast<int>(PostgresMigrations().size()));
  ASSERT_TRUE(store->Migrate().ok());
  ASSERT_TRUE(store->Migrate().ok());  // idempotent
  auto after = store->SchemaVersion();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->first, after->second);
}

TEST(PostgresStoreTest, EightConnectionsInsertingOneUniqueKeyYieldOneJob) {
  std::string url = PostgresFreshDatabaseUrl();
  ASSERT_NE(OpenMigratedPostgres(url), nullptr);
  constexpr int kThreads = 8;
  std::vector<std::unique_ptr<PostgresStore>> stores;
  for (int i = 0; i < kThreads; ++i) {
    stores.push_back(OpenPostgres(url));
    ASSERT_NE(stores.back(), nullptr);
  }
  for (int round = 0; round < 5; ++round) {
    std::latch start(kThreads);
    std::vector<Result<std::vector<InsertedJob>>> results(kThreads, Internal("not run"));
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        NewJob j = Job();
        j.unique_key = "same-key-" + std::to_string(round);
        start.arrive_and_wait();
        results[i] = stores[i]->JobInsertMany(std::span<const NewJob>(&j, 1), T0());
      });
    }
    for (auto& t : threads) t.join();
    int inserted = 0;
    std::set<int64_t> ids;
    for (auto& r : results) {
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      ASSERT_EQ(r->size(), 1u);
      if (!(*r)[0].duplicate) ++inserted;
      ids.insert((*r)[0].id);
    }
    EXPECT_EQ(inserted, 1) << "round " << round;
    EXPECT_EQ(ids.size(), 1u) << "every caller must get the one job's id";
  }
  PgAdmin admin(url);
  EXPECT_EQ(admin.Int("SELECT count(*) FROM steward.jobs"), 5);
}

TEST(PostgresStoreTest, DuplicateKeysInsideOneBatchShareTheFirstId) {
  auto store = OpenMigratedPostgres(PostgresFreshDatabaseUrl());
  ASSERT_NE(store, nullptr);
  std::vector<NewJob> jobs(3, Job());
  jobs[0].unique_key = "k";
  jobs[2].unique_key = "k";
  auto r = store->JobInsertMany(jobs, T0());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE((*r)[0].duplicate);
  EXPECT_FALSE((*r)[1].duplicate);
  EXPECT_TRUE((*r)[2].duplicate);
  EXPECT_EQ((*r)[2].id, (*r)[0].id);
  EXPECT_LT((*r)[0].id, (*r)[1].id);  // ids follow input order
}

TEST(PostgresPoolTest, TwoHundredOperationsNeverExceedThePoolBound) {
  std::string url = PostgresFreshDatabaseUrl();
  auto store = OpenMigratedPostgres(url + "?pool_max=5");
  ASSERT_NE(store, nullptr);
  const std::string db = PgDatabaseName(url);

  std::atomic<bool> done{false};
  std::atomic<int64_t> max_seen{0};
  std::thread sampler([&] {
    PgAdmin admin(url);  // counts itself: it is in the same database
    while (!done.load()) {
      int64_t n = admin.Int(
          "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
          "AND backend_type = 'client backend'");
      int64_t prev = max_seen.load();
      while (n > prev && !max_seen.compare_exchange_weak(prev, n)) {
      }
      std::this_thread::sleep_for(1ms);  // pacing, not synchronisation
    }
  });

  constexpr int kThreads = 20;
  constexpr int kOpsPerThread = 10;  // 200 operations in all
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kOpsPerThread; ++i) {
        NewJob j = Job("q" + std::to_string(t % 4));
        auto ins = store->JobInsertMany(std::span<const NewJob>(&j, 1), T0());
        if (!ins.ok()) {
          ADD_FAILURE() << ins.status().ToString();
          ++failures;
          continue;
        }
        JobClaimParams p{.queue = j.queue, .limit = 2, .worker_id = "w" + std::to_string(t),
                         .now = T0(), .lease_until = T0() + 30s};
        auto claimed = store->JobClaim(p);
        if (!claimed.ok()) {
          ADD_FAILURE() << claimed.status().ToString();
          ++failures;
          continue;
        }
        std::vector<JobCompletion> done_jobs;
        for (const auto& c : *claimed) {
          JobCompletion done_job;
          done_job.id = c.id;
          done_job.worker_id = p.worker_id;
          done_job.attempt = c.attempt;
          done_job.finished_at = T0();
          done_jobs.push_back(std::move(done_job));
        }
        auto completed = store->JobCompleteMany(done_jobs);
        if (!completed.ok()) {
          ADD_FAILURE() << completed.status().ToString();
          ++failures;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  done = true;
  sampler.join();

  EXPECT_EQ(failures.load(), 0);
  // 5 pooled + 1 listener + the sampler itself.
  EXPECT_LE(max_seen.load(), 5 + 1 + 1);
  EXPECT_GE(max_seen.load(), 2);  // the sampler saw real activity
  auto stats = *store->pool_stats();
  EXPECT_EQ(stats.max, 5);
  EXPECT_EQ(stats.in_use, 0);
  EXPECT_LE(stats.idle, 5);
  EXPECT_GE(stats.acquired_total, 400);  // insert + claim (+ complete) each
  PgAdmin admin(url);
  EXPECT_EQ(admin.Int("SELECT count(*) FROM steward.jobs"), kThreads * kOpsPerThread);
}

TEST(PostgresPoolTest, AcquireTimeoutIsResourceExhaustedWithAClearMessage) {
  auto store = OpenMigratedPostgres(PostgresFreshDatabaseUrl() + "?pool_max=1&pool_acquire_timeout_ms=200");
  ASSERT_NE(store, nullptr);
  auto held = store->pool().Acquire("test:holder");
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  auto start = std::chrono::steady_clock::now();
  Status st = store->Ping();
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted) << st.ToString();
  EXPECT_THAT(st.message(), HasSubstr("connection pool exhausted: 1/1 in use, waited 200ms"));
  EXPECT_GE(waited, 200ms);
  EXPECT_EQ(store->pool_stats()->waiters, 0);
  held->Release();
  EXPECT_TRUE(store->Ping().ok());
}

TEST(PostgresPoolTest, ConnectionHeldPastTheThresholdIsReportedWithItsLabel) {
  // Migrated first by a store without the short threshold: on a loaded
  // machine migrating alone can hold a connection longer than 200 ms.
  const std::string url = PostgresFreshDatabaseUrl();
  ASSERT_NE(OpenMigratedPostgres(url), nullptr);
  auto store = OpenPostgres(url + "?leak_threshold_ms=200");
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->pool_stats()->leaks_detected, 0);
  {
    auto held = store->pool().Acquire("test:leaky-holder");
    ASSERT_TRUE(held.ok());
    // The background check reports the leak while it is still held.
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (store->pool_stats()->leaks_detected == 0 &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(20ms);  // polling a counter with a deadline
    }
    EXPECT_EQ(store->pool_stats()->leaks_detected, 1);
    EXPECT_EQ(store->pool_stats()->in_use, 1);
  }
  EXPECT_THAT(store->LastLeakReport(), HasSubstr("\"test:leaky-holder\""));
  EXPECT_THAT(store->LastLeakReport(), HasSubstr("leak threshold 200 ms"));
  // Reported once per lease, not again on release; short leases are fine.
  EXPECT_EQ(store->pool_stats()->leaks_detected, 1);
  EXPECT_TRUE(store->Ping().ok());
  EXPECT_EQ(store->pool_stats()->leaks_detected, 1);
}

TEST(PostgresPoolTest, IdleConnectionsAreClosedAfterTheIdleTimeout) {
  std::string url = PostgresFreshDatabaseUrl();
  auto store = OpenMigratedPostgres(url + "?pool_idle_timeout_s=1");
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->pool_stats()->idle, 1);
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (store->pool_stats()->idle > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(store->pool_stats()->idle, 0);
  EXPECT_TRUE(store->Ping().ok());
}

TEST(PostgresPoolTest, ConnectionsAreReplacedAfterTheirMaxLifetime) {
  auto store = OpenMigratedPostgres(PostgresFreshDatabaseUrl() + "?pool_max_lifetime_s=1");
  ASSERT_NE(store, nullptr);
  int first_pid = 0;
  {
    auto c = store->pool().Acquire("test:lifetime");
    ASSERT_TRUE(c.ok());
    first_pid = PQbackendPID(c->get());
  }
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (store->pool_stats()->idle > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(store->pool_stats()->idle, 0);
  auto c = store->pool().Acquire("test:lifetime");
  ASSERT_TRUE(c.ok());
  EXPECT_NE(PQbackendPID(c->get()), first_pid);
}

TEST(PostgresMigrationTest, TenStoresMigratingAtOnceApplyEachVersionOnce) {
  std::string url = PostgresFreshDatabaseUrl();
  constexpr int kNodes = 10;
  std::vector<std::unique_ptr<PostgresStore>> stores;
  for (int i = 0; i < kNodes; ++i) {
    stores.push_back(OpenPostgres(url));
    ASSERT_NE(stores.back(), nullptr);
  }
  std::latch start(kNodes);
  std::vector<Status> results(kNodes);
  std::vector<std::thread> threads;
  for (int i = 0; i < kNodes; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      results[i] = stores[i]->Migrate();
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& st : results) EXPECT_TRUE(st.ok()) << st.ToString();
  PgAdmin admin(url);
  const int64_t n = static_cast<int64_t>(PostgresMigrations().size());
  EXPECT_EQ(admin.Int("SELECT count(*) FROM steward.schema_migrations"), n);
  EXPECT_EQ(admin.Int("SELECT count(DISTINCT version) FROM steward.schema_migrations"), n);
}

TEST(PostgresMigrationTest, NewerSchemaThanTheBinaryIsFailedPrecondition) {
  std::string url = PostgresFreshDatabaseUrl();
  auto store = OpenMigratedPostgres(url);
  ASSERT_NE(store, nullptr);
  PgAdmin admin(url);
  admin.Query("INSERT INTO steward.schema_migrations (version, name) VALUES (9999, 'from_future')");
  Status st = store->Migrate();
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << st.ToString();
  EXPECT_THAT(st.message(), HasSubstr("9999"));
  auto v = store->SchemaVersion();
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->first, 9999);
  EXPECT_EQ(v->second, static_cast<int>(PostgresMigrations().size()));
}

TEST(PostgresMigrationTest, SchemaIsConfigurableAndIsolated) {
  std::string url = PostgresFreshDatabaseUrl();
  auto a = OpenMigratedPostgres(url + "?schema=tenant_a");
  auto b = OpenMigratedPostgres(url + "?schema=tenant_b");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  NewJob j = Job();
  ASSERT_TRUE(a->JobInsertMany(std::span<const NewJob>(&j, 1), T0()).ok());
  PgAdmin admin(url);
  EXPECT_EQ(admin.Int("SELECT count(*) FROM tenant_a.jobs"), 1);
  EXPECT_EQ(admin.Int("SELECT count(*) FROM tenant_b.jobs"), 0);
  EXPECT_EQ(admin.Query("SELECT to_regclass('steward.jobs')"), "");
  auto list = b->JobList(JobListParams{});
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
}

TEST(PostgresStoreTest, TerminatedConnectionsAreReplaced) {
  std::string url = PostgresFreshDatabaseUrl();
  auto store = OpenMigratedPostgres(url);
  ASSERT_NE(store, nullptr);
  // Open several pooled connections, so that more than one is idle.
  {
    auto c1 = store->pool().Acquire("t1");
    auto c2 = store->pool().Acquire("t2");
    auto c3 = store->pool().Acquire("t3");
    ASSERT_TRUE(c1.ok() && c2.ok() && c3.ok());
  }
  const int64_t connects_before = store->WaitForListener(5s) ? 1 : 0;
  ASSERT_EQ(connects_before, 1);
  PgAdmin admin(PostgresAdminUrl());
  int64_t killed = admin.Int(
      "SELECT count(*) FROM (SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
      "WHERE datname = '" + PgDatabaseName(url) + "' AND pid <> pg_backend_pid()) t");
  EXPECT_GE(killed, 4);  // 3 pooled + the listener

  Status first = store->Ping();
  EXPECT_TRUE(first.ok() || first.code() == StatusCode::kUnavailable) << first.ToString();
  Status second = store->Ping();
  EXPECT_TRUE(second.ok()) << second.ToString();
  // A real operation works too.
  NewJob j = Job();
  EXPECT_TRUE(store->JobInsertMany(std::span<const NewJob>(&j, 1), T0()).ok());

  // The listener reconnects by itself and hears inserts again.
  Signal woke;
  store->AddJobsAddedListener([&](const std::string& q) { woke.Notify(q); });
  auto other = OpenPostgres(url);
  ASSERT_NE(other, nullptr);
  auto deadline = std::chrono::steady_clock::now() + 20s;
  bool heard = false;
  // Notifications sent while the listener is still reconnecting are lost by
  // design (the poll fallback covers them), so insert until one is heard.
  for (int i = 0; !heard && std::chrono::steady_clock::now() < deadline; ++i) {
    ASSERT_TRUE(store->WaitForListener(10s));
    NewJob k = Job("after-kill-" + std::to_string(i));
    ASSERT_TRUE(other->JobInsertMany(std::span<const NewJob>(&k, 1), T0()).ok());
    heard = woke.WaitFor(k.queue, 2000ms);
  }
  EXPECT_TRUE(heard);
}

TEST(PostgresNotifyTest, ListenerWakesWhenAnotherStoreInserts) {
  std::string url = PostgresFreshDatabaseUrl();
  auto listener = OpenMigratedPostgres(url);
  auto inserter = OpenPostgres(url);
  ASSERT_NE(listener, nullptr);
  ASSERT_NE(inserter, nullptr);
  ASSERT_TRUE(listener->WaitForListener(10s));
  Signal woke;
  listener->AddJobsAddedListener([&](const std::string& q) { woke.Notify(q); });
  std::vector<NewJob> jobs = {Job("mail"), Job("mail"), Job("reports")};
  ASSERT_TRUE(inserter->JobInsertMany(jobs, T0()).ok());
  EXPECT_TRUE(woke.WaitFor("mail", 10000ms));
  EXPECT_TRUE(woke.WaitFor("reports", 10000ms));
}

TEST(PostgresEnqueueFunctionTest, RollbackLeavesNoJobAndCommitWakesListeners) {
  std::string url = PostgresFreshDatabaseUrl();
  auto store = OpenMigratedPostgres(url);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->WaitForListener(10s));
  Signal woke;
  store->AddJobsAddedListener([&](const std::string& q) { woke.Notify(q); });
  PgAdmin app(url);  // "another application" with its own transaction
  app.Query("SET search_path TO public");
  app.Query("BEGIN");
  EXPECT_NE(app.Query("SELECT steward.enqueue('app.rolled_back', '{\"a\":1}', queue => 'rb')"), "");
  app.Query("ROLLBACK");
  auto none = store->JobList(JobListParams{});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());

  app.Query("BEGIN");
  int64_t id = std::stoll(app.Query(
      "SELECT steward.enqueue('app.committed', '{\"a\": 1}', queue => 'app', priority => 5, "
      "unique_key => 'app:1')"));
  int64_t again = std::stoll(app.Query(
      "SELECT steward.enqueue('app.committed', '{}', queue => 'app', unique_key => 'app:1')"));
  EXPECT_EQ(again, id);
  app.Query("COMMIT");
  EXPECT_TRUE(woke.WaitFor("app", 10000ms));
  auto job = store->JobGet(id);
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  EXPECT_EQ(job->kind, "app.committed");
  EXPECT_EQ(job->queue, "app");
  EXPECT_EQ(job->priority, 5);
  EXPECT_EQ(job->state, JobState::kAvailable);
  EXPECT_EQ(job->max_attempts, 20);
  EXPECT_EQ(job->unique_key, "app:1");
  EXPECT_THAT(job->payload, HasSubstr("\"a\""));
  EXPECT_FALSE(woke.WaitFor("rb", 10ms));
}

TEST(PostgresStoreTest, ClaimRespectsPausedQueuesAndOrder) {
  auto store = OpenMigratedPostgres(PostgresFreshDatabaseUrl());
  ASSERT_NE(store, nullptr);
  std::vector<NewJob> jobs(3, Job("ordered"));
  jobs[0].priority = 5;
  jobs[1].priority = -5;
  jobs[2].priority = 0;
  auto ins = store->JobInsertMany(jobs, T0());
  ASSERT_TRUE(ins.ok());
  ASSERT_TRUE(store->QueueSetPaused("ordered", true).ok());
  JobClaimParams p{.queue = "ordered", .limit = 10, .worker_id = "w", .now = T0(),
                   .lease_until = T0() + 30s};
  auto none = store->JobClaim(p);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  ASSERT_TRUE(store->QueueSetPaused("ordered", false).ok());
  auto got = store->JobClaim(p);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 3u);
  EXPECT_EQ((*got)[0].id, (*ins)[1].id);
  EXPECT_EQ((*got)[1].id, (*ins)[2].id);
  EXPECT_EQ((*got)[2].id, (*ins)[0].id);
}

}  // namespace
}  // namespace steward::testing
