#!/usr/bin/env bash
# Cost per request of the WAF rules engine: the seed's three rules (with the example config's
# normalisers) and a 100-rule set, measured by bench/waf/waf_bench (Google Benchmark).
# Builds a Release copy of the engine in $BUILD (default build-waf-bench) and prints, last,
#   ns_per_request=X      (the seed rules on a typical browser request; median CPU time of the
#                          repetitions: on a shared machine, wall time also counts the time the
#                          process waits for a core, so both are printed)
# Usage: bench/waf_rules.sh [extra benchmark flags]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-waf-bench}
cmake -S "$ROOT/bench/waf" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$BUILD" -j2 waf_bench >/dev/null
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
"$BUILD/waf_bench" --benchmark_repetitions=5 --benchmark_min_time=0.2 \
  --benchmark_report_aggregates_only=true --benchmark_out="$OUT" --benchmark_out_format=json "$@"
python3 - "$OUT" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
rows = [b for b in data["benchmarks"]
        if b.get("aggregate_name") == "median" and b.get("time_unit") == "ns"]
med = {b["run_name"]: b["cpu_time"] for b in rows}
wall = {b["run_name"]: b["real_time"] for b in rows}
for name in ("BM_SeedRules", "BM_SeedRulesAttack", "BM_SeedRulesNoQuery", "BM_Rules100"):
    if name in med:
        print(f"{name}: {med[name]:.0f} ns/request CPU, {wall[name]:.0f} ns wall (median)")
print(f"rules100_ns_per_request={med['BM_Rules100']:.0f}")
print(f"ns_per_request={med['BM_SeedRules']:.0f}")
PY
