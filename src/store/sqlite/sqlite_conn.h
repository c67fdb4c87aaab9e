// Thin RAII helpers over the SQLite C API, private to the SQLite store:
// a connection with a prepared-statement cache, a statement guard, a write
// transaction guard, and the one function that maps SQLite errors to Status.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "steward/clock.h"
#include "steward/status.h"

namespace steward::sqlite {

// The one place where SQLite result codes become Steward status codes.
// `db` may be null (then only `rc` is used); `path` names the database file
// in messages; `context` says what Steward was doing.
Status MapError(int rc, sqlite3* db, std::string_view context, const std::string& path);

// One SQLite connection. Not thread-safe by itself: callers hold mu() for the
// whole of any statement or transaction (the connection is opened with
// SQLITE_OPEN_NOMUTEX because this lock already serialises it).
class Conn {
 public:
  // Opens `path` read-write, creating it if missing.
  static Result<std::unique_ptr<Conn>> Open(const std::string& path);
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  sqlite3* db() const { return db_; }
  const std::string& path() const { return path_; }
  std::mutex& mu() { return mu_; }

  // A cached statement for `sql`, prepared once with SQLITE_PREPARE_PERSISTENT
  // and reused (the hot paths run the same few statements thousands of times
  // per second, and preparing costs more than executing).
  Result<sqlite3_stmt*> Prepare(const std::string& sql);
  // Runs one or more statements without results (pragmas, DDL).
  Status Exec(const std::string& sql, std::string_view context);
  Status Error(int rc, std::string_view context) const { return MapError(rc, db_, context, path_); }

 private:
  Conn(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  sqlite3* db_;
  std::string path_;
  std::mutex mu_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

// Binds parameters to and steps a cached statement; resets it on
// destruction so the next user finds it clean.
class Stmt {
 public:
  Stmt(Conn& conn, sqlite3_stmt* stmt) : conn_(conn), stmt_(stmt) {}
  ~Stmt() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  void Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void Bind(int i, int v) { sqlite3_bind_int64(stmt_, i, v); }
  void Bind(int i, bool v) { sqlite3_bind_int(stmt_, i, v ? 1 : 0); }
  void Bind(int i, Timestamp t) { sqlite3_bind_int64(stmt_, i, ToMicros(t)); }
  // Text is copied (SQLITE_TRANSIENT), so temporaries are safe to pass.
  void Bind(int i, std::string_view s) {
    sqlite3_bind_text64(stmt_, i, s.data(), s.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  }
  void Bind(int i, const std::string& s) { Bind(i, std::string_view(s)); }
  void Bind(int i, const char* s) { Bind(i, std::string_view(s)); }
  void BindNull(int i) { sqlite3_bind_null(stmt_, i); }
  template <typename T>
  void Bind(int i, const std::optional<T>& v) {
    if (v) {
      Bind(i, *v);
    } else {
      BindNull(i);
    }
  }

  // true: a row is ready; false: done.
  Result<bool> Step(std::string_view context);
  // Steps to completion, ignoring rows.
  Status Run(std::string_view context);

  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  Timestamp Time(int col) const { return FromMicros(sqlite3_column_int64(stmt_, col)); }
  std::string Text(int col) const;
  std::optional<std::string> OptText(int col) const {
    return IsNull(col) ? std::nullopt : std::optional<std::string>(Text(col));
  }
  std::optional<Timestamp> OptTime(int col) const {
    return IsNull(col) ? std::nullopt : std::optional<Timestamp>(Time(col));
  }
  sqlite3_stmt* raw() const { return stmt_; }

 private:
  Conn& conn_;
  sqlite3_stmt* stmt_;
};

// A transaction guard. kWrite is BEGIN IMMEDIATE, which takes the write lock
// up front, so a transaction never fails half-way with SQLITE_BUSY on lock
// upgrade (it waits for busy_timeout instead). kRead is a plain BEGIN: one
// consistent snapshot for several SELECTs. Rolls back on destruction unless
// committed; after an error that SQLite already rolled back itself
// (SQLITE_FULL, SQLITE_IOERR) there is nothing left to undo, which is fine.
class Txn {
 public:
  enum class Mode { kRead, kWrite };
  Txn(Conn& conn, Mode mode) : conn_(conn), mode_(mode) {}
  ~Txn();
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;

  Status Begin();
  Status Commit();

 private:
  Conn& conn_;
  Mode mode_;
  bool open_ = false;
};

}  // namespace steward::sqlite
