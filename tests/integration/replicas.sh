#!/usr/bin/env bash
# Three `kalewx serve` replicas on one PostgreSQL and one Redis (SPEC §14),
# all on loopback, started and stopped by this script:
#
#   - exactly one leads; users play through the other replicas;
#   - the leader is killed with SIGKILL while a cycle with positions is in
#     its working phase: a standby leads within two monitor intervals, the
#     killed one comes back as a standby, the game goes on, no cycle is
#     settled twice and the books reconcile exactly (kalewx admin reconcile);
#   - an event stream on replica B gets every public event from its start,
#     in order, whichever replica produced it;
#   - anonymous requests spread over the three replicas share one limit of
#     100 per window (Redis); with Redis stopped each replica limits on its
#     own and keeps serving; when Redis is back the limit is shared again.
#
# Conditions are awaited with deadlines; the only time bound asserted is the
# takeover (see TAKEOVER_SLACK_MS).
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../pg_env.sh"

INTERVAL_MS=1000
# The standby tries the lock once per interval, so it leads at most one
# interval (plus its own short follow-up tick) after PostgreSQL drops the
# dead leader's session, and PostgreSQL does that at once for a killed
# process on a Unix socket. Two intervals is the promise; the slack covers
# how we observe it: /ready polled every 50 ms with curl, on a two-core
# machine that also runs PostgreSQL, Redis and two more replicas.
TAKEOVER_SLACK_MS=500

T=$(mktemp -d "${TMPDIR:-/tmp}/kalewx-replicas.XXXXXX")
pids=()
redis_pid=
sse_pid=
# kill -9 and reap, without the shell's "Killed" report.
stop_hard() { { kill -9 "$1" && wait "$1"; } 2>/dev/null; }
cleanup() {
    [ -n "$sse_pid" ] && stop_hard "$sse_pid"
    for p in "${pids[@]}"; do stop_hard "$p"; done
    [ -n "$redis_pid" ] && stop_hard "$redis_pid"
    kw_pg_stop
    rm -rf "$T"
}
kw_pg_start || { echo "FAIL: no PostgreSQL"; exit 1; }
trap cleanup EXIT

now_ms() { date +%s%3N; }
die() { echo "FAIL: $*"; for f in "$T"/*.log; do echo "== $f"; tail -n 30 "$f"; done; exit 1; }
# eventually SECONDS COMMAND...: retries COMMAND every 100 ms until it succeeds or the deadline passes.
eventually() {
    local until=$(($(now_ms) + $1 * 1000)); shift
    until "$@"; do [ "$(now_ms)" -lt $until ] || return 1; sleep 0.1; done
}
sql() { psql "$DATABASE_URL" -XAtqc "$1"; }
json() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {"d": d}))' "$1"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# ---- Redis on a Unix socket, PostgreSQL from pg_env.sh -----------------------------------
start_redis() {
    redis-server --port 0 --unixsocket "$T/redis.sock" --unixsocketperm 700 --save "" --appendonly no \
        --dir "$T" --logfile "$T/redis.log" &
    redis_pid=$!
    eventually 10 redis-cli -s "$T/redis.sock" ping >/dev/null 2>&1 || die "redis-server did not start"
}
start_redis

export KALEWX_DATA_DIR=$T/data REDIS_URL=unix:$T/redis.sock MONITOR_INTERVAL=$INTERVAL_MS \
    DEVNET_BLOCK_SECONDS=2 DEVNET_LEDGER_MS=200 DEVNET_CROWD=20 MINER_THREADS=1 HTTP_THREADS=2 \
    CYCLE_LENGTH=5 PLANTING_BLOCKS=2 WORKING_BLOCKS=1 REVEALING_BLOCKS=1 SETTLING_BLOCKS=1 \
    TRUST_PROXY=1 LOG_LEVEL=info KALEWX_ENV=test

declare -A port pid_of
start_replica() {
    port[$1]=${port[$1]:-$(free_port)}
    PORT=${port[$1]} "$k" serve >>"$T/$1.log" 2>&1 &
    pid_of[$1]=$!
    pids+=("$!")
}
# Every anonymous request says which client it is (TRUST_PROXY=1), so each
# part of the test has its own rate-limit key.
http() { # NAME METHOD PATH [BODY] [TOKEN] [CLIENT] → $code, $body
    local args=(-s -o "$T/body" -w '%{http_code}' -X "$2" -H "X-Forwarded-For: ${6:-198.51.100.1}")
    [ -n "${4:-}" ] && args+=(-H 'Content-Type: application/json' --data "$4")
    [ -n "${5:-}" ] && args+=(-H "Authorization: Bearer $5")
    rm -f "$T/body"
    code=$(curl "${args[@]}" "http://127.0.0.1:${port[$1]}$3")
    body=$(cat "$T/body" 2>/dev/null)
}
ready() { http "$1" GET /ready && [ "$code" = 200 ]; }
leads() { http "$1" GET /ready && [ "$code" = 200 ] && [ "$(json 'd["data"]["leader"]' <<<"$body")" = True ]; }
stands_by() { http "$1" GET /ready && [ "$code" = 200 ] && [ "$(json 'd["data"]["leader"]' <<<"$body")" = False ]; }

# ---- three replicas; the first to start leads -----------------------------------------------
start_replica A
eventually 90 ready A || die "replica A not ready"
leads A || die "the only replica does not lead"
start_replica B
start_replica C
eventually 90 ready B || die "replica B not ready"
eventually 30 ready C || die "replica C not ready"
stands_by B && stands_by C || die "B and C should stand by: B=$(http B GET /ready; echo "$body")"

# ---- an event stream on B, from the outbox's current end ------------------------------------
first=$(sql "SELECT COALESCE(MAX(id), 0) FROM events")
curl -sN -H "Last-Event-ID: $first" -H 'X-Forwarded-For: 198.51.100.2' \
    "http://127.0.0.1:${port[B]}/api/v1/stream" >"$T/sse.txt" 2>/dev/null &
sse_pid=$!

# ---- users, funded through the devnet faucet -------------------------------------------------
names=(ana ben cai dia eli fay)
replicas=(A B C)
declare -A token
for i in "${!names[@]}"; do
    u=${names[$i]} r=${replicas[$((i % 3))]}
    http "$r" POST /api/v1/users "{\"username\":\"$u\",\"password\":\"password-$u-123\"}"
    [ "$code" = 201 ] || die "register $u on $r: $code $body"
    http "$r" POST /api/v1/auth/token "{\"username\":\"$u\",\"password\":\"password-$u-123\"}"
    [ "$code" = 200 ] || die "token $u: $code $body"
    token[$u]=$(json 'd["data"]["token"]' <<<"$body")
    http "$r" POST /api/v1/devnet/faucet '{"amount":"1000"}' "${token[$u]}"
    [ "$code" = 202 ] || die "faucet $u: $code $body"
done
funded() {
    local u
    for u in "${names[@]}"; do
        http C GET /api/v1/me "" "${token[$u]}"
        [ "$(json 'd["data"]["balances"]["available"]' <<<"$body")" = "1000.0000000" ] || return 1
    done
}
eventually 60 funded || die "deposits not booked: $body"

# Polls come from addresses of their own, so waiting never spends the anonymous
# rate limit that the shared-limit check below measures.
poller() { echo "192.0.2.$((RANDOM % 250 + 1))"; }
phase_of() { http "$1" GET /api/v1/cycles/current "" "" "$(poller)" && json 'd["data"]["cycle"]["phase"]' <<<"$body"; }
cycle_of() { http "$1" GET /api/v1/cycles/current "" "" "$(poller)" && json 'd["data"]["cycle"]["id"]' <<<"$body"; }
in_phase() { [ "$(phase_of "$1")" = "$2" ]; }
# Everybody plants (or wagers) through B and C in the next planting phase; returns its cycle.
play_cycle() {
    eventually 30 in_phase B working || die "no working phase"
    eventually 30 in_phase B planting || die "no planting phase"
    local c i accepted=0
    c=$(cycle_of B)
    for i in "${!names[@]}"; do
        local r=${replicas[$((1 + i % 2))]} action='{"type":"agriculture","agriculture_type":"plant","amount":"10"}'
        [ $((i % 3)) -eq 2 ] && action="{\"type\":\"wager\",\"direction\":\"$([ $((i % 2)) -eq 0 ] && echo good || echo bad)\",\"amount\":\"5\"}"
        http "$r" POST /api/v1/actions "$action" "${token[${names[$i]}]}"
        case $code in
            201) accepted=$((accepted + 1)) ;;
            422) last_refusal=$body ;; # the phase closed under us: fine, the next cycle plays
            *) die "action: $code $body" ;;
        esac
    done
    played_cycle=$c played_actions=$accepted
}
# A loaded machine can let a short planting phase pass while the requests go out;
# a few cycles give it room without lengthening the common case.
last_refusal=
for attempt in 1 2 3 4; do
    play_cycle
    [ "$played_actions" -gt 0 ] && break
done
[ "$played_actions" -gt 0 ] || die "no action accepted in four cycles; last refusal: $last_refusal"
kill_cycle=$played_cycle

# ---- SIGKILL the leader while that cycle farms ------------------------------------------------
eventually 30 in_phase B working || die "cycle $kill_cycle never reached working"
[ "$(sql "SELECT COUNT(*) FROM farm_positions WHERE cycle_id = $kill_cycle")" -gt 0 ] ||
    [ "$(sql "SELECT COUNT(*) FROM weather_wagers WHERE cycle_id = $kill_cycle")" -gt 0 ] || die "nothing in play"
kill -9 "${pid_of[A]}"
killed_at=$(now_ms)
{ wait "${pid_of[A]}"; } 2>/dev/null
new=
until [ -n "$new" ]; do
    for r in B C; do leads "$r" && { new=$r; break; }; done
    [ $(($(now_ms) - killed_at)) -lt 30000 ] || die "no standby took over"
    [ -n "$new" ] || sleep 0.05
done
took=$(($(now_ms) - killed_at))
bound=$((2 * INTERVAL_MS + TAKEOVER_SLACK_MS))
echo "replicas: $new leads ${took} ms after the leader was killed (bound ${bound} ms)"
[ "$took" -le "$bound" ] || { echo "FAIL: takeover took $took ms, more than two monitor intervals (+ slack)"; fail=1; }
other=$([ "$new" = B ] && echo C || echo B)
stands_by "$other" || die "two leaders after the takeover"

# The killed replica comes back, as a standby.
start_replica A
eventually 60 ready A || die "A did not come back"
stands_by A || die "A came back as leader while $new leads"

# The game goes on: one more cycle played, then everything up to it settles.
play_cycle
last=$(( played_cycle > kill_cycle ? played_cycle : kill_cycle ))
all_settled() { [ "$(sql "SELECT COUNT(*) FROM weather_cycles WHERE cycle_id <= $last AND current_state <> 'settled'")" = 0 ]; }
eventually 90 all_settled || die "cycles up to $last not settled: $(sql "SELECT cycle_id, current_state FROM weather_cycles WHERE cycle_id <= $last ORDER BY cycle_id")"
check settled_once 0 test -z "$(sql "SELECT cycle_id FROM events WHERE type = 'cycle.settled' GROUP BY cycle_id HAVING COUNT(*) > 1")"
check settled_events 0 test "$(sql "SELECT COUNT(DISTINCT cycle_id) FROM events WHERE type = 'cycle.settled' AND cycle_id <= $last")" = \
    "$(sql "SELECT COUNT(*) FROM weather_cycles WHERE cycle_id <= $last")"
check positions_settled 0 test "$(sql "SELECT COUNT(*) FROM farm_positions WHERE cycle_id <= $last AND status <> 'settled'")" = 0

# Reconcile on a quiet service: no more actions, every transfer done.
quiet() { [ "$(sql "SELECT COUNT(*) FROM chain_transactions WHERE status IN ('pending', 'submitted')")" = 0 ]; }
eventually 30 quiet || die "transfers still in flight: $(sql "SELECT kind, status FROM chain_transactions WHERE status IN ('pending', 'submitted')")"
out=$("$k" --json admin reconcile 2>"$T/reconcile.err")
rc=$?
[ $rc -eq 0 ] && [ "$(json 'd["ok"]' <<<"$out")" = True ] && [ "$(json 'd["difference"]' <<<"$out")" = 0.0000000 ] ||
    { echo "FAIL: kalewx admin reconcile: exit $rc: $out $(cat "$T/reconcile.err")"; fail=1; }
echo "replicas: cycles up to $last settled once each; cycle $kill_cycle ($(sql "SELECT COUNT(*) FROM farm_positions WHERE cycle_id = $kill_cycle") positions, $(sql "SELECT COUNT(*) FROM weather_wagers WHERE cycle_id = $kill_cycle") wagers) farmed through the kill; books exact"

# ---- the stream on B got every public event, once, in order ----------------------------------
want=$(sql "SELECT id FROM events WHERE user_id IS NULL AND id > $first ORDER BY id" | tr '\n' ' ')
last_public=$(sql "SELECT MAX(id) FROM events WHERE user_id IS NULL")
stream_caught_up() { grep -qx "id: $last_public" "$T/sse.txt"; }
eventually 30 stream_caught_up || { echo "FAIL: the stream on B never got event $last_public"; fail=1; }
got=$(sed -n 's/^id: //p' "$T/sse.txt" | awk -v max="$last_public" '$1 <= max' | tr '\n' ' ')
if [ "$got" != "$want" ]; then
    echo "FAIL: stream on B: got [$got], want [$want]"
    fail=1
fi
by_leader=$(sql "SELECT COUNT(*) FROM events WHERE user_id IS NULL AND id > $first")
echo "replicas: the stream on B got all $by_leader public events in order (produced by A, then by $new)"

# ---- rate limits shared through Redis ---------------------------------------------------------
burst() { # CLIENT N [REPLICAS...] → $allowed, $limited, $other
    local client=$1 n=$2 i r; shift 2
    local rs=("$@"); allowed=0 limited=0 other=0
    for ((i = 0; i < n; i++)); do
        r=${rs[$((i % ${#rs[@]}))]}
        code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Forwarded-For: $client" \
            "http://127.0.0.1:${port[$r]}/api/v1/cycles/current")
        case $code in 200) allowed=$((allowed + 1)) ;; 429) limited=$((limited + 1)) ;; *) other=$((other + 1)) ;; esac
    done
}
burst 203.0.113.10 150 A B C
echo "replicas: shared limit: $allowed allowed, $limited limited of 150 across three replicas"
check shared_limit 0 test "$allowed/$limited/$other" = "100/50/0"

# Redis goes away: each replica falls back to its own limit and keeps serving.
stop_hard "$redis_pid"
redis_pid=
burst 203.0.113.11 150 A B C
echo "replicas: Redis down: $allowed allowed, $limited limited, $other failed of 150"
check served_without_redis 0 test "$allowed/$other" = "150/0"
burst 203.0.113.12 110 B
check local_limit 0 test "$allowed/$limited/$other" = "100/10/0"
for r in A B C; do
    check "fallback_logged_$r" 0 grep -q "rate limits fall back to this replica's local limits" "$T/$r.log"
done

# Redis is back: the replicas notice on a request (at most once a second) and share again.
start_redis
shared_again() {
    local r
    for r in A B C; do
        curl -s -o /dev/null -H 'X-Forwarded-For: 203.0.113.13' "http://127.0.0.1:${port[$r]}/api/v1/cycles/current"
        http "$r" GET /metrics
        grep -q '^kalewx_ratelimit_shared 1' <<<"$body" || return 1
    done
}
eventually 30 shared_again || die "Redis not used again"
burst 203.0.113.14 150 A B C
check shared_again_limit 0 test "$allowed/$limited/$other" = "100/50/0"

# ---- exactly one leader, and every replica stops cleanly -----------------------------------------
leaders=0
for r in A B C; do leads "$r" && leaders=$((leaders + 1)); done
check one_leader 0 test "$leaders" = 1
http "$new" GET /metrics
check leader_gauge 0 grep -q '^kalewx_leader 1' <<<"$body"
stop_hard "$sse_pid"
sse_pid=
for r in A B C; do
    kill -TERM "${pid_of[$r]}"
    wait "${pid_of[$r]}"
    check "stopped_$r" 0 test $? = 0
done
pids=()
[ $fail -eq 0 ] && echo "replicas: all checks passed"
exit $fail
