// SqliteStore: opening, schema checks and migrations.
#include "store/sqlite/sqlite_store.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "store/sqlite/sqlite_store_impl.h"

namespace steward {
namespace sqlite {

namespace {

// Named so that it cannot collide with another tool's "schema_migrations"
// (Rails, golang-migrate...) in a file someone points Steward at by mistake.
constexpr const char* kMigrationsTable = "steward_migrations";

int LatestVersion() {
  const auto& m = SqliteMigrations();
  return m.empty() ? 0 : m.back().version;
}

// Fails early, with the path in the message, where SQLite would only say
// "unable to open database file" or fail later when creating the -wal file.
Status CheckPathWritable(const std::string& path) {
  namespace fs = std::filesystem;
  fs::path p(path);
  fs::path dir = p.parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return NotFound("cannot open database " + path + ": directory " + dir.string() +
                    " does not exist");
  }
  if (fs::exists(p, ec) && access(path.c_str(), R_OK | W_OK) != 0) {
    return PermissionDenied("cannot open database " + path + " for writing: " +
                            std::strerror(errno));
  }
  // WAL mode creates <path>-wal and <path>-shm beside the database.
  if (access(dir.c_str(), W_OK | X_OK) != 0) {
    return PermissionDenied("cannot open database " + path + ": directory " + dir.string() +
                            " is not writable (" + std::strerror(errno) +
                            "); SQLite needs to create the -wal and -shm files there");
  }
  return Status::Ok();
}

Status Configure(Conn& conn, const SqliteOptions& o, bool writer) {
  sqlite3_busy_timeout(conn.db(), static_cast<int>(o.busy_timeout.count() / 1000));
  std::string pragmas = "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-16384;";
  pragmas += o.synchronous_full ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=NORMAL;";
  if (!writer) pragmas += "PRAGMA query_only=1;";
  if (writer && o.max_page_count > 0) {
    pragmas += "PRAGMA max_page_count=" + std::to_string(o.max_page_count) + ";";
  }
  return conn.Exec(pragmas, "configure connection");
}

}  // namespace

Status AddFinishedCounts(Conn& conn, const std::map<std::pair<std::string, JobState>, int64_t>& counts) {
  for (const auto& [key, n] : counts) {
    STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                             conn.Prepare("INSERT INTO job_counts (queue, state, n) VALUES (?1, ?2, ?3) "
                                          "ON CONFLICT (queue, state) DO UPDATE SET n = n + excluded.n"));
    Stmt s(conn, raw);
    s.Bind(1, key.first);
    s.Bind(2, JobStateName(key.second));
    s.Bind(3, n);
    STEWARD_RETURN_IF_ERROR(s.Run("add finished counts"));
  }
  return Status::Ok();
}

std::string JsonIdList(std::span<const int64_t> ids) {
  std::string list = "[";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) list += ',';
    list += std::to_string(ids[i]);
  }
  list += ']';
  return list;
}

Status CountFinished(Conn& conn, std::span<const int64_t> ids, int sign) {
  if (ids.empty()) return Status::Ok();
  // Per batch, not per row: a row trigger cost 2-3 us per job on the hot
  // path (docs/performance.md, "Dashboard"); this costs a primary-key probe.
  static const std::string sql =
      std::string("INSERT INTO job_counts (queue, state, n) SELECT queue, state, ?2 * count(*) "
                  "FROM jobs WHERE id IN (SELECT value FROM json_each(?1)) AND ") +
      kFinishedStates + " GROUP BY queue, state ON CONFLICT (queue, state) DO UPDATE SET n = n + excluded.n";
  STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn.Prepare(sql));
  Stmt s(conn, raw);
  s.Bind(1, JsonIdList(ids));
  s.Bind(2, sign);
  return s.Run("count finished jobs");
}

Result<Job> ReadJob(const Stmt& s) {
  Job j;
  j.id = s.Int(0);
  j.queue = s.Text(1);
  j.kind = s.Text(2);
  j.payload = s.Text(3);
  j.priority = static_cast<int>(s.Int(4));
  j.run_at = s.Time(5);
  j.attempt = static_cast<int>(s.Int(6));
  j.max_attempts = static_cast<int>(s.Int(7));
  std::string state = s.Text(8);
  auto parsed = ParseJobState(state);
  if (!parsed) return Internal("job " + std::to_string(j.id) + " has unknown state " + state);
  j.state = *parsed;
  j.unique_key = s.OptText(9);
  j.created_at = s.Time(10);
  j.started_at = s.OptTime(11);
  j.finished_at = s.OptTime(12);
  j.lease_owner = s.OptText(13);
  j.lease_expires_at = s.OptTime(14);
  j.cancel_requested = s.Int(15) != 0;
  return j;
}

SqliteStore::SqliteStore(SqliteOptions options, std::unique_ptr<Conn> writer,
                         std::unique_ptr<Conn> reader)
    : options_(std::move(options)), writer_(std::move(writer)), reader_owned_(std::move(reader)) {
  reader_ = reader_owned_ ? reader_owned_.get() : writer_.get();
}

Result<int> SqliteStore::CheckSchema(Conn& conn) {
  bool has_migrations = false;
  std::string other_tables;
  {
    STEWARD_ASSIGN_OR_RETURN(
        sqlite3_stmt * raw,
        conn.Prepare("SELECT name FROM sqlite_master WHERE type = 'table' "
                     "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"));
    Stmt s(conn, raw);
    while (true) {
      STEWARD_ASSIGN_OR_RETURN(bool row, s.Step("read schema"));
      if (!row) break;
      std::string name = s.Text(0);
      if (name == kMigrationsTable) {
        has_migrations = true;
      } else if (other_tables.size() < 200) {
        other_tables += (other_tables.empty() ? "" : ", ") + name;
      }
    }
  }
  if (!has_migrations) {
    if (!other_tables.empty()) {
      return FailedPrecondition(conn.path() + " is not a Steward database: it holds other tables (" +
                                other_tables + ") and no Steward schema");
    }
    return 0;  // a new, empty database
  }
  STEWARD_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare(std::string("SELECT coalesce(max(version), 0) FROM ") + kMigrationsTable));
  Stmt s(conn, raw);
  STEWARD_ASSIGN_OR_RETURN(bool row, s.Step("read schema version"));
  return row ? static_cast<int>(s.Int(0)) : 0;
}

Status SqliteStore::CheckNotNewer(const Conn& conn, int version) {
  if (version > LatestVersion()) {
    return FailedPrecondition("database schema version " + std::to_string(version) + " of " +
                              conn.path() + " is newer than this steward (knows up to " +
                              std::to_string(LatestVersion()) + "); upgrade steward");
  }
  return Status::Ok();
}

Result<std::unique_ptr<Store>> SqliteStore::Open(const SqliteOptions& options) {
  if (options.path.empty()) return InvalidArgument("SQLite database path is empty");
  const bool in_memory = options.path == ":memory:";
  if (!in_memory) STEWARD_RETURN_IF_ERROR(CheckPathWritable(options.path));

  STEWARD_ASSIGN_OR_RETURN(std::unique_ptr<Conn> writer, Conn::Open(options.path));
  // Inspect before changing anything, so a foreign file is left exactly as
  // it was (switching it to WAL would already rewrite its header).
  STEWARD_ASSIGN_OR_RETURN(int version, CheckSchema(*writer));
  // Refuse a newer schema at once: this binary's queries may not match it.
  STEWARD_RETURN_IF_ERROR(CheckNotNewer(*writer, version));
  if (!in_memory) {
    STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, writer->Prepare("PRAGMA journal_mode=WAL"));
    Stmt s(*writer, raw);
    STEWARD_ASSIGN_OR_RETURN(bool row, s.Step("enable WAL"));
    if (!row || s.Text(0) != "wal") {
      return FailedPrecondition("cannot switch " + options.path + " to WAL mode (got journal_mode=" +
                                (row ? s.Text(0) : std::string("?")) + ")");
    }
  }
  STEWARD_RETURN_IF_ERROR(Configure(*writer, options, /*writer=*/true));

  std::unique_ptr<Conn> reader;
  if (!in_memory) {
    STEWARD_ASSIGN_OR_RETURN(reader, Conn::Open(options.path));
    STEWARD_RETURN_IF_ERROR(Configure(*reader, options, /*writer=*/false));
  }
  return std::unique_ptr<Store>(new SqliteStore(options, std::move(writer), std::move(reader)));
}

StoreCapabilities SqliteStore::Capabilities() const {
  return StoreCapabilities{.backend = "sqlite"};
}

Status SqliteStore::Migrate() {
  std::lock_guard lock(writer_->mu());
  // BEGIN IMMEDIATE takes the database write lock, which serialises
  // migrations across processes: the second one sees the first's versions.
  Txn txn(*writer_, Txn::Mode::kWrite);
  STEWARD_RETURN_IF_ERROR(txn.Begin());
  STEWARD_ASSIGN_OR_RETURN(int current, CheckSchema(*writer_));
  STEWARD_RETURN_IF_ERROR(CheckNotNewer(*writer_, current));
  STEWARD_RETURN_IF_ERROR(writer_->Exec(
      std::string("CREATE TABLE IF NOT EXISTS ") + kMigrationsTable +
          " (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
      "create migrations table"));
  for (const EmbeddedMigration& m : SqliteMigrations()) {
    if (m.version <= current) continue;
    STEWARD_RETURN_IF_ERROR(
        writer_->Exec(std::string(m.sql), "apply migration " + std::string(m.name)));
    STEWARD_ASSIGN_OR_RETURN(
        sqlite3_stmt * raw,
        writer_->Prepare(std::string("INSERT INTO ") + kMigrationsTable +
                         " (version, name, applied_at) VALUES "
                         "(?1, ?2, CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER))"));
    Stmt s(*writer_, raw);
    s.Bind(1, m.version);
    s.Bind(2, m.name);
    STEWARD_RETURN_IF_ERROR(s.Run("record migration"));
  }
  return txn.Commit();
}

Result<std::pair<int, int>> SqliteStore::SchemaVersion() {
  std::lock_guard lock(reader_->mu());
  STEWARD_ASSIGN_OR_RETURN(int version, CheckSchema(*reader_));
  return std::make_pair(version, LatestVersion());
}

Status SqliteStore::Ping() {
  std::lock_guard lock(reader_->mu());
  STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, reader_->Prepare("SELECT 1"));
  Stmt s(*reader_, raw);
  return s.Run("ping");
}

}  // namespace sqlite

Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteOptions& options) {
  return sqlite::SqliteStore::Open(options);
}

}  // namespace steward
