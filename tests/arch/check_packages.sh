#!/usr/bin/env bash
# Link only what is used: every library the top-level CMakeLists.txt looks up with
# pkg_check_modules(NAME ...) must be linked (PkgConfig::NAME) by some target in a CMakeLists.txt
# below it. Usage: check_packages.sh ROOT. Exit 0 = all used, 1 = one line per unused package.
set -euo pipefail
root=${1:?usage: check_packages.sh ROOT}
top="$root/CMakeLists.txt"
unused=0
while IFS=: read -r n name; do
  if ! grep -rqs --include=CMakeLists.txt "PkgConfig::$name\b" "$root/src" "$root/tests" \
      "$root/bench" "$root/examples"; then
    echo "CMakeLists.txt:$n: pkg_check_modules($name) is linked by no target: drop it (and its" \
      "package in scripts/install-deps.sh)"
    unused=$((unused + 1))
  fi
done < <(grep -nE '^[[:space:]]*pkg_check_modules\(' "$top" |
  sed -E 's/^([0-9]+):[[:space:]]*pkg_check_modules\(([A-Za-z0-9_]+).*/\1:\2/')
[ $unused -eq 0 ] || exit 1
echo "check_packages: every looked-up package is linked"
