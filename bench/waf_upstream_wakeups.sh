#!/usr/bin/env bash
# How often shipgate with the managed rules (the CRS at PL1, as D in bench/waf_vs_modsecurity.sh)
# wakes its upstream: with about 40 us of firewall work per request, the upstream (lib.sh's nginx
# `return 200`, on CPU 1 with wrk) goes idle between requests, and waking an idle CPU costs the
# sender an inter-processor interrupt. shipgate writes the requests of one event-loop iteration
# together at its end (net::DeferredCall), so one wake-up serves several. Measured per request,
# over BENCH_PAIRS runs of wrk -t1 -c$BENCH_CONNS -d$BENCH_DURATION (an API GET with a browser's
# headers): the upstream worker's voluntary context switches (its sleeps, from
# /proc/PID/status) and the machine's rescheduling and function-call interrupts (RES + CAL in
# /proc/interrupts; keep the machine otherwise idle). With BENCH_BASE_BIN set to another shipgate
# binary (the tree before a change), that binary is measured too, in interleaved runs, so a change
# to the loop can be seen against its before.
#
# Last line: upstream_sleeps_per_request=X ipis_per_request=Y req_per_s=Z (medians of the runs),
# and base_upstream_sleeps_per_request= base_ipis_per_request= base_req_per_s= for
# BENCH_BASE_BIN. A figure that could not be measured fails the script.
#
#   bench/waf_upstream_wakeups.sh         # needs scripts/install-deps.sh bench, build/shipgate
#   BENCH_BASE_BIN=/path/to/old/build/shipgate BENCH_PAIRS=3 BENCH_DURATION=5s bench/waf_upstream_wakeups.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
BENCH_IDLE_CONNS=0
bench_init
bench_have_shipgate || bench_die "shipgate binary $SHIPGATE_BIN not found (build it first)"
[ -z "${BENCH_BASE_BIN:-}" ] || [ -x "$BENCH_BASE_BIN" ] ||
  bench_die "BENCH_BASE_BIN=$BENCH_BASE_BIN is not an executable"
[ -r /proc/interrupts ] || bench_die "/proc/interrupts is not readable"

up=$(bench_free_port)
bench_start_upstream "$up"
up_pgid=$BENCH_PID
up_worker=$(pgrep -g "$up_pgid" -f "nginx: worker" | head -1) ||
  bench_die "no worker process in the upstream's group $up_pgid"
crs_yaml="$(bench_app_yaml "$up")
waf:
  managed_rules:
    crs: {paranoia_level: 1, inbound_threshold: 5, action: block}"
# Each side's port. bench_free_port skips ports something listens on, and each shipgate listens
# before the next port is picked.
declare -A port_of
sides=(new)
port_of[new]=$(bench_free_port)
bench_start_shipgate "${port_of[new]}" "$crs_yaml" shipgate_new
if [ -n "${BENCH_BASE_BIN:-}" ]; then
  port_of[base]=$(bench_free_port)
  SHIPGATE_BIN=$BENCH_BASE_BIN bench_start_shipgate "${port_of[base]}" "$crs_yaml" shipgate_base
  sides=(new base)
fi

lua="$BENCH_DIR/request.lua"
cat >"$lua" <<'EOF'
local raw = "GET /api/listings?city=Lisbon&min_price=200000&page=2 HTTP/1.1\r\nHost: 127.0.0.1\r\n" ..
  "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36\r\n" ..
  "Accept: application/json\r\nAccept-Language: en-US,en;q=0.9\r\nAccept-Encoding: gzip, deflate, br\r\n\r\n"
function init(args) wrk.format = function() return raw end end
EOF

ipis() { awk '$1 == "RES:" || $1 == "CAL:" { for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i } END { print s + 0 }' /proc/interrupts; }
sleeps() { awk '$1 == "voluntary_ctxt_switches:" { print $2 }' "/proc/$up_worker/status"; }

# run SIDE PORT: prints "sleeps_per_request ipis_per_request req_per_s", or fails.
run() {
  local out="$BENCH_DIR/wrk.$1.$RANDOM.txt" i0 s0 i1 s1 rps reqs errors
  i0=$(ipis); s0=$(sleeps)
  taskset -c "$BENCH_LOAD_CPU" wrk -t1 -c"$BENCH_CONNS" -d"$BENCH_DURATION" --latency -s "$lua" \
    "http://127.0.0.1:$2/" >"$out" 2>&1 || true
  i1=$(ipis); s1=$(sleeps)
  read -r rps reqs _ errors < <(bench_wrk_parse "$out")
  [ "$errors" = 0 ] && [ "${reqs:-0}" -gt 0 ] || bench_die "$1: $errors errors, ${reqs:-0} requests (see $out)"
  awk -v r="$reqs" -v s=$((s1 - s0)) -v i=$((i1 - i0)) -v q="$rps" \
    'BEGIN { printf "%.4f %.4f %.1f\n", s / r, i / r, q }'
}

for side in "${sides[@]}"; do
  port=${port_of[$side]}
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/listings?page=2")" = 200 ] ||
    bench_die "$side does not answer 200 through the CRS"
  taskset -c "$BENCH_LOAD_CPU" wrk -t1 -c"$BENCH_CONNS" -d"$BENCH_WARMUP" -s "$lua" \
    "http://127.0.0.1:$port/" >/dev/null 2>&1 || true
done
bench_note "$BENCH_PAIRS interleaved runs of wrk -t1 -c$BENCH_CONNS -d$BENCH_DURATION per side (${sides[*]})"
new_s=() new_i=() new_r=() base_s=() base_i=() base_r=()
for ((k = 1; k <= BENCH_PAIRS; k++)); do
  order=("${sides[@]}")
  if ((k % 2 == 0)) && ((${#sides[@]} == 2)); then order=(base new); fi
  for side in "${order[@]}"; do
    read -r s i r < <(run "$side" "${port_of[$side]}")
    printf 'run %d %-4s: %9.1f req/s   upstream sleeps %.4f   RES+CAL interrupts %.4f   per request\n' \
      "$k" "$side" "$r" "$s" "$i"
    if [ "$side" = new ]; then new_s+=("$s") new_i+=("$i") new_r+=("$r"); else base_s+=("$s") base_i+=("$i") base_r+=("$r"); fi
  done
done
med() { bench_fmt "$(printf '%s\n' "$@" | bench_median)"; }
last="upstream_sleeps_per_request=$(med "${new_s[@]}") ipis_per_request=$(med "${new_i[@]}") req_per_s=$(med "${new_r[@]}")"
bench_figure "req/s" "$(med "${new_r[@]}")"
if ((${#sides[@]} == 2)); then
  bench_figure "base req/s" "$(med "${base_r[@]}")"
  last+=" base_upstream_sleeps_per_request=$(med "${base_s[@]}") base_ipis_per_request=$(med "${base_i[@]}") base_req_per_s=$(med "${base_r[@]}")"
fi
echo "$last"
