#!/usr/bin/env bash
# The reference peer for the CRS regression figures: nginx + libmodsecurity 3 + OWASP CRS 3.3.4
# (Debian's libnginx-mod-http-modsecurity and modsecurity-crs), blocking (SecRuleEngine On),
# anomaly threshold 5, at the given paranoia level, in front of an nginx `return 200` upstream;
# crs_ftw runs the regression suite (and the benign corpus) against it, reading the rule ids that
# fired from nginx's error log.
#
#   tests/integration/managed/crs_modsec.sh [PL] [BENIGN_COUNT]     # defaults: 1 and 3000
#
# Needs build/tests/integration/managed/crs_ftw (ninja -C build crs_ftw). Prints crs_ftw's table
# and appends it to build/crs_regression.md. Both nginx processes run from a temp prefix and are
# stopped by pid on exit.
set -euo pipefail
PL=${1:-1}
BENIGN=${2:-3000}
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
source "$ROOT/bench/modsec_crs_conf.sh"
BUILD=${SHIPGATE_BUILD_DIR:-$ROOT/build}
FTW=${CRS_FTW:-$BUILD/tests/integration/managed/crs_ftw}
MODSEC_MODULE=/usr/lib/nginx/modules/ngx_http_modsecurity_module.so
CRS_SETUP=/etc/modsecurity/crs/crs-setup.conf
CRS_RULES=/usr/share/modsecurity-crs/rules
MODSEC_BASE=/etc/nginx/modsecurity.conf
[ -f "$MODSEC_BASE" ] || MODSEC_BASE=/etc/modsecurity/modsecurity.conf-recommended
[ -x "$FTW" ] || { echo "crs_modsec.sh: $FTW missing (ninja -C build crs_ftw)" >&2; exit 2; }
[ -f "$MODSEC_MODULE" ] || { echo "crs_modsec.sh: $MODSEC_MODULE missing" >&2; exit 2; }

DIR=$(mktemp -d /tmp/crs_modsec.XXXXXX)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  [ -n "${CRS_KEEP:-}" ] || rm -rf "$DIR"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "crs_modsec.sh: port $1 did not open" >&2
  cat "$DIR"/*/error.log >&2 || true
  exit 1
}
temp_paths() { for t in client_body proxy fastcgi uwsgi scgi; do echo "  ${t}_temp_path $1/tmp_$t;"; done; }

UP=$(free_port)
mkdir -p "$DIR/up" "$DIR/ms"
cat >"$DIR/up/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $DIR/up/nginx.pid;
error_log $DIR/up/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
$(temp_paths "$DIR/up")
  server {
    listen 127.0.0.1:$UP;
    location / { default_type text/plain; return 200 "hello world\n"; }
  }
}
EOF
nginx -e /dev/null -p "$DIR/up" -c "$DIR/up/nginx.conf" &
PIDS+=($!)
wait_port "$UP"

modsec_crs_conf "$DIR/ms" "$PL" "$MODSEC_BASE" "$CRS_SETUP" "$CRS_RULES" audit_off
MS=$(free_port)
modules="load_module $MODSEC_MODULE;"
[ -f /usr/lib/nginx/modules/ndk_http_module.so ] &&
  modules="load_module /usr/lib/nginx/modules/ndk_http_module.so;
$modules"
cat >"$DIR/ms/nginx.conf" <<EOF
$modules
daemon off;
worker_processes 1;
pid $DIR/ms/nginx.pid;
error_log $DIR/ms/error.log info;
events { worker_connections 1024; }
http {
  access_log off;
$(temp_paths "$DIR/ms")
  server {
    listen 127.0.0.1:$MS;
    location / {
      modsecurity on;
      modsecurity_rules_file $DIR/ms/main.conf;
      proxy_pass http://127.0.0.1:$UP;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
EOF
nginx -e /dev/null -p "$DIR/ms" -c "$DIR/ms/nginx.conf" &
PIDS+=($!)
wait_port "$MS"

"$FTW" --port "$MS" --pl "$PL" --label "nginx 1.22 + libmodsecurity 3 + CRS 3.3.4, PL$PL" \
  --log "$DIR/ms/error.log" --benign "$BENIGN" --out "$BUILD/crs_regression.md" ${CRS_FTW_ARGS:-}
