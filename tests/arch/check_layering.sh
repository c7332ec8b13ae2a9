#!/usr/bin/env bash
# The layering check: reads the dependency order from the ```layers block of ARCHITECTURE.md and
# fails when a library includes a header of, or links, a library that order does not allow (one
# line per violation, "file:line: <area> -> <other>: ..."). Also fails when the block names a
# library on an earlier line than itself (a cycle), or when src/ holds an area the block does not
# declare. Usage: check_layering.sh ROOT (the source tree). Exit 0 = clean, 1 = violations.
set -euo pipefail
root=${1:?usage: check_layering.sh ROOT}
arch="$root/ARCHITECTURE.md"
[ -f "$arch" ] || { echo "check_layering: $arch not found" >&2; exit 2; }

declare -A allowed  # area -> " dep dep ... " (transitive)
declare -A declared
order=()
violations=0
fail() {
  echo "$1"
  violations=$((violations + 1))
}

# The block: "area: dep dep ...", each dep declared on an earlier line.
lineno=0
in_block=0
while IFS= read -r line; do
  lineno=$((lineno + 1))
  if [ $in_block = 0 ]; then
    [ "$line" = '```layers' ] && in_block=1
    continue
  fi
  [ "$line" = '```' ] && break
  [ -z "${line// /}" ] && continue
  area=${line%%:*}
  area=${area// /}
  deps=${line#*:}
  closure=" "
  for dep in $deps; do
    if [ -z "${declared[$dep]:-}" ]; then
      fail "ARCHITECTURE.md:$lineno: $area -> $dep: $dep is not declared on an earlier line"
      continue
    fi
    closure+="$dep ${allowed[$dep]} "
  done
  allowed[$area]="$closure"
  declared[$area]=1
  order+=("$area")
done <"$arch"
[ ${#order[@]} -gt 0 ] || { echo "check_layering: no \`\`\`layers block in $arch" >&2; exit 2; }

may_use() {  # area other
  [ "$1" = "$2" ] && return 0
  case "${allowed[$1]}" in *" $2 "*) return 0 ;; esac
  return 1
}

for dir in "$root"/src/*/; do
  area=$(basename "$dir")
  if [ -z "${declared[$area]:-}" ]; then
    fail "src/$area: library not declared in ARCHITECTURE.md's layers block"
    continue
  fi
  # Includes of another area's headers.
  files=()
  while IFS= read -r f; do files+=("$f"); done < <(
    find "$root/src/$area" "$root/include/shipgate/$area" -type f \( -name '*.cc' -o -name '*.h' \) \
      2>/dev/null | sort)
  for f in "${files[@]}"; do
    while IFS=: read -r n other; do
      may_use "$area" "$other" ||
        fail "${f#"$root"/}:$n: $area -> $other: includes a header of a library $area may not use"
    done < <(grep -noE '^[[:space:]]*#[[:space:]]*include[[:space:]]+"shipgate/[a-z_]+/' "$f" |
      sed -E 's|^([0-9]+):.*"shipgate/([a-z_]+)/$|\1:\2|')
  done
  # Links: shipgate_<other> inside target_link_libraries(...), which may span lines.
  cm="$root/src/$area/CMakeLists.txt"
  [ -f "$cm" ] || continue
  while IFS=: read -r n target; do
    other=${target#shipgate_}
    if [ -z "${declared[$other]:-}" ]; then
      fail "src/$area/CMakeLists.txt:$n: $area -> $target: not a library of ARCHITECTURE.md"
    elif ! may_use "$area" "$other"; then
      fail "src/$area/CMakeLists.txt:$n: $area -> $other: links a library $area may not use"
    fi
  done < <(awk '
    /target_link_libraries[[:space:]]*\(/ { inside = 1; first = 1 }
    inside {
      text = $0
      if (first) { sub(/.*target_link_libraries[[:space:]]*\(/, "", text); sub(/^[^[:space:]]+/, "", text); first = 0 }
      if (index(text, ")") > 0) { text = substr(text, 1, index(text, ")") - 1); inside = 0 }
      n = split(text, words, /[[:space:]]+/)
      for (i = 1; i <= n; i++) if (words[i] ~ /^shipgate_[a-z_]+$/) print NR ":" words[i]
    }' "$cm")
done

if [ $violations -gt 0 ]; then
  echo "check_layering: $violations violation(s) of the dependency order in ARCHITECTURE.md"
  exit 1
fi
echo "check_layering: ${#order[@]} libraries, no violations"
