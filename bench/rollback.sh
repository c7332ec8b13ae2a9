#!/usr/bin/env bash
# bench/rollback.sh: how fast shipgate undoes a bad release, on the real binary with the coinestate
# API as a managed app (two replicas per slot, the process runtime), under steady wrk load.
#
#  1. v1 (good) is deployed and live; wrk (browser headers, keep-alive, BENCH_ROLLBACK_CONNS connections)
#     and a logging client (examples/coinestate/load.py: every answer's time, status and
#     X-App-Version, LOGGER_CLIENTS x LOGGER_RATE a second from their own addresses) start.
#  2. v2, whose /api/ answers are all 500 from its first request (its health endpoint is fine, so it
#     passes health and smoke), is deployed; the error-rate trigger (TRIGGER_WINDOW) rolls it back.
#     detect_to_restore_ms: from v2's first failing answer to its last answer of any kind (after
#     it, every answer is v1's), both as the logging client received them.
#  3. v3 (good) is deployed and baked; then `shipgate rollback --app api --emergency` flips back to
#     v1's warm slot. emergency_ms: from just before the CLI is started to the first answer of the
#     run of v1 answers that no v3 answer follows.
#  failed_requests: answers that failed other than v2's own 500s, over both phases: every non-200
#  answer from wrk (counted per answer by a wrk Lua script) and the logging client, except a 500
#  carrying X-App-Version v2, plus wrk's socket errors and the logging client's unanswered requests.
#
# The config keeps the seed's bot and SQL injection rules (hence the browser headers) and RAISES the
# seed's "Rate limit API" rule (100req/min per client) to 100000000req/min: wrk is one client
# sending thousands of requests a second, which the seed's limit would answer with 429. The rule
# still runs on every request. Likewise the bot score's request-rate signals (waf.bots, 120 and 600
# requests a minute per client by default) are raised out of reach: the bot rule still scores the
# headers of every request. Approval is off (no one to approve), the bake is BAKE.
#
# Fails (non-zero) when a figure could not be measured or a step did not happen as it should.
# Last line: detect_to_restore_ms=X window_ms=W emergency_ms=Y failed_requests=Z
# Knobs: SHIPGATE_BIN (default build/shipgate), BENCH_BUILD_DIR (default build; coinestate-api),
# BENCH_ROLLBACK_CONNS=8 (wrk connections), TRIGGER_WINDOW=5s, BAKE=12s, LOGGER_CLIENTS=4, LOGGER_RATE=50,
# SETTLE_SECONDS=12 (pause before v3, see below), BENCH_PROXY_CPU=0, BENCH_LOAD_CPU=1.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
BENCH_CONNS=${BENCH_ROLLBACK_CONNS:-8}
TRIGGER_WINDOW=${TRIGGER_WINDOW:-5s}
BAKE=${BAKE:-12s}
LOGGER_CLIENTS=${LOGGER_CLIENTS:-4}
LOGGER_RATE=${LOGGER_RATE:-50}
API_BIN=$BENCH_BUILD_DIR/coinestate-api
LOAD_PY=$BENCH_ROOT/examples/coinestate/load.py

for tool in wrk curl python3 setsid taskset; do
  command -v "$tool" >/dev/null 2>&1 || bench_die "missing $tool; install it (scripts/install-deps.sh bench; python3 from Debian)"
done
[ -x "$SHIPGATE_BIN" ] || bench_die "$SHIPGATE_BIN is missing; build it (ninja -C build shipgate)"
[ -x "$API_BIN" ] || bench_die "$API_BIN is missing; build it (ninja -C build coinestate-api)"
BENCH_DIR=$(mktemp -d /tmp/shipgate-bench-rollback.XXXXXX)
chmod 755 "$BENCH_DIR"
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
bench_note "$BENCH_NAME: $(date -u +%FT%TZ), $(nproc) CPUs, load: $(cut -d' ' -f1-3 /proc/loadavg)"
bench_shipgate_build_note

http=$(bench_free_port)
admin=$(bench_free_port)
[ "$admin" != "$http" ] || admin=$(bench_free_port)
# 8 consecutive free ports for the replicas (2 per slot, and room for a restart).
first=""
for _ in $(seq 100); do
  p=$((20000 + RANDOM % 12000))
  ok=1
  for q in $(seq "$p" $((p + 7))); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$q") 2>/dev/null || [ "$q" = "$http" ] || [ "$q" = "$admin" ]; then ok=0; fi
  done
  if [ "$ok" = 1 ]; then first=$p; break; fi
done
[ -n "$first" ] || bench_die "no 8 consecutive free ports"

head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$BENCH_DIR/admin.token"
chmod 600 "$BENCH_DIR/admin.token"
for v in v1 v3; do BUILD=$BENCH_BUILD_DIR "$BENCH_ROOT/examples/coinestate/make-release.sh" "$BENCH_DIR/releases/$v"; done
BUILD=$BENCH_BUILD_DIR "$BENCH_ROOT/examples/coinestate/make-release.sh" "$BENCH_DIR/releases/v2" --error-rate 1.0

cfg=$BENCH_DIR/shipgate.yaml
cat >"$cfg" <<YAML
server: {workers: 2, allow_root: true}
listeners: [{name: http, address: "127.0.0.1:$http"}]
admin: {address: "127.0.0.1:$admin", token_file: admin.token}
state: {dir: state}
environments:
  production: {approval: none, bake: $BAKE, triggers: true, scale_down_delay: 5m}
sites:
  - {name: api, path_prefix: /api/, app: api}
apps:
  api:
    environment: production
    health: {kind: http, path: /api/health, interval: 500ms, timeout: 500ms, rise: 2, fall: 3, expect_status: [200]}
    release:
      runtime:
        kind: process
        command: "{release_dir}/run --listen 127.0.0.1:{port} --version {version}"
        replicas: 2
        ports: "$first-$((first + 7))"
        stop_grace: 2s
      smoke:
        - {path: /api/health, expect_status: 200, expect_body: '"status":"ok"'}
waf:
  bots: {high_rate_per_minute: 1000000000000, very_high_rate_per_minute: 1000000000000}
rollback_triggers:
  - {metric: error_rate, above: 5%, for: $TRIGGER_WINDOW, min_requests: 20, no_data: ok}
security_rules:
  - name: "Block malicious bots"
    expression: "(cf.bot_management.score lt 30)"
    action: "block"
  - name: "Rate limit API (raised for one wrk client)"
    expression: "(http.request.uri.path matches \"/api/.*\")"
    action: "rate_limit"
    rate_limit: "100000000req/min"
  - name: "Block SQL injection attempts"
    expression: "(any(http.request.uri.query contains {\"union select\" \"' or 1=1\" \"drop table\"}))"
    action: "block"
YAML
"$SHIPGATE_BIN" check --config "$cfg" >"$BENCH_DIR/check.log" 2>&1 ||
  bench_die "the bench config does not load: $(cat "$BENCH_DIR/check.log")"

bench_start "$BENCH_PROXY_CPU" "$BENCH_DIR/shipgate.log" "$SHIPGATE_BIN" serve --config "$cfg"
sg_pid=$BENCH_PID
bench_wait_port "$http" "$sg_pid" "$BENCH_DIR/shipgate.log"
bench_wait_port "$admin" "$sg_pid" "$BENCH_DIR/shipgate.log"
sg() { "$SHIPGATE_BIN" "$@" --config "$cfg"; }
now_ms() { date +%s%3N; }
# deploy VERSION: deploys and follows it; its lines go to the log. Returns the CLI's status.
deploy() {
  local rc=0
  sg deploy --app api --version "$1" --artifact "$BENCH_DIR/releases/$1" --lines >"$BENCH_DIR/deploy-$1.log" 2>&1 || rc=$?
  return "$rc"
}
# field DEPLOYMENT-ID PYTHON-EXPR: a value of `shipgate deployment ID --json` (d = the JSON).
field() {
  sg deployment --json "$1" | python3 -c "import json,sys; d=json.load(sys.stdin); v=$2; print('' if v is None else v)"
}
deployment_id() { sed -n 's/^deployment \(d-[0-9]*\) accepted$/\1/p' "$BENCH_DIR/deploy-$1.log" | head -n 1; }

bench_note "deploying v1 (good, bake $BAKE)"
deploy v1 || bench_die "deploy v1 failed: $(tail -n 5 "$BENCH_DIR/deploy-v1.log")"

browser=(-H 'User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36'
  -H 'Accept: application/json' -H 'Accept-Language: en-US,en;q=0.9' -H 'Accept-Encoding: gzip, deflate, br')
got=$(curl -s -o /dev/null -w '%{http_code} %header{x-app-version}' "${browser[@]}" "http://127.0.0.1:$http/api/properties")
[ "$got" = "200 v1" ] || bench_die "a browser's request got '$got', not '200 v1'"

# wrk counts every answer by status and X-App-Version (Lua; per thread, summed in done()).
cat >"$BENCH_DIR/count.lua" <<'LUA'
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad_release = args[1]; ok = 0; own = 0; failed = 0 end
function response(status, headers, body)
  local v = headers["X-App-Version"] or headers["x-app-version"] or "-"
  if status == 200 then ok = ok + 1
  elseif status == 500 and v == bad_release then own = own + 1
  else failed = failed + 1 end
end
function done(summary, latency, requests)
  local o, b, f = 0, 0, 0
  for _, t in ipairs(threads) do o = o + t:get("ok"); b = b + t:get("own"); f = f + t:get("failed") end
  local e = summary.errors
  io.write(string.format("wrk_counts ok=%d bad_release_500=%d failed=%d socket_errors=%d\n",
    o, b, f, e.connect + e.read + e.write + e.timeout))
end
LUA
bench_start "$BENCH_LOAD_CPU" "$BENCH_DIR/wrk.log" wrk -t1 -c"$BENCH_CONNS" -d600s --timeout 5s \
  -s "$BENCH_DIR/count.lua" "${browser[@]}" "http://127.0.0.1:$http/api/properties" -- v2
wrk_pid=$BENCH_PID
: >"$BENCH_DIR/answers.txt"
bench_start "$BENCH_LOAD_CPU" "$BENCH_DIR/load.log" python3 "$LOAD_PY" --port "$http" \
  --clients "$LOGGER_CLIENTS" --rate "$LOGGER_RATE" --out "$BENCH_DIR/answers.txt"
load_pid=$BENCH_PID
sleep 3

bench_note "deploying v2 (every /api/ answer 500), trigger: error_rate > 5% for $TRIGGER_WINDOW"
v2_rc=0
deploy v2 || v2_rc=$?
v2_id=$(deployment_id v2)
[ -n "$v2_id" ] || bench_die "deploy v2 was not accepted: $(tail -n 5 "$BENCH_DIR/deploy-v2.log")"
[ "$v2_rc" != 0 ] || bench_die "deploy v2 exited 0: the bad release was not rolled back"
v2_state=$(field "$v2_id" "d['state']")
[ "$v2_state" = rolled_back ] || bench_die "v2 ended $v2_state, not rolled_back: $(tail -n 5 "$BENCH_DIR/deploy-v2.log")"
window_ms=$(field "$v2_id" "(d.get('rollback') or {}).get('window_ms')")
rule=$(field "$v2_id" "(d.get('rollback') or {}).get('rule')")
[ -n "$window_ms" ] || bench_die "the rolled-back deployment $v2_id records no trigger window"
bench_note "v2 ($v2_id) rolled back by: $rule"
# v3 starts in the slot v2 just left. The trigger watch reads the slot's newest telemetry window,
# which (serve's metrics windows are 10 s in this build) can still hold v2's 500s and would roll
# the good v3 back for them; wait until a window without v2's answers has closed.
sleep "${SETTLE_SECONDS:-12}"

bench_note "deploying v3 (good), then an emergency rollback to v1"
deploy v3 || bench_die "deploy v3 failed: $(tail -n 5 "$BENCH_DIR/deploy-v3.log")"
sleep 2
t_emergency=$(now_ms)
sg rollback --app api --emergency --reason "bench: emergency rollback" --lines >"$BENCH_DIR/rollback.log" 2>&1 ||
  bench_die "the emergency rollback failed: $(tail -n 5 "$BENCH_DIR/rollback.log")"
sleep 2

kill -INT "$wrk_pid" 2>/dev/null || true
for _ in $(seq 100); do kill -0 "$wrk_pid" 2>/dev/null || break; sleep 0.1; done
bench_stop_forget "$load_pid"
bench_stop_forget "$wrk_pid"
wrk_line=$(grep '^wrk_counts ' "$BENCH_DIR/wrk.log" || true)
[ -n "$wrk_line" ] || bench_die "wrk printed no counts: $(tail -n 5 "$BENCH_DIR/wrk.log")"
bench_note "wrk: $(grep -E 'requests in|Requests/sec' "$BENCH_DIR/wrk.log" | tr -s ' ' | tr '\n' ' ')"
bench_note "$wrk_line"

# The logging client's answers: START_MS END_MS STATUS VERSION CLIENT.
python3 - "$BENCH_DIR/answers.txt" "$t_emergency" "$wrk_line" "$window_ms" <<'PY'
import sys
path, t_em, wrk_line, window_ms = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
rows = []
for line in open(path):
    f = line.split()
    if len(f) == 5:
        rows.append((float(f[0]), float(f[1]), int(f[2]), f[3]))
rows.sort(key=lambda r: r[0])
def die(msg):
    print("rollback: error: " + msg, file=sys.stderr)
    sys.exit(1)
if not rows:
    die("the logging client recorded no answer")
# Phase 1: v2's first failing answer to its last answer.
v2_fail = [r for r in rows if r[3] == "v2" and r[2] == 500]
v2_any = [r for r in rows if r[3] == "v2"]
if not v2_fail:
    die("the logging client never saw v2 fail: no first failing answer to measure from")
first_fail = min(r[1] for r in v2_fail)
last_v2 = max(r[1] for r in v2_any)
after = [r for r in rows if r[0] > last_v2 and r[0] < t_em]
if not any(r[3] == "v1" for r in after):
    die("no v1 answer after v2's last one before the emergency phase: traffic did not come back")
detect_to_restore = last_v2 - first_fail
# Phase 2: the emergency rollback from v3 to v1.
before = [r for r in rows if r[1] <= t_em]
if not any(r[3] == "v3" for r in before):
    die("v3 was not serving when the emergency rollback started")
v3_after = [r for r in rows if r[3] == "v3" and r[1] > t_em]
last_v3_start = max((r[0] for r in rows if r[3] == "v3"), default=None)
flip = [r for r in rows if r[3] == "v1" and r[1] > t_em and (last_v3_start is None or r[0] > last_v3_start)]
if not flip:
    die("no v1 answer after the emergency rollback: it was not measured")
emergency = min(r[1] for r in flip) - t_em
if emergency < 0:
    die("the flip time came out negative")
# Failures other than v2's own 500s.
logger_failed = sum(1 for r in rows if r[2] != 200 and not (r[2] == 500 and r[3] == "v2"))
w = dict(kv.split("=") for kv in wrk_line.split()[1:])
failed = logger_failed + int(w["failed"]) + int(w["socket_errors"])
print("# logging client: %d answers (%d from v2, %d of them 500), v2 failed from %.0f to %.0f; "
      "%d v3 answers after the emergency call; failed: logger %d, wrk %s + %s socket errors"
      % (len(rows), len(v2_any), len(v2_fail), first_fail, last_v2, len(v3_after), logger_failed,
         w["failed"], w["socket_errors"]))
wms = int(window_ms)
print("# targets: a bad release undone within its window + 2 s (%d ms): %s; an emergency rollback "
      "under 1 s: %s; no failed request other than the bad release's own: %s"
      % (wms + 2000, "met" if detect_to_restore <= wms + 2000 else "MISSED",
         "met" if emergency < 1000 else "MISSED", "met" if failed == 0 else "MISSED"))
print("detect_to_restore_ms=%d window_ms=%s emergency_ms=%d failed_requests=%d"
      % (round(detect_to_restore), window_ms, round(emergency), failed))
PY
