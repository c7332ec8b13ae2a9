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

upstream_port=$(bench_free_port)
bench_start_upstream "$upstream_port"

nginx_port=$(bench_free_port)
bench_start_nginx nginx "$nginx_port" "$(bench_nginx_proxy_body "$nginx_port" "$upstream_port")"
nginx_pgid=$BENCH_PID

sg_port="" sg_pgid=""
if bench_have_shipgate; then
  bench_shipgate_build_note
  sg_port=$(bench_free_port)
  while [ "$sg_port" = "$nginx_port" ] || [ "$sg_port" = "$upstream_port" ]; do sg_port=$(bench_free_port); done
  bench_start_shipgate "$sg_port" "$(bench_app_yaml "$upstream_port")"
  sg_pgid=$BENCH_PID
else
  bench_note "shipgate binary $SHIPGATE_BIN not found: measuring nginx only"
fi

bench_compare "http://127.0.0.1:$nginx_port/" "$nginx_pgid" "$nginx_port" \
  "http://127.0.0.1:$sg_port/" "$sg_pgid" "$sg_port" /
