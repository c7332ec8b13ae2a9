#!/usr/bin/env bash
# make-release.sh: writes one release of the coinestate API as shipgate's process runtime runs it:
# a directory holding an executable `run` that execs the example API (build/coinestate-api) with
# the flags shipgate passes (--listen, --version, --region; see shipgate.yaml's release.runtime
# command) followed by this release's own flags.
#
#   make-release.sh DIR [API-FLAG...]
#   make-release.sh /tmp/releases/v2
#   make-release.sh /tmp/releases/v3 --error-rate 0.5     # half of the /api/ answers are 500
#
# Then: shipgate deploy --app api --version v2 --artifact /tmp/releases/v2
# Env: BUILD (default: the repository's build/), the directory holding coinestate-api.
set -euo pipefail
if [ $# -lt 1 ] || [ -z "$1" ] || [ "${1:0:1}" = - ]; then
  echo "usage: $0 DIR [API-FLAG...]   (e.g. $0 /tmp/releases/v3 --error-rate 0.5)" >&2
  exit 2
fi
dir=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${BUILD:-$here/../../build}" 2>/dev/null && pwd) || {
  echo "make-release.sh: build directory ${BUILD:-$here/../../build} is missing; run 'make build' first" >&2
  exit 2
}
api=$build/coinestate-api
[ -x "$api" ] || { echo "make-release.sh: $api is missing; run 'make build' first" >&2; exit 2; }
[ -e "$dir/run" ] && { echo "make-release.sh: $dir/run exists; a release is immutable" >&2; exit 1; }
mkdir -p "$dir"
q() { printf '%q' "$1"; }  # one word, quoted for the shell
{
  echo '#!/bin/sh'
  echo "# A coinestate API release, written by make-release.sh on $(date -u +%FT%TZ)."
  printf 'exec %s "$@"' "$(q "$api")"
  for flag in "$@"; do printf ' %s' "$(q "$flag")"; done
  echo
} >"$dir/run.tmp"
chmod 755 "$dir" "$dir/run.tmp"
mv "$dir/run.tmp" "$dir/run"
