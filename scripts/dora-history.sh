#!/bin/sh
# dora-history.sh: records a realistic month of deployments of one app through the REAL commands
# against a running `shipgate serve`, on a controlled clock, so `shipgate dora` and the
# shipgate_dora_* gauges have a known history to show (tests/integration/dora checks every
# figure against values computed by hand).
#
# TEST-ONLY: it moves the clock of the serve it talks to. That serve must run with
#   SHIPGATE_CLOCK_FILE=<the --clock-file below>   (the release controller's wall clock, read
#                                                  from the file; see README, "Test-only clock")
#   SHIPGATE_TEST_HOLD_STEP=switch:2000            (an emergency rollback holds 2 s before its
#                                                  switch, so the clock can move from "incident
#                                                  opened" to "restored" in between)
# and a config with the app's environment at approval: none.
#
# Usage: scripts/dora-history.sh --shipgate BIN --config FILE --clock-file FILE --app APP
#          --good DIR --bad DIR --work DIR [--base UNIX_SECONDS]
#   --config: the serve's config (admin.address and admin.token_file: the CLI finds the API)
#   --good / --bad: a release directory that passes / fails the smoke checks; each version is a
#     copy under --work
#   --base: the start of the history (default 1793491200, 2026-11-01T00:00:00Z); the history
#     ends at base + 30 days ("now" of the checks).
#
# The timeline (day N = base + N days; "lead" = commit time to live):
#   day  0 00:00  v1 deployed (lead 60 min)              exactly at the 30d window's start: out
#   day  2 10:00  v2 (lead 90 min)
#   day  5 10:00  v3 (lead 45 min)
#   day  9 10:00  v4 (lead 3 h)
#   day  9 14:00  v5 fails its smoke checks              a failed deploy: never live, no change
#   day 12 10:00  v6 (lead 30 min)
#   day 12 11:00  emergency rollback of v6 to v4; the incident is resolved at 11:12 (12 min)
#   day 15 10:00  v7 (lead 60 min)
#   day 18 10:00  v8 (lead 20 min)
#   day 18 12:00  standard rollback to v7                v8 is a failed change
#   day 23 00:00  v9 (lead 50 min)                       exactly at the 7d window's start: out of 7d
#   day 24 10:00  v10 (lead 40 min)
#   day 25 10:00  v11 (lead 25 min)
#   day 25 16:00  emergency rollback of v11 to v10; resolved at 16:10 (10 min)
#   day 26 10:00  v12 (lead 35 min)
#   day 27 10:00  v13 (lead 15 min)
#   day 28 10:00  v14 (lead 55 min)
#   day 29 10:00  v15 (lead 10 min)
#   day 30 00:00  v16 (lead 30 min)                      "now": the last deployment
# Exit 0 when every step did what the timeline says, 1 otherwise (with what went wrong).
set -eu

BIN= CONFIG= CLOCK= APP= GOOD= BAD= WORK= BASE=1793491200
while [ $# -gt 0 ]; do
  case "$1" in
    --shipgate) BIN=$2; shift 2 ;;
    --config) CONFIG=$2; shift 2 ;;
    --clock-file) CLOCK=$2; shift 2 ;;
    --app) APP=$2; shift 2 ;;
    --good) GOOD=$2; shift 2 ;;
    --bad) BAD=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --base) BASE=$2; shift 2 ;;
    *) echo "dora-history.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
for v in BIN CONFIG CLOCK APP GOOD BAD WORK; do
  eval "val=\${$v}"
  if [ -z "$val" ]; then echo "dora-history.sh: missing argument for $v (see the usage)" >&2; exit 2; fi
done

DAY=86400
HOUR=3600
MIN=60
die() { echo "dora-history.sh: $*" >&2; exit 1; }
sg() { "$BIN" "$@" -c "$CONFIG" --actor dora-history; }
# at DAY HH MM: Unix seconds of base + DAY days + HH:MM
at() { echo $((BASE + $1 * DAY + $2 * HOUR + $3 * MIN)); }
# setclock SECONDS: the serve's (and the CLI's) wall clock, in milliseconds
setclock() { echo "$(($1 * 1000))" > "$CLOCK.tmp" && mv "$CLOCK.tmp" "$CLOCK"; }
artifact() {  # artifact VERSION good|bad -> a copy of the release directory for VERSION
  src=$GOOD; [ "$2" = bad ] && src=$BAD
  rm -rf "$WORK/$1" && mkdir -p "$WORK" && cp -a "$src" "$WORK/$1" && echo "$WORK/$1"
}
commit_sha() { printf '%040x' "$1"; }

# deploy VERSION DAY HH MM LEAD_MINUTES [bad]: live at DAY HH:MM, committed LEAD minutes before
deploy() {
  version=$1 live=$(at "$2" "$3" "$4") lead=$5 kind=${6:-good}
  dir=$(artifact "$version" "$kind")
  setclock "$live"
  set +e
  out=$(sg deploy --app "$APP" --version "$version" --artifact "$dir" --lines \
        --commit "$(commit_sha "$live")" --commit-time $((live - lead * MIN)) \
        --reason "history: $version" 2>&1)
  rc=$?
  set -e
  if [ "$kind" = bad ]; then
    [ $rc -eq 1 ] || die "$version: expected the deploy to fail (exit 1), got $rc: $out"
  else
    [ $rc -eq 0 ] || die "$version: deploy exited $rc: $out"
  fi
  echo "day $2 $3:$4 deploy $version ($kind, lead ${lead} min): exit $rc"
}

RESOLVED=0
# emergency DAY HH MM RESTORE_MINUTES: an emergency rollback asked at DAY HH:MM whose incident is
# resolved RESTORE minutes later
emergency() {
  opened=$(at "$1" "$2" "$3") restored=$(( $(at "$1" "$2" "$3") + $4 * MIN ))
  setclock "$opened"
  sg rollback --app "$APP" --emergency --reason "history: errors after the release" --no-wait \
    > /dev/null || die "day $1: the emergency rollback was refused"
  setclock "$restored"  # while the rollback holds before its switch (SHIPGATE_TEST_HOLD_STEP)
  RESOLVED=$((RESOLVED + 1))
  i=0
  while [ "$(sg incidents --app "$APP" --json | grep -c '"open": false')" -lt "$RESOLVED" ]; do
    i=$((i + 1))
    [ $i -lt 600 ] || die "day $1: the emergency rollback's incident was not resolved in 60 s"
    sleep 0.1
  done
  echo "day $1 $2:$3 emergency rollback, incident resolved after $4 min"
}

# rollback_to VERSION DAY HH MM: a standard rollback
rollback_to() {
  setclock "$(at "$2" "$3" "$4")"
  sg rollback --app "$APP" --to "$1" --reason "history: back to $1" --lines > /dev/null ||
    die "day $2: the rollback to $1 failed"
  echo "day $2 $3:$4 rollback to $1"
}

deploy v1 0 0 0 60
deploy v2 2 10 0 90
deploy v3 5 10 0 45
deploy v4 9 10 0 180
deploy v5 9 14 0 60 bad
deploy v6 12 10 0 30
emergency 12 11 0 12
deploy v7 15 10 0 60
deploy v8 18 10 0 20
rollback_to v7 18 12 0
deploy v9 23 0 0 50
deploy v10 24 10 0 40
deploy v11 25 10 0 25
emergency 25 16 0 10
deploy v12 26 10 0 35
deploy v13 27 10 0 15
deploy v14 28 10 0 55
deploy v15 29 10 0 10
deploy v16 30 0 0 30
echo "history recorded; now is $(at 30 0 0) (base + 30 days)"
