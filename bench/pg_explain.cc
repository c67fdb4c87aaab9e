// pg-explain: loads 1,000,000 finished jobs and a few thousand pending ones
// into a PostgreSQL database and prints EXPLAIN (ANALYZE, BUFFERS) of the
// claim, stats and retention statements, for docs/postgres.md.
//
//   pg-explain --db postgres://postgres@127.0.0.1:5432/explain
//
// The claim and the stats are the bodies of the claim_jobs() and
// queue_stats() functions (migrations 0006, 0007), read from pg_proc and run
// under the functions' own planner settings; the retention statement is a
// copy of the one in src/store/postgres/postgres_jobs.cc (the store keeps it
// private); keep it in step. They run through
// PREPARE/EXECUTE with plan_cache_mode = force_custom_plan, which is what the
// store's unnamed PQexecParams statements get: a plan for the actual values.
// The claim and the delete modify rows, so each runs inside a transaction
// that is rolled back.
#include <libpq-fe.h>

#include <chrono>
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "store/store.h"

namespace {

// PostgresStore::JobDeleteFinished.
constexpr const char* kDeleteSql = R"sql(
DELETE FROM jobs WHERE id IN (
  SELECT id FROM jobs
   WHERE (state = 'completed' AND finished_at < ts($1))
      OR (state IN ('discarded', 'cancelled') AND finished_at < ts($2))
   LIMIT $3
   FOR UPDATE SKIP LOCKED)
)sql";

bool Run(PGconn* c, const std::string& sql, bool print = false) {
  PGresult* r = PQexec(c, sql.c_str());
  ExecStatusType st = PQresultStatus(r);
  bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
  if (!ok) std::fprintf(stderr, "pg-explain: %s\n%s", sql.c_str(), PQresultErrorMessage(r));
  if (ok && print) {
    for (int i = 0; i < PQntuples(r); ++i) std::printf("%s\n", PQgetvalue(r, i, 0));
  }
  PQclear(r);
  return ok;
}

// The first column of the first row, or "" (with the error printed).
std::string Scalar(PGconn* c, const std::string& sql) {
  PGresult* r = PQexec(c, sql.c_str());
  std::string out;
  if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0) {
    out = PQgetvalue(r, 0, 0);
  } else {
    std::fprintf(stderr, "pg-explain: %s\n%s", sql.c_str(), PQresultErrorMessage(r));
  }
  PQclear(r);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"pg-explain: query plans of the claim and stats queries on a big table"};
  std::string db;
  std::string schema = "steward";
  int64_t finished = 1'000'000;
  int64_t pending = 5'000;
  int queues = 4;
  app.add_option("--db", db, "postgres:// URL (a fresh database)")->required();
  app.add_option("--schema", schema, "Steward schema (as in the URL)");
  app.add_option("--finished", finished, "Finished (completed) jobs to load");
  app.add_option("--pending", pending, "Available jobs to load");
  app.add_option("--queues", queues, "Queues the jobs are spread over");
  CLI11_PARSE(app, argc, argv);

  {
    auto store = steward::OpenStore(db);
    if (!store.ok()) {
      std::fprintf(stderr, "pg-explain: open: %s\n", store.status().ToString().c_str());
      return 1;
    }
    if (auto st = (*store)->Migrate(); !st.ok()) {
      std::fprintf(stderr, "pg-explain: migrate: %s\n", st.ToString().c_str());
      return 1;
    }
  }
  PGconn* c = PQconnectdb(db.substr(0, db.find('?')).c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    std::fprintf(stderr, "pg-explain: %s", PQerrorMessage(c));
    return 1;
  }
  if (!Run(c, "SET search_path TO " + schema)) return 1;

  // Bulk load in SQL: the shape of a busy table after a day of work, without
  // pushing a million jobs through the runtime first.
  auto t0 = std::chrono::steady_clock::now();
  const std::string q = std::to_string(queues);
  if (!Run(c,
           "INSERT INTO jobs (queue, kind, payload, run_at, attempt, max_attempts, state, "
           "created_at, started_at, finished_at) "
           "SELECT 'q' || (g % " +
               q +
               "), 'noop', '{}', now() - interval '1 hour', 1, 20, "
               "'completed', now() - interval '1 hour', now() - interval '1 hour', "
               "now() - interval '1 hour' + g * interval '1 millisecond' "
               "FROM generate_series(1, " +
               std::to_string(finished) + ") g")) {
    return 1;
  }
  if (!Run(c,
           "INSERT INTO jobs (queue, kind, payload, run_at, max_attempts, state, created_at) "
           "SELECT 'q' || (g % " +
               q +
               "), 'noop', '{}', now() - interval '1 minute', 20, "
               "'available', now() FROM generate_series(1, " +
               std::to_string(pending) + ") g")) {
    return 1;
  }
  // What autovacuum would have done by the time the table got this big.
  if (!Run(c, "VACUUM ANALYZE jobs")) return 1;
  std::printf("loaded %lld finished + %lld pending jobs in %.1f s\n\n",
              static_cast<long long>(finished), static_cast<long long>(pending),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());

  Run(c, "SET plan_cache_mode = force_custom_plan");
  const std::string now_us = "(extract(epoch FROM now()) * 1000000)::int8";
  // A store function's body and its SET clauses (planner settings) as
  // "SET LOCAL ..." statements, to run the body as the function does.
  struct Body {
    std::string sql, settings;
  };
  auto body_of = [c](const std::string& fn) {
    return Body{Scalar(c, "SELECT prosrc FROM pg_proc WHERE proname = '" + fn + "'"),
                Scalar(c, "SELECT string_agg('SET LOCAL ' || replace(s, '=', ' = '), '; ') "
                          "FROM pg_proc, unnest(proconfig) s WHERE proname = '" + fn +
                              "' AND s NOT LIKE 'search_path=%'")};
  };
  const Body claim = body_of("claim_jobs");
  const Body stats = body_of("queue_stats");
  if (claim.sql.empty() || claim.settings.empty() || stats.sql.empty()) return 1;
  if (!Run(c, "PREPARE claim(text, int8, int4, text, int8) AS " + claim.sql)) return 1;
  if (!Run(c, "PREPARE stats(int8) AS " + stats.sql)) return 1;
  if (!Run(c, std::string("PREPARE retention(int8, int8, int4) AS ") + kDeleteSql)) return 1;

  const std::string opts = "EXPLAIN (ANALYZE, BUFFERS, TIMING) ";
  std::printf("=== claim: 100 jobs of queue q1 ===\n");
  std::printf("(%s)\n", claim.settings.c_str());
  Run(c, "BEGIN; " + claim.settings);
  Run(c, opts + "EXECUTE claim('q1', " + now_us + ", 100, 'explain', " + now_us + " + 30000000)",
      true);
  Run(c, "ROLLBACK");
  std::printf("\n=== claim: empty queue (nothing pending) ===\n");
  Run(c, "BEGIN; " + claim.settings);
  Run(c, opts + "EXECUTE claim('idle', " + now_us + ", 100, 'explain', " + now_us + " + 30000000)",
      true);
  Run(c, "ROLLBACK");
  std::printf("\n=== stats (QueueStatsAll) ===\n(%s)\n", stats.settings.c_str());
  Run(c, "BEGIN; " + stats.settings);
  Run(c, opts + "EXECUTE stats(" + now_us + ")", true);
  Run(c, "ROLLBACK");
  std::printf("\n=== retention: delete 1000 completed jobs ===\n");
  Run(c, "BEGIN");
  Run(c, opts + "EXECUTE retention(" + now_us + ", " + now_us + ", 1000)", true);
  Run(c, "ROLLBACK");
  PQfinish(c);
  return 0;
}
