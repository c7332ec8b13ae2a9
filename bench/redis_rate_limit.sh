#!/usr/bin/env bash
# Gateway throughput with the rate limit shared through Redis (waf.rate_limit.store) vs the
# per-node one, same run: two shipgate instances (workers: 1, CPU 0, measured one at a time)
# proxying to the same upstream (nginx `return 200`, CPU 1) with one rate_limit rule on every
# request, set high enough never to fire; one redis-server (CPU 1, no persistence) for the shared
# one. Each request of the Redis instance costs one EVALSHA round trip on loopback, suspended on
# the worker's event loop. Protocol as bench/lib.sh: warm-up, BENCH_PAIRS interleaved pairs (the
# side that runs first alternates), runs with non-2xx or socket errors discarded, medians.
# Requests per CPU-second count the gateway's CPU only (redis-server's is printed apart).
# Last line: redis_ratio=X redis_cpu_ratio=Y (medians of the per-pair redis/local requests per
# second and per gateway CPU-second); a figure that could not be measured fails the script.
#
#   bench/redis_rate_limit.sh   # needs nginx, wrk, redis-server (scripts/install-deps.sh bench)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_init
for tool in redis-server redis-cli; do
  command -v "$tool" >/dev/null 2>&1 ||
    bench_die "missing $tool; install redis-server with: scripts/install-deps.sh bench"
done
bench_have_shipgate || bench_die "shipgate binary $SHIPGATE_BIN not found (make build)"
bench_shipgate_build_note

upstream_port=$(bench_free_port)
bench_start_upstream "$upstream_port"

redis_port=$(bench_free_port)
mkdir -p "$BENCH_DIR/redis"
bench_start "$BENCH_LOAD_CPU" "$BENCH_DIR/redis/out.log" redis-server --port "$redis_port" \
  --bind 127.0.0.1 --save '' --appendonly no --dir "$BENCH_DIR/redis" --daemonize no \
  --protected-mode no
redis_pgid=$BENCH_PID
bench_wait_port "$redis_port" "$redis_pgid" "$BENCH_DIR/redis/out.log"

rules() {  # STORE_LINES
  bench_app_yaml "$upstream_port"
  cat <<EOF
security_rules:
  - name: "Rate limit all"
    expression: 'http.request.uri.path contains "/"'
    action: rate_limit
    rate_limit: "1000000000req/min"
$1
EOF
}

local_port=$(bench_free_port)
bench_start_shipgate "$local_port" "$(rules "")" local
local_pgid=$BENCH_PID
shared_port=$(bench_free_port)
while [ "$shared_port" = "$local_port" ]; do shared_port=$(bench_free_port); done
bench_start_shipgate "$shared_port" \
  "$(rules "waf: {rate_limit: {store: \"redis://127.0.0.1:$redis_port\", timeout: 50ms}}")" redis
shared_pgid=$BENCH_PID

local_url="http://127.0.0.1:$local_port/"
shared_url="http://127.0.0.1:$shared_port/"
bench_show_response local "$local_url"
bench_show_response redis "$shared_url"
curl -s -D - -o /dev/null "$shared_url" | grep -qi '^RateLimit:' ||
  bench_die "the rate-limit rule does not apply (no RateLimit header)"

bench_note "warm-up: $BENCH_WARMUP each"
bench_wrk "$BENCH_CONNS" "$BENCH_WARMUP" "$local_url" "$BENCH_DIR/warmup.local.txt"
bench_wrk "$BENCH_CONNS" "$BENCH_WARMUP" "$shared_url" "$BENCH_DIR/warmup.redis.txt"
[ "$(redis-cli -p "$redis_port" --raw exists 'shipgate:rl:Rate limit all:127.0.0.1')" = 1 ] ||
  bench_die "the shared instance did not count in Redis"

bench_note "throughput: wrk -t1 -c$BENCH_CONNS -d$BENCH_DURATION, $BENCH_PAIRS interleaved pairs"
rps_l=() rps_r=() cpu_l=() cpu_r=() ratios=() cpu_ratios=() redis_cpu=()
attempts=0
hz=$(getconf CLK_TCK)
while ((${#ratios[@]} < BENCH_PAIRS && attempts < 3 * BENCH_PAIRS)); do
  attempts=$((attempts + 1))
  r_before=$(bench_cpu_ticks "$redis_pgid") || bench_die "redis-server is gone"
  bench_pair local "$local_url" "$local_pgid" redis "$shared_url" "$shared_pgid" \
    "$BENCH_CONNS" "$attempts"
  r_after=$(bench_cpu_ticks "$redis_pgid") || bench_die "redis-server is gone"
  a=$BENCH_A b=$BENCH_B
  if [ -z "$a" ] || [ -z "$b" ]; then
    bench_note "pair discarded (errors), running another"
    continue
  fi
  set -- $a
  bench_figure "local req/s" "$1"
  bench_figure "local req per CPU-s" "$3"
  rps_l+=("$1") cpu_l+=("$3")
  set -- $b
  bench_figure "redis req/s" "$1"
  bench_figure "redis req per CPU-s" "$3"
  rps_r+=("$1") cpu_r+=("$3")
  ratios+=("$(bench_ratio "$1" "${rps_l[-1]}")")
  cpu_ratios+=("$(bench_ratio "$3" "${cpu_l[-1]}")")
  redis_cpu+=("$(awk -v t="$((r_after - r_before))" -v hz="$hz" 'BEGIN { printf "%.2f", t / hz }')")
  printf 'pair %d: local %10.1f req/s %8s req/CPU-s   redis %10.1f req/s %8s req/CPU-s   ratio %s   cpu_ratio %s   redis-server CPU %ss\n' \
    "${#ratios[@]}" "${rps_l[-1]}" "${cpu_l[-1]}" "$1" "$3" "${ratios[-1]}" "${cpu_ratios[-1]}" \
    "${redis_cpu[-1]}"
done
((${#ratios[@]} == BENCH_PAIRS)) || bench_die "too many discarded runs (${#ratios[@]} good of $attempts)"

bench_figures "throughput ratio" "${ratios[@]}"
bench_figures "CPU ratio" "${cpu_ratios[@]}"
ratio=$(printf '%s\n' "${ratios[@]}" | bench_median)
cpu_ratio=$(printf '%s\n' "${cpu_ratios[@]}" | bench_median)
echo "---- $BENCH_NAME summary ----"
echo "local (per-node) req/s:        $(bench_stats x "${rps_l[@]}")"
echo "redis (shared) req/s:          $(bench_stats x "${rps_r[@]}")"
echo "local req per gateway CPU-s:   $(bench_stats x "${cpu_l[@]}")"
echo "redis req per gateway CPU-s:   $(bench_stats x "${cpu_r[@]}")"
echo "redis-server CPU per pair (s): ${redis_cpu[*]}"
echo "redis_ratio=$(bench_fmt "$ratio") redis_cpu_ratio=$(bench_fmt "$cpu_ratio")"
