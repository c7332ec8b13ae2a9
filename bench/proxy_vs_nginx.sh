#!/usr/bin/env bash
# Reverse-proxy throughput, latency, CPU and memory: shipgate vs nginx, same upstream, one worker
# each. Protocol: ../shared/research/gateway-anchors.md section 4 (see bench/lib.sh).
# Last line: ratio=X cpu_ratio=Y (medians of the per-pair shipgate/nginx requests per second
# and requests per CPU-second; a figure that could not be measured fails the script).
#
#   bench/proxy_vs_nginx.sh          # needs nginx, wrk (scripts/install-deps.sh bench), build/shipgate
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_init
bench_build_idle_conns

bench_start_proxy_pair
[ -n "$BENCH_SG_PGID" ] || bench_note "shipgate binary $SHIPGATE_BIN not found: measuring nginx only"

bench_compare "http://127.0.0.1:$BENCH_NGINX_PORT/" "$BENCH_NGINX_PGID" "$BENCH_NGINX_PORT" \
  "http://127.0.0.1:$BENCH_SG_PORT/" "$BENCH_SG_PGID" "$BENCH_SG_PORT" /
