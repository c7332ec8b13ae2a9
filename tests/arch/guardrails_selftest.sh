#!/usr/bin/env bash
# Proves the guardrail checks catch what they are for: runs check_layering.sh and
# check_packages.sh on a small tree with known violations (an include upward, a link upward across
# a multi-line target_link_libraries, an undeclared library, a forward reference in the layers
# block, an unused package) and on the same tree fixed, and compares the exact findings.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
expect() {  # name expected_rc expected_output actual_rc actual_output
  if [ "$2" != "$4" ] || [ "$3" != "$5" ]; then
    printf 'FAIL %s: expected rc=%s output:\n%s\ngot rc=%s output:\n%s\n' "$1" "$2" "$3" "$4" "$5"
    failures=$((failures + 1))
  else
    echo "ok   $1"
  fi
}

mkdir -p "$tmp/src/low" "$tmp/src/high" "$tmp/src/stray" "$tmp/include/shipgate/low"
cat >"$tmp/ARCHITECTURE.md" <<'MD'
Some prose.
```layers
low:
high: low
```
MD
printf '#include "shipgate/low/a.h"\n' >"$tmp/src/high/ok.cc"
printf '#include <vector>\n\n#include "shipgate/high/b.h"\n' >"$tmp/src/low/up.cc"
printf '#pragma once\n#include "shipgate/high/c.h"\n' >"$tmp/include/shipgate/low/up.h"
printf 'add_library(shipgate_low a.cc)\ntarget_link_libraries(shipgate_low\n  PUBLIC shipgate_high\n  PRIVATE x)\n' >"$tmp/src/low/CMakeLists.txt"
printf 'add_library(shipgate_high b.cc)\ntarget_link_libraries(shipgate_high PUBLIC shipgate_low PkgConfig::USED)\n' >"$tmp/src/high/CMakeLists.txt"
printf 'pkg_check_modules(USED REQUIRED IMPORTED_TARGET used)\npkg_check_modules(UNUSED REQUIRED IMPORTED_TARGET unused)\n' >"$tmp/CMakeLists.txt"

set +e
out=$("$here/check_layering.sh" "$tmp" 2>&1); rc=$?
set -e
expect "layering violations" 1 "include/shipgate/low/up.h:2: low -> high: includes a header of a library low may not use
src/low/up.cc:3: low -> high: includes a header of a library low may not use
src/low/CMakeLists.txt:3: low -> high: links a library low may not use
src/stray: library not declared in ARCHITECTURE.md's layers block
check_layering: 4 violation(s) of the dependency order in ARCHITECTURE.md" "$rc" "$out"

set +e
out=$("$here/check_packages.sh" "$tmp" 2>&1); rc=$?
set -e
expect "unused package" 1 "CMakeLists.txt:2: pkg_check_modules(UNUSED) is linked by no target: drop it (and its package in scripts/install-deps.sh)" "$rc" "$out"

# A forward reference in the block is a cycle in the making.
sed -i 's/^low:$/low: high/' "$tmp/ARCHITECTURE.md"
set +e
out=$("$here/check_layering.sh" "$tmp" 2>&1); rc=$?
out=${out%%$'\n'*}
set -e
expect "forward reference" 1 "ARCHITECTURE.md:3: low -> high: high is not declared on an earlier line" "$rc" "$out"

# Fixed: no upward arrows, every library declared, every package linked.
sed -i 's/^low: high$/low:/' "$tmp/ARCHITECTURE.md"
rm -r "$tmp/src/stray" "$tmp/src/low/up.cc" "$tmp/include/shipgate/low/up.h"
sed -i 's/shipgate_high/other_lib/' "$tmp/src/low/CMakeLists.txt"
sed -i '/UNUSED/d' "$tmp/CMakeLists.txt"
set +e
out=$("$here/check_layering.sh" "$tmp" 2>&1); rc=$?
set -e
expect "clean tree" 0 "check_layering: 2 libraries, no violations" "$rc" "$out"
set +e
out=$("$here/check_packages.sh" "$tmp" 2>&1); rc=$?
set -e
expect "all packages used" 0 "check_packages: every looked-up package is linked" "$rc" "$out"

# Thread safety: a GUARDED_BY member written without its mutex fails the check; with the lock
# held it passes. The compile database names the file the way CMake's does.
if command -v clang++ >/dev/null; then
  src_root=$(cd "$here/../.." && pwd)
  mkdir -p "$tmp/ts/src/x" "$tmp/ts/build"
  cat >"$tmp/ts/src/x/counter.cc" <<'CC'
#include "shipgate/common/mutex.h"
class Counter {
 public:
  void add() { n_ += 1; }
 private:
  shipgate::Mutex mu_;
  int n_ GUARDED_BY(mu_) = 0;
};
CC
  cat >"$tmp/ts/build/compile_commands.json" <<JSON
[
{
  "directory": "$tmp/ts/build",
  "command": "/usr/bin/c++ -I$src_root/include -O2 -std=gnu++20 -o x.o -c $tmp/ts/src/x/counter.cc",
  "file": "$tmp/ts/src/x/counter.cc"
}
]
JSON
  set +e
  out=$("$here/check_thread_safety.sh" "$tmp/ts" "$tmp/ts/build" 2>&1); rc=$?
  set -e
  case "$out" in
    *"writing variable 'n_' requires holding mutex 'mu_'"*) expect "unguarded write" 1 "" "$rc" "" ;;
    *) expect "unguarded write" 1 "(the clang finding)" "$rc" "$out" ;;
  esac
  sed -i 's/void add() { n_ += 1; }/void add() {\n    shipgate::MutexLock lock(mu_);\n    n_ += 1;\n  }/' \
    "$tmp/ts/src/x/counter.cc"
  set +e
  out=$("$here/check_thread_safety.sh" "$tmp/ts" "$tmp/ts/build" 2>&1); rc=$?
  set -e
  expect "guarded write" 0 "check_thread_safety: 1 files of src/ clean under -Wthread-safety" \
    "$rc" "$out"
else
  echo "skip thread safety (no clang++)"
fi

[ $failures -eq 0 ] || exit 1
