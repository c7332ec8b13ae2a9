#!/usr/bin/env bash
# Hostile clients (issue 7): does the site stay up for everyone else, and does memory come back?
# shipgate and nginx as reverse proxies of the same upstream (nginx: `/` answers "hello world\n",
# `/big` a 256 KiB file), configured alike: 1 worker each, the same connection cap
# (shipgate server.limits.max_connections = nginx worker_connections = HOSTILE_MAX_CONNS), header
# timeout 10 s (client_header_timeout), body gap 60 s (client_body_timeout), keep-alive idle 60 s
# (keepalive_timeout), bodies up to 10 MiB, upstream connect 2 s and read 30 s timeouts (shipgate's
# defaults, set explicitly on both). nginx buffers answers as Debian ships it (proxy_buffering on,
# spilling to temp files).
#
# Four modes, each against shipgate and against nginx in the same run (the side that goes first
# alternates per mode), every (mode, server) pair on a freshly started server and upstream so that
# nothing (an ejected endpoint, retained memory) carries over from one mode to the next:
#   slowloris  slowhttptest -H -c SLOW -r RATE -i 10 -x 24          (headers that never end)
#   slowbody   slowhttptest -B -c SLOW -r RATE -i 10 -x 24 -s 8192  (a POST body that trickles)
#   slowread   slowhttptest -X -c SLOW -r RATE -w 10 -y 20 -n 5 -z 32 -k 3 of /big (issue 7's run:
#              clients that request 256 KiB three times and read it through a 10-20 byte window)
#   flood      bench/idle_conns --no-request --seconds: FLOOD silent sockets held open, every one
#              the server closes reopened at once (at most FLOOD_RATE new connections a second)
# Every attack lasts HOSTILE_SECONDS; slowhttptest, which stops once all its connections were
# closed (slowloris connections die at the 10 s header timeout), is started again until then, so
# the pressure lasts the whole window. Meanwhile a probe (curl of `/`, a new connection each time,
# --max-time HOSTILE_PROBE_TIMEOUT) starts once a second against the server under attack; it
# succeeds only on an exact 200. shipgate's RSS (VmRSS of its process) is read after a warm-up
# request just before the attack ("before"), every second during the attack and the following
# HOSTILE_AFTER_SECONDS ("peak"), and HOSTILE_AFTER_SECONDS after the attack ended ("after"),
# the server idle meanwhile. nginx's RSS (master + worker) before and at peak is printed as a note.
#
# Why these numbers: the three slowhttptest modes use issue 7's 2,000 connections at 200 a second,
# and the cap (4,096) is above them, so these modes measure slowness (timeouts, buffering, the
# upstream's ejection) and not the cap: 2,000 slow readers above a cap would be unreclaimable
# connections on both servers (they have sent a whole request), making availability 1.000
# unreachable by design. The flood is then about 1.5x the cap (6,000 sockets), so that the server
# is full of connections that sent nothing and must make room for the probe (nginx closes its
# oldest idle connections); the reopen rate is bounded (1,000 a second) so that on this 2-core
# machine the flood's churn does not become a CPU-exhaustion test instead. A shipgate connection
# counts against its cap once; nginx's worker_connections also counts upstream connections.
#
# Per mode it prints
#   MODE: shipgate probes OK/N (RATIO) nginx OK/N (RATIO) rss_kb before=B peak=P after=A (A/B)
# and last
#   availability_min=X rss_after_ratio=Y
# X: the lowest shipgate probe success ratio over the modes; Y: the highest over the modes of
# shipgate's RSS HOSTILE_AFTER_SECONDS after the attack over its RSS before it. Goal (issue 7):
# availability_min=1.000 and rss_after_ratio <= 1.5. A figure that could not be measured (no probe
# ran, RSS unreadable, the attack tool missing or never connected) fails the script (exit 1).
#
#   bench/hostile_clients.sh      # needs slowhttptest, nginx, curl (scripts/install-deps.sh bench),
#                                 # build/shipgate; about 12 minutes
# Knobs (environment): HOSTILE_SECONDS=40 (each attack, >= 10), HOSTILE_AFTER_SECONDS=60 (RSS
# "after"), HOSTILE_MAX_CONNS=4096, HOSTILE_SLOW_CONNS=2000, HOSTILE_SLOW_RATE=200 (slowhttptest -c, -r),
# HOSTILE_FLOOD_CONNS=6000, HOSTILE_FLOOD_RATE=1000, HOSTILE_PROBE_TIMEOUT=3 (seconds),
# HOSTILE_MODES="slowloris slowbody slowread flood" (a subset is for trying things out: the last
# line is then over those modes only, and says so before it), plus bench/lib.sh's SHIPGATE_BIN,
# BENCH_BUILD_DIR, BENCH_PROXY_CPU, BENCH_LOAD_CPU.
set -euo pipefail
HOSTILE_SECONDS=${HOSTILE_SECONDS:-40}
HOSTILE_AFTER_SECONDS=${HOSTILE_AFTER_SECONDS:-60}
HOSTILE_MAX_CONNS=${HOSTILE_MAX_CONNS:-4096}
HOSTILE_SLOW_CONNS=${HOSTILE_SLOW_CONNS:-2000}
HOSTILE_SLOW_RATE=${HOSTILE_SLOW_RATE:-200}
HOSTILE_FLOOD_CONNS=${HOSTILE_FLOOD_CONNS:-6000}
HOSTILE_FLOOD_RATE=${HOSTILE_FLOOD_RATE:-1000}
HOSTILE_PROBE_TIMEOUT=${HOSTILE_PROBE_TIMEOUT:-3}
HOSTILE_MODES=${HOSTILE_MODES:-slowloris slowbody slowread flood}
BIG_BYTES=262144
# lib.sh's open-file check (bench_init) is made for this many sockets in one process.
# shellcheck disable=SC2034  # read by lib.sh
BENCH_IDLE_CONNS=$HOSTILE_FLOOD_CONNS
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

for v in HOSTILE_SECONDS HOSTILE_AFTER_SECONDS HOSTILE_MAX_CONNS HOSTILE_SLOW_CONNS \
  HOSTILE_SLOW_RATE HOSTILE_FLOOD_CONNS HOSTILE_FLOOD_RATE HOSTILE_PROBE_TIMEOUT; do
  if ! [[ ${!v} =~ ^[0-9]+$ ]] || ((${!v} == 0)); then
    bench_die "$v must be a whole number > 0 (got '${!v}')"
  fi
done
# slowhttptest reports its connections every 5 s: a shorter attack could not show it connected.
((HOSTILE_SECONDS >= 10)) || bench_die "HOSTILE_SECONDS must be at least 10 (got $HOSTILE_SECONDS)"
for m in $HOSTILE_MODES; do
  case "$m" in slowloris | slowbody | slowread | flood) ;; *) bench_die "unknown mode '$m' in HOSTILE_MODES" ;; esac
done
command -v slowhttptest >/dev/null 2>&1 ||
  bench_die "slowhttptest is missing; install it with: scripts/install-deps.sh bench"
bench_have_shipgate || bench_die "no shipgate binary at $SHIPGATE_BIN; build it (make build) or set SHIPGATE_BIN"

# As root the hard open-file limit may be raised (never lowered); bench_init then raises the soft
# one to it.
if [ "$(id -u)" = 0 ] && [ "$(ulimit -Hn)" != unlimited ] && (($(ulimit -Hn) < 65536)); then
  ulimit -Hn 65536 2>/dev/null || true
fi
bench_init
need=$((HOSTILE_MAX_CONNS + HOSTILE_SLOW_CONNS + 256))
((need > HOSTILE_FLOOD_CONNS + 256)) || need=$((HOSTILE_FLOOD_CONNS + 256))
if [ "$(ulimit -n)" != unlimited ] && (($(ulimit -n) < need)); then
  bench_die "open-file limit $(ulimit -n) is below the $need one process here may need; raise it (ulimit -n) or lower HOSTILE_MAX_CONNS/HOSTILE_SLOW_CONNS/HOSTILE_FLOOD_CONNS"
fi
bench_build_idle_conns
bench_shipgate_build_note
bench_note "slowhttptest $(slowhttptest -h 2>&1 | sed -n 's/.*version \([0-9.]*\).*/\1/p' | head -1), $(nginx -v 2>&1 | sed 's/^nginx version: //'), open-file limit $(ulimit -n)"
bench_note "cap $HOSTILE_MAX_CONNS connections on both; slowhttptest -c $HOSTILE_SLOW_CONNS -r $HOSTILE_SLOW_RATE; flood $HOSTILE_FLOOD_CONNS silent sockets (reopened, <= $HOSTILE_FLOOD_RATE/s); attacks ${HOSTILE_SECONDS}s, probe once a second (curl --max-time $HOSTILE_PROBE_TIMEOUT, exact 200), RSS after ${HOSTILE_AFTER_SECONDS}s"

big_file="$BENCH_DIR/big.bin"
head -c "$BIG_BYTES" /dev/urandom >"$big_file"
chmod 644 "$big_file"

# A port that is none of those given.
other_port() {
  local p
  p=$(bench_free_port)
  while [[ " $* " == *" $p "* ]]; do p=$(bench_free_port); done
  echo "$p"
}

# start_target KIND PORT UPSTREAM_PORT DIR: shipgate or nginx on PORT, proxying to the upstream,
# on the proxy CPU. Sets BENCH_PID.
start_target() {
  local kind=$1 port=$2 up=$3 dir=$4
  mkdir -p "$dir"
  if [ "$kind" = shipgate ]; then
    cat >"$dir/shipgate.yaml" <<EOF
server:
  workers: 1
  allow_root: true
  limits: {max_connections: $HOSTILE_MAX_CONNS, header_timeout: 10s, body_timeout: 60s,
           idle_timeout: 60s, max_body_bytes: 10MiB}
  log: {access_log: false, level: error}
listeners:
  - name: http
    address: "127.0.0.1:$port"
sites:
  - name: s
    app: a
apps:
  a:
    connect_timeout: 2s
    read_timeout: 30s
    slots:
      blue:
        - {address: "127.0.0.1:$up"}
EOF
    bench_start "$BENCH_PROXY_CPU" "$dir/out.log" "$SHIPGATE_BIN" serve --config "$dir/shipgate.yaml"
  else
    {
      bench_nginx_common "$dir"
      cat <<EOF
events { worker_connections $HOSTILE_MAX_CONNS; }
http {
  access_log off;
  client_header_timeout 10s;
  client_body_timeout 60s;
  keepalive_timeout 60s;
  client_max_body_size 10m;
$(bench_nginx_temp_paths "$dir")
$(bench_nginx_proxy_body "$port" "$up" "      proxy_connect_timeout 2s;
      proxy_read_timeout 30s;")
}
EOF
    } >"$dir/nginx.conf"
    bench_start "$BENCH_PROXY_CPU" "$dir/out.log" nginx -e /dev/null -p "$dir" -c "$dir/nginx.conf"
  fi
  bench_wait_port "$port" "$BENCH_PID" "$dir/out.log"
}

# sleep_until START I: sleeps until I seconds after START (an $EPOCHREALTIME).
sleep_until() {
  sleep "$(awk -v s="$1" -v i="$2" -v n="$EPOCHREALTIME" 'BEGIN { d = s + i - n; printf "%.3f", (d > 0 ? d : 0) }')"
}

# rss_or_die PGID LABEL LOG: the group's VmRSS in KiB, or the script ends saying why.
rss_or_die() {
  local kb
  kb=$(bench_rss_kib "$1") || bench_die "$2: RSS unreadable (the process exited?); its output:
$(tail -n 20 "$3" 2>/dev/null)"
  bench_figure "$2 RSS" "$kb"
  echo "$kb"
}

# attack_cmd MODE PORT SECONDS: the attack's command line (words, one per line); SECONDS is always
# the third word from the end (run_one shortens it when the attack is restarted).
attack_cmd() {
  local mode=$1 port=$2 secs=$3
  case "$mode" in
    slowloris) printf '%s\n' slowhttptest -H -c "$HOSTILE_SLOW_CONNS" -r "$HOSTILE_SLOW_RATE" -i 10 \
      -x 24 -p 3 -l "$secs" -u "http://127.0.0.1:$port/" ;;
    slowbody) printf '%s\n' slowhttptest -B -c "$HOSTILE_SLOW_CONNS" -r "$HOSTILE_SLOW_RATE" -i 10 \
      -x 24 -s 8192 -p 3 -l "$secs" -u "http://127.0.0.1:$port/" ;;
    slowread) printf '%s\n' slowhttptest -X -c "$HOSTILE_SLOW_CONNS" -r "$HOSTILE_SLOW_RATE" -w 10 \
      -y 20 -n 5 -z 32 -k 3 -p 3 -l "$secs" -u "http://127.0.0.1:$port/big" ;;
    flood) printf '%s\n' "$BENCH_IDLE_TOOL" --port "$port" --count "$HOSTILE_FLOOD_CONNS" --no-request \
      --seconds "$secs" --rate "$HOSTILE_FLOOD_RATE" ;;
  esac
}

# run_one MODE KIND: one attack on a fresh KIND (shipgate|nginx) and upstream. Sets R_OK, R_N (probes
# answered 200 / started), R_BEFORE, R_PEAK, R_AFTER (KiB; R_AFTER only for shipgate), R_ATTACK (what
# the attack tool reported).
run_one() {
  local mode=$1 kind=$2 dir="$BENCH_DIR/$1.$2"
  mkdir -p "$dir"
  local up_port port up_pgid pgid
  up_port=$(other_port)
  bench_start_upstream "$up_port" "    location = /big { default_type application/octet-stream; alias $big_file; }" "$mode.$kind.upstream"
  up_pgid=$BENCH_PID
  port=$(other_port "$up_port")
  start_target "$kind" "$port" "$up_port" "$dir"
  pgid=$BENCH_PID
  local log="$dir/out.log" url="http://127.0.0.1:$port"

  # Both answers work before anything is measured (this also warms the upstream connection).
  local code size
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$url/" || true)
  [ "$code" = 200 ] || bench_die "$kind: GET / answered '$code' before the attack"
  read -r code size < <(curl -s -o /dev/null -w '%{http_code} %{size_download}\n' --max-time 5 "$url/big" || true)
  if [ "${code:-}" != 200 ] || [ "${size:-}" != "$BIG_BYTES" ]; then
    bench_die "$kind: GET /big answered '${code:-}' with ${size:-no} bytes before the attack"
  fi
  sleep 1
  R_BEFORE=$(rss_or_die "$pgid" "$kind" "$log")
  R_PEAK=$R_BEFORE

  # The attack, restarted until its window is over (slowhttptest ends when its connections do).
  local attack_log="$dir/attack.log" attack_pgid cmd=()
  mapfile -t cmd < <(attack_cmd "$mode" "$port" "$HOSTILE_SECONDS")
  # shellcheck disable=SC2016  # expanded by the inner bash
  bench_start "$BENCH_LOAD_CPU" "$attack_log" bash -c '
    end=$((SECONDS + $1)) runs=0; shift
    while ((runs == 0 || SECONDS < end - 2)); do  # no restart for the last 2 s
      runs=$((runs + 1))
      printf "\nattack run %d\n" "$runs"  # slowhttptest ends without a newline
      args=("$@")
      args[-3]=$((end - SECONDS))  # the duration (see attack_cmd): what is left of the window
      stdbuf -oL "${args[@]}"  # line-buffered: its status survives being stopped
      sleep 0.5
    done' attack "$HOSTILE_SECONDS" "${cmd[@]}"
  attack_pgid=$BENCH_PID
  bench_note "$mode vs $kind :$port: ${cmd[*]}"

  local start=$EPOCHREALTIME probe_pids=() i kb
  for ((i = 0; i < HOSTILE_SECONDS; i++)); do
    # Tick i starts at start + i seconds; sleep until then.
    sleep_until "$start" "$i"
    curl -s -o /dev/null -w '%{http_code}' --max-time "$HOSTILE_PROBE_TIMEOUT" "$url/" >"$dir/probe.$i" 2>/dev/null &
    probe_pids+=("$!")
    kb=$(rss_or_die "$pgid" "$kind" "$log")
    ((kb > R_PEAK)) && R_PEAK=$kb
  done
  sleep 1
  bench_stop_forget "$attack_pgid"
  for i in "${probe_pids[@]}"; do wait "$i" || true; done
  R_N=${#probe_pids[@]}
  R_OK=0
  local code_of failed=()
  for ((i = 0; i < R_N; i++)); do
    code_of=$(cat "$dir/probe.$i" 2>/dev/null || true)
    if [ "$code_of" = 200 ]; then R_OK=$((R_OK + 1)); else failed+=("${code_of:-none}"); fi
  done
  # The failed probes by status (000: no answer: refused, closed or timed out).
  R_FAILED=""
  ((${#failed[@]} == 0)) ||
    R_FAILED=$(printf '%s\n' "${failed[@]}" | sort | uniq -c | awk '{ printf "%s%s x%s", (NR > 1 ? ", " : ""), $2, $1 }')
  ((R_N > 0)) || bench_die "$mode vs $kind: no probe ran"

  # What the attack tool managed (an attack that never connected measures nothing).
  local runs
  runs=$(grep -c '^attack run ' "$attack_log" || true)
  if [ "$mode" = flood ]; then
    R_ATTACK="idle_conns runs=$runs, last: $(grep '^done' "$attack_log" | tail -1 || true)"
    local held_max
    held_max=$(sed -n 's/.*held_max=\([0-9]*\).*/\1/p' <<<"$R_ATTACK")
    if [ -z "$held_max" ] || ((held_max == 0)); then
      bench_die "$mode vs $kind: the flood held no connection; its output: $(tail -n 5 "$attack_log")"
    fi
  else
    local connected
    connected=$(sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$attack_log" | sed -n 's/^connected: *\([0-9][0-9]*\).*/\1/p' | sort -n | tail -1)
    if [ -z "$connected" ] || ((connected == 0)); then
      bench_die "$mode vs $kind: slowhttptest never connected; its output: $(sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$attack_log" | tail -n 20)"
    fi
    R_ATTACK="slowhttptest runs=$runs connected_max=$connected"
  fi

  R_AFTER=""
  if [ "$kind" = shipgate ]; then
    # The server idle; RSS read each second, "after" at the end.
    start=$EPOCHREALTIME
    for ((i = 1; i <= HOSTILE_AFTER_SECONDS; i++)); do
      sleep_until "$start" "$i"
      kb=$(rss_or_die "$pgid" "$kind" "$log")
      ((kb > R_PEAK)) && R_PEAK=$kb
    done
    R_AFTER=$kb
  fi
  bench_note "$mode vs $kind: probes $R_OK/$R_N${R_FAILED:+ (failed: $R_FAILED)}, rss_kb before=$R_BEFORE peak=$R_PEAK${R_AFTER:+ after=$R_AFTER}; $R_ATTACK"
  bench_stop_forget "$pgid"
  bench_stop_forget "$up_pgid"
}

fmt_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

avail_min="" rss_ratio_max="" index=0 modes_run=()
for mode in $HOSTILE_MODES; do
  index=$((index + 1))
  order=(shipgate nginx)
  ((index % 2)) || order=(nginx shipgate)
  declare -A ok=() n=()
  sg_before="" sg_peak="" sg_after=""
  for kind in "${order[@]}"; do
    run_one "$mode" "$kind"
    ok[$kind]=$R_OK
    n[$kind]=$R_N
    if [ "$kind" = shipgate ]; then
      sg_before=$R_BEFORE sg_peak=$R_PEAK sg_after=$R_AFTER
    fi
  done
  bench_figures "shipgate RSS" "$sg_before" "$sg_peak" "$sg_after"
  sg_avail=$(fmt_ratio "${ok[shipgate]}" "${n[shipgate]}")
  ng_avail=$(fmt_ratio "${ok[nginx]}" "${n[nginx]}")
  rss_ratio=$(bench_ratio "$sg_after" "$sg_before")
  bench_figure "$mode RSS after/before" "$rss_ratio"
  printf '%s: shipgate probes %d/%d (%s) nginx %d/%d (%s) rss_kb before=%d peak=%d after=%d (%s)\n' \
    "$mode" "${ok[shipgate]}" "${n[shipgate]}" "$sg_avail" "${ok[nginx]}" "${n[nginx]}" "$ng_avail" \
    "$sg_before" "$sg_peak" "$sg_after" "$rss_ratio"
  if [ -z "$avail_min" ] || awk -v a="$sg_avail" -v b="$avail_min" 'BEGIN { exit !(a < b) }'; then
    avail_min=$sg_avail
  fi
  if [ -z "$rss_ratio_max" ] || awk -v a="$rss_ratio" -v b="$rss_ratio_max" 'BEGIN { exit !(a > b) }'; then
    rss_ratio_max=$rss_ratio
  fi
  modes_run+=("$mode")
  unset ok n
done
if [ -z "$avail_min" ] || [ -z "$rss_ratio_max" ]; then bench_die "no mode ran"; fi
if [ "${modes_run[*]}" != "slowloris slowbody slowread flood" ]; then
  bench_note "warning: modes run: ${modes_run[*]} (not all four): the line below is over these only"
fi
bench_note "goal: availability_min=1.000 (shipgate's lowest probe success ratio), rss_after_ratio <= 1.5 (highest RSS ${HOSTILE_AFTER_SECONDS}s after / before)"
echo "availability_min=$avail_min rss_after_ratio=$rss_ratio_max"
