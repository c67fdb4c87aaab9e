// Status and Result<T>: how Steward reports errors across module borders.
//
// Every fallible call returns a Status (no value) or a Result<T> (a value or
// a Status). Exceptions never cross a layer border; user handlers may throw,
// and the runtime turns that into a failed attempt.
//
// Codes follow the canonical set (Abseil / gRPC). Pick the code by what the
// caller should do about it:
//   kInvalidArgument     the input is wrong; retrying the same call fails again
//                        (malformed JSON, bad cron expression, limit <= 0).
//   kNotFound            the named job, queue, schedule or kind does not exist.
//   kAlreadyExists       a unique key or name is taken.
//   kFailedPrecondition  the system is not in a state that allows the call
//                        (retrying a running job, database schema is newer
//                        than this binary, file is not a Steward database).
//   kUnavailable         transient: database busy/locked, connection dropped.
//                        Retrying later may succeed.
//   kAborted             a transaction lost to a concurrent one (PostgreSQL
//                        deadlock or serialization failure) and the store's
//                        own bounded retries lost too. The database is up;
//                        retrying the whole operation may succeed.
//   kResourceExhausted   disk full (reason() == StatusReason::kDiskFull),
//                        connection pool exhausted.
//   kDeadlineExceeded    a timeout passed (pool acquire, job timeout).
//   kPermissionDenied    read-only file or directory, authentication failed.
//   kCancelled           the operation was cancelled (shutdown, job cancel).
//   kDataLoss            the database is corrupt.
//   kInternal            a bug: an invariant broke.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace steward {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,
  kUnavailable,
  kResourceExhausted,
  kDeadlineExceeded,
  kPermissionDenied,
  kCancelled,
  kDataLoss,
  kInternal,
  kAborted,
};

// A finer, typed cause where callers must tell apart what one code covers
// (instead of matching message text). Kept by WithContext.
enum class StatusReason {
  kNone = 0,
  kDiskFull,  // kResourceExhausted: no space left (SQLITE_FULL, SQLSTATE 53100)
};

// "invalid_argument", "not_found", ... (stable; used in JSON error bodies).
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  Status(StatusCode code, std::string message, StatusReason reason)
      : code_(code), reason_(reason), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  StatusReason reason() const { return reason_; }
  // The disk (or the database's quota) is full: waiting will not help.
  bool disk_full() const { return reason_ == StatusReason::kDiskFull; }
  // "not_found: job 42 does not exist"
  std::string ToString() const;
  // Returns a copy whose message is "<context>: <message>".
  Status WithContext(std::string_view context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  StatusReason reason_ = StatusReason::kNone;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
inline Status FailedPrecondition(std::string m) { return {StatusCode::kFailedPrecondition, std::move(m)}; }
inline Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status ResourceExhausted(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
inline Status DeadlineExceeded(std::string m) { return {StatusCode::kDeadlineExceeded, std::move(m)}; }
inline Status PermissionDenied(std::string m) { return {StatusCode::kPermissionDenied, std::move(m)}; }
inline Status Cancelled(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }
inline Status DataLoss(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
inline Status Aborted(std::string m) { return {StatusCode::kAborted, std::move(m)}; }
inline Status DiskFull(std::string m) {
  return {StatusCode::kResourceExhausted, std::move(m), StatusReason::kDiskFull};
}

// A value of T or a non-OK Status. Constructing from an OK Status is a bug and
// is turned into kInternal so it cannot be mistaken for success.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (std::get<Status>(v_).ok()) v_ = Internal("Result constructed from OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  Status status() const { return ok() ? Status() : std::get<Status>(v_); }

  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace steward

// Propagate a non-OK Status from an expression returning Status.
#define STEWARD_RETURN_IF_ERROR(expr)              \
  do {                                             \
    ::steward::Status _st = (expr);                \
    if (!_st.ok()) return _st;                     \
  } while (0)

#define STEWARD_CONCAT_INNER(a, b) a##b
#define STEWARD_CONCAT(a, b) STEWARD_CONCAT_INNER(a, b)
// STEWARD_ASSIGN_OR_RETURN(auto x, Foo()); declares x from a Result or returns its Status.
#define STEWARD_ASSIGN_OR_RETURN(lhs, expr) \
  STEWARD_ASSIGN_OR_RETURN_IMPL(STEWARD_CONCAT(_res_, __LINE__), lhs, expr)
#define STEWARD_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()
