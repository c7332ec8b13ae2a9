#!/usr/bin/env bash
# Cost per request of the WAF, measured by bench/waf/waf_bench (Google Benchmark):
#  - the whole firewall with examples/coinestate/shipgate.yaml (the seed's three rules: bot score
#    with the client's request rate, the /api/ rate limit, the SQL injection patterns, plus the
#    response phase and the RateLimit headers), on a browser's API request and on a static page;
#  - the rules engine alone on the seed rules (bot score given) and on a 100-rule set.
# Builds a Release tree in $BUILD (default build-bench-release) and prints (median CPU time of
# the repetitions: on a shared machine, wall time also counts the time the process waits for a
# core, so both are printed for each benchmark):
#   ns_per_request=X           the rules engine alone on the seed's three rules (bot score given)
#   rules100_ns_per_request=X  the engine on the 100-rule set
#   firewall_ns_per_request=X  last: what a request costs in the firewall with the seed's rules
#                              loaded from examples/coinestate/shipgate.yaml (bot score, client
#                              rate, the /api/ limit, response headers), API request, 10,000
#                              clients (the issue's target, < 1 us)
# A benchmark that did not run (or reported an error) fails the script: no figure is printed as 0.
# Usage: bench/waf_rules.sh [extra benchmark flags]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench-release}
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$BUILD" -j2 waf_bench >/dev/null
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
"$BUILD/bench/waf/waf_bench" --benchmark_repetitions=5 --benchmark_min_time=0.2 \
  --benchmark_report_aggregates_only=true --benchmark_out="$OUT" --benchmark_out_format=csv "$@"
# CSV: name,iterations,real_time,cpu_time,time_unit,...,error_occurred,error_message (names are
# quoted; the median rows are "<benchmark>_median").
awk -F, '
  BEGIN {
    n = split("BM_FirewallSeed/10000 BM_FirewallSeed/1 BM_FirewallSeedStatic/10000 " \
              "BM_FirewallSeedStatic/1 BM_SeedRules BM_SeedRulesAttack BM_SeedRulesNoQuery " \
              "BM_Rules100", order, " ")
  }
  $1 == "name" { for (i = 1; i <= NF; i++) col[$i] = i; next }
  !("name" in col) { next }
  {
    name = $1; gsub(/"/, "", name)
    if (name !~ /_median$/) next
    name = substr(name, 1, length(name) - 7)
    if ($col["time_unit"] != "ns") { bad[name] = "time unit " $col["time_unit"]; next }
    if ("error_occurred" in col && $col["error_occurred"] == "true") { bad[name] = "error"; next }
    cpu[name] = $col["cpu_time"]; wall[name] = $col["real_time"]
  }
  END {
    for (i = 1; i <= n; i++) {
      b = order[i]
      if (b in cpu) printf "%s: %.0f ns/request CPU, %.0f ns wall (median)\n", b, cpu[b], wall[b]
    }
    split("ns_per_request=BM_SeedRules rules100_ns_per_request=BM_Rules100 " \
          "firewall_ns_per_request=BM_FirewallSeed/10000", keys, " ")
    for (i = 1; i <= 3; i++) {
      split(keys[i], kv, "=")
      if (!(kv[2] in cpu) || cpu[kv[2]] + 0 <= 0) {
        printf "waf_rules.sh: error: %s (%s) was not measured%s\n", kv[1], kv[2],
               (kv[2] in bad ? ": " bad[kv[2]] : "") > "/dev/stderr"
        exit 1
      }
      printf "%s=%.0f\n", kv[1], cpu[kv[2]]
    }
  }' "$OUT"
