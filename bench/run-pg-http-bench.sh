#!/usr/bin/env bash
# HTTP enqueue throughput on PostgreSQL: http-enqueue-bench against a
# throwaway PostgreSQL 15 cluster with the durability defaults (fsync=on,
# synchronous_commit=on), RUNS runs (3) on fresh databases, then medians.
#
#   bench/run-pg-http-bench.sh [BUILD_DIR] [extra http-enqueue-bench flags...]
#
# BUILD_DIR (default ./build) must hold bench/http-enqueue-bench. Knobs:
# RUNS (3), SECONDS_PER_RUN (10), PG_BIN (/usr/lib/postgresql/15/bin), PG_OPTS
# (extra server options, e.g. "-c synchronous_commit=off" to see what fsync costs).
# Runs PostgreSQL as the `postgres` user when started by root; the cluster
# lives in a temp directory and is removed on exit, whatever happens.
set -euo pipefail

BUILD=${1:-build}
shift || true
RUNS=${RUNS:-3}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_OPTS=${PG_OPTS:-}
BENCH="$BUILD/bench/http-enqueue-bench"
[[ -x "$BENCH" ]] || { echo "missing $BENCH; build it first" >&2; exit 2; }
[[ -x "$PG_BIN/pg_ctl" ]] || { echo "PostgreSQL 15 not found in $PG_BIN" >&2; exit 2; }

run_pg() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
TMP=$(mktemp -d /tmp/steward-pghttp-XXXXXX)
[[ $(id -u) == 0 ]] && chown postgres: "$TMP"
trap 'run_pg "$PG_BIN/pg_ctl" stop -m fast -w -D "$TMP/db" >/dev/null 2>&1 || true; rm -rf "$TMP"' EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
run_pg "$PG_BIN/initdb" -D "$TMP/db" -U postgres -A trust -E UTF8 --locale=C >"$TMP/initdb.log" 2>&1
run_pg "$PG_BIN/pg_ctl" start -w -t 60 -D "$TMP/db" -l "$TMP/pg.log" -o \
  "-p $PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$TMP -c max_connections=100 $PG_OPTS" >/dev/null
URL="postgres://postgres@127.0.0.1:$PORT"

echo "# http-enqueue-bench on PostgreSQL $(run_pg "$PG_BIN/postgres" --version | awk '{print $3}')," \
     "fsync=on synchronous_commit=on; $(nproc) cores; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$TMP/runs.jsonl"
for i in $(seq 1 "$RUNS"); do
  psql -X -q -v ON_ERROR_STOP=1 "$URL/postgres" -c "CREATE DATABASE http_$i"
  echo "## run $i: $BENCH --db $URL/http_$i --seconds $SECONDS_PER_RUN $*"
  # Exit status 1 means some requests failed: reported in the figures, not fatal.
  "$BENCH" --db "$URL/http_$i" --seconds "$SECONDS_PER_RUN" "$@" >"$TMP/run.txt" 2>/dev/null || true
  head -2 "$TMP/run.txt"
  tail -1 "$TMP/run.txt" >>"$TMP/runs.jsonl"
  echo "   load average: $(cut -d' ' -f1-3 /proc/loadavg)"
done
python3 - "$TMP/runs.jsonl" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
for key in ("req_per_s", "p50_ms", "p99_ms", "errors"):
    vals = [r[key] for r in runs]
    print(f"median {key}: {statistics.median(vals):.2f}   (runs: {', '.join(f'{v:.2f}' for v in vals)})")
PY
