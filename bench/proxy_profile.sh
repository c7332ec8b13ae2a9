#!/usr/bin/env bash
# Where a proxied request's CPU goes: shipgate and nginx, each alone, proxying to the same
# upstream under bench/proxy_vs_nginx.sh's load (wrk -c$BENCH_CONNS and the upstream on the load
# CPU, the proxy on its own CPU). For each, `perf record` samples the proxy's process during the
# run, and the samples are split per request into the kernel, libc (mostly its system-call
# wrappers, where the samples of returning from the kernel land), the proxy's own binary and the
# rest; `strace -c` then counts its system calls per request.
# Last line: kernel_share=X own_code_ratio=Y samples_ratio=Z: shipgate's share of its samples in
# the kernel, nginx's own-binary samples per request over shipgate's, and nginx's samples per
# request over shipgate's (the per-CPU-second ratio the profile gives). A figure that could not
# be measured fails the script.
#
#   bench/proxy_profile.sh          # needs scripts/install-deps.sh bench (perf, strace, nginx, wrk)
#   PROFILE_SECONDS=6 bench/proxy_profile.sh
#   perf report -i /tmp/shipgate-bench.*/perf-shipgate.data   # kept while the script runs
set -euo pipefail
source "$(dirname "$0")/lib.sh"
BENCH_IDLE_CONNS=0
bench_init perf strace
seconds=${PROFILE_SECONDS:-6}

upstream_port=$(bench_free_port)
bench_start_upstream "$upstream_port"

# profile WHO PORT PGID BINARY: prints "reqs samples kernel libc own other syscalls" for one
# run of WHO. perf covers the whole wrk run (an idle process gives no samples), so the samples
# and wrk's request count are of the same requests; so are strace's counts in a second, short run.
profile() {
  local who=$1 port=$2 pgid=$3 bin=$4 pids perf_pid strace_pid
  pids=$(bench_group_pids "$pgid" | tr '\n' ',' | sed 's/,$//')
  [ -n "$pids" ] || bench_die "$who: no process in group $pgid"
  bench_wrk "$BENCH_CONNS" "$BENCH_WARMUP" "http://127.0.0.1:$port/" "$BENCH_DIR/warm-$who.txt"
  perf record -q -F 4999 -o "$BENCH_DIR/perf-$who.data" -p "$pids" -- sleep "$((seconds + 2))" \
    >"$BENCH_DIR/perf-$who.log" 2>&1 &
  perf_pid=$!
  sleep 1
  bench_wrk "$BENCH_CONNS" "${seconds}s" "http://127.0.0.1:$port/" "$BENCH_DIR/wrk-$who.txt"
  wait "$perf_pid" || bench_die "$who: perf record failed: $(cat "$BENCH_DIR/perf-$who.log")"
  local traced=() pid
  for pid in ${pids//,/ }; do traced+=(-p "$pid"); done
  strace -f -c -o "$BENCH_DIR/strace-$who.txt" "${traced[@]}" >/dev/null 2>&1 &
  strace_pid=$!
  sleep 1
  bench_wrk "$BENCH_CONNS" 2s "http://127.0.0.1:$port/" "$BENCH_DIR/wrk-strace-$who.txt"
  kill -INT "$strace_pid" 2>/dev/null || true
  wait "$strace_pid" 2>/dev/null || true
  local reqs sreqs calls dsos
  read -r _ reqs _ _ < <(bench_wrk_parse "$BENCH_DIR/wrk-$who.txt")
  read -r _ sreqs _ _ < <(bench_wrk_parse "$BENCH_DIR/wrk-strace-$who.txt")
  calls=$(awk '$NF == "total" { print $4 }' "$BENCH_DIR/strace-$who.txt")  # % s us/call calls
  dsos=$(perf report -i "$BENCH_DIR/perf-$who.data" --no-children --sort dso -g none -n -q \
    --stdio 2>/dev/null)
  echo "$dsos" | awk -v reqs="$reqs" -v own="$(basename "$bin")" -v calls="${calls:-0}" \
    -v sreqs="$sreqs" '
    NF >= 3 {
      n = $2 + 0; total += n
      if ($3 ~ /kernel/) kernel += n
      else if ($3 ~ /^libc/) libc += n
      else if ($3 == own) mine += n
      else other += n
    }
    END { printf "%d %d %d %d %d %d %s\n", reqs, total, kernel, libc, mine, other,
          (sreqs > 0 && calls > 0 ? sprintf("%.2f", calls / sreqs) : "unmeasured") }'
}

report() {  # WHO FIELDS...
  local who=$1 reqs=$2 total=$3 kernel=$4 libc=$5 mine=$6 other=$7 calls=$8
  bench_figure "$who requests" "$reqs"
  bench_figure "$who samples" "$total"
  awk -v w="$who" -v r="$reqs" -v t="$total" -v k="$kernel" -v l="$libc" -v m="$mine" -v o="$other" \
    -v c="$calls" 'BEGIN {
      printf "%-8s %9d requests  samples per request: total %.4f  kernel %.4f  libc %.4f  own %.4f  other %.4f  (kernel %.0f%%)  system calls per request %s\n",
        w, r, t / r, k / r, l / r, m / r, o / r, 100 * k / t, c }'
}

nginx_port=$(bench_free_port)
bench_start_nginx nginx "$nginx_port" "$(bench_nginx_proxy_body "$nginx_port" "$upstream_port")"
nginx_fields=$(profile nginx "$nginx_port" "$BENCH_PID" "$(command -v nginx)")
bench_stop_forget "$BENCH_PID"

bench_have_shipgate || bench_die "shipgate binary $SHIPGATE_BIN not found (build it first)"
bench_shipgate_build_note
sg_port=$(bench_free_port)
bench_start_shipgate "$sg_port" "$(bench_app_yaml "$upstream_port")"
sg_fields=$(profile shipgate "$sg_port" "$BENCH_PID" "$SHIPGATE_BIN")
bench_stop_forget "$BENCH_PID"

# shellcheck disable=SC2086
report nginx $nginx_fields
# shellcheck disable=SC2086
report shipgate $sg_fields
read -r n_reqs n_total _ _ n_own _ _ <<<"$nginx_fields"
read -r s_reqs s_total s_kernel _ s_own _ _ <<<"$sg_fields"
bench_figure "shipgate own-code samples" "$s_own"
bench_figure "nginx own-code samples" "$n_own"
kernel_share=$(awk -v k="$s_kernel" -v t="$s_total" 'BEGIN { printf "%.3f", k / t }')
own_ratio=$(awk -v a="$n_own" -v ar="$n_reqs" -v b="$s_own" -v br="$s_reqs" \
  'BEGIN { printf "%.3f", (a / ar) / (b / br) }')
samples_ratio=$(awk -v a="$n_total" -v ar="$n_reqs" -v b="$s_total" -v br="$s_reqs" \
  'BEGIN { printf "%.3f", (a / ar) / (b / br) }')
echo "kernel_share=$kernel_share own_code_ratio=$own_ratio samples_ratio=$samples_ratio"
