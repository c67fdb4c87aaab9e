#!/usr/bin/env bash
# Runs the PostgreSQL benchmarks against a throwaway PostgreSQL 15 cluster:
# steward-bench (3 runs, medians), pg-explain (plans with 1,000,000 finished
# jobs) and pg-soak (table size while 2,000,000 jobs pass through).
#
#   bench/run-pg-bench.sh [BUILD_DIR] [all|bench|explain|soak]...
#
# BUILD_DIR defaults to ./build; it must hold the tools of the chosen modes
# (bench/steward-bench, bench/pg-explain, bench/pg-soak). Environment knobs:
# BENCH_JOBS (100000), BENCH_RUNS (3), BENCH_CONCURRENCY (256 per node, or a
# list to sweep, "1,10,50,256": each concurrency runs BENCH_RUNS times, each
# run on a fresh database), BENCH_NODES (1), BENCH_ARGS (extra steward-bench
# flags, e.g. "--prefetch 0"), SOAK_JOBS (2000000),
# SOAK_ARGS (extra pg-soak flags), PG_STATEMENTS (1: load pg_stat_statements
# and print the statements that took the server's time after the benchmark),
# PG_OPTS (extra server options, e.g.
# "-c synchronous_commit=off"), PG_BIN (/usr/lib/postgresql/15/bin).
#
# Unlike the test harness (fsync off, for speed), the cluster keeps
# PostgreSQL's durability defaults (fsync=on, synchronous_commit=on,
# full_page_writes=on), so the figures are honest ones. It runs as the
# `postgres` OS user when started by root (initdb refuses root), lives in a
# temp directory and is stopped and removed on exit, whatever happens.
set -euo pipefail

BUILD=${1:-build}
shift || true
MODES=${*:-all}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
BENCH_JOBS=${BENCH_JOBS:-100000}
BENCH_RUNS=${BENCH_RUNS:-3}
BENCH_CONCURRENCY=${BENCH_CONCURRENCY:-256}
BENCH_NODES=${BENCH_NODES:-1}
SOAK_JOBS=${SOAK_JOBS:-2000000}
SOAK_ARGS=${SOAK_ARGS:-}
PG_OPTS=${PG_OPTS:-}
PG_STATEMENTS=${PG_STATEMENTS:-0}
[[ $PG_STATEMENTS == 1 ]] && PG_OPTS="$PG_OPTS -c shared_preload_libraries=pg_stat_statements"

BENCH_ARGS=${BENCH_ARGS:-}

want() { [[ " $MODES " == *" all "* || " $MODES " == *" $1 "* ]]; }

for pair in bench:steward-bench explain:pg-explain soak:pg-soak; do
  want "${pair%%:*}" || continue
  tool=${pair#*:}
  [[ -x "$BUILD/bench/$tool" ]] || { echo "missing $BUILD/bench/$tool; build it first" >&2; exit 2; }
done
[[ -x "$PG_BIN/initdb" ]] || { echo "PostgreSQL 15 not found in $PG_BIN (scripts/install-deps.sh)" >&2; exit 2; }

as_pg() {
  if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

DIR=$(mktemp -d /tmp/steward-pgbench-XXXXXX)
[[ $(id -u) == 0 ]] && chown postgres: "$DIR"
cleanup() {
  as_pg "$PG_BIN/pg_ctl" stop -m fast -w -D "$DIR/data" >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg "$PG_BIN/initdb" -D "$DIR/data" -U postgres -A trust -E UTF8 --locale=C >"$DIR/initdb.log" 2>&1
as_pg "$PG_BIN/pg_ctl" start -w -t 60 -D "$DIR/data" -l "$DIR/server.log" \
  -o "-p $PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$DIR -c max_connections=200 -c shared_buffers=128MB -c max_wal_size=2GB $PG_OPTS" \
  >/dev/null
PGURL="postgres://postgres@127.0.0.1:$PORT"
psql_admin() { psql -X -q -v ON_ERROR_STOP=1 "$PGURL/postgres" -c "$1"; }
fresh_db() { psql_admin "CREATE DATABASE $1"; echo "$PGURL/$1"; }

echo "# PostgreSQL $(as_pg "$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT," \
     "fsync=on synchronous_commit=on; $(nproc) cores; load average: $(cut -d' ' -f1-3 /proc/loadavg)"

[[ $PG_STATEMENTS == 1 ]] && psql_admin "CREATE EXTENSION pg_stat_statements"

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }


if want bench; then
  OUT="$DIR/bench.jsonl"
  : >"$OUT"
  # One unrecorded run first: a fresh cluster has to create (zero-fill) its
  # WAL segments, while a server that has been up a while recycles them.
  warm=$(fresh_db bench_warmup)
  echo "## warm-up run (not recorded)"
  # shellcheck disable=SC2086
  "$BUILD/bench/steward-bench" --db "$warm" --jobs "$BENCH_JOBS" --concurrency "${BENCH_CONCURRENCY%%,*}" \
    --nodes "$BENCH_NODES" --latency-samples 10 --idle-seconds 0 $BENCH_ARGS >/dev/null
  IFS=, read -ra CONCURRENCIES <<<"$BENCH_CONCURRENCY"
  for c in "${CONCURRENCIES[@]}"; do
    : >"$OUT"
    for i in $(seq 1 "$BENCH_RUNS"); do
      url=$(fresh_db "bench_c${c}_$i")
      echo "## steward-bench run $i: $BUILD/bench/steward-bench --db $url --jobs $BENCH_JOBS --concurrency $c --nodes $BENCH_NODES $BENCH_ARGS"
      # shellcheck disable=SC2086
      "$BUILD/bench/steward-bench" --db "$url" --jobs "$BENCH_JOBS" --concurrency "$c" --nodes "$BENCH_NODES" $BENCH_ARGS | tee "$DIR/run$i.txt"
      tail -1 "$DIR/run$i.txt" >>"$OUT"
      echo "   load average: $(cut -d' ' -f1-3 /proc/loadavg)"
    done
    for key in enqueue_jobs_per_s drain_jobs_per_s latency_p50_ms latency_p99_ms idle_cpu_percent; do
      vals=$(python3 -c "import json,sys; [print(json.loads(l)['$key']) for l in open('$OUT')]")
      echo "concurrency $c median $key: $(echo "$vals" | median)   (runs: $(echo $vals))"
    done
  done
  if [[ $PG_STATEMENTS == 1 ]]; then
    echo "## pg_stat_statements: where the server's time went (all runs)"
    psql -X -P pager=off "$PGURL/postgres" -c "SELECT calls, round(total_exec_time) AS total_ms,
      round(mean_exec_time::numeric, 3) AS mean_ms, rows, left(regexp_replace(query, '\s+', ' ', 'g'), 70) AS query
      FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 8"
    psql -X -P pager=off "$PGURL/postgres" -c "SELECT wal_records, wal_sync, round(wal_sync_time) AS wal_sync_ms,
      round(wal_write_time) AS wal_write_ms FROM pg_stat_wal"
  fi
fi

if want explain; then
  url=$(fresh_db explain)
  echo "## $BUILD/bench/pg-explain --db $url"
  "$BUILD/bench/pg-explain" --db "$url"
fi

if want soak; then
  url=$(fresh_db soak)
  echo "## $BUILD/bench/pg-soak --db $url --jobs $SOAK_JOBS $SOAK_ARGS"
  # shellcheck disable=SC2086
  "$BUILD/bench/pg-soak" --db "$url" --jobs "$SOAK_JOBS" $SOAK_ARGS
fi
echo "# done; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
