// A throwaway PostgreSQL 15 cluster for tests.
//
// The first call in a test process starts one private cluster: initdb into
// a temp directory, postgres on a free port of 127.0.0.1 (trust auth, fsync
// off, max_connections 200). It is stopped (pg_ctl stop -m immediate) and
// its directory removed when the process exits. Running as root, initdb and
// pg_ctl run as the `postgres` OS user (initdb refuses root), so that user
// must exist, as it does once the postgresql-15 package is installed.
//
// If the server binaries are missing or the cluster cannot start, the
// calling test FAILS with the reason (never skipped), and the returned URL
// points at a closed port so that any later use fails fast.
#pragma once

#include <string>

namespace steward::testing {

// A new, empty database in the shared cluster:
// "postgres://postgres@127.0.0.1:PORT/steward_test_<pid>_<n>". Thread-safe.
std::string PostgresFreshDatabaseUrl();

// The cluster's maintenance database, for admin work in tests
// (pg_stat_activity, pg_terminate_backend, CREATE DATABASE).
std::string PostgresAdminUrl();

// An outage of the whole server, for tests of what clients do meanwhile:
// Stop disconnects every session and stops it; Start brings it back on the
// same port with the same data. Both return false on failure (and the test
// should fail: later tests in the process need the server).
bool PostgresStopServer();
bool PostgresStartServer();

// Where the server binaries are looked for.
inline constexpr const char* kPostgresBinDir = "/usr/lib/postgresql/15/bin";

}  // namespace steward::testing
