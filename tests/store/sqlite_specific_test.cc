// SQLite-only behaviour: what happens with files that are not (or not yet,
// or no longer) a healthy Steward database, and with a full disk.
#include <grp.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "store/sqlite/sqlite_store.h"
#include "store/store_fixture.h"
#include "support/temp_dir.h"

namespace steward::testing {
namespace {

using ::testing::HasSubstr;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs SQL through a plain sqlite3 connection, behind the store's back.
// Returns the first column of the last row, if any.
std::string RawSql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  std::string last;
  char* err = nullptr;
  int rc = sqlite3_exec(
      db, sql.c_str(),
      [](void* out, int n, char** values, char**) {
        if (n > 0 && values[0] != nullptr) *static_cast<std::string*>(out) = values[0];
        return 0;
      },
      &last, &err);
  EXPECT_EQ(rc, SQLITE_OK) << sql << ": " << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
  return last;
}

Result<std::unique_ptr<Store>> Open(const std::string& path, int64_t max_page_count = 0) {
  SqliteOptions o;
  o.path = path;
  o.max_page_count = max_page_count;
  return OpenSqliteStore(o);
}

std::unique_ptr<Store> OpenMigrated(const std::string& path, int64_t max_page_count = 0) {
  auto s = Open(path, max_page_count);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  if (!s.ok()) return nullptr;
  Status st = (*s)->Migrate();
  EXPECT_TRUE(st.ok()) << st.ToString();
  return std::move(s).value();
}

TEST(SqliteStoreTest, GarbageFileIsRejectedAndLeftUnchanged) {
  TempDir dir;
  const std::string path = dir.File("notes.db");
  std::string garbage;
  for (int i = 0; i < 400; ++i) garbage += "these are my notes, not a database\n";
  { std::ofstream(path, std::ios::binary) << garbage; }

  auto s = Open(path);
  EXPECT_THAT(s, StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(s.status().message(), HasSubstr("not a Steward database"));
  EXPECT_THAT(s.status().message(), HasSubstr(path));
  EXPECT_EQ(ReadFile(path), garbage);
  EXPECT_FALSE(std::filesystem::exists(path + "-wal"));
}

TEST(SqliteStoreTest, ForeignSqliteDatabaseIsRejectedAndLeftUnchanged) {
  TempDir dir;
  const std::string path = dir.File("app.db");
  RawSql(path, "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); "
               "INSERT INTO users (name) VALUES ('ada');");
  auto s = Open(path);
  EXPECT_THAT(s, StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(s.status().message(), HasSubstr("not a Steward database"));
  EXPECT_THAT(s.status().message(), HasSubstr("users"));
  EXPECT_EQ(RawSql(path, "SELECT name FROM users"), "ada");
  EXPECT_EQ(RawSql(path, "SELECT count(*) FROM sqlite_master WHERE name = 'jobs'"), "0");
  EXPECT_EQ(RawSql(path, "PRAGMA journal_mode"), "delete") << "not switched to WAL";
}

TEST(SqliteStoreTest, EmptyFileIsANewDatabase) {
  TempDir dir;
  const std::string path = dir.File("empty.db");
  { std::ofstream touch(path); }
  auto store = OpenMigrated(path);
  ASSERT_NE(store, nullptr);
  auto v = store->SchemaVersion();
  ASSERT_OK(v);
  EXPECT_EQ(v->first, v->second);
  EXPECT_EQ(RawSql(path, "PRAGMA journal_mode"), "wal");
}

TEST(SqliteStoreTest, NewerSchemaIsRefused) {
  TempDir dir;
  const std::string path = dir.File("future.db");
  int latest = 0;
  {
    auto store = OpenMigrated(path);
    ASSERT_NE(store, nullptr);
    auto v = store->SchemaVersion();
    ASSERT_OK(v);
    latest = v->second;
  }
  const int future = latest + 7;
  RawSql(path, "INSERT INTO steward_migrations (version, name, applied_at) VALUES (" +
                   std::to_string(future) + ", 'from_the_future', 0)");
  auto s = Open(path);
  EXPECT_THAT(s, StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(s.status().message(),
              HasSubstr("database schema version " + std::to_string(future)));
  EXPECT_THAT(s.status().message(), HasSubstr("knows up to " + std::to_string(latest)));
  EXPECT_THAT(s.status().message(), HasSubstr("upgrade steward"));
}

TEST(SqliteStoreTest, MissingDirectoryIsNotFound) {
  TempDir dir;
  EXPECT_THAT(Open(dir.File("no/such/dir/x.db")), StatusIs(StatusCode::kNotFound));
}

TEST(SqliteStoreTest, UseBeforeMigrateIsAFailedPrecondition) {
  TempDir dir;
  auto s = Open(dir.File("fresh.db"));
  ASSERT_OK(s);
  EXPECT_THAT((*s)->JobGet(1), StatusIs(StatusCode::kFailedPrecondition));
  NewJob j = MakeJob();
  EXPECT_THAT((*s)->JobInsertMany(std::span<const NewJob>(&j, 1), T0()),
              StatusIs(StatusCode::kFailedPrecondition));
}

TEST(SqliteStoreTest, InMemoryDatabaseWorks) {
  auto store = OpenMigrated(":memory:");
  ASSERT_NE(store, nullptr);
  NewJob j = MakeJob();
  auto ins = store->JobInsertMany(std::span<const NewJob>(&j, 1), T0());
  ASSERT_OK(ins);
  JobClaimParams p;
  p.queue = "default";
  p.worker_id = "w";
  p.now = At(1);
  p.lease_until = At(2);
  auto c = store->JobClaim(p);
  ASSERT_OK(c);
  ASSERT_EQ(c->size(), 1u);
  auto g = store->JobGet((*ins)[0].id);
  ASSERT_OK(g);
  EXPECT_EQ(g->state, JobState::kRunning);
}

TEST(SqliteStoreTest, UrlOptionsAreHonoured) {
  TempDir dir;
  auto s = OpenStore("sqlite://" + dir.File("full.db") + "?synchronous=full");
  ASSERT_OK(s);
  ASSERT_OK((*s)->Migrate());
  EXPECT_EQ((*s)->Capabilities().backend, "sqlite");
  EXPECT_FALSE((*s)->pool_stats().has_value());  // no pool
}

// Runs `fn` (returning a StatusCode) in a child process; as root, the child
// first drops to nobody, because root ignores permission bits. Returns the
// child's StatusCode, or -1 if the child could not run the check.
int InChildAsUnprivileged(const std::function<int()>& fn) {
  pid_t pid = fork();
  if (pid == 0) {
    if (geteuid() == 0) {
      if (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0) _exit(100);
    }
    _exit(fn());
  }
  int wstatus = 0;
  if (pid < 0 || waitpid(pid, &wstatus, 0) != pid || !WIFEXITED(wstatus)) return -1;
  return WEXITSTATUS(wstatus);
}

constexpr int kMessageLacksPath = 99;

TEST(SqliteStoreTest, ReadOnlyDirectoryIsPermissionDenied) {
  TempDir dir;
  std::filesystem::permissions(dir.path(), std::filesystem::perms(0755));
  const std::string ro_dir = dir.File("ro");
  std::filesystem::create_directory(ro_dir);
  std::filesystem::permissions(ro_dir, std::filesystem::perms(0555));
  const std::string path = ro_dir + "/steward.db";
  int code = InChildAsUnprivileged([&] {
    auto s = Open(path);
    if (!s.ok() && s.status().message().find(path) == std::string::npos) return kMessageLacksPath;
    return static_cast<int>(s.status().code());
  });
  EXPECT_EQ(code, static_cast<int>(StatusCode::kPermissionDenied));
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(SqliteStoreTest, ReadOnlyFileIsPermissionDenied) {
  TempDir dir;
  std::filesystem::permissions(dir.path(), std::filesystem::perms(0755));
  const std::string path = dir.File("steward.db");
  { ASSERT_NE(OpenMigrated(path), nullptr); }
  std::filesystem::permissions(path, std::filesystem::perms(0444));
  int code = InChildAsUnprivileged([&] {
    auto s = Open(path);
    if (!s.ok() && s.status().message().find(path) == std::string::npos) return kMessageLacksPath;
    return static_cast<int>(s.status().code());
  });
  EXPECT_EQ(code, static_cast<int>(StatusCode::kPermissionDenied));
}

TEST(SqliteStoreTest, FullDiskIsResourceExhaustedAndLosesNothing) {
  TempDir dir;
  const std::string path = dir.File("small.db");
  // Enough pages for the schema and a few batches, far too few for all.
  auto store = OpenMigrated(path, /*max_page_count=*/80);
  ASSERT_NE(store, nullptr);
  NewJob big = MakeJob();
  big.payload = "{\"blob\":\"" + std::string(2000, 'x') + "\"}";
  std::vector<NewJob> batch(20, big);
  std::vector<int64_t> stored;
  Status failure;
  for (int i = 0; i < 100 && failure.ok(); ++i) {
    auto r = store->JobInsertMany(batch, T0());
    if (!r.ok()) {
      failure = r.status();
      break;
    }
    for (const InsertedJob& j : *r) stored.push_back(j.id);
  }
  EXPECT_THAT(failure, StatusIs(StatusCode::kResourceExhausted));
  EXPECT_TRUE(failure.disk_full()) << failure.ToString();  // typed: HTTP answers 507
  ASSERT_FALSE(stored.empty()) << "the cap should allow some batches first";

  // Everything committed before is intact; nothing of the failed batch is.
  for (int64_t id : stored) EXPECT_OK(store->JobGet(id));
  std::vector<QueueStats> stats;
  {
    auto r = store->QueueStatsAll(At(1));
    ASSERT_OK(r);
    stats = *r;
  }
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].available, static_cast<int64_t>(stored.size()));

  // The store keeps working for what fits (a claim updates rows in place).
  JobClaimParams p;
  p.queue = "default";
  p.worker_id = "w";
  p.now = At(1);
  p.lease_until = At(60);
  p.limit = 5;
  EXPECT_OK(store->JobClaim(p));
  store.reset();
  EXPECT_EQ(RawSql(path, "PRAGMA integrity_check"), "ok");
  EXPECT_EQ(RawSql(path, "SELECT count(*) FROM jobs"), std::to_string(stored.size()));
}

TEST(SqliteStoreTest, ReaderSeesWritesOfAnotherStoreOnTheSameFile) {
  TempDir dir;
  const std::string path = dir.File("shared.db");
  auto a = OpenMigrated(path);
  ASSERT_NE(a, nullptr);
  auto b = Open(path);
  ASSERT_OK(b);
  NewJob j = MakeJob();
  auto ins = a->JobInsertMany(std::span<const NewJob>(&j, 1), T0());
  ASSERT_OK(ins);
  auto g = (*b)->JobGet((*ins)[0].id);
  ASSERT_OK(g);
  EXPECT_EQ(g->kind, "test.noop");
}

// The finished counts (job_counts, migration 5) are kept by the store's code
// in each statement that moves jobs into or out of a finished state; this
// walks every such statement and holds the counts to the table each time.
TEST(SqliteStoreTest, FinishedCountsMatchTheJobsTableAfterEveryKindOfChange) {
  TempDir dir;
  const std::string path = dir.File("counts.db");
  auto store = OpenMigrated(path);
  ASSERT_NE(store, nullptr);
  const std::string finished = "state IN ('completed', 'discarded', 'cancelled')";
  auto truth = [&] {
    return RawSql(path, "SELECT coalesce(group_concat(k, ' '), '') FROM (SELECT queue || ':' || state || '=' || "
                        "count(*) AS k FROM jobs WHERE " + finished + " GROUP BY queue, state ORDER BY k)");
  };
  auto counted = [&] {
    return RawSql(path, "SELECT coalesce(group_concat(k, ' '), '') FROM (SELECT queue || ':' || state || '=' || "
                        "n AS k FROM job_counts WHERE n <> 0 ORDER BY k)");
  };
  auto claim = [&](const char* queue, int n, Timestamp now) {
    JobClaimParams p{.queue = queue, .limit = n, .worker_id = "w", .now = now, .lease_until = now + std::chrono::seconds(30)};
    auto c = store->JobClaim(p);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? *c : std::vector<Job>{};
  };
  auto complete = [&](const Job& j, JobCompletion::Kind kind) {
    JobCompletion c;
    c.id = j.id;
    c.worker_id = "w";
    c.attempt = j.attempt;
    c.kind = kind;
    c.finished_at = At(5);
    c.retry_at = At(6);
    // The runtime names the queue (counted per queue, no read back); other
    // callers may not (counted by id): both paths are walked.
    if (j.queue == "mail") c.queue = j.queue;
    ASSERT_OK(store->JobCompleteMany(std::span<const JobCompletion>(&c, 1)));
  };
  std::vector<NewJob> jobs;
  for (int i = 0; i < 12; ++i) {
    NewJob j = MakeJob("k", i % 2 ? "mail" : "sms");
    j.max_attempts = i < 10 ? 1 : 2;
    jobs.push_back(j);
  }
  ASSERT_OK(store->JobInsertMany(jobs, At(0)));
  std::vector<Job> mail = claim("mail", 3, At(1));
  std::vector<Job> sms = claim("sms", 3, At(1));
  ASSERT_EQ(mail.size(), 3u);
  ASSERT_EQ(sms.size(), 3u);
  EXPECT_EQ(counted(), "");

  complete(mail[0], JobCompletion::Kind::kCompleted);
  complete(mail[1], JobCompletion::Kind::kRetry);  // last attempt: discarded
  complete(sms[0], JobCompletion::Kind::kDiscard);
  complete(sms[1], JobCompletion::Kind::kSnooze);  // back to scheduled: not finished
  EXPECT_EQ(counted(), truth());
  EXPECT_EQ(counted(), "mail:completed=1 mail:discarded=1 sms:discarded=1");

  // A person cancels a running job (flagged), its worker hands it back: cancelled.
  ASSERT_OK(store->JobCancel(mail[2].id, At(6)));
  const int64_t held[] = {mail[2].id};
  ASSERT_OK(store->JobRelease("w", held, At(6)));
  // Pending jobs cancelled and discarded by hand.
  JobListParams lp;
  lp.queue = "mail";
  lp.state = JobState::kAvailable;
  std::vector<Job> pending = *store->JobList(lp);
  ASSERT_GE(pending.size(), 2u);
  ASSERT_OK(store->JobCancel(pending[0].id, At(7)));
  ASSERT_OK(store->JobDiscard(pending[1].id, At(7)));
  EXPECT_EQ(counted(), truth());

  // The rescuer takes back sms[2] (one attempt: discarded).
  JobRescueParams rp;
  rp.now = At(100);
  auto rescued = store->JobRescueExpired(rp);
  ASSERT_OK(rescued);
  EXPECT_EQ(rescued->size(), 1u);
  EXPECT_EQ(counted(), truth());

  // A person retries a discarded job: out of the count.
  ASSERT_OK(store->JobRetry(sms[0].id, At(101)));
  EXPECT_EQ(counted(), truth());

  // Retention deletes in two bounded batches.
  JobDeleteFinishedParams del;
  del.completed_before = At(1000);
  del.failed_before = At(1000);
  del.limit = 2;
  ASSERT_OK(store->JobDeleteFinished(del));
  EXPECT_EQ(counted(), truth());
  del.limit = 100;
  ASSERT_OK(store->JobDeleteFinished(del));
  EXPECT_EQ(counted(), truth());
  EXPECT_EQ(counted(), "");
}

}  // namespace
}  // namespace steward::testing
