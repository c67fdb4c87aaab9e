// SqliteStore: the Store for one process on one host, in a single SQLite file.
//
// The database runs in WAL mode with one writer connection (writes are
// serialised by a mutex inside the process and by SQLite's lock across
// processes, waiting up to busy_timeout) and one reader connection, so reads
// never wait behind a long write transaction. Several processes may open the
// same file (for example `steward jobs list` next to a running server), but
// only on one host: SQLite locking does not work over network file systems.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "store/store.h"

namespace steward {

struct SqliteOptions {
  // Path of the database file. Created (empty, unmigrated) if it does not
  // exist; its directory must exist and be writable (WAL needs the -wal and
  // -shm files beside it). ":memory:" gives a private in-memory database.
  std::string path;
  // false (default): PRAGMA synchronous=NORMAL. In WAL mode a power loss may
  // lose the last transactions but never corrupts the file. true: FULL, every
  // commit is fsynced.
  bool synchronous_full = false;
  // How long a write waits for another process holding the write lock before
  // failing with kUnavailable. Default 5 s.
  Micros busy_timeout = std::chrono::seconds(5);
  // Test only: caps the database size in pages (PRAGMA max_page_count) so a
  // test can provoke SQLITE_FULL without filling a disk. 0 = no cap.
  int64_t max_page_count = 0;
};

// Opens (does not migrate) the database. Errors: kPermissionDenied naming the
// path if the file or its directory is not writable; kFailedPrecondition if
// the file is not a SQLite database, is a SQLite database with other tables
// and no Steward schema, or has a schema newer than this binary; kNotFound if
// the directory does not exist.
Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteOptions& options);

}  // namespace steward
