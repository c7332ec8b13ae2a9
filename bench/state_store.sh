#!/usr/bin/env bash
# bench/state_store.sh: what sharing state costs, in one run, on the real code:
#  1. deploy-record latency on SQLite (the one-machine default) vs PostgreSQL (several nodes):
#     bench/store_latency.cc records DEPLOYS deployments through the StateStore interface on each
#     backend, interleaved (24 durable writes each: release, deployment, 16 step saves, 3 updates,
#     2 slot states, the switch's routing overlay);
#  2. switch latency: one node on SQLite (switch call to the first answer from the new slot,
#     bench/switch_latency.cc), then switch propagation with NODES nodes on one PostgreSQL (the
#     call to node 0's admin API, load on the others; the figure is when the LAST of them served
#     the new slot), SWITCHES switches each under keep-alive load;
#  3. gateway throughput with the Redis-backed rate limit vs the per-node one
#     (bench/redis_rate_limit.sh, interleaved pairs, medians).
# PostgreSQL 15 runs from a fresh initdb in a temp dir as the `postgres` user on a loopback port
# (fsync on, synchronous_commit on: the defaults, so a write is durable when it returns).
# A figure that could not be measured fails the script.
# Last line: switch_propagation_ms=X redis_ratio=Y switch_sqlite_ms=Z deploy_record_sqlite_ms=A
#            deploy_record_pg_ms=B switch_propagation_p99_ms=P
# Knobs: DEPLOYS=200, SWITCHES=100, NODES=3, CLIENTS=4, plus bench/lib.sh's (BENCH_PAIRS, ...).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DEPLOYS=${DEPLOYS:-200}
SWITCHES=${SWITCHES:-100}
NODES=${NODES:-3}
CLIENTS=${CLIENTS:-4}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

for tool in setpriv setsid; do
  command -v "$tool" >/dev/null 2>&1 || bench_die "missing $tool (util-linux)"
done
[ -x "$PG_BIN/postgres" ] || bench_die "no PostgreSQL in $PG_BIN; install it with: scripts/install-deps.sh bench"
id postgres >/dev/null 2>&1 || bench_die "no postgres user; install postgresql (scripts/install-deps.sh bench)"
cmake --build "$BENCH_BUILD_DIR" --target shipgate switch_latency store_latency >/dev/null ||
  bench_die "cannot build shipgate, switch_latency and store_latency in $BENCH_BUILD_DIR"

BENCH_DIR=$(mktemp -d /tmp/shipgate-bench-state.XXXXXX)
chmod 755 "$BENCH_DIR"
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
bench_note "$BENCH_NAME: $(date -u +%FT%TZ), $(nproc) CPUs, load: $(cut -d' ' -f1-3 /proc/loadavg)"
bench_shipgate_build_note

# PostgreSQL, as the postgres user (it refuses root), its data and socket in the temp dir.
pg_dir=$BENCH_DIR/pg
mkdir -p "$pg_dir"
chown postgres: "$pg_dir"
as_postgres() { setpriv --reuid postgres --regid postgres --init-groups "$@"; }
as_postgres "$PG_BIN/initdb" -D "$pg_dir/data" -A trust -U postgres >"$pg_dir/initdb.log" 2>&1 ||
  bench_die "initdb failed: $(tail -5 "$pg_dir/initdb.log")"
pg_port=$(bench_free_port)
bench_start 1 "$pg_dir/postgres.log" setpriv --reuid postgres --regid postgres --init-groups \
  "$PG_BIN/postgres" -D "$pg_dir/data" -p "$pg_port" -k "$pg_dir" -c listen_addresses=127.0.0.1
bench_wait_port "$pg_port" "$BENCH_PID" "$pg_dir/postgres.log"
for _ in $(seq 100); do
  as_postgres "$PG_BIN/pg_isready" -h 127.0.0.1 -p "$pg_port" -q && break
  sleep 0.1
done
for db in records cluster; do
  as_postgres "$PG_BIN/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres "$db" ||
    bench_die "createdb $db failed"
done
pg_url() { echo "postgres://postgres@127.0.0.1:$pg_port/$1"; }

# 1. Deploy records.
mkdir -p "$BENCH_DIR/sqlite"
out=$("$BENCH_BUILD_DIR/bench/store_latency" --sqlite-dir "$BENCH_DIR/sqlite" \
  --pg-url "$(pg_url records)" --deploys "$DEPLOYS") || bench_die "store_latency failed: $out"
echo "$out"
last=$(tail -1 <<<"$out")
deploy_sqlite=$(sed -n 's/.*deploy_record_sqlite_ms=\([0-9.]*\).*/\1/p' <<<"$last")
deploy_pg=$(sed -n 's/.*deploy_record_pg_ms=\([0-9.]*\).*/\1/p' <<<"$last")
[ -n "$deploy_sqlite" ] && [ -n "$deploy_pg" ] || bench_die "no deploy-record figures in: $last"

# 2. Switch latency on one SQLite node, then propagation across NODES nodes on PostgreSQL.
switch_run() {  # EXTRA ARGS...
  "$BENCH_BUILD_DIR/bench/switch_latency" --shipgate "$SHIPGATE_BIN" --switches "$SWITCHES" \
    --clients "$CLIENTS" "$@"
}
out=$(switch_run) || bench_die "switch_latency (SQLite, one node) failed: $out"
echo "$out"
switch_sqlite=$(tail -1 <<<"$out" | sed -n 's/.*[[:space:]]median_ms=\([0-9.]*\).*/\1/p')
out=$(switch_run --pg-url "$(pg_url cluster)" --nodes "$NODES") ||
  bench_die "switch_latency ($NODES nodes on PostgreSQL) failed: $out"
echo "$out"
propagation=$(tail -1 <<<"$out" | sed -n 's/.*[[:space:]]median_ms=\([0-9.]*\).*/\1/p')
propagation_p99=$(tail -1 <<<"$out" | sed -n 's/.*[[:space:]]p99_ms=\([0-9.]*\).*/\1/p')
[ -n "$switch_sqlite" ] && [ -n "$propagation" ] && [ -n "$propagation_p99" ] || bench_die "no switch figures"

# 3. Redis-backed rate limit vs per node (its own servers; prints its own pairs).
out=$(BENCH_NAME=redis_rate_limit "$BENCH_ROOT/bench/redis_rate_limit.sh") ||
  bench_die "bench/redis_rate_limit.sh failed: $out"
echo "$out"
redis_ratio=$(tail -1 <<<"$out" | sed -n 's/.*redis_ratio=\([0-9.]*\).*/\1/p')
[ -n "$redis_ratio" ] || bench_die "no redis_ratio from bench/redis_rate_limit.sh"

echo "---- $BENCH_NAME summary ----"
echo "deploy record (24 durable writes), median: SQLite $deploy_sqlite ms, PostgreSQL $deploy_pg ms"
echo "switch, one SQLite node, median: $switch_sqlite ms; propagation to $((NODES - 1)) other nodes on PostgreSQL, median: $propagation ms, p99 $propagation_p99 ms"
echo "switch_propagation_ms=$propagation redis_ratio=$redis_ratio switch_sqlite_ms=$switch_sqlite deploy_record_sqlite_ms=$deploy_sqlite deploy_record_pg_ms=$deploy_pg switch_propagation_p99_ms=$propagation_p99"
