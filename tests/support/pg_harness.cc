#include "support/pg_harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>

namespace steward::testing {

namespace {

namespace fs = std::filesystem;

// A URL that fails at once (nothing listens on port 1), returned after a
// setup failure so later code errors out instead of hanging.
constexpr const char* kBrokenUrl = "postgres://postgres@127.0.0.1:1/steward_harness_failed";

struct Cluster {
  std::once_flag once;
  std::mutex mu;  // serialises CREATE DATABASE
  bool ok = false;
  std::string error;
  fs::path dir;
  int port = 0;
  std::string start_command;  // pg_ctl start with this cluster's options
  std::atomic<int> next_db{0};
};

Cluster& TheCluster() {
  static Cluster* c = new Cluster();  // never destroyed: used from atexit
  return *c;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs a shell command as the postgres user when we are root.
int RunAsPostgres(const std::string& cmd) {
  std::string full = geteuid() == 0 ? "runuser -u postgres -- " + cmd : cmd;
  return std::system(full.c_str());
}

int PickFreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

void StopCluster() {
  Cluster& c = TheCluster();
  if (c.dir.empty()) return;
  if (c.ok) {
    RunAsPostgres(std::string(kPostgresBinDir) + "/pg_ctl stop -m immediate -w -D " +
                  (c.dir / "data").string() + " >/dev/null 2>&1");
  }
  std::error_code ec;
  fs::remove_all(c.dir, ec);
}

// If the test process dies without running atexit handlers (SIGKILL from a
// test timeout, a crash), nothing would stop the server. A forked watchdog
// blocks on a pipe whose only write end is ours (close-on-exec, so other
// children do not hold it); EOF means we are gone, and it stops the cluster
// and removes its directory. After a normal exit it finds nothing to do.
// It starts before initdb, so a kill during startup is covered too: if
// pg_ctl start was still running (it outlives us), the first stop finds no
// server and the second, after pg_ctl's own wait, stops it.
void StartWatchdog(const Cluster& c) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return;
  const std::string data = (c.dir / "data").string();
  std::string stop = std::string(kPostgresBinDir) + "/pg_ctl stop -m immediate -D " + data;
  if (geteuid() == 0) stop = "runuser -u postgres -- " + stop;
  const std::string script = stop + " >/dev/null 2>&1 || { sleep 5; " + stop +
                             " >/dev/null 2>&1; }; rm -rf " + c.dir.string();
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return;
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    close(fds[1]);
    setsid();  // not killed with the test's process group
    char buf;
    while (read(fds[0], &buf, 1) != 0) {
    }
    execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[0]);
  // fds[1] stays open for the life of this process, on purpose.
}

void StartCluster(Cluster& c) {
  const fs::path bin(kPostgresBinDir);
  if (!fs::exists(bin / "initdb") || !fs::exists(bin / "pg_ctl") || !fs::exists(bin / "postgres")) {
    c.error = std::string("PostgreSQL 15 server not found at ") + kPostgresBinDir +
              "; run scripts/install-deps.sh";
    return;
  }
  if (geteuid() == 0 && getpwnam("postgres") == nullptr) {
    c.error = "running as root, but there is no `postgres` OS user to run initdb as "
              "(initdb refuses root); install postgresql-15 or create the user";
    return;
  }
  std::string tmpl = (fs::temp_directory_path() / "steward-pg-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) {
    c.error = "mkdtemp failed for the PostgreSQL test cluster";
    return;
  }
  c.dir = tmpl;
  std::atexit(StopCluster);
  if (geteuid() == 0) {
    passwd* pw = getpwnam("postgres");
    if (chown(c.dir.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      c.error = "cannot chown " + c.dir.string() + " to postgres";
      return;
    }
  }
  StartWatchdog(c);
  const std::string data = (c.dir / "data").string();
  // Our shell (root) writes initdb.log; the server log is created by
  // pg_ctl itself, as postgres, which must be able to append to it.
  const std::string initdb_log = (c.dir / "initdb.log").string();
  const std::string log = (c.dir / "server.log").string();
  std::string initdb = (bin / "initdb").string() + " -D " + data +
                       " -U postgres -A trust -E UTF8 --locale=C --no-sync >" + initdb_log +
                       " 2>&1";
  if (RunAsPostgres(initdb) != 0) {
    c.error = "initdb failed: " + ReadFile(initdb_log);
    return;
  }
  // The port is picked by binding port 0; another process could grab it
  // before postgres does, so try a few times.
  for (int attempt = 0; attempt < 5; ++attempt) {
    int port = PickFreePort();
    std::string opts = "-p " + std::to_string(port) +
                       " -c listen_addresses=127.0.0.1 -c unix_socket_directories=" +
                       c.dir.string() +
                       " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
                       " -c shared_buffers=32MB -c max_connections=200"
                       " -c max_wal_size=1GB -c log_min_messages=warning";
    std::string start = (bin / "pg_ctl").string() + " start -w -t 60 -D " + data + " -l " + log +
                        " -o \"" + opts + "\" >" + (c.dir / "pg_ctl.log").string() + " 2>&1";
    if (RunAsPostgres(start) == 0) {
      c.port = port;
      c.ok = true;
      c.start_command = start;
      return;
    }
  }
  c.error = "pg_ctl start failed: " + ReadFile(c.dir / "pg_ctl.log") + ReadFile(log);
}

std::string UrlFor(const Cluster& c, const std::string& db) {
  return "postgres://postgres@127.0.0.1:" + std::to_string(c.port) + "/" + db;
}

// Starts the cluster once; on failure reports it to the current test.
bool EnsureCluster() {
  Cluster& c = TheCluster();
  std::call_once(c.once, [&c] { StartCluster(c); });
  if (!c.ok) ADD_FAILURE() << c.error;
  return c.ok;
}

}  // namespace

std::string PostgresAdminUrl() {
  if (!EnsureCluster()) return kBrokenUrl;
  return UrlFor(TheCluster(), "postgres");
}

std::string PostgresFreshDatabaseUrl() {
  if (!EnsureCluster()) return kBrokenUrl;
  Cluster& c = TheCluster();
  std::string name = "steward_test_" + std::to_string(getpid()) + "_" +
                     std::to_string(c.next_db.fetch_add(1));
  std::lock_guard lock(c.mu);
  PGconn* conn = PQconnectdb(UrlFor(c, "postgres").c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    ADD_FAILURE() << "cannot connect to the test cluster: " << PQerrorMessage(conn);
    PQfinish(conn);
    return kBrokenUrl;
  }
  // FILE_COPY: with fsync off, copying template1's files is much cheaper
  // than WAL-logging every block (the PostgreSQL 15 default).
  std::string sql = "CREATE DATABASE " + name + " STRATEGY FILE_COPY";
  PGresult* r = PQexec(conn, sql.c_str());
  bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  if (!ok) ADD_FAILURE() << "CREATE DATABASE failed: " << PQresultErrorMessage(r);
  PQclear(r);
  PQfinish(conn);
  return ok ? UrlFor(c, name) : kBrokenUrl;
}

bool PostgresStopServer() {
  if (!EnsureCluster()) return false;
  Cluster& c = TheCluster();
  // fast: every session is told "terminating connection due to administrator
  // command" and the server stops, as in a failover or a restart.
  return RunAsPostgres(std::string(kPostgresBinDir) + "/pg_ctl stop -m fast -w -t 60 -D " +
                       (c.dir / "data").string() + " >>" + (c.dir / "pg_ctl.log").string() +
                       " 2>&1") == 0;
}

bool PostgresStartServer() {
  if (!EnsureCluster()) return false;
  return RunAsPostgres(TheCluster().start_command) == 0;
}

}  // namespace steward::testing
