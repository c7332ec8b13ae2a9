# bench/lib.sh: shared parts of bench/*_vs_nginx.sh (sourced, not run). Implements the protocol of
# ../shared/research/gateway-anchors.md section 4: same upstream for both proxies (nginx
# `return 200`, 1 worker, CPU 1), the proxy under test alone on CPU 0 with 1 worker, wrk on CPU 1,
# a 3 s warm-up each, >= 5 interleaved A/B pairs, runs with non-2xx or socket errors discarded,
# the median per-pair ratio with min/max, p99 at a lower fixed -c, requests per proxy CPU-second
# from /proc/PID/stat, and memory with 10,000 idle keep-alive connections.
#
# Every process is started in its own process group (setsid) and stopped by that pid on EXIT.
#
# Knobs (environment): SHIPGATE_BIN (default build/shipgate), BENCH_BUILD_DIR (for idle_conns,
# default build), BENCH_PAIRS=5, BENCH_DURATION=10s, BENCH_WARMUP=3s, BENCH_CONNS=64,
# BENCH_P99_CONNS=8, BENCH_P99_PAIRS=3, BENCH_IDLE_CONNS=10000, BENCH_PROXY_CPU=0,
# BENCH_LOAD_CPU=1.

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SHIPGATE_BIN=${SHIPGATE_BIN:-$BENCH_ROOT/build/shipgate}
BENCH_BUILD_DIR=${BENCH_BUILD_DIR:-$BENCH_ROOT/build}
BENCH_PAIRS=${BENCH_PAIRS:-5}
BENCH_DURATION=${BENCH_DURATION:-10s}
BENCH_WARMUP=${BENCH_WARMUP:-3s}
BENCH_CONNS=${BENCH_CONNS:-64}
BENCH_P99_CONNS=${BENCH_P99_CONNS:-8}
BENCH_P99_PAIRS=${BENCH_P99_PAIRS:-3}
BENCH_IDLE_CONNS=${BENCH_IDLE_CONNS:-10000}
BENCH_PROXY_CPU=${BENCH_PROXY_CPU:-0}
BENCH_LOAD_CPU=${BENCH_LOAD_CPU:-1}
BENCH_NAME=${BENCH_NAME:-$(basename "$0" .sh)}
# nginx needs worker_connections above the idle-connection count (the notes' 4096 is too few).
BENCH_NGINX_CONNS=$((BENCH_IDLE_CONNS + 240 > 4096 ? BENCH_IDLE_CONNS + 240 : 4096))

BENCH_PGIDS=()
BENCH_DIR=""

bench_die() {
  echo "$BENCH_NAME: error: $*" >&2
  exit 1
}

bench_note() { echo "# $*"; }

bench_cleanup() {
  local i
  for ((i = ${#BENCH_PGIDS[@]} - 1; i >= 0; i--)); do
    bench_stop "${BENCH_PGIDS[i]}"
  done
  BENCH_PGIDS=()
  if [ -n "$BENCH_DIR" ] && [ -d "$BENCH_DIR" ]; then rm -rf "$BENCH_DIR"; fi
}

# bench_init [TOOL...]: checks the tools (every bench's, and TOOL...), makes the work dir,
# installs the cleanup trap.
bench_init() {
  local missing=()
  for tool in nginx wrk taskset setsid curl "$@"; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  if ((${#missing[@]})); then
    bench_die "missing ${missing[*]}; install them with: scripts/install-deps.sh bench"
  fi
  if [ "$(nproc)" -lt 2 ]; then bench_note "warning: fewer than 2 CPUs; pinning is meaningless"; fi
  BENCH_DIR=$(mktemp -d /tmp/shipgate-bench.XXXXXX)
  chmod 755 "$BENCH_DIR"  # nginx workers run as nobody when started as root
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
  # Room for 10,000 idle connections plus wrk's.
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((BENCH_IDLE_CONNS + 512)) ]; then
    bench_die "open-file limit $(ulimit -n) is too low for $BENCH_IDLE_CONNS idle connections"
  fi
  bench_note "$BENCH_NAME: $(date -u +%FT%TZ), $(nproc) CPUs, load: $(cut -d' ' -f1-3 /proc/loadavg)"
}

# True when the shipgate binary exists (the nginx half runs either way).
bench_have_shipgate() { [ -x "$SHIPGATE_BIN" ]; }

bench_shipgate_build_note() {
  local cache
  cache="$(dirname "$SHIPGATE_BIN")/CMakeCache.txt"
  if [ -f "$cache" ]; then
    local type
    type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$cache")
    bench_note "shipgate: $SHIPGATE_BIN (CMAKE_BUILD_TYPE=${type:-unset})"
    if grep -q '^SHIPGATE_SANITIZE:BOOL=ON' "$cache" || [ "$type" = Debug ]; then
      bench_note "warning: not an optimized build; numbers are not meaningful (use -O2 -DNDEBUG)"
    fi
  fi
}

# A TCP port nothing listens on, below the ephemeral range (the idle connections use that).
bench_free_port() {
  local p
  for _ in $(seq 200); do
    p=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  bench_die "no free port found"
}

# bench_start CPU LOGFILE CMD...: starts CMD pinned to CPU in a new process group (setsid does not
# fork: a background job of a non-interactive shell is no group leader), so its pid is the group's
# id. Sets BENCH_PID. Never call this (or the bench_start_* functions) inside $(...): the pid must
# be recorded in this shell for the EXIT trap.
bench_start() {
  local cpu=$1 log=$2
  shift 2
  setsid taskset -c "$cpu" "$@" >"$log" 2>&1 </dev/null &
  BENCH_PID=$!
  BENCH_PGIDS+=("$BENCH_PID")
}

# Stops one group started by bench_start (TERM, then KILL after 5 s).
bench_stop() {
  local pgid=$1
  kill -TERM -- "-$pgid" 2>/dev/null || return 0
  for _ in $(seq 50); do
    kill -0 -- "-$pgid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL -- "-$pgid" 2>/dev/null || true
}

# Stops one group started by bench_start and takes it off the EXIT trap's list, for a script that
# starts and stops servers many times (a stopped group's id may be reused by another process).
bench_stop_forget() {
  local pgid=$1 i kept=()
  bench_stop "$pgid"
  wait "$pgid" 2>/dev/null || true
  for i in "${BENCH_PGIDS[@]}"; do [ "$i" = "$pgid" ] || kept+=("$i"); done
  BENCH_PGIDS=(${kept[@]+"${kept[@]}"})
}

# bench_wait_port PORT PID LOGFILE: waits up to 20 s for PORT; dies with the log if PID exits.
bench_wait_port() {
  local port=$1 pid=$2 log=$3
  for _ in $(seq 400); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      bench_die "process $pid exited before listening on $port; its output:
$(cat "$log")"
    fi
    sleep 0.05
  done
  bench_die "nothing listens on $port after 20 s; output of $pid:
$(cat "$log")"
}

# Pids in the process group PGID (the leader and e.g. nginx's worker), read from /proc (no
# procps needed): field 5 of /proc/PID/stat is the group.
bench_group_pids() {
  local want=$1 stat rest
  for stat in /proc/[0-9]*/stat; do
    read -r rest 2>/dev/null <"$stat" || continue
    rest=${rest##*) }  # fields after "(comm) ": state ppid pgrp ...
    set -- $rest
    if [ "${3:-}" = "$want" ]; then
      stat=${stat#/proc/}
      echo "${stat%/stat}"
    fi
  done
}

# "utime stime" (clock ticks), each summed over a process group; prints nothing (and fails) when
# no process of the group could be read, so a missing figure is never taken for zero.
bench_cpu_ticks_split() {
  local user=0 sys=0 seen=0 pid stat
  for pid in $(bench_group_pids "$1"); do
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    stat=${stat##*) }  # fields after "(comm) "; utime and stime are fields 14 and 15
    set -- $stat
    user=$((user + ${12})) sys=$((sys + ${13}))
    seen=1
  done
  ((seen)) || return 1
  echo "$user $sys"
}

# Sum of utime+stime (clock ticks) over a process group; fails as bench_cpu_ticks_split does.
bench_cpu_ticks() {
  local split
  split=$(bench_cpu_ticks_split "$1") || return 1
  echo $((${split% *} + ${split#* }))
}

# Sum of VmRSS (KiB) over a process group; prints nothing (and fails) when none could be read.
bench_rss_kib() {
  local total=0 seen=0 pid kb
  for pid in $(bench_group_pids "$1"); do
    kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    [ -n "$kb" ] || continue
    total=$((total + kb))
    seen=1
  done
  ((seen)) || return 1
  echo "$total"
}

# bench_figure NAME VALUE: dies unless VALUE is a number > 0. Every figure a report prints goes
# through it, so a figure that could not be measured fails the script instead of reading as 0.
bench_figure() {
  awk -v v="$2" 'BEGIN { exit !(v ~ /^[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?$/ && v + 0 > 0) }' ||
    bench_die "$1 could not be measured (got '${2}')"
}

# nginx -------------------------------------------------------------------------------------------

bench_nginx_common() {  # DIR: the main-context lines every nginx here shares
  cat <<EOF
daemon off;
worker_processes 1;
worker_rlimit_nofile $(($(ulimit -n) > 65536 ? 65536 : $(ulimit -n)));
pid $1/nginx.pid;
error_log /dev/null crit;
EOF
}

bench_nginx_temp_paths() {  # DIR
  local t
  for t in client_body proxy fastcgi uwsgi scgi; do echo "  ${t}_temp_path $1/tmp_$t;"; done
}

# bench_start_upstream PORT [SERVER_LINES [NAME]]: the shared upstream, nginx
# `return 200 "hello world\n"` on CPU 1; SERVER_LINES (optional) go in its server {} block before
# `location /` (e.g. a `location = /big` serving a file); NAME (default upstream) names its
# directory under $BENCH_DIR. Sets BENCH_PID.
bench_start_upstream() {
  local port=$1 dir="$BENCH_DIR/${3:-upstream}"
  mkdir -p "$dir"
  {
    bench_nginx_common "$dir"
    cat <<EOF
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
$(bench_nginx_temp_paths "$dir")
  server {
    listen 127.0.0.1:$port reuseport backlog=4096;${2:+
$2}
    location / { default_type text/plain; return 200 "hello world\n"; }
  }
}
EOF
  } >"$dir/nginx.conf"
  bench_start "$BENCH_LOAD_CPU" "$dir/out.log" nginx -e /dev/null -p "$dir" -c "$dir/nginx.conf"
  bench_wait_port "$port" "$BENCH_PID" "$dir/out.log"
}

# bench_nginx_proxy_body PORT UPSTREAM_PORT [LOCATION_LINES]: the http {} body of a fair nginx
# reverse proxy (upstream keepalive, HTTP/1.1 to the upstream) listening on PORT; LOCATION_LINES
# go first in `location /`.
bench_nginx_proxy_body() {
  cat <<EOF
  upstream app {
    server 127.0.0.1:$2;
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:$1 reuseport backlog=4096;
    location / {${3:+
$3}
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
EOF
}

# bench_app_yaml UPSTREAM_PORT: shipgate sites/apps config proxying everything to one upstream.
bench_app_yaml() {
  cat <<EOF
sites:
  - name: s
    app: a
apps:
  a:
    slots:
      blue:
        - {address: "127.0.0.1:$1"}
EOF
}

# bench_start_nginx NAME PORT HTTP_BODY [MAIN]: the peer under test on CPU 0, tuned as in the
# notes. HTTP_BODY is the text placed in the http {} block after the common tuning; MAIN, lines
# for the main context before it (load_module ...). Sets BENCH_PID.
bench_start_nginx() {
  local name=$1 port=$2 body=$3 main=${4:-} dir="$BENCH_DIR/$1"
  mkdir -p "$dir"
  {
    [ -n "$main" ] && printf '%s\n' "$main"
    bench_nginx_common "$dir"
    cat <<EOF
events { worker_connections $BENCH_NGINX_CONNS; }
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 300s;
  gzip off;
$(bench_nginx_temp_paths "$dir")
$body
}
EOF
  } >"$dir/nginx.conf"
  bench_start "$BENCH_PROXY_CPU" "$dir/out.log" nginx -e /dev/null -p "$dir" -c "$dir/nginx.conf"
  bench_wait_port "$port" "$BENCH_PID" "$dir/out.log"
}

# shipgate ----------------------------------------------------------------------------------------

# bench_start_shipgate PORT YAML_BODY [NAME]: shipgate with workers: 1 on CPU 0. YAML_BODY holds
# the sites/apps part; server and listener settings are added here. NAME (default shipgate) names
# its directory under $BENCH_DIR, so several instances can run. Sets BENCH_PID.
bench_start_shipgate() {
  local port=$1 body=$2 dir="$BENCH_DIR/${3:-shipgate}"
  mkdir -p "$dir"
  cat >"$dir/shipgate.yaml" <<EOF
server:
  workers: 1
  allow_root: true
  limits:
    max_connections: $BENCH_NGINX_CONNS
    idle_timeout: 300s
  log:
    access_log: false
    level: error
listeners:
  - name: http
    address: "127.0.0.1:$port"
$body
EOF
  bench_start "$BENCH_PROXY_CPU" "$dir/out.log" "$SHIPGATE_BIN" serve --config "$dir/shipgate.yaml"
  bench_wait_port "$port" "$BENCH_PID" "$dir/out.log"
}

# bench_start_proxy_pair: the shared upstream, nginx proxying to it and, when the shipgate binary
# exists, shipgate proxying to it (bench_app_yaml), each on a port of its own. Sets
# BENCH_UPSTREAM_PORT, BENCH_NGINX_PORT, BENCH_NGINX_PGID, BENCH_SG_PORT and BENCH_SG_PGID (the
# last two empty without a shipgate binary).
bench_start_proxy_pair() {
  BENCH_UPSTREAM_PORT=$(bench_free_port)
  bench_start_upstream "$BENCH_UPSTREAM_PORT"
  BENCH_NGINX_PORT=$(bench_free_port)
  bench_start_nginx nginx "$BENCH_NGINX_PORT" \
    "$(bench_nginx_proxy_body "$BENCH_NGINX_PORT" "$BENCH_UPSTREAM_PORT")"
  BENCH_NGINX_PGID=$BENCH_PID
  BENCH_SG_PORT="" BENCH_SG_PGID=""
  bench_have_shipgate || return 0
  bench_shipgate_build_note
  BENCH_SG_PORT=$(bench_free_port)
  while [ "$BENCH_SG_PORT" = "$BENCH_NGINX_PORT" ] || [ "$BENCH_SG_PORT" = "$BENCH_UPSTREAM_PORT" ]; do
    BENCH_SG_PORT=$(bench_free_port)
  done
  bench_start_shipgate "$BENCH_SG_PORT" "$(bench_app_yaml "$BENCH_UPSTREAM_PORT")"
  BENCH_SG_PGID=$BENCH_PID
}

# measurements ------------------------------------------------------------------------------------

# bench_wrk CONNS DURATION URL OUTFILE: one wrk run on the load CPU.
bench_wrk() {
  taskset -c "$BENCH_LOAD_CPU" wrk -t1 -c"$1" -d"$2" --latency "$3" >"$4" 2>&1 || true
}

# Fields of a wrk output file: "rps requests p99_ms errors" (errors = non-2xx + socket errors).
bench_wrk_parse() {
  awk '
    function ms(v) {
      if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
      if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
      if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000
      return v + 0
    }
    /Requests\/sec:/ { rps = $2 }
    / requests in / { reqs = $1 }
    /^ +99%/ { p99 = ms($2) }
    /Non-2xx or 3xx responses:/ { errors += $NF }
    /Socket errors:/ {
      for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) errors += $i + 0
    }
    END { printf "%s %s %s %d\n", (rps == "" ? 0 : rps), (reqs == "" ? 0 : reqs), (p99 == "" ? 0 : p99), errors }
  ' "$1"
}

# Median / min / max of numbers on stdin.
bench_median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print 0; exit }
  print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
bench_min() { sort -g | head -1; }
bench_max() { sort -g | tail -1; }

# bench_measure LABEL CONNS DURATION URL PGID: one run; prints "rps p99_ms req_per_cpu_s" on
# stdout, or nothing when the run had errors (the reason goes to stderr). A figure that cannot be
# measured (no process in the group, no CPU time used, no p99 in wrk's output) is printed as
# "unmeasured", which bench_figure rejects.
bench_measure() {
  local label=$1 conns=$2 duration=$3 url=$4 pgid=$5 out
  out="$BENCH_DIR/wrk.$label.$RANDOM.txt"
  local hz before after
  hz=$(getconf CLK_TCK)
  before=$(bench_cpu_ticks "$pgid") || before=""
  bench_wrk "$conns" "$duration" "$url" "$out"
  after=$(bench_cpu_ticks "$pgid") || after=""
  local rps reqs p99 errors
  read -r rps reqs p99 errors < <(bench_wrk_parse "$out")
  if [ "$errors" -gt 0 ] || [ "$reqs" = 0 ]; then
    echo "# discarded $label run: $errors non-2xx/socket errors, $reqs requests" >&2
    sed 's/^/#   /' "$out" >&2
    return 0
  fi
  local per_cpu=unmeasured
  if [ -n "$before" ] && [ -n "$after" ] && ((after > before)); then
    per_cpu=$(awk -v r="$reqs" -v t="$((after - before))" -v hz="$hz" 'BEGIN { printf "%.0f", r / (t / hz) }')
  fi
  [ "$p99" != 0 ] || p99=unmeasured
  echo "$rps $p99 $per_cpu"
}

# bench_idle_memory PORT PATH PGID: RSS (KiB) of the group before and while BENCH_IDLE_CONNS idle
# keep-alive connections (one request each) are open. Sets BENCH_RSS_BEFORE and BENCH_RSS_DURING.
bench_idle_memory() {
  local port=$1 path=$2 pgid=$3
  local line out="$BENCH_DIR/idle.$port.txt"
  BENCH_RSS_BEFORE=$(bench_rss_kib "$pgid") || BENCH_RSS_BEFORE=unmeasured
  bench_start "$BENCH_LOAD_CPU" "$out" "$BENCH_IDLE_TOOL" --port "$port" --path "$path" \
    --count "$BENCH_IDLE_CONNS"
  local pid=$BENCH_PID
  for _ in $(seq 1200); do
    line=$(grep -m1 '^ready' "$out" 2>/dev/null || true)
    [ -n "$line" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  [ -n "$line" ] || bench_die "idle_conns did not get ready: $(cat "$out")"
  sleep 1
  BENCH_RSS_DURING=$(bench_rss_kib "$pgid") || BENCH_RSS_DURING=unmeasured
  bench_stop "$pid"
  wait "$pid" 2>/dev/null || true
  bench_note "idle connections to :$port: $line"
}

# Builds bench/idle_conns (CMake target in BENCH_BUILD_DIR; plain c++ if that build dir is not
# usable) and sets BENCH_IDLE_TOOL.
bench_build_idle_conns() {
  if [ -f "$BENCH_BUILD_DIR/build.ninja" ] || [ -f "$BENCH_BUILD_DIR/Makefile" ]; then
    if cmake --build "$BENCH_BUILD_DIR" --target idle_conns >"$BENCH_DIR/idle_build.log" 2>&1; then
      BENCH_IDLE_TOOL="$BENCH_BUILD_DIR/bench/idle_conns"
      return 0
    fi
  fi
  c++ -std=c++20 -O2 -o "$BENCH_DIR/idle_conns" "$BENCH_ROOT/bench/idle_conns.cc" ||
    bench_die "cannot build bench/idle_conns.cc"
  BENCH_IDLE_TOOL="$BENCH_DIR/idle_conns"
}

# Prints a response's status line, Content-Length and header size, to check both send the same.
bench_show_response() {  # LABEL URL
  local head
  head=$(curl -s -o /dev/null -D - "$2" | tr -d '\r')
  printf '# %-9s %s | Content-Length: %s | header bytes: %s\n' "$1" "$(echo "$head" | head -1)" \
    "$(echo "$head" | awk -F': ' 'tolower($1) == "content-length" {print $2}')" \
    "$(echo "$head" | wc -c)"
}

# The protocol ------------------------------------------------------------------------------------

bench_fmt() { awk -v v="$1" 'BEGIN { printf "%.3f", v }'; }
# A / B with 3 decimals, or "unmeasured" when either is not a number > 0.
bench_ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN {
    num = "^[0-9]*\\.?[0-9]+([eE][-+]?[0-9]+)?$"
    if (a ~ num && b ~ num && a + 0 > 0 && b + 0 > 0) printf "%.3f", a / b; else printf "unmeasured" }'
}
bench_stats() {  # NAME VALUES...: "median (min X, max Y)"
  shift
  local list
  list=$(printf '%s\n' "$@")
  echo "$(bench_fmt "$(bench_median <<<"$list")") (min $(bench_fmt "$(bench_min <<<"$list")"), max $(bench_fmt "$(bench_max <<<"$list")"))"
}

# bench_pair A_LABEL A_URL A_PGID B_LABEL B_URL B_PGID CONNS ORDER: one interleaved pair; ORDER
# odd runs A first, even runs B first (so a drift in the machine's speed favours neither side).
# Sets BENCH_A and BENCH_B to bench_measure's output ("" for a discarded run; B_PGID empty: B is
# not run).
bench_pair() {
  local a_label=$1 a_url=$2 a_pgid=$3 b_label=$4 b_url=$5 b_pgid=$6 conns=$7 order=$8
  BENCH_A="" BENCH_B=""
  if ((order % 2)) || [ -z "$b_pgid" ]; then
    BENCH_A=$(bench_measure "$a_label" "$conns" "$BENCH_DURATION" "$a_url" "$a_pgid")
    [ -z "$b_pgid" ] || BENCH_B=$(bench_measure "$b_label" "$conns" "$BENCH_DURATION" "$b_url" "$b_pgid")
  else
    BENCH_B=$(bench_measure "$b_label" "$conns" "$BENCH_DURATION" "$b_url" "$b_pgid")
    BENCH_A=$(bench_measure "$a_label" "$conns" "$BENCH_DURATION" "$a_url" "$a_pgid")
  fi
}

# bench_figures NAME VALUES...: bench_figure on each value.
bench_figures() {
  local name=$1 v
  shift
  for v in "$@"; do bench_figure "$name" "$v"; done
}

# bench_compare NGINX_URL NGINX_PGID NGINX_PORT SG_URL SG_PGID SG_PORT IDLE_PATH
# Runs the whole protocol and prints the report; the last line is "ratio=X cpu_ratio=Y": the
# medians over the interleaved pairs of shipgate/nginx requests per second and of shipgate/nginx
# requests per CPU-second (utime+stime from /proc/PID/stat around each run: shipgate's process,
# all of nginx's). Any figure that could not be measured ends the script with an error (exit 1).
# With SG_PGID empty (no shipgate binary yet) it measures nginx alone, prints its numbers and
# returns 2.
bench_compare() {
  local a_url=$1 a_pgid=$2 a_port=$3 b_url=$4 b_pgid=$5 b_port=$6 idle_path=$7
  local have_b=1
  [ -n "$b_pgid" ] || have_b=0

  bench_show_response nginx "$a_url"
  ((have_b)) && bench_show_response shipgate "$b_url"

  bench_note "warm-up: $BENCH_WARMUP each"
  bench_wrk "$BENCH_CONNS" "$BENCH_WARMUP" "$a_url" "$BENCH_DIR/warmup.a.txt"
  ((have_b)) && bench_wrk "$BENCH_CONNS" "$BENCH_WARMUP" "$b_url" "$BENCH_DIR/warmup.b.txt"

  bench_note "throughput: wrk -t1 -c$BENCH_CONNS -d$BENCH_DURATION, $BENCH_PAIRS interleaved pairs (the side that runs first alternates)"
  local rps_a=() rps_b=() ratios=() cpu_a=() cpu_b=() cpu_ratios=() p99_a=() p99_b=()
  local attempts=0 a b first
  while ((${#rps_a[@]} < BENCH_PAIRS && attempts < 3 * BENCH_PAIRS)); do
    attempts=$((attempts + 1))
    bench_pair nginx "$a_url" "$a_pgid" shipgate "$b_url" "$b_pgid" "$BENCH_CONNS" "$attempts"
    a=$BENCH_A b=$BENCH_B
    if [ -z "$a" ] || { ((have_b)) && [ -z "$b" ]; }; then
      bench_note "pair discarded (errors), running another"
      continue
    fi
    first=nginx
    ((attempts % 2)) || first=shipgate
    set -- $a
    bench_figure "nginx req/s" "$1"
    bench_figure "nginx req per CPU-s" "$3"
    rps_a+=("$1")
    cpu_a+=("$3")
    if ((have_b)); then
      set -- $b
      bench_figure "shipgate req/s" "$1"
      bench_figure "shipgate req per CPU-s" "$3"
      rps_b+=("$1")
      cpu_b+=("$3")
      ratios+=("$(bench_ratio "$1" "${rps_a[-1]}")")
      cpu_ratios+=("$(bench_ratio "$3" "${cpu_a[-1]}")")
      printf 'pair %d (%s first): nginx %10.1f req/s %8s req/CPU-s   shipgate %10.1f req/s %8s req/CPU-s   ratio %s   cpu_ratio %s\n' \
        "${#rps_a[@]}" "$first" "${rps_a[-1]}" "${cpu_a[-1]}" "$1" "$3" "${ratios[-1]}" "${cpu_ratios[-1]}"
    else
      printf 'run %d: nginx %10.1f req/s %8s req/CPU-s\n' "${#rps_a[@]}" "${rps_a[-1]}" "${cpu_a[-1]}"
    fi
  done
  ((${#rps_a[@]} == BENCH_PAIRS)) || bench_die "too many discarded runs (${#rps_a[@]} good of $attempts)"

  bench_note "latency at equal, lower offered load: wrk -t1 -c$BENCH_P99_CONNS -d$BENCH_DURATION, $BENCH_P99_PAIRS pairs (alternating)"
  attempts=0
  while ((${#p99_a[@]} < BENCH_P99_PAIRS && attempts < 3 * BENCH_P99_PAIRS)); do
    attempts=$((attempts + 1))
    bench_pair nginx "$a_url" "$a_pgid" shipgate "$b_url" "$b_pgid" "$BENCH_P99_CONNS" "$attempts"
    a=$BENCH_A b=$BENCH_B
    if [ -z "$a" ] || { ((have_b)) && [ -z "$b" ]; }; then continue; fi
    set -- $a
    bench_figure "nginx p99" "$2"
    p99_a+=("$2")
    if ((have_b)); then
      set -- $b
      bench_figure "shipgate p99" "$2"
      p99_b+=("$2")
      printf 'p99 pair %d: nginx %.3f ms   shipgate %.3f ms\n' "${#p99_a[@]}" "${p99_a[-1]}" "$2"
    else
      printf 'p99 run %d: nginx %.3f ms\n' "${#p99_a[@]}" "${p99_a[-1]}"
    fi
  done
  ((${#p99_a[@]} > 0)) || bench_die "every latency run was discarded"

  bench_note "memory: $BENCH_IDLE_CONNS idle keep-alive connections (one request each), VmRSS of the server's processes"
  bench_idle_memory "$a_port" "$idle_path" "$a_pgid"
  local mem_a_before=$BENCH_RSS_BEFORE mem_a=$BENCH_RSS_DURING mem_b_before="" mem_b=""
  bench_figures "nginx RSS" "$mem_a_before" "$mem_a"
  if ((have_b)); then
    bench_idle_memory "$b_port" "$idle_path" "$b_pgid"
    mem_b_before=$BENCH_RSS_BEFORE
    mem_b=$BENCH_RSS_DURING
    bench_figures "shipgate RSS" "$mem_b_before" "$mem_b"
  fi

  echo "---- $BENCH_NAME summary ----"
  echo "nginx req/s:             $(bench_stats x "${rps_a[@]}")"
  ((have_b)) && echo "shipgate req/s:          $(bench_stats x "${rps_b[@]}")"
  echo "nginx p99 at -c$BENCH_P99_CONNS:      $(bench_stats x "${p99_a[@]}") ms"
  ((have_b)) && echo "shipgate p99 at -c$BENCH_P99_CONNS:   $(bench_stats x "${p99_b[@]}") ms"
  echo "nginx req per CPU-s:     $(bench_stats x "${cpu_a[@]}")"
  ((have_b)) && echo "shipgate req per CPU-s:  $(bench_stats x "${cpu_b[@]}")"
  echo "nginx RSS:               ${mem_a_before} KiB idle, ${mem_a} KiB with $BENCH_IDLE_CONNS connections (master+worker)"
  ((have_b)) && echo "shipgate RSS:            ${mem_b_before} KiB idle, ${mem_b} KiB with $BENCH_IDLE_CONNS connections"
  if ((!have_b)); then
    echo "shipgate: $SHIPGATE_BIN not found; build it (make build) for the comparison and ratio line"
    return 2
  fi
  local p99_ratio mem_ratio ratio cpu_ratio
  p99_ratio=$(bench_ratio "$(printf '%s\n' "${p99_b[@]}" | bench_median)" "$(printf '%s\n' "${p99_a[@]}" | bench_median)")
  mem_ratio=$(bench_ratio "$mem_b" "$mem_a")
  ratio=$(printf '%s\n' "${ratios[@]}" | bench_median)
  cpu_ratio=$(printf '%s\n' "${cpu_ratios[@]}" | bench_median)
  bench_figure "p99 ratio" "$p99_ratio"
  bench_figure "memory ratio" "$mem_ratio"
  bench_figures "throughput ratio" "${ratios[@]}"
  bench_figures "CPU ratio" "${cpu_ratios[@]}"
  echo "p99 shipgate/nginx:      $p99_ratio (target <= 1.2)"
  echo "memory shipgate/nginx:   $mem_ratio (target <= 1.5)"
  echo "req per CPU-s shipgate/nginx, median of $BENCH_PAIRS pairs: $(bench_stats x "${cpu_ratios[@]}") (target >= 1.3)"
  echo "throughput shipgate/nginx, median of $BENCH_PAIRS pairs: $(bench_stats x "${ratios[@]}") (target >= 1.0)"
  echo "ratio=$(bench_fmt "$ratio") cpu_ratio=$(bench_fmt "$cpu_ratio")"
}
