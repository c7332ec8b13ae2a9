#!/usr/bin/env bash
# The coinestate demo: PostgreSQL, a real Ethereum JSON-RPC node (hardhat) and the gateway, which
# deploys the coinestate API through the whole release procedure (start in the idle slot, health,
# smoke, approval, switch, bake with the rollback triggers watching):
#   v1, then v2 while a load of browser-like clients counts every answer by exact status (none may
#   fail), then v3, built to fail half of its answers, which the triggers roll back on their own
#   while the deploy's live view shows which rule fired and why; then the deployment list and v3's
#   checklist. The releases are directories made by make-release.sh; approval (production) is
#   given by the demo as "release-manager". Keeps running until Ctrl-C.
# Exit status: non-zero when any step does not happen as expected (v1 and v2 live, v3 rolled back,
# traffic on v2, no failed answer other than v3's own). Every process it starts it stops, by pid.
# Env: BUILD (default build), DEMO_EXIT_AFTER_SWITCH=1 to stop at the end (non-interactive).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${BUILD:-$root/build}
build=$(cd "$build" 2>/dev/null && pwd) || { echo "demo: build directory missing; run 'make build' first" >&2; exit 2; }
sg=$build/shipgate
api=$build/coinestate-api
for f in "$sg" "$api"; do
  [ -x "$f" ] || { echo "demo: $f is missing; run 'make build' first" >&2; exit 2; }
done
[ -d "$build/coinestate/frontend" ] || { echo "demo: frontend not built ($build/coinestate/frontend)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "demo: python3 is missing (the load client, load.py, needs it)" >&2; exit 2; }

work=$(mktemp -d /tmp/shipgate-demo.XXXXXX)
chmod 755 "$work"
pids=()
approver_pid=""
load_pid=""
cleanup() {  # exit status: 0 after a stop asked for (Ctrl-C, SIGTERM) or a clean end
  local rc=$1
  trap - EXIT INT TERM
  echo; echo "demo: stopping"
  for p in $approver_pid $load_pid; do kill -TERM "$p" 2>/dev/null || true; done
  for ((i=${#pids[@]}-1; i>=0; i--)); do kill -TERM "${pids[i]}" 2>/dev/null || true; done
  for p in $approver_pid $load_pid "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ "$rc" = 0 ]; then rm -rf "$work"; else echo "demo: failed; its logs are kept in $work" >&2; fi
}
trap 'cleanup $?' EXIT
trap 'cleanup 0; exit 0' INT TERM
fail() { echo "demo: FAILED: $*" >&2; exit 1; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {  # port, what, seconds
  for _ in $(seq 1 $(( $3 * 10 ))); do
    if ! port_free "$1"; then return 0; fi
    sleep 0.1
  done
  echo "demo: $2 did not open port $1 (logs in $work)" >&2; exit 1
}
# 9200-9219: the ports shipgate gives the releases' replicas (demo.yaml).
for p in 8080 9901 9111 25432 8545 $(seq 9200 9219); do
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

# The seed's secondary region (eu-west-1) keeps its own API, checked directly by
# health_checks.secondary; the releases below run in the primary region, behind the gateway.
echo "demo: starting the secondary region's API on 127.0.0.1:9111 (eu-west-1)"
"$api" --listen 127.0.0.1:9111 --version v1 --region eu-west-1 >"$work/api-eu-west-1.log" 2>&1 &
pids+=($!)
wait_port 9111 "API" 10

# The releases: each a directory with an executable `run` (make-release.sh). Every release answers
# after 15 ms (the API's latency knob stands in for a real API's database work, so the latency
# rule's baseline is not at the mercy of scheduling noise); v3 also fails half of its /api/
# answers with 500, while its health endpoint stays fine, so it passes the smoke check.
echo "demo: building the releases v1, v2 and v3 (built to fail) in $work/releases"
BUILD=$build "$here/make-release.sh" "$work/releases/v1" --latency-ms 15
BUILD=$build "$here/make-release.sh" "$work/releases/v2" --latency-ms 15
BUILD=$build "$here/make-release.sh" "$work/releases/v3" --latency-ms 15 --error-rate 0.5

head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$here/demo-admin.token"
chmod 600 "$here/demo-admin.token"
# demo.yaml with this run's own state store, so every run starts from an empty one. Started as
# root, shipgate drops to "nobody" (demo.yaml), which then writes the releases' logs there.
mkdir -p "$work/state"
[ "$(id -u)" = 0 ] && chown nobody "$work/state"
cfg=$work/demo-run.yaml
printf 'include: ["%s/demo.yaml"]\nstate: {dir: "%s/state"}\n' "$here" "$work" >"$cfg"
echo "demo: starting shipgate (state store in $work/state)"
"$sg" serve --config "$cfg" >"$work/shipgate.log" 2>&1 &
pids+=($!)
sg_pid=$!
wait_port 8080 shipgate 10
wait_port 9901 "shipgate admin" 10

cat <<TXT

  frontend   http://127.0.0.1:8080/
  API        http://127.0.0.1:8080/api/properties
  health     http://127.0.0.1:8080/api/health
  admin API  http://127.0.0.1:9901/api/v1/deployments    (Authorization: Bearer \$(cat $here/demo-admin.token))
  metrics    http://127.0.0.1:9901/metrics
  CLI        $sg deployments --config $cfg
  logs       $work

TXT

# The seed's bot rule (cf.bot_management.score lt 30) blocks plain curl, so the demo's clients
# send the headers a browser sends.
browser=(-H 'User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36'
  -H 'Accept: application/json' -H 'Accept-Language: en-US,en;q=0.9' -H 'Accept-Encoding: gzip, deflate, br')
status() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
version() { curl -s -o /dev/null -w '%{http_code} %header{x-app-version}' "${browser[@]}" http://127.0.0.1:8080/api/health; }

# `shipgate deployments --app api` as "ID VERSION STATE" lines, newest first (columns found by
# their headers).
deployment_rows() {
  "$sg" deployments --config "$cfg" --app api 2>/dev/null | awk '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    col["ID"] && col["VERSION"] && col["STATE"] { print $col["ID"], $col["VERSION"], $col["STATE"] }'
}

# The approver: waits for the deployment of version $1 to wait for approval, then approves it as
# the release manager would (`shipgate approve ID`); the deploy's live view shows the approval.
approve_when_asked() {
  local v=$1 id=""
  for _ in $(seq 1 600); do
    id=$(deployment_rows | awk -v v="$v" '$2 == v && $3 == "waiting_approval" { print $1; exit }')
    [ -n "$id" ] && break
    sleep 0.2
  done
  [ -n "$id" ] || return 1
  sleep 0.5  # long enough to read "waiting for approval"
  "$sg" approve --config "$cfg" --actor release-manager "$id" >>"$work/approvals.log" 2>&1
}

# Deploys version $1 with its artifact, following it with the CLI's live view (redrawn in place on
# a terminal, one line per event otherwise). Sets deploy_rc, deploy_id and deploy_state.
deploy() {
  local v=$1
  echo
  echo "demo: \$ shipgate deploy --app api --version $v --artifact $work/releases/$v"
  approve_when_asked "$v" &
  approver_pid=$!
  set +e
  "$sg" deploy --config "$cfg" --app api --version "$v" --artifact "$work/releases/$v" \
    --reason "demo: release $v"
  deploy_rc=$?
  set -e
  kill "$approver_pid" 2>/dev/null || true
  wait "$approver_pid" 2>/dev/null || true
  approver_pid=""
  read -r deploy_id _ deploy_state < <(deployment_rows | awk -v v="$v" '$2 == v { print; exit }') || true
  [ -n "${deploy_id:-}" ] || fail "no deployment of $v was recorded"
  echo "demo: deploy $v ($deploy_id) exited $deploy_rc, state $deploy_state"
}

# Answers in the load log ($work/load.txt: start_ms end_ms status version client) that started at
# or after $1 (ms) and before $2 (ms), counted by "status version".
answers_between() {
  awk -v a="$1" -v b="$2" '$1 >= a && $1 < b { n[$3 " " $4]++ } END { for (k in n) print n[k], k }' \
    "$work/load.txt" | sort -k2,2n -k3
}
now_ms() { date +%s%3N; }
summary() { tr '\n' ';' | sed 's/;$//; s/;/; /g'; }

t_start=$(date +%s)
deploy v1
[ "$deploy_rc" = 0 ] && [ "$deploy_state" = succeeded ] || fail "v1 did not go live (exit $deploy_rc, $deploy_state)"
v1_id=$deploy_id
echo "demo: after v1: $(version)"
echo
"$sg" health --config "$cfg" || true
echo
"$sg" status --config "$cfg"
echo
echo "demo: the seed's security_rules: curl without browser headers -> $(status http://127.0.0.1:8080/api/health) (bot rule)," \
  "?q=UNION%20SELECT -> $(status "${browser[@]}" 'http://127.0.0.1:8080/api/properties?q=UNION%20SELECT%201') (SQL injection rule)," \
  "a browser -> $(status "${browser[@]}" http://127.0.0.1:8080/api/properties)"

# The load: 6 clients (127.0.0.2-7, each well under the seed's 100 /api/ requests a minute per
# client) sending 2 requests a second each to /api/properties; every answer is logged.
: >"$work/load.txt"
python3 "$here/load.py" --port 8080 --clients 6 --rate 2 --out "$work/load.txt" 2>"$work/load.err" &
load_pid=$!
sleep 1
echo
echo "demo: load running: 6 browser-like clients, 12 requests a second to /api/properties"

t_v2=$(now_ms)
deploy v2
[ "$deploy_rc" = 0 ] && [ "$deploy_state" = succeeded ] || fail "v2 did not go live (exit $deploy_rc, $deploy_state)"
v2_id=$deploy_id
t_v3=$(now_ms)
v2_answers=$(answers_between "$t_v2" "$t_v3")
echo "demo: answers during v2's deployment (count status version): $(summary <<<"$v2_answers")"
awk '$2 != 200 { bad = 1 } END { exit bad }' <<<"$v2_answers" || fail "an answer failed during v2's deployment"
grep -q ' 200 v1$' <<<"$v2_answers" && grep -q ' 200 v2$' <<<"$v2_answers" ||
  fail "the load did not see both v1 and v2 answer during v2's deployment"

deploy v3
v3_id=$deploy_id
[ "$deploy_rc" != 0 ] || fail "deploy v3 exited 0; it should have been rolled back"
[ "$deploy_state" = rolled_back ] || fail "v3 ended $deploy_state, not rolled_back"
sleep 1  # answers still in flight at the rollback land
t_end=$(now_ms)
kill -TERM "$load_pid" 2>/dev/null || true
wait "$load_pid" 2>/dev/null || true
load_pid=""
v3_answers=$(answers_between "$t_v3" "$t_end")
echo "demo: answers during v3's deployment (count status version): $(summary <<<"$v3_answers")"
# Only v3's own injected 500s may fail; every other answer is a 200 from v2 or v3.
awk '!(($2 == 200 && ($3 == "v2" || $3 == "v3")) || ($2 == 500 && $3 == "v3")) { bad = 1 } END { exit bad }' \
  <<<"$v3_answers" || fail "an answer failed that was not v3's own during v3's deployment"
grep -q ' 500 v3$' <<<"$v3_answers" || fail "v3 never answered 500: the load did not reach it"
last=$(tail -n 5 "$work/load.txt" | awk '{print $3 " " $4}' | sort -u)
[ "$last" = "200 v2" ] || fail "the last answers are not all v2's: $last"
now=$(version)
[ "$now" = "200 v2" ] || fail "after the rollback /api/health answers '$now', not '200 v2'"
echo "demo: after the rollback: $now; the three deploys took $(( $(date +%s) - t_start ))s"

echo
echo "demo: \$ shipgate deployments --app api"
"$sg" deployments --config "$cfg" --app api
echo
echo "demo: \$ shipgate deployment $v3_id    # v3's checklist: every step, its timing, evidence and decision"
"$sg" deployment --config "$cfg" "$v3_id"
echo
echo "demo: OK: v1 ($v1_id) and v2 ($v2_id) went live with no failed answer; v3 ($v3_id) was rolled back by its triggers; traffic is on v2"
if [ "${DEMO_EXIT_AFTER_SWITCH:-0}" = 1 ]; then exit 0; fi
echo; echo "demo: running; Ctrl-C to stop"
while kill -0 "$sg_pid" 2>/dev/null; do sleep 1; done
echo "demo: shipgate exited; see $work/shipgate.log" >&2
exit 1
