#!/usr/bin/env bash
# `kalewx bench load` for a few seconds on SQLite: the real server under the
# mixed load gives no reply but the game's own refusals, no socket error,
# its memory stays within 10 % (the benchmark fails otherwise), it stops
# cleanly, and the JSON has its documented shape. Speed is printed, never judged.
set -u
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# Under AddressSanitizer resident memory is mostly its quarantine of freed
# blocks (256 MB by default), which may still be filling during the run; a
# small one is full by the end of the warm-up. Other builds ignore the setting.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=32
if ! "$k" bench load --seconds 3 --json > "$tmp/load.json" 2> "$tmp/err"; then
    echo "FAIL: kalewx bench load failed"; cat "$tmp/err"; fail=1
fi
python3 - "$tmp/load.json" <<'PY' || { cat "$tmp/err"; fail=1; }
import json, sys
r = json.load(open(sys.argv[1]))
assert r["connections"] == 64 and r["seconds"] == 3 and r["warmup_seconds"] == 3, r
assert r["users"] > 0 and r["wrk_threads"] > 0
assert r["reference"]["rps"] > 0 and r["reference"]["requests"] > 0, r["reference"]
assert list(r["backends"]) == ["sqlite"], list(r["backends"])
b = r["backends"]["sqlite"]
assert b["unexpected"] == 0 and b["socket_errors"] == 0, b
assert b["requests"] > 0 and b["rps"] > 0 and 0 < b["p50_ms"] <= b["p99_ms"], b
assert sum(b["statuses"].values()) == b["requests"], b["statuses"]
assert set(b["statuses"]) <= {"200", "201", "409", "422"}, b["statuses"]
assert b["statuses"]["200"] > 0, b["statuses"]
expected = {"409 DUPLICATE_ACTION", "409 WAGER_EXISTS", "422 PHASE_CLOSED", "422 INSUFFICIENT_FUNDS"}
assert set(b["refusals"]) <= expected, b["refusals"]
assert sum(b["refusals"].values()) == b["expected"], b
assert b["statuses"].get("409", 0) + b["statuses"].get("422", 0) == b["expected"], b
assert b["rss_before_kib"] > 0 and b["rss_after_kib"] > 0 and b["rss_growth_pct"] <= 10, b
PY
exit $fail
