#!/usr/bin/env bash
# Static hosting throughput, latency, CPU and memory: shipgate vs nginx serving the same file from
# the same directory, one worker each (nginx with sendfile, tcp_nopush, open_file_cache; gzip off
# on both). Protocol: ../shared/research/gateway-anchors.md section 4 (see bench/lib.sh).
# Last line: ratio=X cpu_ratio=Y (medians of the per-pair shipgate/nginx requests per second
# and requests per CPU-second; a figure that could not be measured fails the script).
#
#   bench/static_vs_nginx.sh         # needs nginx, wrk (scripts/install-deps.sh bench), build/shipgate
#   BENCH_STATIC_BYTES=65536 bench/static_vs_nginx.sh    # file size (default 4096)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_init
bench_build_idle_conns

bytes=${BENCH_STATIC_BYTES:-4096}
root="$BENCH_DIR/site"
asset=/assets/app.3b9f1c2e.js   # a hashed asset name: long-lived Cache-Control on both
mkdir -p "$root/assets"
echo "<!doctype html><title>bench</title><script src=\"$asset\"></script>" >"$root/index.html"
head -c "$bytes" /dev/zero | tr '\0' 'a' >"$root$asset"
chmod -R a+rX "$root"

nginx_port=$(bench_free_port)
bench_start_nginx nginx "$nginx_port" "
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  sendfile on;
  tcp_nopush on;
  open_file_cache max=1000;
  server {
    listen 127.0.0.1:$nginx_port reuseport backlog=4096;
    root $root;
    location /assets/ { add_header Cache-Control \"public, max-age=31536000, immutable\"; }
  }"
nginx_pgid=$BENCH_PID

sg_port="" sg_pgid=""
if bench_have_shipgate; then
  bench_shipgate_build_note
  sg_port=$(bench_free_port)
  while [ "$sg_port" = "$nginx_port" ]; do sg_port=$(bench_free_port); done
  bench_start_shipgate "$sg_port" "sites:
  - name: s
    static:
      root: \"$root\""
  sg_pgid=$BENCH_PID
else
  bench_note "shipgate binary $SHIPGATE_BIN not found: measuring nginx only"
fi

bench_compare "http://127.0.0.1:$nginx_port$asset" "$nginx_pgid" "$nginx_port" \
  "http://127.0.0.1:$sg_port$asset" "$sg_pgid" "$sg_port" "$asset"
