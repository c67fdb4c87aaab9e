// Thin helpers over libpq: an owning result, text-format parameters
// (including array literals for batched unnest statements), and typed
// column readers. Everything is sent and read in text format, which keeps
// the code simple; timestamps travel as int8 microseconds (see
// migrations/0001_init.sql for the ts()/us() conversion functions).
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "steward/clock.h"
#include "steward/status.h"

namespace steward::pg {

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

// Parameters for PQexecParams, all in text format. NULL is std::nullopt.
class Params {
 public:
  Params& Add(std::string v) {
    values_.emplace_back(std::move(v));
    return *this;
  }
  Params& Add(std::string_view v) { return Add(std::string(v)); }
  Params& Add(const char* v) { return Add(std::string(v)); }
  Params& Add(int64_t v) { return Add(std::to_string(v)); }
  Params& Add(int v) { return Add(std::to_string(v)); }
  Params& Add(bool v) { return Add(std::string(v ? "t" : "f")); }
  Params& Add(Timestamp t) { return Add(ToMicros(t)); }
  Params& AddNull() {
    values_.emplace_back(std::nullopt);
    return *this;
  }
  template <typename T>
  Params& Add(const std::optional<T>& v) {
    return v ? Add(*v) : AddNull();
  }

  int size() const { return static_cast<int>(values_.size()); }
  // Pointers into this object; valid while it lives and is not modified.
  std::vector<const char*> Pointers() const;

 private:
  std::vector<std::optional<std::string>> values_;
};

// Array literals in PostgreSQL's text syntax, for `$n::int8[]` etc.
std::string IntArray(std::span<const int64_t> values);
std::string IntArray(std::span<const int> values);
// Elements are quoted and escaped; nullopt becomes an unquoted NULL.
std::string TextArray(std::span<const std::optional<std::string>> values);
std::string TextArray(std::span<const std::string> values);

// Runs one statement. Returns the result for PGRES_COMMAND_OK and
// PGRES_TUPLES_OK, otherwise the mapped error (see pg_errors.h) prefixed
// with `context`. Outside a transaction block, a statement that lost a
// deadlock or serialization conflict runs again, up to kConflictAttempts
// times in all (store/conflict_retry.h).
Result<PgResult> Exec(PGconn* conn, std::string_view context, const char* sql,
                      const Params& params = Params());

// Column readers. Column values are never NULL unless the reader says so.
int64_t GetInt64(const PGresult* r, int row, int col);
int GetInt(const PGresult* r, int row, int col);
bool GetBool(const PGresult* r, int row, int col);
std::string GetText(const PGresult* r, int row, int col);
std::optional<std::string> GetOptText(const PGresult* r, int row, int col);
std::optional<int64_t> GetOptInt64(const PGresult* r, int row, int col);
Timestamp GetTime(const PGresult* r, int row, int col);  // int8 micros column
std::optional<Timestamp> GetOptTime(const PGresult* r, int row, int col);

// Routes the connection's notices (NOTICE/WARNING from the server, and the
// FATAL a terminated session receives) to core/log instead of libpq's default
// of printing to stderr: at debug level for notices, warn for the rest.
void InstallNoticeLogger(PGconn* conn);

// Double-quotes an identifier (schema, channel) for SQL text.
std::string QuoteIdent(std::string_view ident);

}  // namespace steward::pg
