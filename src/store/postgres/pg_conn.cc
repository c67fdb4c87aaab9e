#include "store/postgres/pg_conn.h"

#include <cstdlib>

#include "core/log.h"
#include "store/conflict_retry.h"
#include "store/postgres/pg_errors.h"

namespace steward::pg {

std::vector<const char*> Params::Pointers() const {
  std::vector<const char*> out;
  out.reserve(values_.size());
  for (const auto& v : values_) out.push_back(v ? v->c_str() : nullptr);
  return out;
}

namespace {

template <typename T>
std::string JoinInts(std::span<const T> values) {
  std::string s = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(values[i]);
  }
  s += '}';
  return s;
}

void AppendQuoted(std::string& out, std::string_view v) {
  out += '"';
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

}  // namespace

std::string IntArray(std::span<const int64_t> values) { return JoinInts(values); }
std::string IntArray(std::span<const int> values) { return JoinInts(values); }

std::string TextArray(std::span<const std::optional<std::string>> values) {
  std::string s = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) s += ',';
    if (values[i]) {
      AppendQuoted(s, *values[i]);
    } else {
      s += "NULL";
    }
  }
  s += '}';
  return s;
}

std::string TextArray(std::span<const std::string> values) {
  std::string s = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) s += ',';
    AppendQuoted(s, values[i]);
  }
  s += '}';
  return s;
}

Result<PgResult> Exec(PGconn* conn, std::string_view context, const char* sql,
                      const Params& params) {
  std::vector<const char*> ptrs = params.Pointers();
  // A statement outside a transaction block is its own transaction: when it
  // loses a deadlock or a serialization conflict it was rolled back whole
  // and can simply run again. Inside a block the caller's transaction is
  // aborted, so the caller decides (TxnStore runs it again).
  const bool own_transaction = PQtransactionStatus(conn) == PQTRANS_IDLE;
  for (int attempt = 1;; ++attempt) {
    PgResult r(PQexecParams(conn, sql, params.size(), nullptr, ptrs.data(), nullptr, nullptr, 0));
    ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return r;
    Status failed = StatusFromResult(r.get(), conn, context);
    if (!own_transaction || !RetryConflict(failed, attempt)) return failed;
  }
}

int64_t GetInt64(const PGresult* r, int row, int col) {
  return std::strtoll(PQgetvalue(r, row, col), nullptr, 10);
}
int GetInt(const PGresult* r, int row, int col) {
  return static_cast<int>(std::strtol(PQgetvalue(r, row, col), nullptr, 10));
}
bool GetBool(const PGresult* r, int row, int col) { return PQgetvalue(r, row, col)[0] == 't'; }
std::string GetText(const PGresult* r, int row, int col) {
  return std::string(PQgetvalue(r, row, col), PQgetlength(r, row, col));
}
std::optional<std::string> GetOptText(const PGresult* r, int row, int col) {
  if (PQgetisnull(r, row, col)) return std::nullopt;
  return GetText(r, row, col);
}
std::optional<int64_t> GetOptInt64(const PGresult* r, int row, int col) {
  if (PQgetisnull(r, row, col)) return std::nullopt;
  return GetInt64(r, row, col);
}
Timestamp GetTime(const PGresult* r, int row, int col) { return FromMicros(GetInt64(r, row, col)); }
std::optional<Timestamp> GetOptTime(const PGresult* r, int row, int col) {
  if (PQgetisnull(r, row, col)) return std::nullopt;
  return GetTime(r, row, col);
}

void InstallNoticeLogger(PGconn* conn) {
  PQsetNoticeProcessor(
      conn,
      [](void*, const char* message) {
        std::string m = message ? message : "";
        while (!m.empty() && m.back() == '\n') m.pop_back();
        for (char& c : m) {
          if (c == '\n' || c == '\t') c = ' ';
        }
        if (m.rfind("NOTICE:", 0) == 0 || m.rfind("DEBUG:", 0) == 0 || m.rfind("INFO:", 0) == 0) {
          log::Debug("PostgreSQL notice", {{"message", m}});
        } else {
          log::Warn("PostgreSQL notice", {{"message", m}});
        }
      },
      nullptr);
}

std::string QuoteIdent(std::string_view ident) {
  std::string s = "\"";
  for (char c : ident) {
    if (c == '"') s += '"';
    s += c;
  }
  s += '"';
  return s;
}

}  // namespace steward::pg
