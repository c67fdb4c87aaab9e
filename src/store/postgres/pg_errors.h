// The one place where PostgreSQL and libpq failures become Steward Status
// codes. Every query and connect path in store/postgres goes through here, so
// a caller can rely on kUnavailable meaning "retry later" for every backend.
#pragma once

#include <libpq-fe.h>

#include <string_view>

#include "steward/status.h"

namespace steward::pg {

// Maps a SQLSTATE (five characters) to a code:
//   40001 serialization failure, 40P01 deadlock                -> kAborted
//     (not kUnavailable: the database is up; PostgresStore retries these
//     a bounded number of times before returning them)
//   08xxx connection exceptions,
//   57P01..57P05 (admin shutdown, crash shutdown, cannot connect now, ...),
//   55P03 lock not available                                   -> kUnavailable
//   23505 unique violation                                     -> kAlreadyExists
//   53100 disk full, 53200 out of memory, 53300 too many conns -> kResourceExhausted
//   42501 insufficient privilege, 28xxx authentication         -> kPermissionDenied
//   57014 statement timeout / query cancelled                  -> kDeadlineExceeded
//   22xxx data exceptions, other 23xxx constraint violations   -> kInvalidArgument
//   3D000 unknown database, 3F000 unknown schema, 42P01 unknown
//   table, 42883 unknown function (not migrated)               -> kFailedPrecondition
//   anything else                                              -> kInternal
StatusCode CodeForSqlState(std::string_view sqlstate);
// The Status for an error the server raised: CodeForSqlState's code, and
// StatusReason::kDiskFull for 53100 (disk_full).
Status StatusForSqlState(std::string_view sqlstate, std::string message);

// Status for a failed command. `result` may be null (libpq could not even
// allocate one, or the connection is gone); then the connection's error
// message is used and the failure counts as a lost connection.
Status StatusFromResult(const PGresult* result, PGconn* conn, std::string_view context);

// Status for a connection that could not be established. libpq gives no
// SQLSTATE for startup failures, so the server's message text is matched
// ("too many clients", "password authentication failed", ...).
Status StatusFromConnectFailure(PGconn* conn, std::string_view context);

// True if the status means the connection itself is probably unusable, so a
// pool must discard it instead of handing it out again.
bool IsConnectionLoss(PGconn* conn);

}  // namespace steward::pg
