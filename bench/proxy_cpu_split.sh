#!/usr/bin/env bash
# Where the proxy's CPU per request goes, kernel against user space, and what the kernel side
# leaves for bench/proxy_vs_nginx.sh's cpu_ratio target: shipgate and nginx proxy the same
# upstream under the same load (the protocol of bench/lib.sh: proxy on CPU 0, wrk and the upstream
# on CPU 1, wrk -c$BENCH_CONNS). Interleaved pairs of runs; for each run, from /proc/PID/stat of
# the proxy's processes, its user and system CPU time per request, and from the kernel's TCP
# counters (nstat; the whole machine, so keep it otherwise idle) the segments sent per request.
# Then the cost of one system call on the proxy's CPU (`perf bench syscall basic`), which bounds
# what batching the calls (io_uring) could save.
#
# Last line: user_us_ratio=X sys_us_ratio=Y segs_ratio=Z cpu_ratio_floor=W syscall_ns=V
#   user_us_ratio, sys_us_ratio: nginx's user / system CPU per request over shipgate's (medians of
#     the per-pair ratios; above 1: shipgate spends less)
#   segs_ratio: nginx's TCP segments per request over shipgate's
#   cpu_ratio_floor: nginx's whole CPU per request over shipgate's system CPU alone, median of the
#     pairs: the cpu_ratio shipgate would reach with no user-space work at all
#   syscall_ns: nanoseconds per system call (getppid) on the proxy's CPU
# A figure that could not be measured fails the script.
#
#   bench/proxy_cpu_split.sh        # needs scripts/install-deps.sh bench (nginx, wrk, perf, nstat)
#   BENCH_PAIRS=3 BENCH_DURATION=5s bench/proxy_cpu_split.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
BENCH_IDLE_CONNS=0
bench_init perf nstat
export NSTAT_HISTORY="$BENCH_DIR/nstat.history"  # not the user's own history file
bench_have_shipgate || bench_die "shipgate binary $SHIPGATE_BIN not found (build it first)"
bench_start_proxy_pair

# split LABEL PORT PGID: one run; prints "user_us sys_us segs" per request, or fails.
split() {
  local label=$1 port=$2 pgid=$3 out u0 s0 u1 s1 reqs segs hz
  out="$BENCH_DIR/wrk.$label.$RANDOM.txt"
  hz=$(getconf CLK_TCK)
  read -r u0 s0 < <(bench_cpu_ticks_split "$pgid") || bench_die "$label: no process in group $pgid"
  nstat -n
  bench_wrk "$BENCH_CONNS" "$BENCH_DURATION" "http://127.0.0.1:$port/" "$out"
  segs=$(nstat -z TcpOutSegs | awk '$1 == "TcpOutSegs" { print $2 }')
  read -r u1 s1 < <(bench_cpu_ticks_split "$pgid") || bench_die "$label: no process in group $pgid"
  local errors
  read -r _ reqs _ errors < <(bench_wrk_parse "$out")
  [ "$errors" = 0 ] && [ "$reqs" -gt 0 ] || bench_die "$label: $errors errors, $reqs requests"
  awk -v r="$reqs" -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v hz="$hz" -v g="${segs:-0}" \
    'BEGIN { printf "%.3f %.3f %.3f\n", u / hz * 1e6 / r, s / hz * 1e6 / r, g / r }'
}

bench_note "warm-up: wrk -t1 -c$BENCH_CONNS -d$BENCH_WARMUP on each"
bench_wrk "$BENCH_CONNS" "$BENCH_WARMUP" "http://127.0.0.1:$BENCH_NGINX_PORT/" "$BENCH_DIR/warm.n.txt"
bench_wrk "$BENCH_CONNS" "$BENCH_WARMUP" "http://127.0.0.1:$BENCH_SG_PORT/" "$BENCH_DIR/warm.s.txt"
bench_note "$BENCH_PAIRS interleaved pairs of wrk -t1 -c$BENCH_CONNS -d$BENCH_DURATION (the side that runs first alternates)"
user_r=() sys_r=() segs_r=() floor_r=()
for ((i = 1; i <= BENCH_PAIRS; i++)); do
  if ((i % 2)); then
    n=$(split nginx "$BENCH_NGINX_PORT" "$BENCH_NGINX_PGID"); s=$(split shipgate "$BENCH_SG_PORT" "$BENCH_SG_PGID")
  else
    s=$(split shipgate "$BENCH_SG_PORT" "$BENCH_SG_PGID"); n=$(split nginx "$BENCH_NGINX_PORT" "$BENCH_NGINX_PGID")
  fi
  read -r nu ns ng <<<"$n"
  read -r su ss sg <<<"$s"
  user_r+=("$(bench_ratio "$nu" "$su")")
  sys_r+=("$(bench_ratio "$ns" "$ss")")
  segs_r+=("$(bench_ratio "$ng" "$sg")")
  floor_r+=("$(bench_ratio "$(awk -v a="$nu" -v b="$ns" 'BEGIN { print a + b }')" "$ss")")
  printf 'pair %d: per request  nginx user %6.2f us sys %6.2f us segs %.2f   shipgate user %6.2f us sys %6.2f us segs %.2f\n' \
    "$i" "$nu" "$ns" "$ng" "$su" "$ss" "$sg"
done
bench_figures "user CPU ratio" "${user_r[@]}"
bench_figures "system CPU ratio" "${sys_r[@]}"
bench_figures "segments ratio" "${segs_r[@]}"
bench_figures "cpu_ratio floor" "${floor_r[@]}"

syscall_ns=$(taskset -c "$BENCH_PROXY_CPU" perf bench syscall basic 2>&1 |
  awk '/usecs\/op/ { printf "%.1f", $1 * 1000 }')
bench_figure "system call cost" "$syscall_ns"

echo "user CPU per request nginx/shipgate:    $(bench_stats x "${user_r[@]}")"
echo "system CPU per request nginx/shipgate:  $(bench_stats x "${sys_r[@]}")"
echo "TCP segments per request nginx/shipgate: $(bench_stats x "${segs_r[@]}")"
echo "nginx's CPU over shipgate's system CPU alone (cpu_ratio with no user-space work): $(bench_stats x "${floor_r[@]}") (the target is >= 1.3)"
echo "one system call on CPU $BENCH_PROXY_CPU: $syscall_ns ns"
median() { printf '%s\n' "$@" | bench_median; }
echo "user_us_ratio=$(bench_fmt "$(median "${user_r[@]}")") sys_us_ratio=$(bench_fmt "$(median "${sys_r[@]}")") segs_ratio=$(bench_fmt "$(median "${segs_r[@]}")") cpu_ratio_floor=$(bench_fmt "$(median "${floor_r[@]}")") syscall_ns=$syscall_ns"
