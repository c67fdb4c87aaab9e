// PostgresStore: opening (URL options, pool, listener), schema migrations,
// and the small calls. Job and queue operations are in postgres_jobs.cc.
#include "store/postgres/postgres_store.h"


#include <algorithm>
#include <charconv>
#include <string_view>

#include "store/postgres/pg_conn.h"
#include "core/log.h"
#include "store/postgres/pg_errors.h"
#include "store/postgres/pg_listener.h"

namespace steward {

using pg::Exec;
using pg::Params;

namespace {

bool ValidSchemaName(std::string_view s) {
  if (s.empty() || s.size() > 40) return false;
  if (!((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

Result<int64_t> ParsePositive(std::string_view key, std::string_view value, int64_t max) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || ptr != value.data() + value.size() || v < 1 || v > max) {
    return InvalidArgument("PostgreSQL URL option " + std::string(key) + "=" +
                           std::string(value) + " must be an integer in 1.." +
                           std::to_string(max));
  }
  return v;
}

// The advisory lock that serialises migrations of one schema across every
// process: (a fixed class id, hash of the schema name).
constexpr const char* kMigrationLockSql =
    "SELECT pg_advisory_xact_lock(1398031698, hashtext($1))";  // 1398031698 = 'STEW'

std::string ReplaceAll(std::string s, std::string_view from, std::string_view to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
  return s;
}

int LatestVersion() {
  int latest = 0;
  for (const auto& m : PostgresMigrations()) latest = std::max(latest, m.version);
  return latest;
}

}  // namespace

Result<PostgresOptions> ParsePostgresUrl(const std::string& url) {
  PostgresOptions o;
  auto q = url.find('?');
  std::string base = url.substr(0, q);
  std::string kept;
  if (q != std::string::npos) {
    std::string_view query(url);
    query.remove_prefix(q + 1);
    while (!query.empty()) {
      auto amp = query.find('&');
      std::string_view kv = query.substr(0, amp);
      query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
      if (kv.empty()) continue;
      auto eq = kv.find('=');
      std::string_view key = kv.substr(0, eq);
      std::string_view value = eq == std::string_view::npos ? "" : kv.substr(eq + 1);
      if (key == "schema") {
        if (!ValidSchemaName(value)) {
          return InvalidArgument("PostgreSQL URL option schema=" + std::string(value) +
                                 " must match [a-z_][a-z0-9_]{0,39}");
        }
        o.schema = std::string(value);
      } else if (key == "pool_max") {
        STEWARD_ASSIGN_OR_RETURN(int64_t v, ParsePositive(key, value, 10000));
        o.pool.max_size = static_cast<int>(v);
      } else if (key == "pool_acquire_timeout_ms") {
        STEWARD_ASSIGN_OR_RETURN(int64_t v, ParsePositive(key, value, 3600 * 1000));
        o.pool.acquire_timeout = std::chrono::milliseconds(v);
      } else if (key == "pool_max_lifetime_s") {
        STEWARD_ASSIGN_OR_RETURN(int64_t v, ParsePositive(key, value, 365LL * 86400));
        o.pool.max_lifetime = std::chrono::seconds(v);
      } else if (key == "pool_idle_timeout_s") {
        STEWARD_ASSIGN_OR_RETURN(int64_t v, ParsePositive(key, value, 365LL * 86400));
        o.pool.idle_timeout = std::chrono::seconds(v);
      } else if (key == "leak_threshold_ms") {
        STEWARD_ASSIGN_OR_RETURN(int64_t v, ParsePositive(key, value, 365LL * 86400 * 1000));
        o.pool.leak_threshold = std::chrono::milliseconds(v);
      } else {
        // Everything else (sslmode, connect_timeout, ...) is libpq's.
        if (!kept.empty()) kept += '&';
        kept += kv;
      }
    }
  }
  o.conninfo = kept.empty() ? base : base + "?" + kept;
  return o;
}

PostgresStore::PostgresStore(PostgresOptions options) : options_(std::move(options)) {}

PostgresStore::~PostgresStore() {
  // The listener calls back into this object; stop it before anything goes.
  if (listener_) listener_->Stop();
}

Result<std::unique_ptr<PostgresStore>> PostgresStore::Open(PostgresOptions options) {
  if (!ValidSchemaName(options.schema)) {
    return InvalidArgument("invalid PostgreSQL schema name \"" + options.schema + "\"");
  }
  options.pool.conninfo = options.conninfo;
  // pg_catalog is searched first implicitly, so built-ins cannot be shadowed.
  options.pool.on_connect = {"SET search_path TO " + pg::QuoteIdent(options.schema)};
  std::unique_ptr<PostgresStore> store(new PostgresStore(std::move(options)));
  store->pool_ = std::make_unique<pg::PgPool>(store->options_.pool);
  {
    // Fail at open, with the server's own words, if the database cannot be
    // reached at all (wrong host, password, database name).
    STEWARD_ASSIGN_OR_RETURN(auto conn, store->Conn("open"));
  }
  PostgresStore* self = store.get();
  store->listener_ = std::make_unique<pg::PgListener>(
      store->options_.conninfo, store->channel(),
      [self](const std::string& queue, int sender_pid) {
        // Our own commits were announced on the committing thread already;
        // hearing them again would wake local fetchers twice.
        if (!self->pool_->OwnsBackend(sender_pid)) self->NotifyJobsAdded(queue);
      });
  store->listener_->Start();
  // Wait briefly so that commits after Open() returns are heard; if the
  // listener is slow, the runtime's poll fallback still finds the jobs.
  if (!store->listener_->WaitUntilListening(std::chrono::seconds(5))) {
    log::Warn("PostgreSQL listener not connected yet; relying on polling until it is");
  }
  return store;
}

Result<pg::PooledConn> PostgresStore::Conn(std::string_view label) { return pool_->Acquire(label); }

bool PostgresStore::listener_connected() const { return listener_ && listener_->listening(); }

bool PostgresStore::WaitForListener(Micros timeout) {
  return listener_ && listener_->WaitUntilListening(timeout);
}

StoreCapabilities PostgresStore::Capabilities() const {
  return StoreCapabilities{.backend = "postgres"};
}

Status PostgresStore::Ping() {
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("Ping"));
  STEWARD_ASSIGN_OR_RETURN(auto r, Exec(conn.get(), "ping", "SELECT 1"));
  return Status::Ok();
}

Result<std::pair<int, int>> PostgresStore::SchemaVersion() {
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("SchemaVersion"));
  STEWARD_ASSIGN_OR_RETURN(
      auto exists, Exec(conn.get(), "reading schema version",
                        "SELECT to_regclass('schema_migrations') IS NOT NULL"));
  int applied = 0;
  if (pg::GetBool(exists.get(), 0, 0)) {
    STEWARD_ASSIGN_OR_RETURN(auto r, Exec(conn.get(), "reading schema version",
                                          "SELECT coalesce(max(version), 0) FROM schema_migrations"));
    applied = pg::GetInt(r.get(), 0, 0);
  }
  return std::make_pair(applied, LatestVersion());
}

Status PostgresStore::Migrate() {
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("Migrate"));
  PGconn* c = conn.get();
  const std::string& schema = options_.schema;
  // One transaction for the lot: the advisory lock makes ten nodes starting
  // at once migrate exactly once (the others wait, then find nothing to do),
  // and a failed migration leaves the schema as it was.
  STEWARD_ASSIGN_OR_RETURN(auto b, Exec(c, "migrate", "BEGIN"));
  STEWARD_ASSIGN_OR_RETURN(auto l, Exec(c, "taking the migration lock", kMigrationLockSql,
                                        Params().Add(schema)));
  STEWARD_ASSIGN_OR_RETURN(auto ns, Exec(c, "migrate",
                                         "SELECT 1 FROM pg_namespace WHERE nspname = $1",
                                         Params().Add(schema)));
  if (PQntuples(ns.get()) == 0) {
    // Created only when missing, so a database user without CREATE on the
    // database can run Steward in a schema a DBA prepared.
    std::string create = "CREATE SCHEMA " + pg::QuoteIdent(schema);
    STEWARD_ASSIGN_OR_RETURN(auto cs, Exec(c, "creating schema", create.c_str()));
  }
  STEWARD_ASSIGN_OR_RETURN(
      auto t, Exec(c, "migrate",
                   "CREATE TABLE IF NOT EXISTS schema_migrations ("
                   " version integer PRIMARY KEY,"
                   " name text NOT NULL,"
                   " applied_at timestamptz NOT NULL DEFAULT now())"));
  STEWARD_ASSIGN_OR_RETURN(auto v, Exec(c, "reading schema version",
                                        "SELECT coalesce(max(version), 0) FROM schema_migrations"));
  const int applied = pg::GetInt(v.get(), 0, 0);
  const int latest = LatestVersion();
  if (applied > latest) {
    return FailedPrecondition("PostgreSQL schema \"" + schema + "\" is at version " +
                              std::to_string(applied) + ", newer than this binary knows (" +
                              std::to_string(latest) + "); upgrade steward");
  }
  std::vector<EmbeddedMigration> pending;
  for (const auto& m : PostgresMigrations()) {
    if (m.version > applied) pending.push_back(m);
  }
  std::sort(pending.begin(), pending.end(),
            [](const auto& a, const auto& b) { return a.version < b.version; });
  for (const auto& m : pending) {
    std::string sql = ReplaceAll(std::string(m.sql), "{{schema}}", pg::QuoteIdent(schema));
    // PQexec (not PQexecParams) so that one file may hold many statements.
    pg::PgResult r(PQexec(c, sql.c_str()));
    auto st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      return pg::StatusFromResult(r.get(), c, "applying migration " + std::string(m.name));
    }
    STEWARD_ASSIGN_OR_RETURN(
        auto rec, Exec(c, "recording migration",
                       "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                       Params().Add(m.version).Add(m.name)));
  }
  STEWARD_ASSIGN_OR_RETURN(auto commit, Exec(c, "committing migrations", "COMMIT"));
  if (!pending.empty()) {
    log::Info("PostgreSQL schema migrated",
              {{"schema", schema}, {"from_version", applied}, {"to_version", pending.back().version}});
  }
  return Status::Ok();
}

Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& url) {
  STEWARD_ASSIGN_OR_RETURN(auto options, ParsePostgresUrl(url));
  STEWARD_ASSIGN_OR_RETURN(auto store, PostgresStore::Open(std::move(options)));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace steward
