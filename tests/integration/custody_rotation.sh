#!/usr/bin/env bash
# Master-key rotation under SIGKILL. 1,000 wallets; the
# rotation command is killed at a random moment 20 times; after each kill
# every wallet must open with exactly one of the two keys, all with the same
# one. Then a rotation runs to the end: only the new key opens the wallets,
# a re-run reports "already rotated", and no output ever holds a key.
set -u
k=${KALEWX:?KALEWX must point at the kalewx binary}
tool=${CUSTODY_TOOL:?CUSTODY_TOOL must point at custody_tool}
N=1000
RUNS=20
RANDOM=20251204 # the kill moments are random but repeatable
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
data=$tmp/data
out=$tmp/output
fail=0
export KALEWX_DATA_DIR=$data KALEWX_CHAIN=testnet JWT_SECRET=unused-by-rotation-but-required-0123456789
unset DATABASE_URL KALEWX_MASTER_KEY

newkey() { "$tool" keygen "$tmp/key$1" || exit 2; echo "$tmp/key$1"; }
rotate() { # rotate CURRENT NEW: the command as an operator runs it
    KALEWX_MASTER_KEY_FILE=$1 "$k" admin rotate-master-key --new-key-file "$2" >>"$out" 2>&1
}
state() { "$tool" check "$data" "$1" "$2"; } # "only_a only_b neither both"

n=0
cur=$(newkey $n); n=$((n + 1)); next=$(newkey $n); n=$((n + 1))
"$tool" seed "$data" "$cur" $N || exit 2

# Where the kills land. Even runs: a moment drawn uniformly over the length
# T of a whole rotation (start-up, two scrypt derivations, the transaction,
# the commit). Odd runs: a moment inside the transaction's window, from T0
# (a rotation of a migrated database without wallets: the same fixed costs)
# to T. T and T0 are the fastest of three runs on copies.
duration_us() { # duration_us DATA_DIR
    local best=0 i start t
    for i in 1 2 3; do
        rm -rf "$tmp/probe"; cp -r "$1" "$tmp/probe"
        start=$(date +%s%N)
        KALEWX_DATA_DIR=$tmp/probe rotate "$cur" "$next" || { echo "FAIL: probe rotation" >&2; cat "$out" >&2; exit 1; }
        t=$(( ($(date +%s%N) - start) / 1000 ))
        { [ $best -eq 0 ] || [ $t -lt $best ]; } && best=$t
    done
    rm -rf "$tmp/probe"
    echo $best
}
"$tool" seed "$tmp/empty" "$cur" 0 || exit 2
t_all=$(duration_us "$data")
t_fixed=$(duration_us "$tmp/empty")
rm -rf "$tmp/empty"
t_tx=$(( t_all > t_fixed ? t_all - t_fixed : 1000 ))
echo "a rotation of $N wallets takes ${t_all} us, ${t_tx} us of it re-sealing and committing"
pause() { sleep "$(printf '%d.%06d' $(($1 / 1000000)) $(($1 % 1000000)))"; }
draw() { echo $(( (RANDOM * 32768 + RANDOM) % ($1 + 1) )); }

before=0 after=0 interrupted=0 in_tx=0
for run in $(seq 1 $RUNS); do
    KALEWX_MASTER_KEY_FILE=$cur "$k" admin rotate-master-key --new-key-file "$next" >>"$out" 2>&1 &
    pid=$!
    if [ $((run % 2)) -eq 0 ]; then
        pause "$(draw $((t_all * 11 / 10)))"
    else
        pause $((t_all - t_tx * 11 / 10 + $(draw $((t_tx * 12 / 10)))))
    fi
    if kill -KILL $pid 2>/dev/null; then
        interrupted=$((interrupted + 1))
        [ $((run % 2)) -eq 1 ] && in_tx=$((in_tx + 1))
    fi
    wait $pid 2>/dev/null
    s=$(state "$cur" "$next")
    case "$s" in
    "$N 0 0 0") before=$((before + 1)) ;;
    "0 $N 0 0") after=$((after + 1)); cur=$next; next=$(newkey $n); n=$((n + 1)) ;;
    *) echo "FAIL run $run: only-old only-new neither both = $s"; fail=1 ;;
    esac
done
echo "$RUNS runs, $interrupted killed while running ($in_tx of them aimed at the transaction):" \
     "$before left every wallet under the old key, $after under the new key"
[ $interrupted -ge 1 ] || { echo "FAIL: no kill interrupted a rotation"; fail=1; }

# A rotation that completes: only the new key opens the wallets.
rotate "$cur" "$next" || { echo "FAIL: rotation did not complete"; tail -5 "$out"; fail=1; }
s=$(state "$cur" "$next")
[ "$s" = "0 $N 0 0" ] || { echo "FAIL: after a completed rotation: $s"; fail=1; }
# Re-running it with the old key configured changes nothing and says so.
rotate "$cur" "$next" || { echo "FAIL: re-run refused"; tail -5 "$out"; fail=1; }
tail -3 "$out" | grep -q "already sealed with the new key" || { echo "FAIL: re-run did not say 'already'"; tail -3 "$out"; fail=1; }
[ "$(state "$cur" "$next")" = "0 $N 0 0" ] || { echo "FAIL: the re-run changed something"; fail=1; }
# A key that opens nothing is refused, and changes nothing.
stranger=$(newkey stranger)
if rotate "$stranger" "$(newkey $n)"; then echo "FAIL: a wrong current key was accepted"; fail=1; fi
tail -3 "$out" | grep -q "neither the current nor the new master key" || { echo "FAIL: wrong-key message"; tail -2 "$out"; fail=1; }
[ "$(state "$cur" "$next")" = "0 $N 0 0" ] || { echo "FAIL: a refused rotation changed something"; fail=1; }

# No key ever appears in anything the command printed or logged.
for f in "$tmp"/key*; do
    if grep -qF "$(head -c 64 "$f")" "$out"; then echo "FAIL: the content of $f was printed"; fail=1; fi
done
[ $fail -eq 0 ] && echo "ok"
exit $fail
