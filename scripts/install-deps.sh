#!/usr/bin/env bash
# Installs what shipgate needs to build, test and run its demo on Debian 12, skipping what is there.
# Usage: scripts/install-deps.sh [build|test|demo|bench]
set -euo pipefail
what=${1:-test}
cd "$(dirname "$0")/.."

build_pkgs=(cmake ninja-build g++ clang pkg-config libssl-dev libyaml-cpp-dev nlohmann-json3-dev
  libcli11-dev libre2-dev libpq-dev libgtest-dev libgmock-dev
  libbenchmark-dev node-llhttp libcpp-httplib-dev liburiparser-dev brotli libsqlite3-dev
  libsqlitecpp-dev libcurl4-openssl-dev libarchive-dev libsodium-dev libhiredis-dev
  libpugixml-dev zlib1g-dev libbrotli-dev libhyperscan-dev libpcre2-dev
  libmodsecurity-dev)  # libmodsecurity-dev: managed_reqdata_modsec_test, the reference to differ against
run_pkgs=(postgresql redis-server curl openssl ca-certificates python3 modsecurity-crs)  # the CRS: waf.managed_rules
test_pkgs=(chromium nginx wrk prometheus lcov python3-coverage sqlmap libmodsecurity-dev)  # lcov, coverage.py: the gates tests capture real reports; sqlmap: the managed rules' attack test; libmodsecurity-dev: the transformations' differential test
bench_pkgs=(nginx wrk libnginx-mod-http-modsecurity modsecurity-crs slowhttptest linux-perf strace iproute2)  # iproute2: nstat (bench/proxy_cpu_split.sh)

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
# tests/js/package.json pins versions that run on Debian 12's own Node 18 (and npm 9); an older
# node on PATH (from elsewhere) cannot run them.
if [ "$what" != build ]; then
  node_min=18.18.0
  node_version=$(node -p 'process.versions.node' 2>/dev/null || echo none)
  if [ "$node_version" = none ] ||
    [ "$(printf '%s\n%s\n' "$node_min" "$node_version" | sort -V | head -1)" != "$node_min" ]; then
    echo "install-deps: node $node_version on PATH ($(command -v node || echo 'not found')) is older than" \
      "$node_min, which tests/js needs. Remove it or put a newer one first on PATH (Debian 12's" \
      "'apt-get install nodejs' gives 18.20), then run scripts/install-deps.sh $what again." >&2
    exit 1
  fi
  # Installed tools older than the lock (e.g. versions that need a newer node) are replaced.
  if [ ! -d tests/js/node_modules/hardhat ] || [ ! -d tests/js/node_modules/playwright-core ] ||
    [ tests/js/package-lock.json -nt tests/js/node_modules/.package-lock.json ]; then
    echo "install-deps: npm ci in tests/js"
    (cd tests/js && npm ci --no-audit --no-fund --loglevel=error)
  fi
  # The accessibility runner (axe-core + playwright-core) that `serve` spawns for a deploy's
  # accessibility step: its own lock, installed beside it.
  if [ ! -d tools/axe-scan/node_modules/axe-core ] || [ ! -d tools/axe-scan/node_modules/playwright-core ] ||
    [ tools/axe-scan/package-lock.json -nt tools/axe-scan/node_modules/.package-lock.json ]; then
    echo "install-deps: npm ci in tools/axe-scan"
    (cd tools/axe-scan && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
