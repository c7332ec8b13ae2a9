#!/usr/bin/env bash
# Clang's thread-safety analysis as an error over every translation unit of the libraries and the
# binary (src/**/*.cc): GUARDED_BY members touched without their shipgate::Mutex held, REQUIRES
# helpers called without it, locks not released. Compiles with the include paths, defines and
# language standard the build uses (read from compile_commands.json), syntax only, two at a time.
# Usage: check_thread_safety.sh SOURCE_DIR BUILD_DIR [CLANG++]. Exit 0 = clean, 1 = findings,
# 77 = skipped (no clang++ or no compile_commands.json).
set -euo pipefail
src=${1:?usage: check_thread_safety.sh SOURCE_DIR BUILD_DIR [CLANG++]}
build=${2:?usage: check_thread_safety.sh SOURCE_DIR BUILD_DIR [CLANG++]}
clang=${3:-clang++}
db="$build/compile_commands.json"
command -v "$clang" >/dev/null || { echo "check_thread_safety: $clang not found: skipped"; exit 77; }
[ -f "$db" ] || { echo "check_thread_safety: $db not found: skipped"; exit 77; }
src=$(cd "$src" && pwd)

# One line per src/**/*.cc: "<flags> <file>", flags = the -I / -isystem / -D / -std of its command.
list=$(awk -v prefix="$src/src/" '
  /^[[:space:]]*"command":/ { cmd = $0 }
  /^[[:space:]]*"file":/ {
    file = $0
    sub(/^[[:space:]]*"file":[[:space:]]*"/, "", file); sub(/".*$/, "", file)
    if (index(file, prefix) != 1 || file !~ /\.cc$/) next
    n = split(cmd, w, /[[:space:]]+/); flags = ""
    for (i = 1; i <= n; i++) {
      if (w[i] ~ /^-(I|D|std=)/) flags = flags " " w[i]
      else if (w[i] == "-isystem" && i < n) { flags = flags " -isystem " w[i + 1]; i++ }
    }
    print flags " " file
  }' "$db" | sort -u)
count=$(printf '%s\n' "$list" | grep -c . || true)
[ "$count" -gt 0 ] || { echo "check_thread_safety: no src/ files in $db" >&2; exit 2; }

out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
# Only the thread-safety warnings are errors (the build's own warnings are g++'s business).
printf '%s\n' "$list" | xargs -P 2 -L 1 "$clang" -fsyntax-only -Wthread-safety \
  -Werror=thread-safety >"$out" 2>&1 || status=$?
if [ $status -ne 0 ]; then
  cat "$out"
  echo "check_thread_safety: findings in the $count files of src/ (clang -Wthread-safety)"
  exit 1
fi
echo "check_thread_safety: $count files of src/ clean under -Wthread-safety"
