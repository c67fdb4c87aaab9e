#include "store/postgres/pg_errors.h"

#include <string>

namespace steward::pg {

namespace {

// libpq messages end with a newline and may span lines; keep one line for
// logs and JSON error bodies.
std::string OneLine(const char* msg) {
  std::string s = msg ? msg : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (char& c : s) {
    if (c == '\n') c = ' ';
  }
  return s;
}

bool Contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

StatusCode CodeForSqlState(std::string_view s) {
  if (s.size() != 5) return StatusCode::kInternal;
  std::string_view cls = s.substr(0, 2);
  // A lost deadlock or serialization conflict: the database is up.
  if (s == "40001" || s == "40P01") return StatusCode::kAborted;
  if (s == "55P03" || s == "55006") return StatusCode::kUnavailable;
  if (cls == "08") return StatusCode::kUnavailable;
  if (s == "57014") return StatusCode::kDeadlineExceeded;
  if (cls == "57") return StatusCode::kUnavailable;  // 57P01..57P05: shutdown, crash, ...
  if (s == "23505") return StatusCode::kAlreadyExists;
  if (s == "53100" || s == "53200" || s == "53300" || s == "53400") {
    return StatusCode::kResourceExhausted;
  }
  if (s == "42501" || cls == "28") return StatusCode::kPermissionDenied;
  if (cls == "22" || cls == "23") return StatusCode::kInvalidArgument;
  if (s == "3D000" || s == "3F000" || s == "42P01" || s == "42883") {
    return StatusCode::kFailedPrecondition;
  }
  return StatusCode::kInternal;
}

Status StatusForSqlState(std::string_view sqlstate, std::string message) {
  const StatusCode code = CodeForSqlState(sqlstate);
  // 53100 disk_full; the other class 53 states (memory, connections) are
  // exhausted resources that come back by themselves.
  if (sqlstate == "53100") return Status(code, std::move(message), StatusReason::kDiskFull);
  return Status(code, std::move(message));
}

bool IsConnectionLoss(PGconn* conn) { return conn == nullptr || PQstatus(conn) != CONNECTION_OK; }

Status StatusFromResult(const PGresult* result, PGconn* conn, std::string_view context) {
  std::string ctx(context);
  if (result == nullptr || IsConnectionLoss(conn)) {
    // A lost connection is transient from the caller's point of view: the
    // pool reconnects and the next call can succeed.
    std::string msg = result ? OneLine(PQresultErrorMessage(result)) : "";
    if (msg.empty()) msg = OneLine(conn ? PQerrorMessage(conn) : "no connection");
    const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    StatusCode code = state ? CodeForSqlState(state) : StatusCode::kUnavailable;
    if (code == StatusCode::kInternal || code == StatusCode::kAborted) {
      code = StatusCode::kUnavailable;
    }
    return Status(code, ctx + ": PostgreSQL connection lost: " + msg);
  }
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  std::string msg = OneLine(PQresultErrorMessage(result));
  if (state == nullptr) return Status(StatusCode::kInternal, ctx + ": " + msg);
  return StatusForSqlState(state, ctx + ": " + msg + " (SQLSTATE " + state + ")");
}

Status StatusFromConnectFailure(PGconn* conn, std::string_view context) {
  std::string msg = OneLine(conn ? PQerrorMessage(conn) : "out of memory");
  std::string ctx(context);
  StatusCode code = StatusCode::kUnavailable;
  if (Contains(msg, "too many clients") || Contains(msg, "too many connections") ||
      Contains(msg, "remaining connection slots")) {
    code = StatusCode::kResourceExhausted;
  } else if (Contains(msg, "authentication failed") || Contains(msg, "permission denied") ||
             Contains(msg, "no pg_hba.conf entry") || Contains(msg, "password")) {
    code = StatusCode::kPermissionDenied;
  } else if (Contains(msg, "does not exist")) {
    code = StatusCode::kFailedPrecondition;
  } else if (Contains(msg, "invalid URI") || Contains(msg, "invalid connection option") ||
             Contains(msg, "invalid port") || Contains(msg, "invalid integer value") ||
             Contains(msg, "missing \"=\"")) {
    code = StatusCode::kInvalidArgument;
  }
  return Status(code, ctx + ": " + msg);
}

}  // namespace steward::pg
