// Upgrading a database that has data: the previous schema version (SQLite 3,
// PostgreSQL 7) is built from the embedded migrations behind the store's
// back, filled with a job, its error and an alert, then migrated by the
// store; the old rows must read back and the new calls must work on them.
#include <libpq-fe.h>
#include <sqlite3.h>

#include <string>

#include "store/migrations.h"
#include "store/postgres/postgres_store.h"
#include "store/store_fixture.h"

namespace steward {
const std::vector<EmbeddedMigration>& SqliteMigrations();
}

namespace steward::testing {
namespace {

constexpr int kSqlitePrevious = 3;
constexpr int kPostgresPrevious = 7;
const int64_t kAt = ToMicros(T0());

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) {
    s.replace(pos, from.size(), to);
  }
  return s;
}

void SqliteExec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
      << sql.substr(0, 200) << ": " << (err ? err : "");
}

void BuildOldSqlite(const std::string& path) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  SqliteExec(db,
             "CREATE TABLE steward_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
             "applied_at INTEGER NOT NULL)");
  for (const EmbeddedMigration& m : SqliteMigrations()) {
    if (m.version > kSqlitePrevious) continue;
    SqliteExec(db, std::string(m.sql));
    SqliteExec(db, "INSERT INTO steward_migrations VALUES (" + std::to_string(m.version) + ", '" +
                       std::string(m.name) + "', 0)");
  }
  const std::string at = std::to_string(kAt);
  SqliteExec(db, "INSERT INTO jobs (queue, kind, payload, run_at, attempt, max_attempts, state, "
                 "created_at, started_at, finished_at) VALUES ('default', 'old.kind', "
                 "'{\"account_id\": 7}', " + at + ", 1, 1, 'discarded', " + at + ", " + at + ", " + at + ")");
  SqliteExec(db, "INSERT INTO job_errors (job_id, attempt, at, message, detail) VALUES "
                 "(1, 1, " + at + ", 'old failure', 'trace')");
  SqliteExec(db, "INSERT INTO jobs (queue, kind, payload, run_at, max_attempts, state, created_at) "
                 "VALUES ('default', 'old.kind', '{}', " + at + ", 5, 'available', " + at + ")");
  SqliteExec(db, "INSERT INTO alerts (fingerprint, rule, state, count, first_seen, last_seen, "
                 "last_notified_at) VALUES ('fp', 'job_discarded', 'open', 1, " + at + ", " + at +
                 ", " + at + ")");
  sqlite3_close(db);
}

void PgExec(PGconn* c, const std::string& sql) {
  PGresult* r = PQexec(c, sql.c_str());
  const auto st = PQresultStatus(r);
  EXPECT_TRUE(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
      << sql.substr(0, 200) << ": " << PQerrorMessage(c);
  PQclear(r);
}

void BuildOldPostgres(const std::string& url) {
  PGconn* c = PQconnectdb(url.c_str());
  ASSERT_EQ(PQstatus(c), CONNECTION_OK) << PQerrorMessage(c);
  PgExec(c, "SET client_min_messages = warning; CREATE SCHEMA steward; SET search_path TO steward");
  PgExec(c, "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, "
            "applied_at timestamptz NOT NULL DEFAULT now())");
  for (const EmbeddedMigration& m : PostgresMigrations()) {
    if (m.version > kPostgresPrevious) continue;
    PgExec(c, "BEGIN; " + ReplaceAll(std::string(m.sql), "{{schema}}", "\"steward\"") + "; COMMIT");
    PgExec(c, "INSERT INTO schema_migrations (version, name) VALUES (" +
                  std::to_string(m.version) + ", '" + std::string(m.name) + "')");
  }
  const std::string at = "ts(" + std::to_string(kAt) + ")";
  PgExec(c, "INSERT INTO jobs (queue, kind, payload, run_at, attempt, max_attempts, state, "
            "created_at, started_at, finished_at, errors) VALUES ('default', 'old.kind', "
            "'{\"account_id\": 7}', " + at + ", 1, 1, 'discarded', " + at + ", " + at + ", " + at +
            ", '[{\"attempt\": 1, \"at\": " + std::to_string(kAt) +
            ", \"message\": \"old failure\", \"detail\": \"trace\"}]')");
  PgExec(c, "INSERT INTO jobs (queue, kind, payload, run_at, max_attempts, state, created_at) "
            "VALUES ('default', 'old.kind', '{}', " + at + ", 5, 'available', " + at + ")");
  PgExec(c, "INSERT INTO alerts (fingerprint, rule, state, count, first_seen, last_seen, "
            "last_notified_at) VALUES ('fp', 'job_discarded', 'open', 1, " + at + ", " + at +
            ", " + at + ")");
  PQfinish(c);
}

class MigrationUpgradeTest : public ::testing::TestWithParam<std::string> {};

TEST_P(MigrationUpgradeTest, PreviousVersionWithDataUpgradesAndKeepsIt) {
  const std::string url = FreshDatabaseUrl(GetParam());
  if (GetParam() == "sqlite") {
    ASSERT_NO_FATAL_FAILURE(BuildOldSqlite(url.substr(std::string("sqlite://").size())));
  } else {
    ASSERT_NO_FATAL_FAILURE(BuildOldPostgres(url));
  }
  auto opened = OpenStore(url);
  ASSERT_OK(opened);
  Store& store = **opened;
  auto before = store.SchemaVersion();
  ASSERT_OK(before);
  ASSERT_EQ(before->first, GetParam() == "sqlite" ? kSqlitePrevious : kPostgresPrevious);
  ASSERT_OK(store.Migrate());
  auto after = store.SchemaVersion();
  ASSERT_OK(after);
  EXPECT_EQ(after->first, after->second);

  // The old job and its error read back; the new fields are unknown.
  auto job = store.JobGet(1);
  ASSERT_OK(job);
  EXPECT_EQ(job->state, JobState::kDiscarded);
  ASSERT_EQ(job->errors.size(), 1u);
  EXPECT_EQ(job->errors[0].message, "old failure");
  EXPECT_EQ(job->errors[0].detail, "trace");
  EXPECT_EQ(job->errors[0].worker, "");
  EXPECT_FALSE(job->errors[0].duration.has_value());

  // The dashboard's reads find it.
  JobSearchParams sp;
  sp.state = JobState::kDiscarded;
  sp.payload_path = "account_id";
  sp.payload_value = "7";
  auto page = store.JobSearch(sp);
  ASSERT_OK(page);
  ASSERT_EQ(page->jobs.size(), 1u);
  EXPECT_EQ(page->last_errors[0], "old failure");
  FailedJobListParams fp;
  fp.since = T0();
  auto failed = store.FailedJobList(fp);
  ASSERT_OK(failed);
  ASSERT_EQ(failed->size(), 1u);
  EXPECT_EQ((*failed)[0].last_error, "old failure");

  // Queue stats count the old rows (SQLite fills its finished counts in
  // migration 5), and the Now page's count of recent discards finds them.
  auto stats = store.QueueStatsAll(At(1));
  ASSERT_OK(stats);
  ASSERT_EQ(stats->size(), 1u);
  EXPECT_EQ((*stats)[0].discarded, 1);
  EXPECT_EQ((*stats)[0].available, 1);
  EXPECT_EQ((*stats)[0].due, 1);
  auto kinds = store.DiscardedCountByKind(T0(), 10);
  ASSERT_OK(kinds);
  ASSERT_EQ(kinds->size(), 1u);
  EXPECT_EQ((*kinds)[0].kind, "old.kind");
  EXPECT_EQ((*kinds)[0].count, 1);

  // The old alert can be acknowledged.
  auto alert = store.AlertGetOpen("fp");
  ASSERT_OK(alert);
  EXPECT_FALSE(alert->acked_at.has_value());
  ASSERT_OK(store.AlertAcknowledge(alert->id, "ops", std::nullopt, At(5)));

  // A job enqueued before the upgrade fails after it with worker and duration.
  JobClaimParams cp;
  cp.queue = "default";
  cp.worker_id = "new-worker";
  cp.now = At(10);
  cp.lease_until = At(100);
  auto claimed = store.JobClaim(cp);
  ASSERT_OK(claimed);
  ASSERT_EQ(claimed->size(), 1u);
  JobCompletion done;
  done.id = (*claimed)[0].id;
  done.worker_id = "new-worker";
  done.attempt = 1;
  done.kind = JobCompletion::Kind::kRetry;
  done.finished_at = At(13);
  done.retry_at = At(20);
  done.error = ErrorAt(1, At(13), "new failure");
  ASSERT_OK(store.JobCompleteMany(std::span<const JobCompletion>(&done, 1)));
  job = store.JobGet(done.id);
  ASSERT_OK(job);
  ASSERT_EQ(job->errors.size(), 1u);
  EXPECT_EQ(job->errors[0].worker, "new-worker");
  EXPECT_EQ(job->errors[0].duration, std::chrono::seconds(3));

  // The new tables are there.
  NodeInfo node;
  node.id = "n1";
  node.started_at = At(0);
  node.last_seen_at = At(1);
  EXPECT_OK(store.NodeHeartbeat(node));
  AuditEntry entry;
  entry.at = At(1);
  entry.actor = "ops";
  entry.action = "job.retry";
  entry.object_type = "job";
  entry.object_id = "1";
  EXPECT_OK(store.AuditAppend(entry));
}

STEWARD_INSTANTIATE_STORE_SUITE(MigrationUpgradeTest);

}  // namespace
}  // namespace steward::testing
