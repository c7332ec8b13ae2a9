#!/usr/bin/env bash
# Builds the coinestate frontend as a release directory of hashed assets:
#   build.sh OUT_DIR
# Every asset referenced from index.html is copied as name.<10 hex of sha256>.ext, index.html is
# rewritten to point at the hashed names, and each text file gets a .gz sibling (and .br when the
# brotli tool is installed). The result is assembled next to OUT_DIR and moved into place, so a
# reader never sees a half-written release.
set -euo pipefail

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 OUT_DIR" >&2
  exit 2
fi
src="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$1"
mkdir -p "$(dirname "$out")"
stage="$(mktemp -d "$(dirname "$out")/.frontend-stage.XXXXXX")"
trap 'rm -rf "$stage"' EXIT

cp "$src/index.html" "$stage/index.html"
release=""
for asset in app.js style.css favicon.svg; do
  hash="$(sha256sum "$src/$asset" | cut -c1-10)"
  base="${asset%.*}"
  ext="${asset##*.}"
  hashed="$base.$hash.$ext"
  cp "$src/$asset" "$stage/$hashed"
  # Rewrite root-relative references (href="/app.js") to the hashed name; root-relative so the
  # page also works when the SPA fallback serves it for a deep path.
  if ! grep -q "\"/$asset\"" "$stage/index.html"; then
    echo "build.sh: index.html does not reference /$asset" >&2
    exit 1
  fi
  sed -i "s#\"/$asset\"#\"/$hashed\"#g" "$stage/index.html"
  release="$release$hash"
done
release_id="$(printf '%s' "$release" | sha256sum | cut -c1-12)"
sed -i "s#<code id=\"release\">static</code>#<code id=\"release\">$release_id</code>#" \
  "$stage/index.html"

for f in "$stage"/*.html "$stage"/*.css "$stage"/*.js "$stage"/*.svg; do
  gzip -k -9 -n "$f"
  if command -v brotli >/dev/null 2>&1; then
    brotli -k -q 11 "$f"
  fi
done
chmod -R a+rX "$stage"

# Swap the new release in.
old="$out.old.$$"
if [ -e "$out" ]; then mv "$out" "$old"; fi
mv "$stage" "$out"
trap - EXIT
rm -rf "$old"
echo "frontend: release $release_id in $out"
