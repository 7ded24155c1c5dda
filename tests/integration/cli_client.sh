#!/usr/bin/env bash
# Every client command against a real `kalewx serve` (fast devnet, temp data
# and config), in human and --json form, then the terminal tests under a
# pseudo-terminal (watch: progress bar and phase change, Ctrl-C; play: a
# planting prompt answered and the settlement shown) and bad input (unknown
# command, bad amounts, server down, expired token, credentials readable by
# others), and watch across a server restart. Assertions wait for conditions with deadlines, never for time.
set -u
. "$(dirname "$0")/lib.sh"
pty=${PTY_RUN:?PTY_RUN must point at pty_run}
mktoken=${EXPIRED_TOKEN:?EXPIRED_TOKEN must point at expired_token}
MANPAGE=${MANPAGE:?MANPAGE must point at docs/kalewx.1}

tmp=$(mktemp -d)
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
data=$tmp/data
export XDG_CONFIG_HOME=$tmp/config KALEWX_SERVER=http://127.0.0.1:$port NO_COLOR=
unset KALEWX_CONFIG DATABASE_URL
creds=$XDG_CONFIG_HOME/kalewx/credentials

# Waits up to $1 seconds for a command to succeed.
until_ok() {
    local deadline=$((SECONDS + $1)); shift
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.2
    done
}

# act_until NAME TEXT COMMAND...: an action, retried while the phase or the block
# does not allow it (exit 3), until it is accepted (at most 40 s).
act_until() {
    local name=$1 text=$2; shift 2
    local deadline=$((SECONDS + 40)) got
    while :; do
        out=$("$@" 2>&1); got=$?
        [ $got -eq 0 ] && break
        if [ $got -ne 3 ] || [ $SECONDS -ge $deadline ]; then
            echo "FAIL $name: exit $got"; echo "$out"; fail=1; return
        fi
        sleep 0.2
    done
    contains "$text"
}

# --- the server ---------------------------------------------------------------
check down 2 "$k" status; contains "server not reachable at http://127.0.0.1:$port"; contains "kalewx serve"
check down-json 2 "$k" --json daos; contains '"code":"UNREACHABLE"'

# One database reader: a handler that waits for a second connection while it
# holds one would hang the server here instead of only under load.
start_server() {
    KALEWX_DATA_DIR=$data DEVNET_BLOCK_SECONDS=1 DEVNET_LEDGER_MS=100 DEVNET_CROWD=10 PORT=$port LOG_LEVEL=warn \
        DB_POOL_SIZE=1 "$k" serve 2>>"$tmp/serve.log" &
    server_pid=$!
    until_ok 60 curl -fsS "http://127.0.0.1:$port/ready" || { echo "FAIL: server not ready"; cat "$tmp/serve.log"; exit 1; }
}
stop_server() { kill "$server_pid"; wait "$server_pid"; server_pid=; }
start_server
until_ok 30 "$k" status || { echo "FAIL: no current cycle"; "$k" status; exit 1; }

# --- accounts -----------------------------------------------------------------
wallet=GBQHTQ7NTSKHVTSVM6EHUO3TU4P4BK2TAAII25V2TT2Q6OWXUJWEKALE
check register 0 "$k" register alice --password-stdin <<<"correct horse battery staple"
contains "registered alice"; contains "logged in to http://127.0.0.1:$port"
[ "$(stat -c %a "$creds")" = 600 ] || { echo "FAIL: credentials mode $(stat -c %a "$creds")"; fail=1; }
grep -q "correct horse" "$creds" && { echo "FAIL: password stored"; fail=1; }
check register-taken 3 "$k" register alice --password-stdin <<<"another password 123"
check register-json 0 "$k" --json register bob --wallet "$wallet" --password-stdin <<<"bob's long password"
contains '"username":"bob"'; contains '"custodial_address":"G'
check register-bad-wallet 1 "$k" register carol --wallet GNOTAWALLET --password-stdin <<<"x"
contains "Stellar account"
check register-no-tty 1 "$k" register dave </dev/null; contains "--password-stdin"
check logout 0 "$k" logout; contains "logged out"
check logged-out 3 "$k" balance; contains "kalewx login"
check login-wrong 3 "$k" login alice --password-stdin <<<"wrong password"
check login-json 0 "$k" --json login alice --password-stdin <<<"correct horse battery staple"
contains '"username":"alice"'
case "$out" in *token*) echo "FAIL: login --json prints the token"; fail=1;; esac
check login 0 "$k" login alice --password-stdin <<<"correct horse battery staple"; contains "logged in to"

# --- reading ------------------------------------------------------------------
check status 0 "$k" status; contains "cycle "; contains "block "; contains "you: alice"
check status-json 0 "$k" --json status; contains '"cycle":{'; contains '"block_interval_ms":1000'
check balance 0 "$k" balance; contains "alice"; contains "available"
check balance-json 0 "$k" --json balance; contains '"balances":{'
check daos 0 "$k" daos; contains "crypto-momentum"; contains "accuracy"
check daos-json 0 "$k" --json daos; contains '"daos":['
check positions-empty 0 "$k" positions; contains "no positions yet"
check wagers-empty 0 "$k" wagers; contains "no wagers yet"

# --- money in -----------------------------------------------------------------
check faucet-big 1 "$k" faucet 10001; contains "above the maximum"
check faucet-exp 1 "$k" faucet 1e3; contains "exponent"
check faucet-none 1 "$k" faucet
check faucet 0 "$k" faucet 100 --wait; contains "100.0000000 KALE arrived"
check faucet-json 0 "$k" --json faucet 5; contains '"status":"pending"'
check history 0 "$k" history; contains "100.0000000"
check history-json 0 "$k" --json history; contains '"transactions":['

# --- actions ------------------------------------------------------------------
check plant-small 1 "$k" plant 0.05; contains "below the minimum"
check plant-decimals 1 "$k" plant 5.12345678; contains "7 decimals"
check plant-sign 1 "$k" plant -5; contains "sign"
check plant-none 1 "$k" plant; contains "one amount"
check wager-dir 1 "$k" wager sunny 1; contains "good or bad"
check wager-big 1 "$k" wager good 10000.5
check stay-arg 1 "$k" stay now
act_until plant "planted 2.0000000 KALE in cycle" "$k" plant 2
act_until store-json '"position_id":' "$k" --json store 1.5
act_until wager "wagered 1.0000000 KALE on GOOD weather" "$k" wager good 1
check positions 0 "$k" positions; contains "plant"; contains "store"; contains "2.0000000"
check positions-json 0 "$k" --json positions; contains '"positions":['
check wagers 0 "$k" wagers; contains "good"
check wagers-json 0 "$k" --json wagers; contains '"wagers":['
check actions 0 "$k" history --actions; contains "plant"
check wager-twice 3 "$k" wager bad 1
check withdraw-bad 1 "$k" withdraw 1 GNOTANACCOUNT; contains "Stellar account"
check withdraw-zero 1 "$k" withdraw 0
check withdraw 0 "$k" withdraw 1 "$wallet"; contains "withdrawal of 1.0000000 KALE"
check withdraw-json 0 "$k" --json withdraw 1 "$wallet"; contains '"status":"pending"'
check withdraw-poor 3 "$k" withdraw 100000 "$wallet"

# --- watch, not on a terminal -------------------------------------------------
timeout -s INT --preserve-status 6 "$k" watch >"$tmp/watch.txt" 2>&1
rc=$?; out=$(cat "$tmp/watch.txt")
[ $rc -eq 0 ] || { echo "FAIL watch-pipe: exit $rc"; echo "$out"; fail=1; }
contains "watching http://127.0.0.1:$port with your events"; contains "block "
case "$out" in *$'\033'*) echo "FAIL: colour or cursor codes written to a pipe"; fail=1;; esac
timeout -s INT --preserve-status 6 "$k" --json watch >"$tmp/watch.json" 2>&1
rc=$?; out=$(cat "$tmp/watch.json")
[ $rc -eq 0 ] || { echo "FAIL watch-json: exit $rc"; echo "$out"; fail=1; }
contains '"event":"block.changed"'

# --- the terminal -------------------------------------------------------------
# watch: the bar fills block by block, a phase change is announced, Ctrl-C ends it with 0.
check pty-watch 0 "$pty" -o "$tmp/watch.pty" \
    'expect_re:block 1/10 \[' 'expect:block 2/10 [#' 'expect:block 5/10 [######' \
    'expect:— wager or stay; the DAOs commit their votes' 'expect:\e[33mworking' \
    'send:\x03' exit:0 -- "$k" watch
# play: answer a planting prompt (bad input first), see the result of the cycle, quit.
check pty-play 0 "$pty" -o "$tmp/play.pty" -t 90 \
    'expect:kalewx play' 'expect_re:is planting[^(]*\(block [12]/10\)' \
    'send:plant 1.00000001\r' 'expect:more than 7 decimals' \
    'send:harvest 1\r' 'expect:not an action' \
    'send:plant 1\r' 'expect:planted 1.0000000 KALE in cycle' \
    'expect:result of cycle' 'expect:your positions:' 'expect:balance:' \
    'send:q\r' 'expect:bye' exit:0 -- "$k" play
# colour on a terminal, none with NO_COLOR or --no-color
check pty-colour 0 "$pty" 'expect:\e[1m' exit:0 -- "$k" daos
check pty-no-color 0 "$pty" exit:0 'absent:\e[' -- env NO_COLOR=1 "$k" daos
check pty-no-color-flag 0 "$pty" exit:0 'absent:\e[' -- "$k" --no-color status
check pty-password 0 "$pty" 'expect:password: ' 'send:correct horse battery staple\r' 'expect:logged in' exit:0 \
    'absent:correct horse' -- "$k" login alice

# --- results (the cycles acted in have settled by now) --------------------------
until_ok 60 "$k" results || echo "FAIL: no cycle settled"
check results 0 "$k" results; contains "cycle "; contains "final score"; contains "wagers: GOOD pool"
check results-json 0 "$k" --json results; contains '"outcome":"'
cycle=$("$k" --json positions | python3 -c 'import json,sys; print(min(p["cycle_id"] for p in json.load(sys.stdin)["positions"]))')
until_ok 60 "$k" results "$cycle" || echo "FAIL: cycle $cycle did not settle"
check results-mine 0 "$k" results "$cycle"; contains "your positions:"; contains "your wagers:"
check results-none 3 "$k" results 999999
check results-bad 1 "$k" results twelve

# --- credentials and tokens ---------------------------------------------------
chmod 644 "$creds"
check creds-open 1 "$k" balance; contains "chmod 600"
check creds-open-logout 0 "$k" logout
uid=$("$k" --json login alice --password-stdin <<<"correct horse battery staple" >/dev/null &&
      "$k" --json balance | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
token=$("$mktoken" "$data" "$uid" 7200) || { echo "FAIL: cannot make a token"; fail=1; }
printf '{"server":"%s","username":"alice","token":"%s"}' "$KALEWX_SERVER" "$token" >"$creds"
chmod 600 "$creds"
check expired 3 "$k" balance; contains "kalewx login"
check expired-json 3 "$k" --json positions; contains '"success":false'
check expired-public 0 "$k" daos; contains "login has expired"; contains "crypto-momentum"
check expired-watch 0 timeout -s INT --preserve-status 4 "$k" watch; contains "login has expired"

# --- watch rides out a server restart: it reconnects and goes on ----------------
"$k" login alice --password-stdin <<<"correct horse battery staple" >/dev/null
"$k" watch >"$tmp/restart.txt" 2>&1 &
watch_pid=$!
seen() { grep -q "$1" "$tmp/restart.txt"; }
until_ok 20 seen "block " || { echo "FAIL: watch shows no block"; fail=1; }
stop_server
until_ok 20 seen "reconnecting" || { echo "FAIL: watch did not notice the server going away"; fail=1; }
start_server
until_ok 30 seen "reconnected" || { echo "FAIL: watch did not reconnect"; fail=1; }
lines=$(grep -c "block " "$tmp/restart.txt")
more() { [ "$(grep -c "block " "$tmp/restart.txt")" -gt "$lines" ]; }
until_ok 20 more || { echo "FAIL: no blocks after the reconnect"; fail=1; }
kill -INT "$watch_pid"; wait "$watch_pid" || { echo "FAIL: watch exit $? after Ctrl-C"; fail=1; }
kill -0 "$watch_pid" 2>/dev/null && fail=1

# --- the command line ---------------------------------------------------------
check unknown 1 "$k" harvest; contains "unknown command"
check other-server 2 "$k" --server http://127.0.0.1:1 status; contains "127.0.0.1:1"
check other-server-eq 2 "$k" --server=http://127.0.0.1:1 daos
check bad-server 1 "$k" --server ftp://x status; contains "http://"
for c in register login logout status balance positions wagers history results daos plant store wager stay \
         faucet withdraw watch play; do
    check "help-$c" 0 "$k" help "$c"; contains "usage: kalewx $c"
    check "flag-help-$c" 0 "$k" "$c" --help; contains "usage: kalewx $c"
    grep -q "^\.B[IR]* $c\b\|^\.B[IR]* \"$c " "$MANPAGE" || { echo "FAIL: the man page lacks $c"; fail=1; }
done
check play-json 1 "$k" --json play

stop_server
[ $fail -ne 0 ] && { echo "--- server log"; tail -50 "$tmp/serve.log"; }
exit $fail
