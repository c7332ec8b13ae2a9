#!/usr/bin/env bash
# The coinestate demo: PostgreSQL, a real Ethereum JSON-RPC node (hardhat), the API as blue (v1) and
# green (v2) in two regions, and the gateway in front; switches blue -> green while serving and
# keeps running until Ctrl-C. Every process it starts it stops, by pid.
# Env: BUILD (default build), DEMO_EXIT_AFTER_SWITCH=1 to stop after the switch (non-interactive).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${BUILD:-$root/build}
sg=$build/shipgate
api=$build/coinestate-api
for f in "$sg" "$api"; do
  [ -x "$f" ] || { echo "demo: $f is missing; run 'make build' first" >&2; exit 2; }
done
[ -d "$build/coinestate/frontend" ] || { echo "demo: frontend not built ($build/coinestate/frontend)" >&2; exit 2; }

work=$(mktemp -d /tmp/shipgate-demo.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {  # exit status: 0 after a stop asked for (Ctrl-C, SIGTERM) or a clean end
  local rc=$1
  trap - EXIT INT TERM
  echo; echo "demo: stopping"
  for ((i=${#pids[@]}-1; i>=0; i--)); do kill -TERM "${pids[i]}" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ "$rc" = 0 ]; then rm -rf "$work"; else echo "demo: failed; its logs are kept in $work" >&2; fi
}
trap 'cleanup $?' EXIT
trap 'cleanup 0; exit 0' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {  # port, what, seconds
  for _ in $(seq 1 $(( $3 * 10 ))); do
    if ! port_free "$1"; then return 0; fi
    sleep 0.1
  done
  echo "demo: $2 did not open port $1 (logs in $work)" >&2; exit 1
}
for p in 8080 9901 9101 9102 9111 9112 25432 8545; do
  port_free "$p" || { echo "demo: port $p is in use; stop whatever holds it first" >&2; exit 1; }
done

# Every port the demo listens on is below the kernel's ephemeral range (32768-60999), so an outgoing
# connection can never hold it as its local port when a server binds it.
echo "demo: starting PostgreSQL on 127.0.0.1:25432"
pgbin=/usr/lib/postgresql/15/bin
as_pg=(); [ "$(id -u)" = 0 ] && as_pg=(runuser -u postgres --)
mkdir -p "$work/pg"; [ "$(id -u)" = 0 ] && chown postgres "$work/pg"
"${as_pg[@]}" "$pgbin/initdb" -D "$work/pg/data" -A trust -U postgres >"$work/initdb.log" 2>&1
"${as_pg[@]}" "$pgbin/postgres" -D "$work/pg/data" -h 127.0.0.1 -p 25432 -k "$work/pg" \
  >"$work/postgres.log" 2>&1 &
pids+=($!)
wait_port 25432 PostgreSQL 30

echo "demo: starting hardhat node on 127.0.0.1:8545"
(cd "$root/tests/js" && exec node node_modules/hardhat/internal/cli/cli.js node --hostname 127.0.0.1 --port 8545) \
  >"$work/hardhat.log" 2>&1 &
pids+=($!)
wait_port 8545 hardhat 60

echo "demo: starting the API: blue v1 (9101 us-east-1, 9111 eu-west-1), green v2 (9102, 9112)"
for spec in "9101 v1 us-east-1" "9111 v1 eu-west-1" "9102 v2 us-east-1" "9112 v2 eu-west-1"; do
  set -- $spec
  "$api" --listen "127.0.0.1:$1" --version "$2" --region "$3" >"$work/api-$1.log" 2>&1 &
  pids+=($!)
done
for p in 9101 9111 9102 9112; do wait_port "$p" "API" 10; done

head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$here/demo-admin.token"
chmod 600 "$here/demo-admin.token"
echo "demo: starting shipgate"
"$sg" serve --config "$here/demo.yaml" >"$work/shipgate.log" 2>&1 &
pids+=($!)
wait_port 8080 shipgate 10
wait_port 9901 "shipgate admin" 10

cat <<TXT

  frontend   http://127.0.0.1:8080/
  API        http://127.0.0.1:8080/api/properties
  health     http://127.0.0.1:8080/api/health
  admin API  http://127.0.0.1:9901/api/v1/status    (Authorization: Bearer \$(cat $here/demo-admin.token))
  metrics    http://127.0.0.1:9901/metrics
  logs       $work

TXT
"$sg" health --config "$here/demo.yaml" || true
echo
"$sg" status --config "$here/demo.yaml"

# The seed's bot rule (cf.bot_management.score lt 30) blocks plain curl, so the demo's client
# sends the headers a browser sends.
browser=(-H 'User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36'
  -H 'Accept: application/json' -H 'Accept-Language: en-US,en;q=0.9' -H 'Accept-Encoding: gzip, deflate, br')
status() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
version() { curl -s -o /dev/null -w '%{http_code} %header{x-app-version}' "${browser[@]}" http://127.0.0.1:8080/api/health; }
echo
echo "demo: the seed's security_rules: curl without browser headers -> $(status http://127.0.0.1:8080/api/health) (bot rule)," \
  "?q=UNION%20SELECT -> $(status "${browser[@]}" 'http://127.0.0.1:8080/api/properties?q=UNION%20SELECT%201') (SQL injection rule)," \
  "a browser -> $(status "${browser[@]}" http://127.0.0.1:8080/api/properties)"
echo "demo: before the switch: $(version)"
# Traffic while switching: one client sends 60 requests over ~3 s, every answer counted. The
# seed's "Rate limit API" rule allows 100 /api/ requests a minute per client, so the demo stays
# under it (a longer loop would see 429 after its 100th request).
load_out="$work/load.txt"
( for _ in $(seq 60); do version; echo; sleep 0.05; done ) >"$load_out" &
loadpid=$!
sleep 1
echo "demo: switching app api blue -> green while serving"
"$sg" switch --config "$here/demo.yaml" --app api --slot green
wait "$loadpid" || true
echo "demo: during the switch: $(sort "$load_out" | uniq -c | tr '\n' ';')"
echo "demo: after the switch: $(version)"
if [ "${DEMO_EXIT_AFTER_SWITCH:-0}" = 1 ]; then exit 0; fi
echo; echo "demo: running; Ctrl-C to stop"
while kill -0 "${pids[-1]}" 2>/dev/null; do sleep 1; done
echo "demo: shipgate exited; see $work/shipgate.log" >&2
exit 1
