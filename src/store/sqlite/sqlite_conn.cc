#include "store/sqlite/sqlite_conn.h"

#include <cerrno>
#include <cstring>

namespace steward::sqlite {

Status MapError(int rc, sqlite3* db, std::string_view context, const std::string& path) {
  const int primary = rc & 0xff;
  const int sys_errno = db != nullptr ? sqlite3_system_errno(db) : 0;
  std::string detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  const std::string what = std::string(context) + ": " + detail;
  switch (primary) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Unavailable("database " + path + " is busy (" + what + "); retry later");
    case SQLITE_FULL:
      return DiskFull("disk full: " + what + " (database " + path +
                      "); the transaction was rolled back");
    case SQLITE_NOMEM:
      return ResourceExhausted("out of memory: " + what);
    case SQLITE_IOERR:
      if (sys_errno == ENOSPC || sys_errno == EDQUOT) {
        return DiskFull("disk full: " + what + " (database " + path + ")");
      }
      return Unavailable("I/O error on database " + path + ": " + what +
                         (sys_errno != 0 ? std::string(" (") + std::strerror(sys_errno) + ")" : ""));
    case SQLITE_CORRUPT:
      return DataLoss("database " + path + " is corrupt: " + what);
    case SQLITE_NOTADB:
      return FailedPrecondition(path + " is not a Steward database (not a SQLite file): " + what);
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return PermissionDenied("cannot write database " + path + ": " + what);
    case SQLITE_CANTOPEN:
      if (sys_errno == EACCES || sys_errno == EPERM || sys_errno == EROFS) {
        return PermissionDenied("cannot open database " + path + ": " + std::strerror(sys_errno));
      }
      if (sys_errno == ENOENT) {
        return NotFound("cannot open database " + path + ": its directory does not exist");
      }
      return Unavailable("cannot open database " + path + ": " + what);
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE) return AlreadyExists(what);
      return Internal("constraint violated in " + path + ": " + what);
    case SQLITE_TOOBIG:
      return InvalidArgument("value too large: " + what);
    case SQLITE_ERROR:
      // The usual cause outside a bug is a store used before Migrate().
      if (detail.rfind("no such table", 0) == 0) {
        return FailedPrecondition("database " + path + " is not migrated (" + what +
                                  "); run `steward migrate`");
      }
      return Internal("SQLite error on " + path + ": " + what);
    default:
      return Internal("SQLite error " + std::to_string(rc) + " on " + path + ": " + what);
  }
}

Result<std::unique_ptr<Conn>> Conn::Open(const std::string& path) {
  sqlite3* db = nullptr;
  const int flags =
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status st = MapError(rc, db, "open", path);
    sqlite3_close_v2(db);
    return st;
  }
  sqlite3_extended_result_codes(db, 1);
  return std::unique_ptr<Conn>(new Conn(db, path));
}

Conn::~Conn() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Result<sqlite3_stmt*> Conn::Prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return it->second;
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return Error(rc, "prepare");
  }
  cache_.emplace(sql, stmt);
  return stmt;
}

Status Conn::Exec(const std::string& sql, std::string_view context) {
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return Error(rc, context);
  return Status::Ok();
}

Result<bool> Stmt::Step(std::string_view context) {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return conn_.Error(rc, context);
}

Status Stmt::Run(std::string_view context) {
  while (true) {
    STEWARD_ASSIGN_OR_RETURN(bool row, Step(context));
    if (!row) return Status::Ok();
  }
}

std::string Stmt::Text(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  if (p == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

Txn::~Txn() {
  // SQLite rolls some failures back on its own; only roll back what is open.
  if (open_ && sqlite3_get_autocommit(conn_.db()) == 0) {
    auto stmt = conn_.Prepare("ROLLBACK");
    if (stmt.ok()) {
      Stmt s(conn_, *stmt);
      (void)s.Run("rollback");
    }
  }
}

Status Txn::Begin() {
  STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                           conn_.Prepare(mode_ == Mode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN"));
  Stmt s(conn_, raw);
  STEWARD_RETURN_IF_ERROR(s.Run("begin transaction"));
  open_ = true;
  return Status::Ok();
}

Status Txn::Commit() {
  STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn_.Prepare("COMMIT"));
  Stmt s(conn_, raw);
  STEWARD_RETURN_IF_ERROR(s.Run("commit"));
  open_ = false;
  return Status::Ok();
}

}  // namespace steward::sqlite
