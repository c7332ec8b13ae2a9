#!/usr/bin/env bash
# Runs every bench/*.sh benchmark (not this file, nor lib.sh and modsec_crs_conf.sh, which the
# benchmarks source) one after another and prints each one's ratio line at the end. Exit status:
# non-zero if any benchmark failed.
set -uo pipefail
dir=$(cd "$(dirname "$0")" && pwd)
status=0
summary=()
for script in "$dir"/*.sh; do
  name=$(basename "$script")
  case "$name" in lib.sh | modsec_crs_conf.sh | run_all.sh) continue ;; esac
  echo "==== $name ===="
  out=$(mktemp)
  bash "$script" 2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  last=$(tail -n 1 "$out")
  rm -f "$out"
  if ((rc != 0)); then
    status=1
    summary+=("$name: FAILED (exit $rc)")
  else
    summary+=("$name: $last")
  fi
done
echo "==== summary ===="
printf '%s\n' "${summary[@]}"
exit "$status"
