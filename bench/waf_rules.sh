#!/usr/bin/env bash
# Cost per request of the WAF, measured by bench/waf/waf_bench (Google Benchmark):
#  - the whole firewall with examples/coinestate/shipgate.yaml (the seed's three rules: bot score,
#    the /api/ rate limit, the SQL injection patterns, plus the response phase), on a browser's
#    API request and on a static page;
#  - the rules engine alone on the seed rules (bot score given) and on a 100-rule set.
# Builds a Release tree in $BUILD (default build-bench-release) and prints (median CPU time of
# the repetitions: on a shared machine, wall time also counts the time the process waits for a
# core, so both are printed for each benchmark):
#   firewall_ns_per_request=X  the whole firewall, seed rules, API request, 10,000 clients
#   rules100_ns_per_request=X  the engine on the 100-rule set
#   ns_per_request=X           last: the engine on the seed's three rules (the issue's target,
#                              < 1 µs; bot score given, as the firewall computes it beforehand)
# Usage: bench/waf_rules.sh [extra benchmark flags]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench-release}
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$BUILD" -j2 waf_bench >/dev/null
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
"$BUILD/bench/waf/waf_bench" --benchmark_repetitions=5 --benchmark_min_time=0.2 \
  --benchmark_report_aggregates_only=true --benchmark_out="$OUT" --benchmark_out_format=json "$@"
python3 - "$OUT" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
rows = [b for b in data["benchmarks"]
        if b.get("aggregate_name") == "median" and b.get("time_unit") == "ns"]
med = {b["run_name"]: b["cpu_time"] for b in rows}
wall = {b["run_name"]: b["real_time"] for b in rows}
for name in ("BM_FirewallSeed/10000", "BM_FirewallSeed/1", "BM_FirewallSeedStatic/10000",
             "BM_FirewallSeedStatic/1", "BM_SeedRules", "BM_SeedRulesAttack", "BM_SeedRulesNoQuery",
             "BM_Rules100"):
    if name in med:
        print(f"{name}: {med[name]:.0f} ns/request CPU, {wall[name]:.0f} ns wall (median)")
print(f"firewall_ns_per_request={med['BM_FirewallSeed/10000']:.0f}")
print(f"rules100_ns_per_request={med['BM_Rules100']:.0f}")
print(f"ns_per_request={med['BM_SeedRules']:.0f}")
PY
