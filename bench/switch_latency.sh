#!/usr/bin/env bash
# bench/switch_latency.sh: time from a slot switch call (admin API) to the first request served by
# the new slot, under keep-alive load, on the real binary with two upstream processes. Prints the
# median and p99 over SWITCHES switches (see bench/switch_latency.cc); fails when a figure could
# not be measured or a request failed.
# Knobs: SHIPGATE_BIN (default build/shipgate), BENCH_BUILD_DIR (default build), SWITCHES=200,
# CLIENTS=4, WAF_RULES=0 (N regex WAF rules plus a static site in the config).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BENCH_BUILD_DIR:-$ROOT/build}
SHIPGATE_BIN=${SHIPGATE_BIN:-$BUILD/shipgate}
cmake --build "$BUILD" --target shipgate switch_latency >/dev/null
exec "$BUILD/bench/switch_latency" --shipgate "$SHIPGATE_BIN" --switches "${SWITCHES:-200}" \
  --clients "${CLIENTS:-4}" --waf-rules "${WAF_RULES:-0}"
