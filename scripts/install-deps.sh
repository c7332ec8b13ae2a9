#!/usr/bin/env bash
# Installs what shipgate needs to build, test and run its demo on Debian 12, skipping what is there.
# Usage: scripts/install-deps.sh [build|test|demo|bench]
set -euo pipefail
what=${1:-test}
cd "$(dirname "$0")/.."

build_pkgs=(cmake ninja-build g++ clang pkg-config libssl-dev libyaml-cpp-dev nlohmann-json3-dev
  libcli11-dev libre2-dev libpq-dev libgtest-dev libgmock-dev
  libbenchmark-dev node-llhttp libcpp-httplib-dev brotli)
run_pkgs=(postgresql curl openssl ca-certificates)
test_pkgs=(chromium nginx wrk prometheus)
bench_pkgs=(nginx wrk libnginx-mod-http-modsecurity modsecurity-crs)

pkgs=("${build_pkgs[@]}")
case "$what" in
  build) ;;
  demo) pkgs+=("${run_pkgs[@]}") ;;
  test) pkgs+=("${run_pkgs[@]}" "${test_pkgs[@]}") ;;
  bench) pkgs+=("${run_pkgs[@]}" "${bench_pkgs[@]}") ;;
  *) echo "install-deps.sh: unknown target '$what' (build|test|demo|bench)" >&2; exit 2 ;;
esac
command -v node >/dev/null || pkgs+=(nodejs)
command -v npm >/dev/null || pkgs+=(npm)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm tools (hardhat for a real Ethereum node, playwright-core to drive Chromium), project-local.
if [ "$what" != build ]; then
  if [ ! -d tests/js/node_modules/hardhat ] || [ ! -d tests/js/node_modules/playwright-core ]; then
    echo "install-deps: npm ci in tests/js"
    (cd tests/js && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
